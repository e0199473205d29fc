"""Undecided results name the facts they lack (a field of the document, or an entry of
reference data with its file and date), and `check` ends with a checklist of them.

Each test also gives the fact named and requires the clause to be decided then: the
fact named is the one that was missing, not a guess.
"""

from __future__ import annotations

import json

import jsonschema
from click.testing import CliRunner

from conftest import ROOT
from iompolicy import PolicySet, load_file
from iompolicy.cli import main
from iompolicy.evaluation.missing import MissingFact
from iompolicy.report import Outcome

POLICIES = PolicySet.load(ROOT / "policies")
EXAMPLES = ROOT / "examples"
REGISTER = EXAMPLES / "data" / "member-states.yaml"
DATA = {load_file(p).kind: load_file(p).value for p in sorted((EXAMPLES / "data").glob("*.yaml"))}
REPORT_SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
TAJIKISTAN = EXAMPLES / "proposals" / "04-tajikistan-border-over-ceiling.yaml"
BURUNDI = EXAMPLES / "proposals" / "05-burundi-diaspora-followup-line2.yaml"


def proposal(path=TAJIKISTAN, **changes) -> dict:
    return {**load_file(path).value, **changes}


def undecided(value, data=DATA) -> dict:
    return {r.clause: r for r in POLICIES.check(value, data=data).results if r.outcome is Outcome.UNDECIDED}


def test_a_state_not_in_the_register_is_named_with_the_register_and_its_date():
    value = proposal(applicant="ZMB", beneficiary_states=["ZMB"])
    found = undecided(value)
    assert set(found) == {"part3.applicant_developing_member_state", "part3.beneficiaries_developing_member_states",
                          "part3.line2_article4", "part3.line2_outstanding_contributions"}
    expected = MissingFact("data", None, "member_states", ("states", "ZMB"), None, "2017-12-31")
    assert all(r.missing == (expected,) for r in found.values())
    assert expected.text({"member_states": "registers/member-states.yaml"}) == (
        "`ZMB` is not in `states` of reference data `member_states` "
        "(`registers/member-states.yaml`, as of 2017-12-31)")
    # Given the entry named, every one of those clauses is decided.
    register = {**DATA["member_states"], "states": {**DATA["member_states"]["states"],
                                                     "ZMB": DATA["member_states"]["states"]["TJK"]}}
    assert undecided(value, {**DATA, "member_states": register}) == {}


def test_a_data_set_not_given_is_named():
    found = undecided(proposal(), {})
    assert found and all(r.missing == (MissingFact("data", None, "member_states"),) for r in found.values())
    assert next(iter(found.values())).missing[0].text() == (
        "reference data `member_states` was not given (give it with --data FILE)")


def test_fields_missing_from_the_document_are_named_each_of_them():
    value = load_file(EXAMPLES / "budgets" / "facility-budget-2015.yaml").value
    found = undecided(value)
    assert [f.path for f in found["part3.cap_miscellaneous_income"].missing] == [
        "$.miscellaneous_income.unearmarked_contributions_usd", "$.miscellaneous_income.interest_income_usd"]
    assert [f.text() for f in found["part3.line2_allocation_formula"].missing] == [
        "`discretionary_income.total_usd` is missing from the document",
        "`discretionary_income.security_usd` is missing from the document"]
    given = {**value, "miscellaneous_income": {"unearmarked_contributions_usd": 5_000_000,
                                               "interest_income_usd": 1_000_000},
             "discretionary_income": {"total_usd": 40_000_000, "security_usd": 2_000_000}}
    assert undecided(given) == {}


def test_no_item_of_a_register_list_matching_is_named_with_the_value_looked_for():
    value = proposal(BURUNDI)
    value["funding"] = {**value["funding"], "follow_up_of": "IDF-1999-NONE"}
    found = undecided(value)
    facts = {f for r in found.values() for f in r.missing}
    assert facts == {MissingFact("data", None, "funded_projects", ("projects",), '`project.id` = "IDF-1999-NONE"',
                                 str(DATA["funded_projects"]["as_of"]))}
    assert next(iter(facts)).text().startswith(
        'no item of `projects` of reference data `funded_projects` has `project.id` = "IDF-1999-NONE" (as of ')


def test_a_failed_or_passed_result_lacks_nothing():
    results = POLICIES.check(proposal(), data=DATA).results
    assert all(r.missing == () for r in results)
    assert all("missing" not in r.to_dict() for r in results)


def run(*args):
    return CliRunner().invoke(main, ["check", *[str(a) for a in args]])


