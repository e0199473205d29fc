"""Validator.is_valid: the verdict of `validate`, without jsonschema where the generated
validator's verdict is exact (headroom asks it of every change it offers)."""

import copy
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
