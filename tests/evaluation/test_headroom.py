"""Headroom: the fix of a failed clause, worked out from its requirement, and checked.

The property tests generate failing documents from the shipped examples (amounts,
dates, flags, lists changed at random), and require of every failed clause of
the shipped policies: that it has a fix (or says why the document alone cannot
decide it), and that making the fix's usual changes makes the clause pass. A
second property, over generated linear formulas, requires the amount to be exact
and the least: one step of the field's grid less is not enough.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import ROOT, TEST_SCHEMAS
from iompolicy import PolicySet, load_file
from iompolicy.documents import DocumentError, as_document
from iompolicy.evaluation.headroom import headroom
from iompolicy.report import Outcome

from iompolicy.engine import _document_date  # noqa: E402  (the date a document is judged as of)

POLICIES = PolicySet.load(ROOT / "policies", ROOT / "schemas")
DATA = {load_file(p).kind: load_file(p).value for p in sorted((ROOT / "examples" / "data").glob("*.yaml"))}
EXAMPLES = {p.name: load_file(p).value for folder in ("proposals", "budgets", "governance")
            for p in sorted((ROOT / "examples" / folder).glob("*.yaml"))}
RUNS = int(os.environ.get("IOMPOLICY_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=RUNS, deadline=None, suppress_health_check=list(HealthCheck))


def fix_of(policies, clause_id: str, value: dict, data=DATA):
    compiled = next(c for c in policies.clauses() if c.id == clause_id)
    doc = as_document(value)
    judged_on = _document_date(value, policies.validator.kind_of(doc).date_rule)
    data = policies.dated.as_of(data, judged_on)  # registers' dated facts, as the check reads them
    return headroom(compiled.clause.requires, compiled.clause.guards, value, data, compiled.bindings,
                    compiled.clause.note, valid=lambda changed: valid(policies, changed),
                    scope=compiled.scope, cache=compiled.solving)  # as a check works it out


def valid(policies, value) -> bool:
    try:
        policies.validator.validate(as_document(value))
        return True
    except DocumentError:
        return False


def failed(policies, value, data=DATA) -> list[str]:
    return [r.clause for r in policies.check(value, data=data).results if r.outcome is Outcome.FAIL]


def outcome(policies, clause_id, value, data=DATA) -> Outcome:
    return next(r.outcome for r in policies.check(value, data=data).results if r.clause == clause_id)


# ---- the shipped examples ----------------------------------------------------------------------

EXPECTED = {
    ("04-tajikistan-border-over-ceiling.yaml", "part3.line2_national_ceiling"):
        "reduce `funding.requested_usd` by USD 35,000 (to at most USD 200,000)",
    ("06-philippines-line2-before-2008.yaml", "part3.line2_from_2008"):
        "set `funding.year` to 2008 (it is missing) (usual remedy) or "
        "move `submitted_on` forward by 71 days (to 2008-01-01 or later)",
    ("08-mano-river-article4-regional.yaml", "part3.line2_article4"):
        'remove `beneficiary_states[2]` ("LBR")',
    ("09-sri-lanka-budget-lines-mismatch.yaml", "doc.budget_lines_add_up"):
        "set `budget_lines[0].usd` to USD 37,500 (raise by USD 7500) (usual remedy) or "
        "set `budget_lines[1].usd` to USD 20,000 (raise by USD 7500) or "
        "set `budget_lines[2].usd` to USD 62,500 (raise by USD 7500) or "
        "set `budget_lines[3].usd` to USD 52,500 (raise by USD 7500) or "
        "set `funding.requested_usd` to USD 142,500 (reduce by USD 7500)",
    ("facility-budget-2010-over-cap.yaml", "part3.cap_miscellaneous_income"):
        "reduce `line2.from_discretionary_income_usd` by USD 1,750,000 (to at most USD 1,075,000) (usual remedy)"
        " or raise `miscellaneous_income.unearmarked_contributions_usd` by USD 1,750,000 (to at least USD 2,950,000)"
        " or raise `miscellaneous_income.interest_income_usd` by USD 1,750,000 (to at least USD 3,150,000)",
    ("facility-budget-2010-over-cap.yaml", "part3.line2_allocation_formula"):
        "set `line2.from_discretionary_income_usd` to USD 1,075,000 (reduce by USD 1,750,000) (usual remedy)"
        ""  # with it missing, the 25% amount passes III.1 (issue 13, finding 8)
        " or set `miscellaneous_income.unearmarked_contributions_usd` to USD 2,950,000 (raise by USD 1,750,000)"
        " or set `miscellaneous_income.interest_income_usd` to USD 3,150,000 (raise by USD 1,750,000)",
    ("calendar-2007-subcommittee.yaml", "part2.subcommittee_abolished"):
        "move `meetings[2].opens` back by 145 days (to 2007-06-07 or earlier) (usual remedy) or remove `meetings[2]`",
    ("calendar-2007-subcommittee.yaml", "part2.scpf_meets_twice_a_year"):
        "add 1 item for which `meeting.body == SCPF and year(meeting.opens) == year` holds to `meetings`",
    ("calendar-2007-subcommittee.yaml", "part2.scpf_rules_pending_in_2007"):
        "set `scpf_rules_of_procedure.approved_by_council` to true",
}


@pytest.mark.parametrize("example, clause_id", sorted(EXPECTED))
def test_the_fix_of_each_failing_example_says_what_to_change_and_makes_it_pass(example, clause_id):
    value = EXAMPLES[example]
    assert clause_id in failed(POLICIES, value)
    fix = fix_of(POLICIES, clause_id, value)
    assert fix.text() == EXPECTED[(example, clause_id)]
    assert fix.complete
    assert outcome(POLICIES, clause_id, fix.apply(value)) is Outcome.PASS
    assert value == EXAMPLES[example] == load_file(next(ROOT.glob(f"examples/*/{example}"))).value  # untouched


def test_a_clause_decided_by_reference_data_says_so_instead_of_inventing_a_change():
    value = {**EXAMPLES["01-bolivia-climate-line2-national.yaml"]}
    register = {**DATA["member_states"], "states": {**DATA["member_states"]["states"]}}
    register["states"][value["applicant"]] = {**register["states"][value["applicant"]],
                                              "outstanding_contributions_usd": 5000}
    data = {**DATA, "member_states": register}
    assert "part3.line2_outstanding_contributions" in failed(POLICIES, value, data)
    fix = fix_of(POLICIES, "part3.line2_outstanding_contributions", value, data)
    assert fix.steps == ()
    assert not fix.complete
    assert fix.text() == ("`lead.outstanding_contributions_usd == 0` turns on reference data (`member_states`): "
                          "no change to the document alone decides it; "
                          "`all state in beneficiary_states: register[state].outstanding_contributions_usd == 0` "
                          "turns on reference data (`member_states`): no change to the document alone decides it")


def test_a_missing_field_is_named_not_given_a_made_up_value():
    value = {k: v for k, v in EXAMPLES["07-haiti-humanitarian-no-arrangement.yaml"].items() if k != "humanitarian"}
    fix = fix_of(POLICIES, "part1.humanitarian_inter_agency", value)
    assert fix.text() == "give `humanitarian.inter_agency_arrangement` (it is missing)"
    assert not fix.complete  # no value can be checked for it


def test_every_lever_the_formula_reads_is_listed_with_the_note_choosing_the_usual_one():
    policy = """
    policy p { title "t" source "s" applies to proposal }
    clause share {
      title "t" cite "c" quote "q" must
      note "The usual remedy is to ask for less: `funding.requested_usd`."
      require duration_months * 10_000 + funding.requested_usd <= USD 300_000
    }
    """
    policies = PolicySet.from_texts({"p.iom": policy}, TEST_SCHEMAS)
    value = {"kind": "proposal", "duration_months": 12, "funding": {"requested_usd": 250_000}}
    fix = fix_of(policies, "share", value, {})
    assert [(c.field, c.action, c.amount, c.usual) for c in fix.steps[0].changes] == [
        ("funding.requested_usd", "reduce", 70_000, True),
        ("duration_months", "reduce", 7, False),
    ]


@pytest.mark.parametrize("requirement, submitted_on, expected", [
    ("year(submitted_on) >= 2008", "2006-05-01", "move `submitted_on` forward by 610 days (to 2008-01-01 or later)"),
    ("year(submitted_on) > 2008", "2006-05-01", "move `submitted_on` forward by 976 days (to 2009-01-01 or later)"),
    ("year(submitted_on) <= 2008", "2010-03-01", "move `submitted_on` back by 425 days (to 2008-12-31 or earlier)"),
    ("2008 > year(submitted_on)", "2010-03-01", "move `submitted_on` back by 791 days (to 2007-12-31 or earlier)"),
    ("year(submitted_on) == 2008", "2010-03-01", "move `submitted_on` back by 425 days (to 2008-12-31 exactly)"),
    ("year(submitted_on) == 2008", "2006-05-01", "move `submitted_on` forward by 610 days (to 2008-01-01 exactly)"),
])
def test_a_year_compared_moves_the_date_to_the_nearest_first_or_last_day(requirement, submitted_on, expected):
    """`year(d) op Y` is solved for the date directly (the first or last day of a year): the
    date it gives passes, and the day before it (on the way from the document's date) fails."""
    policy = f"""
    policy p {{ title "t" source "s" applies to proposal }}
    clause dated {{ title "t" cite "c" quote "q" must require {requirement} }}
    """
    policies = PolicySet.from_texts({"p.iom": policy}, TEST_SCHEMAS)
    value = {"kind": "proposal", "submitted_on": submitted_on}
    fix = fix_of(policies, "dated", value, {})
    assert fix.text() == expected and fix.complete
    (change,) = fix.steps[0].changes
    assert outcome(policies, "dated", fix.apply(value), {}) is Outcome.PASS
    moved = dt.date.fromisoformat(change.target)
    one_day_short = moved - dt.timedelta(days=1 if moved.isoformat() > submitted_on else -1)
    assert outcome(policies, "dated", {**value, "submitted_on": one_day_short.isoformat()}, {}) is Outcome.FAIL


def test_items_of_a_list_that_break_it_each_get_their_own_step():
    value = {**EXAMPLES["facility-budget-2009-synthetic.yaml"]}
    value["projects"] = [dict(p) for p in value["projects"]]
    value["projects"][3]["amount_usd"] = 250_000  # national, Line 2
    value["projects"][4]["amount_usd"] = Decimal("200000.01")
    fix = fix_of(POLICIES, "part3.listed_national_projects_within_ceiling", value)
    assert [s.item for s in fix.steps] == ["$.projects[3]", "$.projects[4]"]
    assert [s.changes[0].describe() for s in fix.steps] == [
        "reduce `projects[3].amount_usd` by USD 50,000 (to at most USD 200,000)",
        "reduce `projects[4].amount_usd` by USD 0.01 (to at most USD 200,000)",
    ]
    assert outcome(POLICIES, "part3.listed_national_projects_within_ceiling", fix.apply(value)) is Outcome.PASS


# ---- properties ------------------------------------------------------------------------------------

money = st.integers(0, 3_000_000) | st.decimals(0, 3_000_000, places=2, allow_nan=False, allow_infinity=False)
CODES = sorted(DATA["member_states"]["states"])


@st.composite
def proposals(draw):
    value = dict(draw(st.sampled_from([v for k, v in EXAMPLES.items() if v["kind"] == "proposal"])))
    value["funding"] = {**value["funding"], "line": draw(st.sampled_from([1, 2])),
                        "requested_usd": draw(money)}
    value["scope"] = draw(st.sampled_from(["national", "regional"]))
    value["submitted_on"] = draw(st.dates(dt.date(2007, 6, 7), dt.date(2019, 12, 31))).isoformat()
    value["government_request"] = draw(st.booleans())
    value["strategy_activities"] = draw(st.lists(st.integers(0, 15), min_size=1, max_size=4))
    value["beneficiary_states"] = draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=4, unique=True))
    if draw(st.booleans()):
        value["applicant"] = value["beneficiary_states"][0]
    if "budget_lines" in value and draw(st.booleans()):
        value["budget_lines"] = [{**line, "usd": draw(money)} for line in value["budget_lines"]]
    return value


