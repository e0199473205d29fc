"""Governed waivers and rules as of a date, in every output format."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import jsonschema
import pytest
from click.testing import CliRunner

from conftest import ROOT
from iompolicy.cli import main

EXAMPLES = ROOT / "examples"
MANO_RIVER = str(EXAMPLES / "proposals" / "08-mano-river-article4-regional.yaml")  # fails III.5.1, dated 2011-06-14
BOLIVIA = str(EXAMPLES / "proposals" / "01-bolivia-climate-line2-national.yaml")   # passes, dated 2016-03-15
DATA = ["--data", str(EXAMPLES / "data" / "member-states.yaml"),
        "--data", str(EXAMPLES / "data" / "funded-projects.yaml")]
REPORT_SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text())


def waiver(id="W-1", clause="part3.line2_article4", documents=("IDF-2011-REG-GIN-01",),
           granted="2011-01-01", expires="2011-12-31") -> str:
    docs = ", ".join(documents)
    return (f"  - id: {id}\n    clause: {clause}\n    documents: [{docs}]\n"
            f"    reason: payment plan agreed\n    approved_by: Director General\n"
            f"    decision: SCPF decision 7\n    granted: {granted}\n    expires: {expires}\n")


@pytest.fixture
def waivers(tmp_path):
    def write(*entries: str):
        path = tmp_path / "waivers.yaml"
        path.write_text("kind: waivers\nwaivers:\n" + "".join(entries))
        return str(path)
    return write


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def check(*args):
    return run("check", *args, *DATA)


# ---- waived -------------------------------------------------------------------------------------

def test_a_waiver_in_force_waives_the_failure_and_the_run_passes(waivers):
    result = check(MANO_RIVER, "--waivers", waivers(waiver()))
    assert result.exit_code == 0, result.output
    assert "error (waived) part3.line2_article4 [III.5.1]" in result.output
    assert "waived by W-1 until 2011-12-31: payment plan agreed (approved by Director General, SCPF decision 7)" \
        in result.output
    # What is left is a warning: Liberia, a beneficiary, has contributions outstanding.
    assert "1 failed, 1 waived" in result.output
    assert "warning part3.line2_outstanding_contributions [III.5.1]" in result.output


def test_no_waivers_shows_the_verdict_without_them(waivers):
    result = check(MANO_RIVER, "--waivers", waivers(waiver()), "--no-waivers")
    assert result.exit_code == 1
    assert "(waived)" not in result.output


def test_a_waiver_by_citation_and_path_pattern(waivers):
    result = check(MANO_RIVER, "--waivers", waivers(waiver(clause="III.5", documents=('"**/08-mano-*.yaml"',))))
    assert result.exit_code == 0, result.output
    assert "0 failed, 2 waived" in result.output  # both clauses of III.5.1


def test_an_expired_waiver_does_not_apply_and_says_so(waivers):
    result = check(MANO_RIVER, "--waivers", waivers(waiver(granted="2010-01-01", expires="2010-12-31")))
    assert result.exit_code == 1
    assert "error part3.line2_article4" in result.output
    assert "waiver W-1 does not apply: in force 2010-01-01 to 2010-12-31, and the document is judged as of 2011-06-14" \
        in result.output


def test_a_waiver_that_matches_nothing_is_reported_as_stale(waivers):
    result = check(BOLIVIA, "--waivers", waivers(waiver(id="W-OLD", documents=("IDF-1999-*",))))
    assert result.exit_code == 0
    assert "note: waiver W-OLD (part3.line2_article4 on IDF-1999-*) matched nothing: remove it or fix it" in result.output


def test_a_waiver_of_a_passing_clause_is_reported(waivers):
    result = check(BOLIVIA, "--waivers", waivers(waiver(documents=("IDF-2016-BOL-01",))))
    assert result.exit_code == 0
    assert "waiver W-1 covers part3.line2_article4 on" in result.output
    assert "which passed: the waiver is not needed" in result.output


@pytest.mark.parametrize("content, message", [
    ("kind: waivers\nwaivers:\n  - id: W-1\n    clause: x\n", "is a required property"),
    ("kind: waivers\nwaivers:\n" + waiver() + waiver(), "waiver ids must be unique: W-1"),
    ("kind: proposal\n", "is a required property"),
])
def test_a_bad_waivers_file_stops_the_run(tmp_path, content, message):
    path = tmp_path / "waivers.yaml"
    path.write_text(content)
    result = check(MANO_RIVER, "--waivers", path)
    assert result.exit_code == 2
    assert message in result.output


# ---- every format --------------------------------------------------------------------------------

def test_json_shows_the_waiver(waivers):
    report = json.loads(check(MANO_RIVER, "--waivers", waivers(waiver()), "--format", "json").output)
    jsonschema.validate(report, REPORT_SCHEMA)
    (waived,) = [r for r in report["documents"][0]["results"] if r["outcome"] == "waived"]
    assert waived["clause"] == "part3.line2_article4"
    assert waived["waiver"] == {"id": "W-1", "reason": "payment plan agreed", "approved_by": "Director General",
                                "decision": "SCPF decision 7", "granted": "2011-01-01", "expires": "2011-12-31",
                                "applied": True}
    assert report["summary"]["waived"] == 1 and report["summary"]["failing"] == 0
    # the outstanding-contributions warning still fails the document, but not the run
    assert report["documents"][0]["outcome"] == "fail"


def test_json_lines_show_the_waiver_and_the_stale_notice(waivers):
    out = check(MANO_RIVER, "--waivers", waivers(waiver(), waiver(id="W-2", documents=("nothing",))),
                "--format", "jsonl").output.splitlines()
    document, summary = json.loads(out[0]), json.loads(out[1])["summary"]
    assert [r["waiver"]["id"] for r in document["results"] if r["outcome"] == "waived"] == ["W-1"]
    assert summary["waived"] == 1
    assert any("W-2" in notice for notice in summary["notices"])


def test_sarif_records_a_suppression(waivers):
    sarif = json.loads(check(MANO_RIVER, "--waivers", waivers(waiver()), "--format", "sarif").output)
    (result,) = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "part3.line2_article4"]
    (suppression,) = result["suppressions"]
    assert suppression["kind"] == "external" and suppression["status"] == "accepted"
    assert suppression["justification"].startswith("W-1: payment plan agreed (approved by Director General")


def test_sarif_lists_stale_waivers_as_notifications(waivers):
    sarif = json.loads(check(BOLIVIA, "--waivers", waivers(waiver(id="W-OLD", documents=("none",))),
                             "--format", "sarif").output)
    notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert any("W-OLD" in n["message"]["text"] for n in notes)


def test_junit_shows_a_waived_clause_as_skipped(waivers):
    root = ET.fromstring(check(MANO_RIVER, "--waivers", waivers(waiver()), "--format", "junit").output)
    (case,) = [c for c in root.iter("testcase") if c.get("name").startswith("part3.line2_article4 ")]
    assert case.find("failure") is None
    assert case.find("skipped").get("message").startswith("waived by W-1 until 2011-12-31")


def test_markdown_shows_the_waiver(waivers):
    text = check(MANO_RIVER, "--waivers", waivers(waiver()), "--format", "markdown").output
    assert "| *waived* |" in text
    assert "waived by W-1 until 2011-12-31: payment plan agreed" in text


def test_the_shipped_example_waiver(tmp_path):
    result = run("check", EXAMPLES, "--waivers", EXAMPLES / "waivers.yaml")
    assert "warning (waived) part3.line2_outstanding_contributions [III.5.1]" in result.output
    assert "waived by W-2011-GIN-ARREARS" in result.output
    assert "error part3.line2_article4 [III.5.1]" in result.output  # Article 4 is the Council's: not waived
    assert "1 waived" in result.output.splitlines()[-1]


# ---- rules as of a date, and regimes side by side ------------------------------------------------

IDF_2020 = str(EXAMPLES / "policies-idf-2020")


@pytest.mark.parametrize("as_of, outcome, explained", [
    ("2019-12-31", "not_applicable", "in force from 2020-01-01; document dated 2019-12-31"),
    ("2020-01-01", "fail", "staff_and_office (50,000) <= STAFF_AND_OFFICE_SHARE (30%) * funding.requested_usd (150,000) = 45,000"),
])
def test_a_document_judged_on_either_side_of_an_effective_date(tmp_path, as_of, outcome, explained):
    proposal = (EXAMPLES / "proposals" / "01-bolivia-climate-line2-national.yaml").read_text()
    heavy = tmp_path / "staff-heavy.yaml"
    # 36,000 staff + 14,000 office = 50,000 of 150,000 requested: 33%, above the 2020 rule's 30%
    heavy.write_text(proposal.replace("requested_usd: 180000", "requested_usd: 150000")
                     .replace("usd: 45000}\n  - {category: operational, description: \"Workshops", "usd: 15000}\n"
                              "  - {category: operational, description: \"Workshops"))
    report = json.loads(check(heavy, "--policies", "shipped", "--policies", IDF_2020, "--as-of", as_of,
                              "--format", "json").output)
    document = report["documents"][0]
    assert document["as_of"] == as_of
    (rule,) = [r for r in document["results"] if r["clause"] == "idf2020.staff_and_office_share"]
    assert rule["outcome"] == outcome
    assert explained in rule["explanation"]
    assert rule["policy"] == "idf2020.budget" and rule["policy_version"] == "2020.1"
    strategy = [r for r in document["results"] if r["clause"] == "part3.line2_national_ceiling"]
    assert strategy[0]["policy"] == "strategy2007.part3.proposals" and strategy[0]["policy_version"] == "2007.1"


def test_the_strategy_does_not_apply_before_its_adoption():
    result = check(BOLIVIA, "--as-of", "2007-06-06", "--format", "json")
    assert result.exit_code == 0
    results = json.loads(result.output)["documents"][0]["results"]
    # Only the existence of Line 2 has no effective date (issue 13, finding 4); it passes.
    assert [r["outcome"] for r in results if r["clause"] == "part3.line2_from_2008"] == ["pass"]
    strategy = [r for r in results if r["cite"] != "DOC" and r["clause"] != "part3.line2_from_2008"]
    assert strategy and all(r["outcome"] == "not_applicable" for r in strategy)
    assert strategy[0]["explanation"] == "in force from 2007-06-07; document dated 2007-06-06"
    assert {r["outcome"] for r in results if r["cite"] == "DOC"} == {"pass", "not_applicable"}


# ---- expired, stale and no-waiver runs in every format ---------------------------------------------

EXPIRED = dict(granted="2010-01-01", expires="2010-12-31")
STALE = dict(id="W-STALE", documents=("IDF-1999-*",))


def _json_result(text: str, line_json: bool = False):
    document = json.loads(text.splitlines()[0]) if line_json else json.loads(text)["documents"][0]
    return next(r for r in document["results"] if r["clause"] == "part3.line2_article4")


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_expired_waiver_in_json_formats(waivers, fmt):
    result = check(MANO_RIVER, "--waivers", waivers(waiver(**EXPIRED)), "--format", fmt)
    assert result.exit_code == 1
    entry = _json_result(result.output, line_json=fmt == "jsonl")
    assert entry["outcome"] == "fail"
    assert entry["waiver"]["applied"] is False and entry["waiver"]["expires"] == "2010-12-31"
    assert "waiver W-1 does not apply: in force 2010-01-01 to 2010-12-31" in entry["explanation"]


def test_expired_waiver_in_sarif_junit_markdown(waivers):
    path = waivers(waiver(**EXPIRED))
    sarif = json.loads(check(MANO_RIVER, "--waivers", path, "--format", "sarif").output)
    (entry,) = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "part3.line2_article4"]
    assert "suppressions" not in entry and entry["level"] == "error"
    assert "waiver W-1 does not apply" in entry["message"]["text"]
    root = ET.fromstring(check(MANO_RIVER, "--waivers", path, "--format", "junit").output)
    (case,) = [c for c in root.iter("testcase") if c.get("name").startswith("part3.line2_article4 ")]
    assert "waiver W-1 does not apply" in case.find("failure").text
    markdown = check(MANO_RIVER, "--waivers", path, "--format", "markdown").output
    assert "**FAIL**" in markdown and "waiver W-1 does not apply: in force 2010-01-01 to 2010-12-31" in markdown


@pytest.mark.parametrize("fmt, shows", [
    ("text", lambda out: "note: waiver W-STALE" in out),
    ("json", lambda out: any("W-STALE" in n for n in json.loads(out)["summary"]["notices"])),
    ("jsonl", lambda out: any("W-STALE" in n for n in json.loads(out.splitlines()[-1])["summary"]["notices"])),
    ("sarif", lambda out: any("W-STALE" in n["message"]["text"] for n in
                              json.loads(out)["runs"][0]["invocations"][0]["toolExecutionNotifications"])),
    ("junit", lambda out: "W-STALE" in ET.fromstring(out).find("testsuite[@name='iompolicy notices']/system-out").text),
    ("markdown", lambda out: "- waiver W-STALE" in out),
])
def test_stale_waiver_in_every_format(waivers, fmt, shows):
    result = check(BOLIVIA, "--waivers", waivers(waiver(**STALE)), "--format", fmt)
    assert result.exit_code == 0
    assert shows(result.output)


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl", "sarif", "junit", "markdown"])
def test_no_waivers_in_every_format_fails_as_without_waivers(waivers, fmt, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1213574400")  # runs a second apart state the same start
    path = waivers(waiver())
    waived = check(MANO_RIVER, "--waivers", path, "--format", fmt)
    without = check(MANO_RIVER, "--waivers", path, "--no-waivers", "--format", fmt)
    plain = check(MANO_RIVER, "--format", fmt)
    assert waived.exit_code == 0 and without.exit_code == plain.exit_code == 1
    assert "W-1" in waived.output and "W-1" not in without.output
    if fmt != "markdown":  # markdown is dated
        assert without.output == plain.output
