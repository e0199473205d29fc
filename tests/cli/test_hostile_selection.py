"""A selector that matches nothing is a usage error, never a green run (issue 19).

Before: `--only III.52` (a typo) turned every document into `not_applicable` and
the run exited 0."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from conftest import ROOT
from iompolicy.cli import main

OVER_CEILING = str(ROOT / "examples" / "proposals" / "04-tajikistan-border-over-ceiling.yaml")
DATA = ["--data", str(ROOT / "examples" / "data" / "member-states.yaml"),
        "--data", str(ROOT / "examples" / "data" / "funded-projects.yaml")]


def check(*args):
    return CliRunner().invoke(main, ["check", OVER_CEILING, *DATA, *args])


@pytest.mark.parametrize("args, expected", [
    (["--only", "III.52"], "--only: `III.52` names no clause id or citation of the policies (did you mean `III.5.2`?)"),
    (["--only", "part2.subcomittee_abolished"], "(did you mean `part2.subcommittee_abolished`?)"),
    (["--only", "iii.5.2"], "--only: `iii.5.2` names no clause id or citation of the policies (did you mean `III.5.2`?)"),
    (["--only", "Part3.line2_national_ceiling"], "(did you mean `part3.line2_national_ceiling`?)"),
    (["--only", ""], "--only: an empty entry names no clause"),
    (["--only", "III.5.2,III.52"], "--only: `III.52` names no clause"),
    (["--only", "III.5.2,"], "--only: an empty entry names no clause (in `III.5.2,`)"),
    (["--skip", "III.9"], "--skip: `III.9` names no clause"),
    (["--skip", "I", "--skip", "II", "--skip", "III", "--skip", "DOC", "--skip", "RES"],
     "--only/--skip leave no clause to judge"),
    (["--only", "III.5.2", "--skip", "III.5"], "--only/--skip leave no clause to judge"),
])
def test_a_selector_that_matches_nothing_is_a_usage_error(args, expected):
    result = check(*args)
    assert result.exit_code == 2, result.output
    assert expected in result.stderr
    assert result.stderr.rstrip().endswith("hint: `iompolicy list` shows every clause id and citation")
    assert result.stdout == ""  # no report: nothing was judged


def test_a_comma_list_is_several_entries(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1213574400")  # one start time: the two runs may straddle a second
    listed = check("--only", "III.5.2,III.5.3", "--format", "json", "-v")
    repeated = check("--only", "III.5.2", "--only", "III.5.3", "--format", "json", "-v")
    assert listed.exit_code == repeated.exit_code == 1, listed.output
    clauses = [r["clause"] for r in json.loads(listed.stdout)["documents"][0]["results"]]
    assert clauses == ["part3.line2_national_ceiling", "part3.line2_regional_ceiling"]
    assert json.loads(listed.stdout) == json.loads(repeated.stdout)


@pytest.mark.parametrize("setting, line", [("only: [III.5.22]", "2:1"), ("skip: [DOC, I, II, III, RES]", "2:1")])
def test_a_settings_selector_that_matches_nothing_names_the_settings_file(tmp_path, monkeypatch, setting, line):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".iompolicy.yaml").write_text(f"paths: [{OVER_CEILING}]\n{setting}\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", *DATA])
    assert result.exit_code == 2, result.output
    first = result.stderr.splitlines()[0]
    if "III.5.22" in setting:
        assert first == (f".iompolicy.yaml:{line}: `only`: `III.5.22` names no clause id or citation of the "
                         "policies (did you mean `III.5.2`?)")
    else:
        assert first.startswith("--only/--skip leave no clause to judge")


def test_a_selection_that_leaves_a_kind_without_clauses_says_so():
    result = check("--only", "II", "--format", "json")
    assert result.exit_code == 0
    (document,) = json.loads(result.stdout)["documents"]
    assert document["notices"][0] == "--only/--skip leave no clause for `proposal` documents"


def test_explain_suggests_the_nearest_clause():
    result = CliRunner().invoke(main, ["explain", "iii.5.2"])
    assert result.exit_code == 2
    assert "no clause has the id or citation `iii.5.2` (did you mean `III.5.2`?)" in result.stderr