@st.composite
def budgets(draw):
    value = dict(draw(st.sampled_from([v for k, v in EXAMPLES.items() if v["kind"] == "facility_budget"])))
    big = st.integers(0, 60_000_000)
    value["year"] = draw(st.integers(2007, 2012))
    value["discretionary_income"] = {"total_usd": draw(big), "security_usd": draw(st.integers(0, 5_000_000))}
    value["miscellaneous_income"] = {"unearmarked_contributions_usd": draw(money), "interest_income_usd": draw(money)}
    for line in ("line1", "line2"):
        value[line] = {**value[line], "from_discretionary_income_usd": draw(money), "recovered_usd": draw(money)}
    if "projects" in value:
        value["projects"] = [{**p, "amount_usd": draw(st.integers(0, 400_000)), "line": draw(st.sampled_from([1, 2]))}
                             for p in value["projects"]]
    return value


@st.composite
def calendars(draw):
    value = dict(draw(st.sampled_from([v for k, v in EXAMPLES.items() if v["kind"] == "governance_calendar"])))
    meetings = [dict(m) for m in value["meetings"]]
    for meeting in meetings:
        meeting["opens"] = draw(st.dates(dt.date(2007, 1, 1), dt.date(2008, 12, 31))).isoformat()
        meeting["body"] = draw(st.sampled_from(["SCPF", "Subcommittee on Budget and Finance", meeting["body"]]))
    value["meetings"] = draw(st.permutations(meetings)).copy()[: draw(st.integers(1, len(meetings)))]
    return value


