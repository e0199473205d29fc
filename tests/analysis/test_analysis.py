"""`iompolicy analyze`: deliberately broken policies are caught, each with a witness
that the evaluator (and `iompolicy check` on the written YAML) confirms."""

from __future__ import annotations

import json
import sys

import jsonschema
import pytest
from click.testing import CliRunner

from conftest import ROOT

pytest.importorskip("z3", reason="the analysis extra (z3-solver) is not installed: pip install -e '.[analysis]'")

from iompolicy import PolicySet, load_text  # noqa: E402
from iompolicy.analysis.analyzer import analyze  # noqa: E402
from iompolicy.analysis.witness import to_yaml  # noqa: E402
from iompolicy.cli import main  # noqa: E402

CASES = ROOT / "tests" / "analysis"
ANALYSIS_SCHEMA = json.loads((ROOT / "schemas" / "analysis.schema.json").read_text())


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def by_code(analysis, code):
    return [f for f in analysis.findings if f.code == code]


def check_with_the_command(tmp_path, witness, policies_folder):
    """Write the witness (and its data) as YAML and run `iompolicy check` on it, as a
    maintainer would: {clause: outcome} from the JSON report."""
    document = tmp_path / "witness.yaml"
    document.write_text(witness.yaml(), encoding="utf-8")
    data_args = []
    for name, value in witness.data.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(to_yaml(value), encoding="utf-8")
        data_args += ["--data", path]
    result = run("check", document, *data_args, "--policies", policies_folder, "--format", "json")
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.output)
    return {r["clause"]: r["outcome"] for r in report["documents"][0]["results"]}


@pytest.fixture(scope="module")
def broken():
    return analyze(PolicySet.load(CASES / "broken"))


def test_a_clause_that_can_never_fail_is_found_with_a_passing_witness(broken, tmp_path):
    (finding,) = by_code(broken, "never-fails")
    assert [c.id for c in finding.clauses] == ["broken.never_fails"]
    assert finding.severity == "error" and finding.witness.confirmed
    assert check_with_the_command(tmp_path, finding.witness, CASES / "broken")["broken.never_fails"] == "pass"


def test_a_when_that_can_never_hold_is_found(broken, tmp_path):
    (finding,) = by_code(broken, "never-applies")
    assert [c.id for c in finding.clauses] == ["broken.unreachable_when"]
    assert finding.location.endswith("broken.iom:17:8")
    outcomes = check_with_the_command(tmp_path, finding.witness, CASES / "broken")
    assert outcomes["broken.unreachable_when"] == "not_applicable"


def test_two_contradictory_clauses_are_a_conflict_with_a_witness(broken, tmp_path):
    (finding,) = by_code(broken, "conflict")
    assert {c.id for c in finding.clauses} == {"broken.short_projects", "broken.long_projects"}
    claimed = {clause: actual for _, clause, _, actual, _ in finding.witness.claims}
    assert sorted(claimed.values()) == ["fail", "pass"]
    assert finding.witness.confirmed
    outcomes = check_with_the_command(tmp_path, finding.witness, CASES / "broken")
    assert {c: outcomes[c] for c in claimed} == claimed


def test_the_cli_exits_1_on_a_conflict_or_vacuous_must_clause_and_0_without():
    assert run("analyze", "--policies", CASES / "broken").exit_code == 1
    clean = run("analyze", "--policies", ROOT / "examples" / "policies-idf-2020")
    assert clean.exit_code == 0, clean.output


def test_the_cap_and_line1_conflict_is_found_with_its_range(tmp_path):
    """III.2 against III.5 under the default reading: no budget passes both when
    miscellaneous income is below USD 1.4 million (and each can pass alone)."""
    analysis = analyze(PolicySet.load(CASES / "cap-conflict"))
    (finding,) = by_code(analysis, "conditional-conflict")
    assert {c.id for c in finding.clauses} == {"cap.miscellaneous_income", "cap.line1_original_funding"}
    assert finding.details["condition"] == "miscellaneous_income_total < 1,400,000"
    witness = finding.witness
    assert witness.confirmed
    income = witness.document["miscellaneous_income"]
    assert income["unearmarked_contributions_usd"] + income["interest_income_usd"] < 1_400_000
    outcomes = check_with_the_command(tmp_path, witness, CASES / "cap-conflict")
    assert sorted(outcomes.values()) == ["fail", "pass"]


