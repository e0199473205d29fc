"""A new user's first runs (issue 14): notices and messages that name the fix."""

from __future__ import annotations

import re

import shutil

import pytest
from click.testing import CliRunner

from conftest import ROOT
from iompolicy.cli import main

EXAMPLES = ROOT / "examples"
COMPLIANT = EXAMPLES / "proposals" / "01-bolivia-climate-line2-national.yaml"
NOT_GIVEN = "note: reference data `{}` was not given: clauses that read it are undecided (hint: {})"
GIVE_IT = "give it with `--data FILE`, or list it under `data:` in .iompolicy.yaml"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def notes(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("note:")]


@pytest.fixture
def lone(tmp_path, monkeypatch):
    """A folder (a repository root) with one proposal and no register anywhere near it."""
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    shutil.copy(COMPLIANT, tmp_path / "repo" / "p.yaml")
    monkeypatch.chdir(tmp_path / "repo")
    return tmp_path / "repo"


def test_missing_data_notice_names_the_fix(lone):
    result = run("check", "p.yaml")
    assert result.exit_code == 1
    assert notes(result.output) == [NOT_GIVEN.format("funded_projects", GIVE_IT),
                                    NOT_GIVEN.format("member_states", GIVE_IT)]


def test_missing_data_notice_names_the_register_next_to_the_documents(lone):
    (lone / "proposals").mkdir()
    (lone / "p.yaml").rename(lone / "proposals" / "p.yaml")
    (lone / "registers").mkdir()
    shutil.copy(EXAMPLES / "data" / "member-states.yaml", lone / "registers" / "states.yaml")
    result = run("check", "proposals/p.yaml")
    found = ("registers/states.yaml, found next to the documents, has it: add `--data registers/states.yaml` "
             "or list it under `data:` in .iompolicy.yaml")
    assert notes(result.output) == [NOT_GIVEN.format("funded_projects", GIVE_IT),
                                    NOT_GIVEN.format("member_states", found)]


def test_missing_data_notice_names_the_settings_file_that_data_replaced(lone):
    for register in ("member-states.yaml", "funded-projects.yaml"):
        shutil.copy(EXAMPLES / "data" / register, lone / register)
    (lone / ".iompolicy.yaml").write_text("data: [member-states.yaml, funded-projects.yaml]\n")
    assert notes(run("check", "p.yaml").output) == []  # the settings' data is used
    result = run("check", "p.yaml", "--data", "funded-projects.yaml")
    replaced = ("member-states.yaml, listed under `data:` in .iompolicy.yaml, was not used because --data "
                "replaces that list")
    assert notes(result.output) == [NOT_GIVEN.format("member_states", replaced)]


def test_missing_data_notice_is_in_the_json_report_too(lone):
    import json

    report = json.loads(run("check", "p.yaml", "--format", "json").output)
    assert NOT_GIVEN.format("member_states", GIVE_IT).removeprefix("note: ") in report["summary"]["notices"]


def test_documents_page_is_written_from_the_schemas():
    from iompolicy.schema_docs import page

    written = (ROOT / "docs" / "documents.md").read_text(encoding="utf-8")
    assert written == page(ROOT / "schemas"), "run: python -m iompolicy.schema_docs > docs/documents.md"


def test_documents_page_has_a_row_for_every_field_of_every_kind():
    from iompolicy.schema_docs import page

    text = page(ROOT / "schemas")
    for row in ("| `funding.requested_usd` | number ≥ 0 | yes |", "| `budget_lines[].usd` | number ≥ 0 | yes |",
                "| `states.<key>.article4` | `true` or `false` or list of mapping | yes |", "| `submitted_on` | text (YYYY-MM-DD) | yes |",
                "| `scope` | text: `national` or `regional` | yes |", "| `funding.follow_up_of` | text | no |"):
        assert row in text
    for kind in ("proposal", "facility_budget", "governance_calendar", "member_states", "funded_projects", "waivers"):
        assert f"## `{kind}`:" in text
    assert "## `report`" not in text


def test_jobs_auto_is_one_process_per_core(monkeypatch):
    from iompolicy.cli import check

    monkeypatch.setattr(check.os, "cpu_count", lambda: 3)
    assert check.JOBS.convert("auto", None, None) == 3
    monkeypatch.setattr(check.os, "cpu_count", lambda: None)  # unknown: one process
    assert check.JOBS.convert("auto", None, None) == 1
    assert check.JOBS.convert("4", None, None) == 4


def test_jobs_auto_checks_what_one_process_checks():
    one = run("check", EXAMPLES / "proposals", "--data", EXAMPLES / "data" / "member-states.yaml", "--jobs", "1")
    auto = run("check", EXAMPLES / "proposals", "--data", EXAMPLES / "data" / "member-states.yaml", "--jobs", "auto")
    # the provenance line's start time may differ by a second between the two runs
    started = re.compile(r"started \S+Z")
    assert (auto.exit_code, started.sub("started <time>", auto.output)) == \
        (one.exit_code, started.sub("started <time>", one.output))
    refused = run("check", EXAMPLES / "proposals", "--jobs", "many")
    assert refused.exit_code == 2 and "`many` is not a number of processes or `auto`" in refused.output