@FUZZ
@given(st.one_of(proposals(), budgets(), calendars()))
def test_making_the_usual_changes_of_a_fix_makes_the_failed_clause_pass(value):
    assume(valid(POLICIES, value))
    for clause_id in failed(POLICIES, value):
        fix = fix_of(POLICIES, clause_id, value)
        assert fix is not None and (fix.steps or fix.notes), clause_id
        if fix.complete:
            assert outcome(POLICIES, clause_id, fix.apply(value)) is Outcome.PASS, (clause_id, fix.text())
        else:  # only reference data, or a missing field no value can be checked for, stops it
            assert fix.notes or any(c.action == "provide" for s in fix.steps for c in s.changes), fix.text()
        for step in fix.steps:  # each change alone makes its requirement's part hold: checked when offered
            assert step.changes and sum(c.usual for c in step.changes) == 1


@FUZZ
@given(st.one_of(proposals(), budgets(), calendars()))
def test_the_compiled_readings_of_a_fix_give_the_fix_the_tracer_alone_gives(value):
    """A fix decides conditions and values on the changed documents it tries by the
    compiler's closures (`scope`); with the tracer alone (no scope) it must be the same fix."""
    assume(valid(POLICIES, value))
    for clause_id in failed(POLICIES, value):
        compiled = next(c for c in POLICIES.clauses() if c.id == clause_id)
        judged_on = _document_date(value, POLICIES.validator.kind_of(as_document(value)).date_rule)
        data = POLICIES.dated.as_of(DATA, judged_on)
        clause = compiled.clause
        by_tracer = headroom(clause.requires, clause.guards, value, data, compiled.bindings, clause.note,
                             valid=lambda changed: valid(POLICIES, changed))
        assert fix_of(POLICIES, clause_id, value) == by_tracer, clause_id


