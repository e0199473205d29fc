"""Validator.is_valid: the verdict of `validate`, without jsonschema where the generated
validator's verdict is exact (headroom asks it of every change it offers)."""

import copy
import itertools
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from iompolicy import PolicySet
from iompolicy.documents import DocumentError, load_file

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "proposals" / "01-bolivia-climate-line2-national.yaml"


@pytest.fixture(scope="module")
def validator():
    return PolicySet.shipped().validator


@pytest.fixture()
def proposal():
    return copy.deepcopy(load_file(EXAMPLE).value)


def validate_verdict(validator, value) -> bool:
    from iompolicy.documents import Document

    try:
        validator.validate(Document(value))
    except DocumentError:
        return False
    return True


def changed(value, path, new):
    target = value
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return value


@pytest.mark.parametrize("path, new, expected", [
    ((), None, True),                                        # unchanged
    (("strategy_activities",), [1, 1], False),               # uniqueItems, no booleans: the fast verdict
    (("strategy_activities",), [0], False),                  # minimum
    (("funding", "requested_usd"), Decimal("1500.50"), True),  # a Decimal: the fast validator says `type`
    (("funding", "requested_usd"), "150,000", False),        # text for a number
    (("duration_months",), Decimal("1.5"), False),           # a Decimal that is no integer
    (("scope",), "planetary", False),                        # enum
])
def test_is_valid_agrees_with_validate(validator, proposal, path, new, expected):
    value = changed(proposal, path, new) if path else proposal
    assert validator.is_valid(value) is expected
    assert validate_verdict(validator, value) is expected


def test_unknown_kind_is_not_valid(validator, proposal):
    proposal["kind"] = "memo"
    assert validator.is_valid(proposal) is False


def test_a_fast_rejection_does_not_import_jsonschema():
    # The point of is_valid: a change that repeats a Strategy activity is refused by the
    # generated validator alone, without jsonschema's import (a tenth of a second a run).
    code = (
        "import copy, sys\n"
        "from iompolicy import PolicySet\n"
        "from iompolicy.documents import load_file\n"
        f"value = copy.deepcopy(load_file({str(EXAMPLE)!r}).value)\n"
        "value['strategy_activities'] = [3, 3]\n"
        "print(PolicySet.shipped().validator.is_valid(value), 'jsonschema' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


def _variants(value):
    """`value` and documents one change away from it, at every path: each field dropped, and
    each scalar replaced by values of other types and by edge values of its own type."""
    yield value
    pending = [((), value)]
    while pending:
        path, node = pending.pop()
        keys = list(node) if isinstance(node, dict) else range(len(node)) if isinstance(node, list) else []
        for key in keys:
            child = node[key]
            for replacement in ("DROP", None, True, -1, 0, Decimal("0.5"), "", "XYZ", "bol", "2015-13-40", [],
                                {}, [child, child] if not isinstance(child, (dict, list)) else "x"):
                changed_value = copy.deepcopy(value)
                target = changed_value
                for step in path:
                    target = target[step]
                if replacement == "DROP":
                    del target[key]
                else:
                    target[key] = replacement
                yield changed_value
            pending.append(((*path, key), child))


@pytest.mark.parametrize("example", sorted(p.relative_to(ROOT / "examples").as_posix() for folder in
                                           ("proposals", "budgets", "governance", "data")
                                           for p in (ROOT / "examples" / folder).glob("*.yaml")))
def test_the_generated_validators_give_jsonschemas_verdicts(validator, example):
    """The validator fastjsonschema generates (from the schema with its `$ref`s in line) says
    valid exactly when jsonschema does, on every example and on thousands of documents one
    change away from one, of every kind."""
    from jsonschema import Draft202012Validator, FormatChecker

    from iompolicy.documents.validation import _FORMATS, SchemaViolation, Validator

    value = load_file(ROOT / "examples" / example).value
    kind = validator.schemas.get(value["kind"])
    fast = Validator(validator.schemas)._fast_validator(kind)  # generated now, not the policy cache's
    reference = Draft202012Validator(kind.schema, format_checker=FormatChecker())
    compared = 0
    for variant in itertools.islice(_variants(value), 800):  # the register's 190 states repeat one shape
        try:
            fast(variant, custom_formats=_FORMATS)
            fast_says = True
        except SchemaViolation as violation:
            if violation.rule == "type" or violation.rule == "uniqueItems":
                continue  # inexact by design (Decimal, `true == 1`): validate asks jsonschema then
            fast_says = False
        assert fast_says == reference.is_valid(variant), (example, variant)
        compared += 1
    assert compared > 20, compared


def test_a_choice_of_values_of_different_types_is_validated_as_any_of():
    """`oneOf` is "exactly one"; when no value can meet two of the choices (their types are
    apart) it is written `anyOf`, which stops at the first choice met. Choices that can
    overlap (a number and an integer, a choice of any type) keep `oneOf`, and so does a
    property that happens to be named `oneOf`."""
    from iompolicy.documents.validation import _exclusive_choices

    apart = {"oneOf": [{"type": "boolean"}, {"allOf": [{"type": "array"}]}]}
    assert _exclusive_choices(apart) == {"anyOf": [{"type": "boolean"}, {"allOf": [{"type": "array"}]}]}
    for overlapping in ([{"type": "number"}, {"type": "integer"}], [{"type": "string"}, {"minLength": 2}],
                        [{"type": ["string", "null"]}, {"type": "null"}]):
        assert _exclusive_choices({"oneOf": overlapping}) == {"oneOf": overlapping}
    named = {"type": "object", "properties": {"oneOf": {"type": "string"}},
             "items": {"oneOf": [{"type": "string"}, {"type": "null"}]}}
    assert _exclusive_choices(named) == {"type": "object", "properties": {"oneOf": {"type": "string"}},
                                         "items": {"anyOf": [{"type": "string"}, {"type": "null"}]}}