def test_the_cap_conflict_is_a_conflict_of_the_default_reading_only():
    """Under `cap_lines = line2_only` Line 1 does not count towards the cap: no conflict with III.5,
    from the API and from the command line."""
    policies = PolicySet.load(CASES / "cap-conflict")
    assert by_code(analyze(policies), "conditional-conflict")
    assert not by_code(analyze(policies.with_readings({"cap_lines": "line2_only"})), "conditional-conflict")

    def codes(*reading):
        result = run("analyze", "--policies", CASES / "cap-conflict", *reading, "--format", "json")
        return {f["code"] for f in json.loads(result.output)["findings"]}

    assert "conditional-conflict" in codes()
    assert "conditional-conflict" not in codes("--reading", "cap_lines=line2_only")


def test_compare_two_readings_of_one_policy_set_gives_a_witness_on_which_they_differ():
    result = run("analyze", "--compare", CASES / "cap-conflict", CASES / "cap-conflict",
                 "--reading", "cap_lines=line2_only", "--format", "json")
    report = json.loads(result.output)
    jsonschema.validate(report, ANALYSIS_SCHEMA)
    differing = [f for f in report["findings"] if f["details"].get("compared") == "cap.miscellaneous_income"]
    assert differing, result.output
    regimes = differing[0]["details"]["regimes"]
    assert regimes[1].endswith("(cap_lines=line2_only)") and "(" not in regimes[0], regimes


def test_an_assumption_beside_the_policies_narrows_the_analysis_and_is_listed(tmp_path):
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "budget.iom").write_text((CASES / "cap-conflict" / "budget.iom").read_text())
    (folder / "assumptions.yaml").write_text(
        "assumptions:\n"
        "  - kind: facility_budget\n"
        "    assume: miscellaneous_income.unearmarked_contributions_usd >= USD 1_400_000\n"
        "    reason: \"unearmarked contributions alone have always covered Line 1\"\n")
    result = run("analyze", "--policies", folder, "--format", "json")
    report = json.loads(result.output)
    assert report["assumptions"][0]["assume"] == "miscellaneous_income.unearmarked_contributions_usd >= USD 1_400_000"
    assert not [f for f in report["findings"] if f["code"] == "conditional-conflict"]


def test_a_bad_assumption_is_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "assumptions.yaml"
    bad.write_text("assumptions:\n  - kind: facility_budget\n    assume: miscelaneous_income > 0\n    reason: r\n")
    result = run("analyze", "--policies", CASES / "cap-conflict", "--assumptions", bad)
    assert result.exit_code == 2
    assert result.output.startswith(f"{bad}: assumption 1 (`miscelaneous_income > 0`):")
    assert "Traceback" not in result.output


def test_a_clause_the_encoding_does_not_model_is_reported_not_skipped(tmp_path):
    (tmp_path / "p.iom").write_text(
        'policy p { title "t" source "s" applies to proposal }\n'
        'clause text.order { title "t" cite "c" quote "q" must require title < "M" }\n')
    analysis = analyze(PolicySet.load(tmp_path))
    (finding,) = analysis.findings
    assert finding.code == "not-analysed" and finding.message == "not analysed: uses `<` on text (the order of text)"


def test_shipped_policies_every_witness_is_confirmed_and_every_clause_accounted_for():
    policies = PolicySet.load(ROOT / "policies")
    analysis = analyze(policies)
    assert not by_code(analysis, "internal-inconsistency")
    assert all(f.witness.confirmed for f in analysis.findings if f.witness is not None)
    assert analysis.kinds == {kind: len(policies.clauses(kind)) for kind in policies.by_kind}
    undecided = {c.id for f in by_code(analysis, "undecided-on-valid-input") for c in f.clauses}
    assert "part3.line2_allocation_formula" in undecided  # discretionary income is optional in the schema
    # III.2 against III.5 under the shipped (default) reading, with its range; a warning, so the gate passes
    (conflict,) = by_code(analysis, "conditional-conflict")
    assert {c.id for c in conflict.clauses} == {"part3.cap_miscellaneous_income", "part3.line1_original_funding"}
    assert conflict.details["condition"] == "miscellaneous_income_total < 1,400,000" and conflict.witness.confirmed
    assert not analysis.failed  # nothing at error severity: `analyze` on the shipped set exits 0


def test_json_report_matches_its_schema_and_sarif_has_locations():
    result = run("analyze", "--policies", CASES / "broken", "--format", "json")
    report = json.loads(result.output)
    jsonschema.validate(report, ANALYSIS_SCHEMA)
    assert {f["code"] for f in report["findings"]} == {"never-fails", "never-applies", "conflict"}
    witness = next(f["witness"] for f in report["findings"] if f["code"] == "conflict")
    assert load_text(witness["document"], "w.yaml").value["kind"] == "proposal"
    sarif = json.loads(run("analyze", "--policies", CASES / "broken", "--format", "sarif").output)
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {"never-fails", "never-applies", "conflict"}
    located = results[0]["locations"][0]["physicalLocation"]
    assert located["artifactLocation"]["uri"].endswith("broken/broken.iom") and located["region"]["startLine"] == 9