LINEAR = """
policy p {{ title "t" source "s" applies to proposal }}
clause linear {{
  title "t" cite "c" quote "q" must
  require funding.requested_usd * {factor} + {offset} {op} {limit}
}}
"""


@FUZZ
@given(factor=st.decimals("0.01", "10", places=2), offset=st.integers(-1000, 1000),
       op=st.sampled_from(["<=", "<", ">=", ">"]), limit=st.integers(0, 10_000_000),
       requested=st.integers(0, 10_000_000) | st.decimals(0, 10_000_000, places=2))
def test_the_amount_is_exact_and_the_least_that_passes(factor, offset, op, limit, requested):
    policies = PolicySet.from_texts({"p.iom": LINEAR.format(factor=factor, offset=offset, op=op, limit=limit)},
                                    TEST_SCHEMAS)
    value = {"kind": "proposal", "funding": {"requested_usd": requested}}
    if outcome(policies, "linear", value, {}) is not Outcome.FAIL:
        return
    fix = fix_of(policies, "linear", value, {})
    if not fix.steps:  # only a negative amount would do: never offered
        assert op in ("<=", "<") and (limit - offset) / factor <= 0
        return
    change = fix.steps[0].changes[0]
    assert type(change.target) is type(requested)  # a whole number stays one
    assert outcome(policies, "linear", fix.apply(value), {}) is Outcome.PASS
    grid = 1 if type(requested) is int else Decimal("0.01")
    one_less = change.target + (grid if change.action == "reduce" else -grid)
    assert outcome(policies, "linear", {**value, "funding": {"requested_usd": one_less}}, {}) is Outcome.FAIL


