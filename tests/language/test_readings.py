"""Named parameters (`param`) and their readings: the III.2 cap read three ways over the
shipped budgets, chosen from the API, the settings and the command line, and said in
every report format."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from decimal import Decimal

import jsonschema
import pytest
from click.testing import CliRunner

from conftest import ROOT
from iompolicy import PolicyError, PolicySet, load_file
from iompolicy.cli import main

BUDGETS = ROOT / "examples" / "budgets"
OVER_CAP = BUDGETS / "facility-budget-2010-over-cap.yaml"
SYNTHETIC_2009 = BUDGETS / "facility-budget-2009-synthetic.yaml"
REPORT_SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
CAP, FORMULA = "part3.cap_miscellaneous_income", "part3.line2_allocation_formula"
LINE2_ONLY = {"cap_lines": "line2_only"}


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def shipped():
    return PolicySet.shipped()


def results(policies, document, **changes) -> dict:
    value = load_file(document).value
    for key, fields in changes.items():
        value[key] = {**value[key], **fields}
    return {r.clause: r for r in policies.check(value).results}


# ---- the III.2 cap under its readings -------------------------------------------------------------

def test_the_shipped_policies_declare_the_two_readings_of_the_cap(shipped):
    listed = {p.name: p for p in shipped.parameters()}
    assert set(listed) == {"cap_lines", "cap_recovered_funds"}
    assert listed["cap_lines"].allowed == ("both_lines", "line2_only")
    assert listed["cap_lines"].default == listed["cap_lines"].reading == "both_lines"
    assert listed["cap_recovered_funds"].allowed == ("counted", "not_counted")
    assert listed["cap_lines"].cite == "III.2" and "part3-facility-budget.iom" in listed["cap_lines"].declared_at
    assert all(listed["cap_lines"].descriptions[value] for value in listed["cap_lines"].allowed)


def test_the_over_cap_budget_under_each_reading(shipped):
    """2010: Line 1 1.4 m + 45,000 recovered, Line 2 2.825 m + 80,000 recovered, miscellaneous
    income 2.6 m. What the cap leaves Line 2 (III.1's message) is worked out per reading."""
    expected = {  # reading -> (amount counted towards the cap, what the cap leaves Line 2)
        (): ("4,350,000", "1,075,000"),
        (("cap_lines", "line2_only"),): ("2,905,000", "2,520,000"),
        (("cap_recovered_funds", "not_counted"),): ("4,225,000", "1,200,000"),
        (("cap_lines", "line2_only"), ("cap_recovered_funds", "not_counted")): ("2,825,000", "2,600,000"),
    }
    for reading, (counted, leaves) in expected.items():
        found = results(shipped.with_readings(dict(reading)), OVER_CAP)
        assert found[CAP].outcome.value == "fail", reading
        assert f"available_excluding_voluntary ({counted})" in found[CAP].explanation, reading
        assert f"the III.2 cap leaves USD {leaves}, which binds" in found[FORMULA].message, reading


def test_the_domain_notes_pair_fails_only_when_line1_counts(shipped):
    """Domain notes §3.3: interest income falls to 1.5 m, so miscellaneous income is 3.0 m;
    1.4 m + 2.125 m = 3.525 m exceeds it (both lines), 2.125 m alone does not (Line 2 only)."""
    lower = {"interest_income_usd": 1_500_000}
    both = results(shipped, SYNTHETIC_2009, miscellaneous_income=lower)
    line2 = results(shipped.with_readings(LINE2_ONLY), SYNTHETIC_2009, miscellaneous_income=lower)
    assert both[CAP].outcome.value == "fail" and line2[CAP].outcome.value == "pass"
    assert both[CAP].readings == {"cap_lines": "both_lines", "cap_recovered_funds": "counted"}
    assert line2[CAP].readings == {"cap_lines": "line2_only", "cap_recovered_funds": "counted"}


def test_only_the_clauses_that_read_a_parameter_carry_readings(shipped):
    found = results(shipped, SYNTHETIC_2009)
    readers = {clause for clause, result in found.items() if result.readings}
    assert readers == {CAP, FORMULA}
    assert "readings" not in found["part3.distinct_accounts"].to_dict()


def test_with_readings_leaves_the_original_set_as_it_was(shipped):
    other = shipped.with_readings(LINE2_ONLY)
    assert shipped.readings["cap_lines"] == "both_lines" and other.readings["cap_lines"] == "line2_only"
    assert other.chosen == LINE2_ONLY and shipped.chosen == {}
    assert results(shipped, OVER_CAP)[CAP].readings["cap_lines"] == "both_lines"


def test_load_takes_readings_and_refuses_unknown_ones_with_the_nearest(tmp_path):
    policies = PolicySet.load(ROOT / "policies", readings=LINE2_ONLY)
    assert policies.readings["cap_lines"] == "line2_only"
    with pytest.raises(PolicyError) as caught:
        PolicySet.load(ROOT / "policies", readings={"cap_line": "line2_only"})
    (problem,) = caught.value.diagnostics
    assert (problem.code, problem.hint) == ("unknown_parameter", "did you mean `cap_lines`?")
    with pytest.raises(PolicyError) as caught:
        PolicySet.shipped(readings={"cap_lines": "line2"})
    (problem,) = caught.value.diagnostics
    assert problem.code == "unknown_value" and problem.hint.startswith("did you mean `line2_only`?")
    assert problem.span.file.endswith("part3-facility-budget.iom")  # located at the declaration


# ---- the command line and the settings -------------------------------------------------------------

def test_reading_on_the_command_line_is_said_in_every_format(tmp_path):
    args = ["check", OVER_CAP, "--reading", "cap_lines=line2_only"]
    text = run(*args).output
    assert "  reading: cap_lines = line2_only (chosen), cap_recovered_funds = counted (default)" in text
    assert "available_excluding_voluntary (2,905,000)" in text
    report = json.loads(run(*args, "--format", "json").output)
    jsonschema.validate(report, REPORT_SCHEMA)
    by_clause = {r["clause"]: r for r in report["documents"][0]["results"]}
    assert by_clause[CAP]["readings"] == {"cap_lines": "line2_only", "cap_recovered_funds": "counted"}
    assert "readings" not in by_clause["part3.distinct_accounts"]
    jsonl = [json.loads(line) for line in run(*args, "--format", "jsonl").output.splitlines()]
    assert any(r.get("readings") == by_clause[CAP]["readings"] for line in jsonl for r in line.get("results", ()))
    assert "reading: cap\\_lines = line2\\_only (chosen)" in run(*args, "--format", "markdown").output  # escaped
    junit = ET.fromstring(run(*args, "--format", "junit").output)
    assert any("reading: cap_lines = line2_only" in (out.text or "") for out in junit.iter("system-out"))
    sarif = json.loads(run(*args, "--format", "sarif").output)["runs"][0]
    assert sarif["properties"]["readings"] == {"cap_lines": "line2_only", "cap_recovered_funds": "counted"}
    assert any(r["properties"].get("readings", {}).get("cap_lines") == "line2_only" for r in sarif["results"])


def test_a_bad_reading_is_one_line_with_the_nearest_name_or_value():
    for reading, expected in (
        ("cap_line=line2_only", "--reading cap_line=line2_only: no policy declares a parameter `cap_line` "
                                "(hint: did you mean `cap_lines`?)"),
        ("cap_lines=line2", "--reading cap_lines=line2: `line2` is not a reading of parameter `cap_lines`"),
        ("cap_lines", "--reading `cap_lines`: write NAME=VALUE"),
    ):
        result = run("check", OVER_CAP, "--reading", reading)
        assert result.exit_code == 2, result.output
        assert len(result.output.strip().splitlines()) == 1 and result.output.startswith(expected), result.output
        assert "Traceback" not in result.output


@pytest.fixture
def repo(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "budgets").mkdir()
    shutil.copy(OVER_CAP, root / "budgets")
    monkeypatch.chdir(root)
    return root


def test_settings_choose_a_reading_and_the_command_line_wins(repo):
    (repo / ".iompolicy.yaml").write_text("paths: [budgets/]\nformat: json\nreadings:\n  cap_lines: line2_only\n")

    def cap(*given):
        report = json.loads(run("check", *given).output)
        return {r["clause"]: r for r in report["documents"][0]["results"]}[CAP]["readings"]["cap_lines"]

    assert cap() == "line2_only"
    assert cap("--reading", "cap_lines=both_lines") == "both_lines"


def test_a_bad_reading_in_the_settings_names_its_line(repo):
    (repo / ".iompolicy.yaml").write_text("paths: [budgets/]\nreadings:\n  cap_lines: line_two\n")
    result = run("check")
    assert result.exit_code == 2
    assert result.output.startswith(".iompolicy.yaml:3:3: `readings`: `line_two` is not a reading of parameter "
                                    "`cap_lines`"), result.output
    (repo / ".iompolicy.yaml").write_text("paths: [budgets/]\nreadings: [cap_lines]\n")
    result = run("check")
    assert result.exit_code == 2 and "`readings` must be a mapping" in result.output


def test_pyproject_settings_choose_a_reading(repo):
    (repo / "pyproject.toml").write_text('[tool.iompolicy]\npaths = ["budgets"]\nformat = "json"\n'
                                         'readings = {cap_recovered_funds = "not_counted"}\n')
    report = json.loads(run("check").output)
    cap = {r["clause"]: r for r in report["documents"][0]["results"]}[CAP]
    assert cap["readings"]["cap_recovered_funds"] == "not_counted"


def test_parallel_workers_judge_under_the_same_reading(tmp_path):
    folder = tmp_path / "budgets"
    folder.mkdir()
    for copy in range(3):
        value = OVER_CAP.read_text().replace("synthetic (over-cap test case)", f"over-cap {copy}")
        (folder / f"b{copy}.yaml").write_text(value)
    serial = json.loads(run("check", folder, "--reading", "cap_lines=line2_only", "--format", "json").output)
    parallel = json.loads(run("check", folder, "--reading", "cap_lines=line2_only", "--format", "json",
                              "--jobs", "2").output)
    assert serial["documents"] == parallel["documents"]
    assert all(r["readings"]["cap_lines"] == "line2_only" for d in parallel["documents"] for r in d["results"]
               if "readings" in r)


# ---- diff: one policy set under two readings ----------------------------------------------------------

def test_diff_compares_two_readings_over_the_shipped_budgets():
    result = run("diff", BUDGETS, ROOT / "examples" / "data", "--reading", "cap_lines=line2_only",
                 "--format", "json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["base"] == "shipped" and report["head"] == "shipped (cap_lines=line2_only)"
    (changed,) = report["documents"]
    assert changed["path"].endswith("facility-budget-2010-over-cap.yaml")
    assert [Decimal(x) for x in changed["allocation"]] == [Decimal(1_075_000), Decimal(2_520_000)]
    both_ways = run("diff", BUDGETS, "--base-reading", "cap_lines=line2_only", "--reading", "cap_lines=line2_only")
    assert both_ways.exit_code == 0, both_ways.output


def test_diff_refuses_a_bad_base_reading_in_one_line():
    result = run("diff", BUDGETS, "--base-reading", "cap_lines=both")
    assert result.exit_code == 2
    assert result.output.startswith("--base-reading cap_lines=both: `both` is not a reading"), result.output


# ---- policy tests and the service ----------------------------------------------------------------------

def test_a_policy_test_case_may_choose_readings(tmp_path, shipped):
    from iompolicy.policytests import run_case_files

    cases = tmp_path / "cases.yaml"
    cases.write_text(f"""cases:
  - name: line2-only
    base: {SYNTHETIC_2009}
    patch: {{miscellaneous_income: {{interest_income_usd: 1500000}}}}
    readings: {{cap_lines: line2_only}}
    expect: {{{CAP}: pass}}
  - name: default
    base: {SYNTHETIC_2009}
    patch: {{miscellaneous_income: {{interest_income_usd: 1500000}}}}
    expect: {{{CAP}: fail}}
  - name: misspelt
    base: {SYNTHETIC_2009}
    readings: {{cap_lines: line2}}
    expect: {{{CAP}: pass}}
""")
    found = run_case_files(shipped, [cases])
    assert found.cases == 2 and not found.mismatches
    (problem,) = found.problems
    assert "case `misspelt`" in problem and "`line2` is not a reading" in problem


def test_the_service_answers_under_its_readings():
    from iompolicy.service import Service

    service = Service(ROOT / "policies", readings=LINE2_ONLY)
    assert service.current.describe()["policies"]["readings"]["cap_lines"] == "line2_only"
    report = service.current.policies.check(load_file(OVER_CAP)).to_dict()
    cap = {r["clause"]: r for r in report["results"]}[CAP]
    assert cap["readings"]["cap_lines"] == "line2_only"
