"""The command line: commands, formats and exit statuses."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import jsonschema
import pytest
from click.testing import CliRunner

from conftest import ROOT
from iompolicy.cli import main

EXAMPLES = ROOT / "examples"
DATA = [str(EXAMPLES / "data" / "member-states.yaml"), str(EXAMPLES / "data" / "funded-projects.yaml")]
OVER_CEILING = str(EXAMPLES / "proposals" / "04-tajikistan-border-over-ceiling.yaml")
COMPLIANT = str(EXAMPLES / "proposals" / "01-bolivia-climate-line2-national.yaml")
REPORT_SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text())


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def data_args():
    return [x for path in DATA for x in ("--data", path)]


def test_compliant_proposal_exits_0():
    result = run("check", COMPLIANT, *data_args())
    assert result.exit_code == 0, result.output
    assert "1 document:" in result.output
    assert " 0 failed" in result.output


def test_failing_proposal_exits_1_and_names_the_clause():
    result = run("check", OVER_CEILING, *data_args())
    assert result.exit_code == 1
    assert f"{OVER_CEILING}:18:3: error part3.line2_national_ceiling [III.5.2]" in result.output
    assert "funding.requested_usd (235,000) <= LINE2_NATIONAL_CEILING (200,000)" in result.output


def test_examples_folder_uses_registers_as_data():
    result = run("check", EXAMPLES)
    assert result.exit_code == 1
    assert "member-states.yaml (" not in result.output  # data is not checked
    assert "reference data" not in result.output        # and was found
    assert "17 documents:" in result.output.splitlines()[-1]


def test_json_report_matches_its_schema():
    result = run("check", EXAMPLES, "--format", "json")
    report = json.loads(result.output)
    jsonschema.validate(report, REPORT_SCHEMA)
    assert report["summary"]["documents"] == len(report["documents"]) == 17
    ceiling = next(d for d in report["documents"] if d["path"].endswith("04-tajikistan-border-over-ceiling.yaml"))
    failed = [r for r in ceiling["results"] if r["outcome"] == "fail"]
    assert [(r["clause"], r["cite"], r["location"]) for r in failed] == [
        ("part3.line2_national_ceiling", "III.5.2", {"path": "$.funding.requested_usd", "line": 18, "column": 3})]


def test_sarif_has_a_rule_per_clause_and_a_result_per_failure():
    result = run("check", OVER_CEILING, *data_args(), "--format", "sarif")
    sarif = json.loads(result.output)
    assert sarif["version"] == "2.1.0"
    run_ = sarif["runs"][0]
    rule_ids = [rule["id"] for rule in run_["tool"]["driver"]["rules"]]
    listed = run("list").output.splitlines()
    assert len(rule_ids) == len(listed) == len(set(rule_ids))
    (only,) = run_["results"]
    assert only["ruleId"] == "part3.line2_national_ceiling"
    assert rule_ids[only["ruleIndex"]] == only["ruleId"]
    assert only["locations"][0]["physicalLocation"]["region"] == {"startLine": 18, "startColumn": 3}
    assert "III.5.2" in run_["tool"]["driver"]["rules"][only["ruleIndex"]]["help"]["text"]


def test_junit_counts_failures_and_skips():
    result = run("check", OVER_CEILING, *data_args(), "--format", "junit")
    root = ET.fromstring(result.output)
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    assert int(suite.get("tests")) == len(cases) > 1
    failures = [c for c in cases if c.find("failure") is not None]
    assert [c.get("name").split()[0] for c in failures] == ["part3.line2_national_ceiling"]
    assert int(suite.get("skipped")) == sum(1 for c in cases if c.find("skipped") is not None) > 0


def test_markdown_report_has_a_table_of_failures_and_the_quote():
    result = run("check", OVER_CEILING, *data_args(), "--format", "markdown")
    assert "| Severity | Outcome | Clause | Citation | Where | Message |" in result.output
    assert "**FAIL**" in result.output
    assert "\u201cCeiling for funding of national projects will be USD 200,000 under Line 2.\u201d" in result.output


def test_output_file_is_written_whole(tmp_path):
    target = tmp_path / "report.json"
    target.write_text("old")
    result = run("check", OVER_CEILING, *data_args(), "--format", "json", "--output", target)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("1 document: ")  # the summary line still shows
    assert json.loads(target.read_text())["summary"]["fail"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary file left


def test_only_and_skip_by_citation_prefix():
    only = run("check", OVER_CEILING, *data_args(), "--only", "III.5", "--format", "json")
    cites = {r["cite"] for r in json.loads(only.output)["documents"][0]["results"]}
    assert cites and all(c.startswith("III.5") for c in cites)
    skipped = run("check", OVER_CEILING, *data_args(), "--skip", "III.5.2")
    assert skipped.exit_code == 0


def test_fail_on_warning_counts_should_clauses():
    calendar = EXAMPLES / "governance" / "calendar-2007-subcommittee.yaml"
    errors_only = run("check", calendar, "--skip", "II.2", "--skip", "II.4")
    assert errors_only.exit_code == 0, errors_only.output
    with_warnings = run("check", calendar, "--skip", "II.2", "--skip", "II.4", "--fail-on", "warning")
    assert with_warnings.exit_code == 1
    assert "warning part2.scpf_meets_twice_a_year" in with_warnings.output


def test_as_of_overrides_the_document_date():
    assert run("check", OVER_CEILING, *data_args(), "--only", "III.5.2").exit_code == 1
    # Judged before the Strategy's adoption, the Strategy's clauses do not apply, and the
    # report says that no clause applied: it is not a pass.
    early = run("check", OVER_CEILING, *data_args(), "--only", "III.5.2", "--as-of", "2007-01-01", "-v")
    assert early.exit_code == 0
    assert "in force from 2007-06-07; document dated 2007-01-01" in early.output
    assert ("note: no clause applied to this document: it is dated 2007-01-01, before the policies' "
            "effective dates (in force from 2007-06-07); it is not a pass") in early.output


def test_backdating_does_not_create_line2():
    """Issue 13, finding 4: Line 2 did not exist before 2008, whatever the date judged."""
    before = EXAMPLES / "proposals" / "06-philippines-line2-before-2008.yaml"
    early = run("check", before, *data_args(), "--only", "III.1", "--as-of", "2007-01-01")
    assert early.exit_code == 1
    assert "error part3.line2_from_2008 [III.1]" in early.output


def test_stdin(tmp_path):
    text = open(OVER_CEILING, encoding="utf-8").read()
    result = run("check", "-", *data_args(), input=text)
    assert result.exit_code == 1
    assert "<stdin>:18:3: error part3.line2_national_ceiling" in result.output


def test_verbose_lists_passing_clauses():
    result = run("check", COMPLIANT, *data_args(), "-v")
    assert "pass part3.line2_national_ceiling [III.5.2]" in result.output


@pytest.mark.parametrize("content, message", [
    ("kind: proposal\nid: [unclosed\n", "not valid YAML"),
    ("kind: spaceship\nid: x\n", "unknown document kind `spaceship`"),
    ("id: x\n", "has no `kind` field"),
    ("", "the document is empty"),
    ("kind: proposal\nid: P-1\n", "is a required property"),
])
def test_bad_input_exits_2_with_one_line_per_problem(tmp_path, content, message):
    path = tmp_path / "input.yaml"
    path.write_text(content)
    result = run("check", path)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert str(path) in result.output


def test_schema_error_points_at_the_line(tmp_path):
    text = open(OVER_CEILING, encoding="utf-8").read().replace("requested_usd: 235000", "requested_usd: lots")
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    result = run("check", path, *data_args())
    assert result.exit_code == 2
    assert f"{path}:18:3: $.funding.requested_usd: 'lots' is not of type 'number'" in result.output


def test_missing_paths_and_data_exit_2(tmp_path):
    assert run("check", tmp_path / "nope.yaml").exit_code == 2
    missing = run("check", COMPLIANT, "--data", tmp_path / "nope.yaml")
    assert missing.exit_code == 2
    assert "nope.yaml: no such file" in missing.output


def test_empty_folder_is_an_error_not_a_pass(tmp_path):
    result = run("check", tmp_path)
    assert result.exit_code == 2
    assert "no documents to check" in result.output


def test_bad_policy_folder_exits_2(tmp_path):
    (tmp_path / "bad.iom").write_text('policy p { title "t" source "s" applies to proposal }\nclause c { require }\n')
    result = run("check", COMPLIANT, "--policies", tmp_path)
    assert result.exit_code == 2
    assert f"{tmp_path / 'bad.iom'}:2:20: error[syntax]: unexpected `}}`, expected an expression" in result.output


def test_empty_policy_folder_exits_2(tmp_path):
    result = run("check", COMPLIANT, "--policies", tmp_path)
    assert result.exit_code == 2
    assert "empty_policy_set" in result.output


def test_explain_compiled_prints_the_generated_python_of_a_kind():
    shown = run("explain", "--compiled", "proposal", "--policies", ROOT / "benchmarks" / "policies")
    assert shown.exit_code == 0, shown.output
    assert "def judge_proposal(doc, data, as_of, flag, document, sources, valid=None):" in shown.output
    assert "# clause national_ceiling (" in shown.output and "eight-rules.iom:26:" in shown.output
    assert "# require funding.requested_usd <= USD 200,000" in shown.output
    unknown = run("explain", "--compiled", "proposals")
    assert unknown.exit_code == 2
    assert "no clause applies to `proposals` documents" in unknown.output
    assert "hint: the kinds with clauses are facility_budget, governance_calendar, proposal" in unknown.output


def test_list_and_explain():
    listed = run("list").output.splitlines()
    assert any(line.startswith("part3.line2_national_ceiling\tIII.5.2\tproposal\terror\t") for line in listed)
    explained = run("explain", "III.5.2")
    assert explained.exit_code == 0
    assert "require funding.requested_usd <= LINE2_NATIONAL_CEILING" in explained.output
    assert "quote: \u201cCeiling for funding of national projects will be USD 200,000 under Line 2.\u201d" in explained.output
    unknown = run("explain", "IX.9")
    assert unknown.exit_code == 2


def test_lint_reports_clause_count():
    result = run("lint")
    assert result.exit_code == 0
    assert f"{len(run('list').output.splitlines())} clauses: no problems found" in result.output


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and "iompolicy, version" in result.output


def test_jobs_give_the_serial_report(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1213574400")  # both runs state the same start in their provenance
    serial = run("check", EXAMPLES, "--format", "json")
    parallel = run("check", EXAMPLES, "--format", "json", "--jobs", "2")
    assert parallel.exit_code == serial.exit_code == 1
    assert parallel.output == serial.output
    assert json.loads(parallel.output)["summary"]["documents"] == 17


# ---- commands are loaded lazily ----------------------------------------------------------------

def test_every_command_is_listed_in_help_and_has_its_own_help():
    from iompolicy.cli import COMMANDS

    listing = run("--help").output
    for name in COMMANDS:
        assert f"\n  {name} " in listing
        result = run(name, "--help")
        assert result.exit_code == 0 and f"Usage: main {name}" in result.output, result.output


def test_a_check_imports_no_other_command():
    import subprocess
    import sys

    probe = ("import sys; from iompolicy.cli import main\n"
             "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in sys.modules if m.startswith('iompolicy.cli.')))")
    out = subprocess.run([sys.executable, "-c", probe, "check", COMPLIANT, *data_args()],
                         capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "['iompolicy.cli.check', 'iompolicy.cli.common']"


def test_a_run_refused_early_still_names_every_bad_file(tmp_path):
    """An unknown kind is found while sorting the inputs, a schema error only when a document
    is loaded for checking: the refusal names both, so one run shows everything to fix."""
    (tmp_path / "a-unknown.yaml").write_text("kind: spaceship\nid: x\n")
    text = open(OVER_CEILING, encoding="utf-8").read().replace("requested_usd: 235000", "requested_usd: lots")
    (tmp_path / "b-bad-amount.yaml").write_text(text)
    result = run("check", tmp_path, *data_args())
    assert result.exit_code == 2
    assert "unknown document kind `spaceship`" in result.output
    assert f"{tmp_path / 'b-bad-amount.yaml'}:18:3: $.funding.requested_usd: 'lots' is not of type 'number'" \
        in result.output
    assert "2 documents: 0 passed, 0 failed, 2 invalid, not judged; 0 clause results:" in result.output  # none judged


def test_a_check_from_a_warm_cache_imports_nothing_heavy(tmp_path):
    """The cold-start rule (issue 5): with the policies cached, a check of a passing YAML proposal
    loads no parser, no schema library, no explanation machinery and no traceability (nor the
    checker's type lattice)."""
    import os
    import subprocess
    import sys

    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    env = {**os.environ, "IOMPOLICY_CACHE_DIR": str(cache)}
    probe = ("import sys; from iompolicy.cli import main\n"
             "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
             "heavy = ['lark', 'jsonschema', 'fastjsonschema', 'dataclasses', 'hashlib', 'pickle', 'iompolicy.language.parser',"
             " 'iompolicy.language.checker', 'iompolicy.evaluation.explain', 'iompolicy.traceability.coverage', 'iompolicy.documents.json_reader',"
             " 'iompolicy.evaluation.codegen', 'iompolicy.evaluation.program_store', 'iompolicy.language.shapes']\n"
             "print([m for m in heavy if m in sys.modules])")
    args = [sys.executable, "-c", probe, "check", COMPLIANT, *data_args()]
    subprocess.run(args, env=env, cwd=tmp_path, capture_output=True, check=True)  # fills the cache
    warm = subprocess.run(args, env=env, cwd=tmp_path, capture_output=True, text=True, check=True)
    assert warm.stdout.splitlines()[-1] == "[]"


def test_the_command_line_starts_with_the_collector_paused_and_runs_the_command_with_it(monkeypatch):
    """The entry point pauses the cyclic garbage collector while click and the command are
    imported (its passes over what they build were some 7% of a one-file check), and the
    command itself runs with it: a long check, or `serve`, collects as any program does."""
    import gc
    import sys

    import iompolicy.cli as cli
    import iompolicy.cli.check as check_module
    from iompolicy import __main__ as entry

    seen = {}
    choose, load = cli.LazyGroup.get_command, check_module.load_policies

    def choosing(self, ctx, name):
        seen.setdefault("choosing", gc.isenabled())
        return choose(self, ctx, name)

    def running(*args, **kwargs):
        seen.setdefault("running", gc.isenabled())
        return load(*args, **kwargs)

    monkeypatch.setattr(cli.LazyGroup, "get_command", choosing)
    monkeypatch.setattr(check_module, "load_policies", running)
    monkeypatch.setattr(sys, "argv", ["iompolicy", "check", COMPLIANT, *data_args()])
    frozen = gc.get_freeze_count()
    try:
        with pytest.raises(SystemExit) as stopped:
            entry.main()
        assert stopped.value.code == 0
        assert seen == {"choosing": False, "running": True}
        assert gc.isenabled()
        assert gc.get_freeze_count() > frozen  # what the start built is out of the collector's sight
    finally:
        gc.unfreeze()
        gc.enable()


def test_the_collector_resumes_however_the_command_line_ends(monkeypatch, capsys):
    import gc
    import sys

    from iompolicy import __main__ as entry

    for argv in (["iompolicy", "--help"], ["iompolicy", "no-such-command"], ["iompolicy", "check", "--no-such-option"]):
        monkeypatch.setattr(sys, "argv", argv)
        try:
            with pytest.raises(SystemExit):
                entry.main()
            assert gc.isenabled(), argv
        finally:
            gc.unfreeze()
            gc.enable()