# ---- in the reports ---------------------------------------------------------------------------------

def test_a_failed_result_carries_its_fix_and_other_results_none():
    report = POLICIES.check(ROOT / "examples" / "proposals" / "04-tajikistan-border-over-ceiling.yaml", data=DATA)
    fixes = {r.clause: r.fix for r in report.results if r.fix is not None}
    assert list(fixes) == ["part3.line2_national_ceiling"]
    shown = next(r for r in report.to_dict()["results"] if r["clause"] == "part3.line2_national_ceiling")["fix"]
    assert shown["replacement"] == {"line": 18, "column": 18, "end_column": 24, "text": "200000"}
    assert shown["steps"][0]["changes"][0] | {"text": None} == {
        "action": "reduce", "field": "funding.requested_usd", "path": "$.funding.requested_usd", "current": 235000,
        "target": 200000, "bound": "at most", "amount": 35000, "usual": True, "where": None, "text": None}


@pytest.mark.parametrize("example", ["proposals/04-tajikistan-border-over-ceiling.yaml",
                                     "governance/calendar-2007-subcommittee.yaml",
                                     "budgets/facility-budget-2010-over-cap.yaml"])
def test_the_sarif_replacement_made_in_the_file_makes_the_clause_pass(example, tmp_path):
    """The suggested change GitHub would show, applied to the text, gives a passing document."""
    from iompolicy import load_text

    path = ROOT / "examples" / example
    report = POLICIES.check(path, data=DATA)
    edits = [(r.clause, r.fix.replacement) for r in report.results if r.fix is not None and r.fix.replacement]
    assert edits
    for clause_id, edit in edits:
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        line = lines[edit["line"] - 1]
        lines[edit["line"] - 1] = line[:edit["column"] - 1] + edit["text"] + line[edit["end_column"] - 1:]
        changed = load_text("".join(lines), path.name)
        assert outcome(POLICIES, clause_id, changed.value) is Outcome.PASS, clause_id


def test_the_command_shows_the_fix_under_the_explanation_and_in_sarif():
    import json

    from click.testing import CliRunner

    from iompolicy.cli import main

    example = str(ROOT / "examples" / "proposals" / "04-tajikistan-border-over-ceiling.yaml")
    data = str(ROOT / "examples" / "data")
    text = CliRunner().invoke(main, ["check", example, data]).output.splitlines()
    at = text.index("      funding.requested_usd (235,000) <= LINE2_NATIONAL_CEILING (200,000)")
    assert text[at + 1] == "      fix: reduce `funding.requested_usd` by USD 35,000 (to at most USD 200,000)"
    sarif = json.loads(CliRunner().invoke(main, ["check", example, data, "--format", "sarif"]).output)
    (result,) = sarif["runs"][0]["results"]
    (fix,) = result["fixes"]
    replacement = fix["artifactChanges"][0]["replacements"][0]
    assert replacement == {"deletedRegion": {"startLine": 18, "startColumn": 18, "endLine": 18, "endColumn": 24},
                           "insertedContent": {"text": "200000"}}
    assert result["message"]["text"].endswith("\nfix: " + fix["description"]["text"])


