"""Every input in every report (issue 19): a file that cannot be read, has no `kind`
or does not match its schema is an entry of the report in every format, is counted
in the summary, does not stop the other files being checked, and the run still
exits with status 2 with each problem located on stderr."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET

import jsonschema
import pytest
from click.testing import CliRunner

from conftest import ROOT
from iompolicy.cli import main

HOSTILE = ROOT / "tests" / "hostile"
REPORT_SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
DATA = ["--data", str(ROOT / "examples" / "data" / "member-states.yaml"),
        "--data", str(ROOT / "examples" / "data" / "funded-projects.yaml")]
BAD = {"schema-violation.yaml": 12, "no-kind.yaml": 1, "python-object.yaml": 4}  # file -> line of its problem


@pytest.fixture
def audit(tmp_path, monkeypatch):
    """A folder of one compliant proposal and three inputs that cannot be checked."""
    folder = tmp_path / "audit"
    folder.mkdir()
    for name in ["compliant.yaml", *BAD]:
        shutil.copy(HOSTILE / name, folder / name)
    monkeypatch.chdir(tmp_path)
    return folder


def check(*args, input=None):
    return CliRunner().invoke(main, ["check", *map(str, args)], input=input)


def _problem_lines(stderr: str) -> dict[str, str]:
    return {line.split(":")[0]: line for line in stderr.splitlines() if line.startswith("audit/")}


def test_json_lists_each_bad_input_with_its_located_problems(audit, tmp_path):
    target = tmp_path / "audit.json"
    target.write_text("an older report\n")
    result = check("audit", *DATA, "--format", "json", "-o", target)
    assert result.exit_code == 2, result.output
    report = json.loads(target.read_text())
    jsonschema.validate(report, REPORT_SCHEMA)
    by_path = {d["path"]: d for d in report["documents"]}
    assert sorted(by_path) == sorted(f"audit/{name}" for name in ["compliant.yaml", *BAD])
    assert by_path["audit/compliant.yaml"]["outcome"] == "pass"  # the others did not stop it being checked
    for name, line in BAD.items():
        entry = by_path[f"audit/{name}"]
        assert entry["outcome"] == "invalid" and entry["results"] == []
        (problem,) = entry["problems"]
        assert set(problem) >= {"file", "line", "column", "path", "message", "hint"}
        assert problem["file"] == f"audit/{name}" and problem["line"] == line and problem["message"]
    assert by_path["audit/no-kind.yaml"]["problems"][0]["hint"].startswith("add `kind:`")
    assert by_path["audit/schema-violation.yaml"]["problems"][0]["path"] == "$.funding.requested_usd"
    assert by_path["audit/schema-violation.yaml"]["kind"] == "proposal"
    summary = report["summary"]
    assert summary["documents"] == 4 and summary["invalid_documents"] == 3
    assert summary["documents_by_outcome"]["invalid"] == 3 and summary["documents_by_outcome"]["pass"] == 1
    # stderr: each problem located, then nothing else but the summary line
    assert set(_problem_lines(result.stderr)) == {f"audit/{name}" for name in BAD}
    assert "4 documents: 1 passed, 0 failed, 3 invalid, not judged; " in result.stderr


def test_json_lines_has_an_invalid_entry_and_counts_it(audit):
    result = check("audit/no-kind.yaml", "audit/compliant.yaml", *DATA, "--format", "jsonl")
    assert result.exit_code == 2
    first, second, summary = (json.loads(line) for line in result.stdout.splitlines())
    assert first["path"] == "audit/no-kind.yaml" and first["outcome"] == "invalid"
    assert first["problems"][0]["message"] == "the document has no `kind` field"
    assert second["outcome"] == "pass"
    assert summary["summary"]["invalid_documents"] == 1


def test_sarif_has_an_error_result_located_in_each_bad_input(audit, tmp_path):
    target = tmp_path / "audit.sarif"
    result = check("audit", *DATA, "--format", "sarif", "-o", target)
    assert result.exit_code == 2
    (run,) = json.loads(target.read_text())["runs"]
    rules = run["tool"]["driver"]["rules"]
    invalid = [r for r in run["results"] if r["properties"]["outcome"] == "invalid"]
    assert len(invalid) == 3
    for entry in invalid:
        assert entry["level"] == "error" and rules[entry["ruleIndex"]]["id"] == entry["ruleId"] == "invalid-input"
        location = entry["locations"][0]["physicalLocation"]
        name = location["artifactLocation"]["uri"]
        assert location["region"]["startLine"] == BAD[name.removeprefix("audit/")]
    assert run["invocations"][0]["executionSuccessful"] is False


def test_junit_has_a_failed_test_case_for_each_bad_input(audit):
    result = check("audit", *DATA, "--format", "junit")
    assert result.exit_code == 2
    root = ET.fromstring(result.stdout)
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    for name, line in BAD.items():
        (case,) = suites[f"audit/{name}"].findall("testcase")
        failure = case.find("failure")
        assert failure is not None and failure.get("type") == "invalid"
        assert failure.get("message").startswith(f"audit/{name}:{line}:")
    assert int(root.get("failures")) >= 3


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_human_formats_list_bad_inputs_with_the_failures(audit, fmt):
    result = check("audit", *DATA, "--format", fmt)
    assert result.exit_code == 2
    for name, line in BAD.items():
        assert f"audit/{name}:{line}:" in result.stdout, result.stdout
    assert "invalid" in result.stdout
    assert "4 documents: 1 passed, 0 failed, 3 invalid, not judged" in result.stdout


def test_a_file_with_no_kind_does_not_stop_the_others(audit):
    result = check("audit/no-kind.yaml", "audit/compliant.yaml", *DATA)
    assert result.exit_code == 2
    assert "audit/compliant.yaml (proposal IDF-2016-BOL-01, as of 2016-03-15): pass" in result.stdout
    assert "audit/no-kind.yaml (unknown kind X-1): invalid" in result.stdout


def test_bad_stdin_is_in_the_report():
    result = check("-", *DATA, "--format", "json", input=b"kind: proposal\nid: [\n")
    assert result.exit_code == 2
    (entry,) = json.loads(result.stdout)["documents"]
    assert entry["path"] == "<stdin>" and entry["outcome"] == "invalid"
    assert entry["problems"][0]["file"] == "<stdin>" and entry["problems"][0]["line"] == 3


def test_parallel_run_reports_the_same(audit, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1213574400")  # both runs state the same start in their provenance
    one = check("audit", *DATA, "--format", "json")
    two = check("audit", *DATA, "--format", "json", "--jobs", "2")
    assert one.exit_code == two.exit_code == 2
    assert json.loads(one.stdout) == json.loads(two.stdout)
    assert one.stderr == two.stderr


def test_summary_goes_to_stderr_with_output(audit, tmp_path):
    result = check("audit/compliant.yaml", *DATA, "-o", tmp_path / "report.txt")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr.startswith("1 document: ")


def test_exclude_leaves_files_out_and_says_so(audit):
    result = check("audit", *DATA, "--exclude", "no-kind.yaml", "--exclude", "audit/python-*.yaml",
                   "--exclude", "*-violation.yaml", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [d["path"] for d in report["documents"]] == ["audit/compliant.yaml"]
    assert report["summary"]["notices"][0] == ("3 file(s) or folder(s) left out by `exclude` patterns: "
                                               "audit/no-kind.yaml, audit/python-object.yaml, "
                                               "audit/schema-violation.yaml")


def test_exclude_in_the_settings_is_matched_from_their_folder(audit, tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".iompolicy.yaml").write_text("paths: [audit]\nexclude: [audit/no-kind.yaml, python-object.yaml, "
                                              "'*violation*']\n")
    monkeypatch.chdir(audit)  # a subfolder: the patterns are still read from the settings' folder
    result = CliRunner().invoke(main, ["check", *DATA])
    assert result.exit_code == 0, result.output
    assert "compliant.yaml (proposal IDF-2016-BOL-01" in result.stdout
    assert "note: 3 file(s) or folder(s) left out by `exclude` patterns" in result.stdout
    refused = CliRunner().invoke(main, ["check", *DATA, "--exclude", "nothing-by-this-name"])  # replaces the list
    assert refused.exit_code == 2, refused.output