def test_without_z3_the_command_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "z3", None)
    result = run("analyze", "--policies", CASES / "broken")
    assert result.exit_code == 2
    assert 'pip install "iompolicy[analysis]"' in result.output


# ---- comparing regimes --------------------------------------------------------------------------

def compare(first, second):
    from iompolicy.analysis.compare import compare_regimes

    return compare_regimes([(str(first), PolicySet.load(first)), (str(second), PolicySet.load(second))], 3)


def test_two_regimes_differing_at_one_boundary_get_that_boundary_as_witness(tmp_path):
    a, b = CASES / "boundary-a", CASES / "boundary-b"
    analysis = compare(a, b)
    verdicts = [f for f in by_code(analysis, "regimes-differ") if f.details["compared"] == "verdict"]
    (finding,) = verdicts
    assert finding.witness.confirmed
    assert finding.witness.document["funding"]["requested_usd"] == 200_000  # the one amount they disagree on
    assert "budget_lines" not in finding.witness.document  # minimal: no optional field it does not need
    assert check_with_the_command(tmp_path, finding.witness, a)["boundary.national_ceiling"] == "pass"
    assert check_with_the_command(tmp_path, finding.witness, b)["boundary.national_ceiling"] == "fail"


def test_a_regime_compared_with_itself_gives_the_same_verdicts():
    analysis = compare(CASES / "boundary-a", CASES / "boundary-a")
    assert not analysis.findings
    assert analysis.notes == ["proposal: tests/analysis/boundary-a and tests/analysis/boundary-a give the same "
                              "verdict on every schema-valid document (within the bounds)".replace(
                                  "tests/analysis", str(CASES))]