# ---- verified by the policy tests -------------------------------------------------------------

def _has_comparison(node) -> bool:
    from iompolicy.language import syntax as n

    return any(isinstance(found, n.Compare) for found in n.descendants(node))


def policy_test_run():
    from iompolicy.policytests import run_case_files

    return run_case_files(POLICIES, sorted((ROOT / "policies" / "tests").glob("*.yaml")))


def test_every_comparison_clause_of_the_shipped_policies_has_its_fix_made_and_verified_by_the_policy_tests():
    """`iompolicy test` makes the fix of every failure of its cases and judges again: each
    comparison clause has a fix seen to make it pass, or fails only on reference data."""
    from iompolicy.policytests import FIX_DATA, FIX_VERIFIED

    run = policy_test_run()
    assert run.problems == [] and run.mismatches == []
    comparison = [c.id for c in POLICIES.clauses() if any(_has_comparison(r) for r in c.clause.requires)]
    assert len(comparison) >= 35
    verified = {c for c, found in run.fixes.items() if FIX_VERIFIED in found}
    data_only = {c for c, found in run.fixes.items() if found == {FIX_DATA}}
    assert data_only == {"part3.applicant_developing_member_state", "part3.follow_up_of_line1"}
    assert set(comparison) - data_only <= verified
    assert run.fix_unverified([c.id for c in POLICIES.clauses()]) == []


def test_a_fix_that_does_not_make_the_clause_pass_is_a_mismatch_of_the_policy_tests(monkeypatch):
    from iompolicy.evaluation.fixes import Fix

    monkeypatch.setattr(Fix, "plans", lambda self: [()])  # "change nothing": the clause still fails
    run = policy_test_run()
    assert run.mismatches and all(m.expected.startswith("pass once the fix is made") for m in run.mismatches)
    assert {m.actual for m in run.mismatches} == {"fail"}


def test_a_change_that_mends_one_requirement_but_breaks_another_is_not_offered():
    """Found by the policy tests: `year` set to 2008 put one SCPF session of 2009 in the year,
    and every other meeting out of it."""
    value = {**EXAMPLES["calendar-2008.yaml"]}
    value["meetings"] = [dict(m) for m in value["meetings"]]
    value["meetings"][0]["opens"] = "2009-03-01"
    clause_id = "doc.meetings_within_the_year"
    assert clause_id in failed(POLICIES, value)
    fix = fix_of(POLICIES, clause_id, value)
    assert [c.field for c in fix.steps[0].changes] == ["meetings[0].opens", "meetings[0]"]
    for plan in fix.plans():
        assert outcome(POLICIES, clause_id, fix.made(plan, value)) is Outcome.PASS


def test_repeated_items_of_a_unique_list_are_removed_by_the_fix():
    value = {**EXAMPLES["facility-budget-2009-synthetic.yaml"]}
    value["projects"] = [*value["projects"], dict(value["projects"][1])]
    fix = fix_of(POLICIES, "part3.projects_tracked_once", value)
    assert fix.text() == f"remove 1 item from `projects` (`projects[{len(value['projects']) - 1}]`)"
    assert fix.complete and outcome(POLICIES, "part3.projects_tracked_once", fix.apply(value)) is Outcome.PASS


