"""`analyze` as a CI gate (`--fail-on`) and its witnesses written as files (`--witnesses`)
that `iompolicy check` runs, with the command for each regime."""

from __future__ import annotations

import json
import shlex

import jsonschema
import pytest
from click.testing import CliRunner

from conftest import ROOT

pytest.importorskip("z3", reason="the analysis extra (z3-solver) is not installed: pip install -e '.[analysis]'")

from iompolicy.cli import main  # noqa: E402

CASES = ROOT / "tests" / "analysis"
ANALYSIS_SCHEMA = json.loads((ROOT / "schemas" / "analysis.schema.json").read_text())


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def outcomes_of(command: str) -> dict:
    """{clause or "verdict": outcome} of running a `check` command a finding gives."""
    result = run(*shlex.split(command)[1:], "--format", "json")
    assert result.exit_code in (0, 1), result.output
    (document,) = json.loads(result.output)["documents"]
    return {"verdict": document["outcome"], **{r["clause"]: r["outcome"] for r in document["results"]}}


def test_a_conditional_conflict_is_a_warning_so_the_gate_passes_unless_it_fails_on_warnings():
    result = run("analyze", "--policies", CASES / "cap-conflict")
    assert "warning[conditional-conflict] when both apply and miscellaneous_income_total < 1,400,000" in result.output
    assert result.exit_code == 0, result.output
    assert run("analyze", "--policies", CASES / "cap-conflict", "--fail-on", "warning").exit_code == 1
    assert run("analyze", "--policies", CASES / "broken", "--fail-on", "error").exit_code == 1  # a conflict


def test_each_witness_is_written_as_a_file_and_the_command_given_reproduces_the_claims(tmp_path):
    folder = tmp_path / "witnesses"
    result = run("analyze", "--policies", CASES / "broken", "--witnesses", folder, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    jsonschema.validate(report, ANALYSIS_SCHEMA)
    assert f"--witnesses: wrote 3 witness document(s) in {folder}; each finding names its file" in report["notes"]
    for finding in report["findings"]:
        written = finding["details"]["witness_file"]
        assert written.startswith(str(folder)) and open(written, encoding="utf-8").read() == finding["witness"]["document"]
        (command,) = finding["details"]["check"]
        assert command.endswith(f"--policies {CASES / 'broken'}")
        seen = outcomes_of(command)
        assert {c["clause"]: seen[c["clause"]] for c in finding["witness"]["claims"]} == \
               {c["clause"]: c["expected"] for c in finding["witness"]["claims"]}


def test_two_readings_compared_give_a_witness_file_and_one_command_per_reading(tmp_path):
    folder = tmp_path / "witnesses"
    result = run("analyze", "--compare", CASES / "cap-conflict", CASES / "cap-conflict",
                 "--reading", "cap_lines=line2_only", "--witnesses", folder, "--format", "json")
    assert result.exit_code == 0, result.output  # differences are the answer, not a failure
    differing = [f for f in json.loads(result.output)["findings"] if f["code"] == "regimes-differ"]
    assert differing
    for finding in differing:
        first, second = finding["details"]["check"]
        assert "--reading" not in first and second.endswith("--reading cap_lines=line2_only")
        claims = {c["regime"]: c["expected"] for c in finding["witness"]["claims"]}
        compared = finding["details"]["compared"]
        assert [outcomes_of(first)[compared], outcomes_of(second)[compared]] == list(claims.values())
        assert claims[finding["details"]["regimes"][0]] != claims[finding["details"]["regimes"][1]]


def test_a_witness_folder_that_cannot_be_written_is_one_line_and_exit_2(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run("analyze", "--policies", CASES / "broken", "--witnesses", blocker / "sub")
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"--witnesses {blocker / 'sub'}: cannot write there (") and "Traceback" not in line