def _proposal_from(state: str, tmp_path):
    """The compliant example, made a proposal of `state` alone."""
    text = COMPLIANT.read_text(encoding="utf-8").replace("applicant: BOL", f"applicant: {state}")
    path = tmp_path / f"{state.lower()}.yaml"
    path.write_text(text.replace("beneficiary_states: [BOL]", f"beneficiary_states: [{state}]"), encoding="utf-8")
    return path


def test_a_state_missing_from_the_register_is_named_with_the_register_file_and_date(tmp_path):
    import json

    register = EXAMPLES / "data" / "member-states.yaml"
    result = run("check", _proposal_from("FRA", tmp_path), "--data", register, "--format", "json")
    undecided = {r["clause"]: r for r in json.loads(result.output)["documents"][0]["results"] if r["outcome"] == "error"}
    said = f"`FRA` is not in the `member_states` register ({register}, as of 2017-12-31)"
    assert sorted(undecided) == ["part3.applicant_developing_member_state", "part3.beneficiaries_developing_member_states",
                                 "part3.line2_article4", "part3.line2_outstanding_contributions"]
    assert {r["message"] for r in undecided.values()} == {said}
    assert undecided["part3.beneficiaries_developing_member_states"]["explanation"] == (
        "could not decide `all state in beneficiary_states: register[state].member == true and "
        f"register[state].developing == true`: `register[state].member` is missing, as {said}")
    text = run("check", _proposal_from("FRA", tmp_path), "--data", register).output
    assert (f"      could not decide `lead.member == true and lead.developing == true`: `lead.member` is missing, "
            f"as {said}") in text.splitlines()


def test_the_register_is_named_the_same_with_several_processes(tmp_path):
    register = EXAMPLES / "data" / "member-states.yaml"
    for state in ("FRA", "DEU"):
        _proposal_from(state, tmp_path)
    one = run("check", tmp_path, "--data", register, "--jobs", "1")
    two = run("check", tmp_path, "--data", register, "--jobs", "2")
    assert f"`DEU` is not in the `member_states` register ({register}, as of 2017-12-31)" in one.output
    assert two.output.split("provenance:")[0] == one.output.split("provenance:")[0]


def test_a_register_given_through_the_api_is_named_without_a_file(tmp_path):
    from iompolicy import PolicySet, load_file

    register = load_file(EXAMPLES / "data" / "member-states.yaml").value
    report = PolicySet.shipped().check(_proposal_from("FRA", tmp_path), data={"member_states": register})
    messages = {r.message for r in report.results if r.outcome.value == "error"}
    assert messages == {"`FRA` is not in the `member_states` register (as of 2017-12-31)"}
    named = PolicySet.shipped().check(_proposal_from("FRA", tmp_path), data={"member_states": register},
                                      sources={"member_states": "registers/states.yaml"})
    assert {r.message for r in named.results if r.outcome.value == "error"} == {
        "`FRA` is not in the `member_states` register (registers/states.yaml, as of 2017-12-31)"}


def test_a_follow_up_of_a_project_not_in_the_register_names_it(tmp_path):
    import json

    text = (EXAMPLES / "proposals" / "05-burundi-diaspora-followup-line2.yaml").read_text(encoding="utf-8")
    (tmp_path / "f.yaml").write_text(text.replace("1035-L1-2009-BDI-01", "1035-L1-2099-XXX-01"), encoding="utf-8")
    register = EXAMPLES / "data" / "funded-projects.yaml"
    result = run("check", tmp_path / "f.yaml", "--data", register, "--data", EXAMPLES / "data" / "member-states.yaml",
                 "--format", "json")
    undecided = [r for r in json.loads(result.output)["documents"][0]["results"] if r["outcome"] == "error"]
    assert [r["clause"] for r in undecided] == ["part3.follow_up_of_earlier_project", "part3.follow_up_of_line1",
                                                "part3.follow_up_of_same_states"]
    said = f"`1035-L1-2099-XXX-01` is not in the `funded_projects` register ({register}, as of 2017-12-31)"
    assert {r["message"] for r in undecided} == {said}
    assert undecided[0]["location"] == {"path": "$.funding.follow_up_of", "line": 21, "column": 3}


def test_a_field_missing_from_the_document_is_still_said_as_missing():
    from iompolicy import PolicySet, load_file

    proposal = load_file(COMPLIANT).value
    del proposal["funding"]["requested_usd"]
    report = PolicySet.shipped().check(proposal, data=[load_file(EXAMPLES / "data" / "member-states.yaml")],
                                       validate=False)
    ceiling = next(r for r in report.results if r.clause == "part3.line2_national_ceiling")
    assert ceiling.message == "`funding.requested_usd` is missing"
