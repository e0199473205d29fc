"""Hostile policy texts: the parser, the lowering and the checker survive anything.

Random and mutated policies (the shipped `policies/*.iom` with tokens deleted,
duplicated, swapped or replaced, random characters inserted, the text cut
short) either load as a checked policy set or raise `PolicyError` whose every
diagnostic points at a place in the text. No other exception, ever.
"""

from __future__ import annotations

import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT
from iompolicy import PolicyError, PolicySet, SchemaSet, load_file

POLICY_FILES = sorted((ROOT / "policies").glob("*.iom"))
TEXTS = {path.name: path.read_text(encoding="utf-8") for path in POLICY_FILES}
SCHEMAS = SchemaSet.load(ROOT / "schemas")
TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|#[^\n]*|\d{4}-\d{2}-\d{2}|[A-Za-z_][\w.\-]*|\d[\d_.]*%?|==|!=|<=|>=|\s+|.', re.S)
VOCABULARY = sorted({t for text in TEXTS.values() for t in TOKEN.findall(text) if not t.isspace()}
                    | {"(", ")", "[", "]", "{", "}", "{{", "}}", "\\", "\"", "'", "\x00", "\ufeff", "é", "9" * 5000,
                       "1" * 60 + ".5", "USD", "%", "--", "for", "in", "where", "data.", "let", "const"})
EXAMPLES = int(os.environ.get("IOMPOLICY_FUZZ_EXAMPLES", "150"))
DATA = [load_file(p) for p in sorted((ROOT / "examples" / "data").glob("*.yaml"))]
EXAMPLES_BY_KIND: dict = {}
for _path in sorted((ROOT / "examples").glob("*/*.yaml")):
    _document = load_file(_path)
    if _document.kind in ("proposal", "facility_budget", "governance_calendar"):
        EXAMPLES_BY_KIND.setdefault(_document.kind, []).append(_document)


def load(text: str, name: str = "fuzz.iom") -> None:
    """Load one policy text: a checked set, or PolicyError with located diagnostics.
    A mutant that loads is run on the examples: it gets the four outcomes, nothing else."""
    try:
        policies = PolicySet.from_texts({name: text}, SCHEMAS)
    except PolicyError as error:
        assert error.diagnostics, "a PolicyError without a diagnostic"
        for diagnostic in error.diagnostics:
            assert diagnostic.span is not None or diagnostic.code == "empty_policy_set", diagnostic
            assert diagnostic.message
        error.render()  # rendering the caret lines must not fail either
        return
    for document in EXAMPLES_BY_KIND.get(policies.files[0].header.kind if policies.files else None, ()):
        report = policies.check(document, data=DATA)
        assert {r["outcome"] for r in report.to_dict()["results"]} <= {"pass", "fail", "not_applicable", "error"}


@st.composite
def mutated_policies(draw):
    name = draw(st.sampled_from(sorted(TEXTS)))
    tokens = TOKEN.findall(TEXTS[name])
    for _ in range(draw(st.integers(1, 6))):
        if not tokens:
            break
        at = draw(st.integers(0, len(tokens) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "swap", "replace", "insert", "truncate", "chars"]))
        if action == "delete":
            del tokens[at]
        elif action == "duplicate":
            tokens.insert(at, tokens[at])
        elif action == "swap":
            other = draw(st.integers(0, len(tokens) - 1))
            tokens[at], tokens[other] = tokens[other], tokens[at]
        elif action == "replace":
            tokens[at] = draw(st.sampled_from(VOCABULARY))
        elif action == "insert":
            tokens.insert(at, " " + draw(st.sampled_from(VOCABULARY)) + " ")
        elif action == "truncate":
            tokens = tokens[:at]
        else:
            tokens.insert(at, draw(st.text(min_size=1, max_size=5)))
    return name, "".join(tokens)


def test_every_shipped_policy_loads_alone():
    for name, text in TEXTS.items():
        PolicySet.from_texts({name: text}, SCHEMAS)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_policies())
def test_mutated_policies_load_or_are_refused_with_a_place(case):
    name, text = case
    load(text, name)


@settings(max_examples=EXAMPLES // 3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_random_text_is_refused_with_a_place(text):
    load(text)


@settings(max_examples=EXAMPLES // 3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(VOCABULARY), max_size=60))
def test_random_token_soup_is_refused_with_a_place(tokens):
    load(" ".join(tokens))


HEADER = 'policy p { title "t" source "s" applies to proposal }\n'
CLAUSE = 'clause c {{ title "t" cite "c" quote "q" must require {} }}\n'


PATHOLOGICAL = {
    "empty": "",
    "byte-order-mark": "\ufeff",
    "nul-bytes": "\x00" * 10,
    "5000-parentheses": HEADER + CLAUSE.format("(" * 5000 + "true" + ")" * 5000),
    "5000-nots": HEADER + CLAUSE.format("not " * 5000 + "true"),
    "5000-additions": HEADER + CLAUSE.format(" + ".join(["1"] * 5000) + " > 0"),
    "3000-nested-lists": HEADER + CLAUSE.format("[" * 3000 + "]" * 3000 + " exists"),
    "5000-digit-number": HEADER + CLAUSE.format("9" * 5000 + " > 0"),
    "5000-digit-money": HEADER + CLAUSE.format("USD " + "9" * 5000 + " > 0"),
    "5000-digit-decimal": HEADER + CLAUSE.format("1." + "0" * 5000 + "1 > 0"),
    "4000-digit-percent": HEADER + CLAUSE.format("9" * 4000 + "% > 0"),
    "12000-digit-const": HEADER + "const BIG = " + " * ".join(["9" * 100] * 120) + "\n" + CLAUSE.format("BIG > 0"),
    "huge-const-products": HEADER + "const HUGE = 1" + "0" * 98 + ".5\n" + CLAUSE.format("HUGE * HUGE * HUGE > 0"),
    "round-to-20-places": HEADER + CLAUSE.format("round(funding.requested_usd, 20) > 0"),
    "const-division-by-zero": HEADER + "const Z = 1 / 0\n" + CLAUSE.format("Z > 0"),
    "not-a-date": HEADER + CLAUSE.format("9999-99-99 < submitted_on"),
    "3000-braces-in-message": HEADER + 'clause c { title "t" cite "c" quote "q" must message "' + "{" * 3000
                              + '" require true }',
    "3000-parentheses-in-a-hole": HEADER + 'clause c { title "t" cite "c" quote "q" must message "{' + "(" * 3000
                                  + '}" require true }',
    "lone-surrogate-escape": HEADER + 'clause c { title "t" cite "c" quote "\\ud800" must require true }',
    "megabyte-quote": HEADER + 'clause c { title "t" cite "c" quote "' + "x" * 1_000_000 + '" must require true }',
}


@pytest.mark.parametrize("text", list(PATHOLOGICAL.values()), ids=list(PATHOLOGICAL))
def test_pathological_policies(text):
    load(text)
