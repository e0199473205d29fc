"""Loading is a list of named stages (iompolicy/loading.py): the list is what the docs say,
and each stage's problems reach the user, all in one run."""

from __future__ import annotations

import re

import pytest

from conftest import ROOT, TEST_SCHEMAS
from iompolicy import PolicySet
from iompolicy.language.source import PolicyError
from iompolicy.loading import STAGES

HEADER = 'policy {id} {{\n  title "loading"\n  source "tests"\n  applies to proposal\n}}\n'


def _refused(texts: dict[str, str]) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        PolicySet.from_texts({name: HEADER.format(id=name[0]) + text for name, text in texts.items()},
                             TEST_SCHEMAS)
    return [d.code for d in caught.value.diagnostics]


def test_the_stages_are_the_ones_the_architecture_page_lists():
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = page[page.index("## Loading, stage by stage"):page.index("## The rules that keep it so")]
    listed = re.findall(r"^\| (\w+) \|", table, re.MULTILINE)
    assert [stage.name for stage in STAGES] == ["parse", "check", "cite", "constants"]
    assert listed == ["stage", "locate", "read", *[stage.name for stage in STAGES], "compile"]


def test_parse_and_check_problems_of_different_files_come_together():
    codes = _refused({
        "a.iom": 'clause a { title "t" cite "c" quote "q" must require }\n',  # parse
        "b.iom": 'clause b { title "t" cite "c" quote "q" must require no_such_field > 0 }\n',  # check
    })
    assert len(codes) == 2 and "unknown_field" in codes


def test_constants_wait_for_a_clean_policy():
    constant = 'const X = 1 / 0\nclause c { title "t" cite "c" quote "q" must require X > 0 }\n'
    assert _refused({"a.iom": constant}) == ["bad_const"]
    # with a type mistake elsewhere, the constant is not evaluated: one problem, not a cascade
    assert _refused({"a.iom": constant,
                     "b.iom": 'clause b { title "t" cite "c" quote "q" must require no_such_field > 0 }\n'}) \
        == ["unknown_field"]


def test_no_text_at_all_is_said_by_the_parse_stage():
    with pytest.raises(PolicyError) as caught:
        PolicySet.from_texts({}, TEST_SCHEMAS)
    assert [d.code for d in caught.value.diagnostics] == ["empty_policy_set"]