def test_the_fix_of_a_huge_document_stops_at_the_work_limit_and_says_so():
    """A sum over 20,000 budget lines: each lever would be worked out over the whole list.
    The fix stops at a bounded amount of work (counted, not timed) and says it is partial."""
    from iompolicy.evaluation.headroom import TOO_MUCH_WORK

    value = dict(EXAMPLES["09-sri-lanka-budget-lines-mismatch.yaml"])
    value["budget_lines"] = [{"category": "operational", "description": "workshop", "usd": 7}] * 20_000
    fix = fix_of(POLICIES, "doc.budget_lines_add_up", value)
    assert not fix.complete and fix.notes[0].startswith(TOO_MUCH_WORK)
    assert fix.plans() == []  # nothing claimed verified


def test_a_sum_over_many_items_offers_a_few_levers():
    from iompolicy.evaluation.headroom import MAX_LEVERS

    value = dict(EXAMPLES["09-sri-lanka-budget-lines-mismatch.yaml"])
    value["budget_lines"] = [{"category": "operational", "description": "workshop", "usd": 7}] * 40
    fix = fix_of(POLICIES, "doc.budget_lines_add_up", value)
    changes = fix.steps[0].changes
    assert 1 < len(changes) <= MAX_LEVERS
    assert fix.complete and outcome(POLICIES, "doc.budget_lines_add_up", fix.apply(value)) is Outcome.PASS


@pytest.mark.parametrize("evaluator", ["closures", "generated", "traced"])
def test_every_evaluator_gives_a_failed_result_its_fix(evaluator):
    path = ROOT / "examples" / "proposals" / "04-tajikistan-border-over-ceiling.yaml"
    report = POLICIES.check(path, data=DATA, evaluator=evaluator)
    (failed,) = [r for r in report.results if r.outcome is Outcome.FAIL]
    assert failed.fix.text() == "reduce `funding.requested_usd` by USD 35,000 (to at most USD 200,000)"
    assert failed.fix.replacement == {"line": 18, "column": 18, "end_column": 24, "text": "200000"}


@pytest.mark.parametrize("first", ["fix", "explanation"])
def test_a_generated_result_gives_its_fix_whether_read_before_or_after_its_explanation(first):
    """The generated code's failed result keeps one deferred tuple for its explanation and
    its fix: reading one must leave what the other needs."""
    path = ROOT / "examples" / "proposals" / "04-tajikistan-border-over-ceiling.yaml"
    report = POLICIES.check(path, data=DATA, evaluator="generated")
    (failed,) = [r for r in report.results if r.outcome is Outcome.FAIL]
    if first == "explanation":
        assert "200,000" in failed.explanation
    assert failed.fix.text() == "reduce `funding.requested_usd` by USD 35,000 (to at most USD 200,000)"
    assert "200,000" in failed.explanation
    assert failed.fix is failed.fix  # found once, then kept


def test_a_fix_never_changes_a_field_the_clause_selects_items_by():
    """A Council item that reports on the Council's own session: setting that meeting's
    `body` to SCPF made the requirement hold only because `where meeting.body == COUNCIL`
    no longer chose the meeting (a vacuous fix, offered as the usual remedy)."""
    value = {**EXAMPLES["calendar-2008.yaml"]}
    meetings = [dict(m) for m in value["meetings"]]
    council = next(i for i, m in enumerate(meetings) if m["body"] == "Council")
    agenda = [dict(item) for item in meetings[council]["agenda"]]
    reporting = next(i for i, item in enumerate(agenda) if "reports_on" in item)
    agenda[reporting]["reports_on"] = {"body": "SCPF", "opens": meetings[council]["opens"]}
    meetings[council] = {**meetings[council], "agenda": agenda}
    value["meetings"] = meetings
    clause_id = "part2.council_receives_scpf_reports"
    assert clause_id in failed(POLICIES, value)
    fix = fix_of(POLICIES, clause_id, value)
    fields = [c.field for step in fix.steps for c in step.changes]
    assert f"meetings[{council}].body" not in fields
    assert f"meetings[{council}].agenda[{reporting}]" in fields  # the item can still go
    for plan in fix.plans():
        assert outcome(POLICIES, clause_id, fix.made(plan, value)) is Outcome.PASS