def corpus(tmp_path):
    """Three proposals: two of a state not in the register, one that names no applicant."""
    text = TAJIKISTAN.read_text().replace("applicant: TJK", "applicant: ZMB").replace("[TJK]", "[ZMB]")
    for name in ("a", "b"):
        (tmp_path / f"{name}.yaml").write_text(text.replace("IDF-2015-TJK-02", f"IDF-2015-ZMB-{name}"))
    budget = (EXAMPLES / "budgets" / "facility-budget-2019.yaml").read_text()
    (tmp_path / "c.yaml").write_text(budget)
    return tmp_path


def test_check_ends_with_the_checklist_most_needed_first_in_text_json_and_markdown(tmp_path):
    folder = corpus(tmp_path)
    text = run(folder, "--data", REGISTER).output.splitlines()
    at = text.index("missing facts, most needed first:")
    register = f"`{REGISTER}`"
    assert text[at + 1:at + 3] == [
        f"  1. `ZMB` is not in `states` of reference data `member_states` ({register}, as of 2017-12-31): "
        f"8 results undecided in 2 documents (first {folder / 'a.yaml'})",
        f"  2. `line1.from_discretionary_income_usd` is missing from the document: 2 results undecided in "
        f"{folder / 'c.yaml'}",
    ]
    assert text[-1].startswith("3 documents: ")
    # Under each undecided result, what it lacks.
    assert (f"      missing: `ZMB` is not in `states` of reference data `member_states` ({register}, "
            "as of 2017-12-31)") in text

    report = json.loads(run(folder, "--data", REGISTER, "--format", "json").output)
    jsonschema.validate(report, REPORT_SCHEMA)
    checklist = report["summary"]["missing_facts"]
    assert [(f["text"].split(":")[0], f["results"], f["documents"]) for f in checklist][:2] == [
        (f"`ZMB` is not in `states` of reference data `member_states` ({register}, as of 2017-12-31)", 8, 2),
        ("`line1.from_discretionary_income_usd` is missing from the document", 2, 1)]
    assert checklist[0]["file"] == str(REGISTER) and checklist[0]["keys"] == ["states", "ZMB"]
    result = next(r for d in report["documents"] for r in d["results"] if r["outcome"] == "error")
    assert result["missing"][0]["file"] == str(REGISTER)

    markdown = run(folder, "--data", REGISTER, "--format", "markdown").output
    assert "**Missing facts, most needed first** (each leaves clauses undecided):" in markdown
    assert "*Missing:*\n\n- \\`line1.from\\_discretionary\\_income\\_usd\\` is missing from the document" in markdown


def test_sarif_says_what_an_undecided_result_lacks(tmp_path):
    folder = corpus(tmp_path)
    sarif = json.loads(run(folder / "a.yaml", "--data", REGISTER, "--format", "sarif").output)
    undecided_results = [r for r in sarif["runs"][0]["results"] if r["kind"] == "open"]
    assert undecided_results
    for result in undecided_results:
        assert result["message"]["text"].endswith(
            f"\nmissing: `ZMB` is not in `states` of reference data `member_states` (`{REGISTER}`, as of 2017-12-31)")
        assert result["properties"]["missing"][0]["keys"] == ["states", "ZMB"]


def test_a_run_with_nothing_undecided_has_no_checklist():
    result = run(TAJIKISTAN, EXAMPLES / "data")
    assert "missing facts" not in result.output
    report = json.loads(run(TAJIKISTAN, EXAMPLES / "data", "--format", "json").output)
    assert report["summary"]["missing_facts"] == []


def checklist_of(output: str) -> list[str]:
    lines = output.splitlines()
    start = lines.index("missing facts, most needed first:")
    return [line for line in lines[start + 1:] if line.startswith("  ")]


def test_the_facts_survive_the_worker_processes_of_jobs(tmp_path):
    folder = corpus(tmp_path)
    serial = checklist_of(run(folder, "--data", REGISTER).output)
    assert len(serial) >= 2
    assert checklist_of(run(folder, "--data", REGISTER, "--jobs", "2").output) == serial


def test_the_html_report_has_the_checklist_and_each_result_its_facts_and_fix(tmp_path):
    folder = corpus(tmp_path)
    page = run(folder, TAJIKISTAN, "--data", REGISTER, "--format", "html").output
    assert '<h3 id="missing-facts">Missing facts, most needed first</h3>' in page
    assert (f"<li>`ZMB` is not in `states` of reference data `member_states` (`{REGISTER}`, as of 2017-12-31): "
            f"8 results undecided in 2 documents (first {folder / 'a.yaml'})</li>") in page
    assert '<div class="missing"><em>Missing:</em> `line1.from_discretionary_income_usd` is missing from the ' \
           'document</div>' in page
    assert ('<div class="fix"><em>Fix:</em> reduce `funding.requested_usd` by USD 35,000 (to at most USD 200,000)'
            '</div>') in page