def test_the_2007_strategy_and_the_2020_development_fund_rules_differ_on_a_witness(tmp_path):
    result = run("analyze", "--compare", "shipped", f"shipped,{ROOT / 'examples' / 'policies-idf-2020'}",
                 "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    jsonschema.validate(report, ANALYSIS_SCHEMA)
    (finding,) = [f for f in report["findings"] if f["kind"] == "proposal" and f["details"]["compared"] == "verdict"]
    assert finding["witness"]["confirmed"]
    assert [c["id"] for c in finding["clauses"]] == ["idf2020.staff_and_office_share"]
    document = tmp_path / "witness.yaml"
    document.write_text(finding["witness"]["document"])
    data = []
    for name, text in finding["witness"]["data"].items():
        (tmp_path / f"{name}.yaml").write_text(text)
        data += ["--data", tmp_path / f"{name}.yaml"]
    alone = json.loads(run("check", document, *data, "--format", "json").output)
    both = json.loads(run("check", document, *data, "--policies", "shipped", "--policies",
                          ROOT / "examples" / "policies-idf-2020", "--format", "json").output)
    assert alone["documents"][0]["outcome"] == "pass" and both["documents"][0]["outcome"] == "fail"


# ---- generating policy test cases -------------------------------------------------------------------

def test_generated_cases_cover_the_uncovered_outcomes_and_pass_as_policy_tests(tmp_path):
    from iompolicy.policytests import run_case_files

    result = run("analyze", "--policies", CASES / "broken", "--generate-tests", tmp_path / "generated")
    assert result.exit_code == 1  # the broken policies are still broken
    (written,) = sorted((tmp_path / "generated").glob("*.yaml"))
    assert written.name == "generated-proposal.yaml"
    assert f"--generate-tests: wrote {written} (" in result.output
    run_result = run_case_files(PolicySet.load(CASES / "broken"), [written])
    assert not run_result.problems and not run_result.mismatches
    # every outcome a clause can have is now seen; the ones it cannot have are named
    assert run_result.seen["broken.short_projects"] == {"pass", "fail"}
    assert run_result.seen["broken.unreachable_when"] == {"not_applicable"}
    assert "broken.never_fails fail" in result.output  # said out loud: no document makes it fail
    tested = run("test", tmp_path / "generated", "--policies", CASES / "broken", "--min-coverage", "0")
    assert tested.exit_code == 0 and ", 0 mismatches;" in tested.output


def test_schema_patterns_with_several_ranges_make_text_and_others_leave_only_their_fields_out():
    from iompolicy.analysis.symbolic import Unsupported
    from iompolicy.analysis.texts import Pattern, Texts

    digest = Pattern("^[0-9a-f]{64}$")  # the waivers schema has one (it broke the first landing)
    assert digest.lengths() == (64, 64) and next(digest.strings()) == "0" * 64
    texts = Texts(["x"], ["^[0-9a-f]{64}$", "^(a|b)$"])
    with pytest.raises(Unsupported, match=r"the pattern `\^\(a\|b\)\$`"):
        texts.allowed(0, {"type": "string", "pattern": "^(a|b)$"})


# ---- the encoding agrees with the evaluator on real documents ------------------------------------------

def real_documents():
    """(name, document, data) of every example and every policy test case judged as of its own date."""
    from iompolicy import load_file
    from iompolicy.policytests import merge_patch

    data = {load_file(p).value["kind"]: load_file(p).value for p in sorted((ROOT / "examples" / "data").glob("*.yaml"))}
    for folder in ("proposals", "budgets", "governance"):
        for path in sorted((ROOT / "examples" / folder).glob("*.yaml")):
            yield path.name, load_file(path).value, data
    for path in sorted((ROOT / "policies" / "tests").glob("*.yaml")):
        content = load_file(path).value
        shared = {name: load_file(path.parent / value).value if isinstance(value, str) else value
                  for name, value in (content.get("data") or {}).items()}
        for case in content["cases"]:
            if "as_of" in case:
                continue
            document = load_file(path.parent / case["base"]).value if "base" in case else case.get("document", {})
            case_data = {name: load_file(path.parent / value).value if isinstance(value, str) else value
                         for name, value in (case.get("data") or {}).items()}
            yield f"{path.name}#{case['name']}", merge_patch(document, case.get("patch", {})), {**shared, **case_data}


def test_with_a_real_document_pinned_the_solver_gives_the_evaluators_outcome_of_every_clause():
    """The encoding of every shipped clause, fixed to each example document and policy test
    case, must give the outcome the evaluator gives: a mismatch is a bug in the encoding."""
    import z3

    from analysis_pin import Pins, TooBig
    from iompolicy.analysis.model import KindModel, predicted
    from iompolicy.analysis.texts import Texts
    from iompolicy.documents import DocumentError

    policies = PolicySet.load(ROOT / "policies")
    texts = Texts.of([policies], policies.schemas)
    models = {}
    compared, mismatches = 0, []
    for name, document, data in real_documents():
        kind = document.get("kind")
        if kind not in policies.by_kind:
            continue
        try:
            report = policies.check(document, data=data)
        except DocumentError:
            continue  # a case that is meant to be refused
        if kind not in models:
            # a pinned document is decided in well under a second; the timeout is a margin for a loaded machine
            model = KindModel(policies.schemas, kind, 8, texts, timeout_ms=60_000)
            models[kind] = (model, model.encode(policies)[0])
        model, outcomes = models[kind]
        if not set(model.universe.data_names()) <= set(data):
            continue  # the analysis assumes reference data is given
        pins = Pins(model.universe)
        try:
            pins.pin(model.universe.document, document)
            for data_name in model.universe.data_names():
                pins.pin(model.universe.data(data_name), data[data_name])
        except TooBig:
            continue
        model.solver.push()
        model.solver.add(*pins.equations)
        assert model.solver.check() == z3.sat, name
        solved = model.solver.model()
        model.solver.pop()
        for result in report.results:
            if result.clause in outcomes:
                compared += 1
                claimed = predicted(solved, outcomes[result.clause])
                if claimed != result.outcome.value:
                    mismatches.append((name, result.clause, claimed, result.outcome.value))
    assert not mismatches
    assert compared > 300  # most documents and clauses were compared, not skipped


def test_an_assumption_that_smuggles_in_a_clause_is_refused(tmp_path):
    bad = tmp_path / "assumptions.yaml"
    bad.write_text('assumptions:\n  - kind: proposal\n    reason: r\n    assume: >-\n      true }\n'
                   '      clause extra { title "t" cite "c" quote "q" must require true\n')
    result = run("analyze", "--policies", CASES / "broken", "--assumptions", bad)
    assert result.exit_code == 2
    assert "is not one condition" in result.output


def test_a_policy_folder_that_does_not_load_is_exit_2_without_a_traceback(tmp_path):
    result = run("analyze", "--policies", tmp_path / "nowhere")
    assert result.exit_code == 2
    assert result.output.splitlines()[0] == f"{tmp_path / 'nowhere'}:1:1: error[no_policies]: no such folder of policies"
    assert "Traceback" not in result.output
