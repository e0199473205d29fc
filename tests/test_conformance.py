"""The data-driven conformance suite: tests/conformance/*.yaml.

Every case runs through the three evaluators (compiled closures, the generated Python
of `evaluation/codegen.py` and the tracer), which must agree with the expected outcome
of every clause, and give the same reports.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import TEST_SCHEMAS
from iompolicy import PolicyError, PolicySet, load_text

CASES_DIR = Path(__file__).parent / "conformance"
CASE_SCHEMA = json.loads((CASES_DIR / "case.schema.json").read_text())
CASE_VALIDATOR = jsonschema.validators.validator_for(CASE_SCHEMA)(CASE_SCHEMA)  # the schema checked once, below
DEFAULT_HEADER = 'policy test {\n  title "conformance"\n  source "tests"\n  applies to proposal\n}\n'
HEADER_RE = re.compile(r"^\s*policy\s+\S+\s*\{", re.MULTILINE)


def _load_case_files():
    """Every case, read when the tests are collected: with libyaml where PyYAML has it (the
    same safe loading, 0.08 s for the 17 files instead of 0.5 s) and one validator (0.09 s
    instead of 0.45 s: `jsonschema.validate` checks the schema itself on every call)."""
    type(CASE_VALIDATOR).check_schema(CASE_SCHEMA)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    cases = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        content = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        CASE_VALIDATOR.validate(content)  # unknown keys in a case file are an error
        for case in content["cases"]:
            cases.append(pytest.param(case, id=f"{path.stem}:{case['note']}"))
    return cases


CASES = _load_case_files()


def test_case_notes_are_unique():
    notes = [c.id for c in CASES]
    assert len(notes) == len(set(notes))


def _policy_text(case) -> str:
    text = case["policy"]
    return text if HEADER_RE.search(text) else DEFAULT_HEADER + text


def _document(case):
    if "document_text" in case:
        return load_text(case["document_text"], "case.yaml")
    document = dict(case.get("document", {}))
    document.setdefault("kind", "proposal")
    return document


@pytest.mark.parametrize("case", CASES)
def test_conformance(case):
    text = _policy_text(case)
    if "errors" in case:
        with pytest.raises(PolicyError) as caught:
            PolicySet.from_texts({"case.iom": text}, TEST_SCHEMAS)
        found = caught.value.diagnostics
        expected = case["errors"]
        rendered = caught.value.render()
        assert [d.code for d in found] == [e["code"] for e in expected], rendered
        for diagnostic, wanted in zip(found, expected):
            if "underlined" in wanted:
                assert diagnostic.underlined(caught.value.sources) == wanted["underlined"], rendered
            if "message" in wanted:
                assert wanted["message"] in diagnostic.message, rendered
            if "hint" in wanted:
                assert diagnostic.hint and wanted["hint"] in diagnostic.hint, rendered
        return

    try:
        policies = PolicySet.from_texts({"case.iom": text}, TEST_SCHEMAS)
    except PolicyError as error:
        pytest.fail("policy refused:\n" + error.render())
    as_of = dt.date.fromisoformat(case["as_of"]) if "as_of" in case else None
    data = {name: value for name, value in case.get("data", {}).items()}
    fast = policies.check(_document(case), data=data, as_of=as_of, validate=False, evaluator="closures")
    outcomes = {r.clause: r.outcome.value for r in fast.results}
    assert outcomes == case["expect"], _show(fast)
    for evaluator in ("generated", "traced"):
        other = policies.check(_document(case), data=data, as_of=as_of, validate=False, evaluator=evaluator)
        assert {r.clause: r.outcome.value for r in other.results} == case["expect"], \
            f"the {evaluator} evaluator disagrees:\n" + _show(other) + "\n" + policies.compiled_source("proposal")
        assert other.to_dict() == fast.to_dict()  # the same explanations, messages and locations too

    by_clause = {r.clause: r for r in fast.results}
    for clause, text in case.get("explanation", {}).items():
        assert text in by_clause[clause].explanation, _show(fast)
    for clause, text in case.get("message", {}).items():
        assert text in by_clause[clause].message, _show(fast)
    for clause, path in case.get("location", {}).items():
        assert by_clause[clause].location.path == path, _show(fast)
    for clause, line in case.get("line", {}).items():
        assert by_clause[clause].location.line == line, _show(fast)


def _show(report) -> str:
    return json.dumps(report.to_dict(), indent=1, default=str)


def test_every_kind_of_expression_has_a_case_everywhere_the_language_is_given_meaning():
    """The language's semantics live in the checker, three evaluators (compiled closures, the
    generated Python of `codegen` and the explaining tracer) and `unparse`: a new kind of
    expression that one of them lacks fails here, not on the first document that uses it."""
    from iompolicy.evaluation.codegen import Writer
    from iompolicy.evaluation.compiler import _COMPILERS
    from iompolicy.evaluation.explain import Tracer
    from iompolicy.language import syntax as nodes
    from iompolicy.language.checker import Checker
    from iompolicy.language.unparse import _CASES

    kinds = set(nodes.Expr.__args__)
    assert set(_CASES) == kinds, "unparse"
    assert set(_COMPILERS) == kinds, "the compiler"
    for visitor in (Checker, Tracer, Writer):  # they dispatch to `on_<node class>`
        cases = {name[3:] for name in dir(visitor) if name.startswith("on_")}
        assert cases == {kind.__name__ for kind in kinds}, visitor.__name__


def test_every_kind_of_expression_has_a_case_in_the_smt_encoding():
    """`iompolicy analyze` encodes expressions for z3: a kind it lacks would only be "not analysed"."""
    pytest.importorskip("z3")
    from iompolicy.analysis.encode import _HANDLERS
    from iompolicy.language import syntax as nodes

    assert set(_HANDLERS) == set(nodes.Expr.__args__)


def test_every_built_in_function_has_a_body():
    """Signatures (what the checker reads) and bodies (what the evaluators call) are two tables."""
    from iompolicy.evaluation.functions import FUNCTIONS
    from iompolicy.language.builtins import BUILTINS

    assert set(FUNCTIONS) == set(BUILTINS)
