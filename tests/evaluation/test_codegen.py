"""The generated Python of `iompolicy/evaluation/codegen.py` (issue 18): built from the checked
policies only, readable, and judging as the closures and the tracer do (the conformance suite
runs every case through all three; here: the shipped policies on the examples and on the
benchmark workload, the warm-up, stopping, and what the source may hold)."""

from __future__ import annotations

import sys
import threading
from decimal import Decimal

import pytest

from conftest import ROOT, TEST_SCHEMAS
from iompolicy import PolicySet, load_file
from iompolicy.engine import WARM_UP
from iompolicy.evaluation import codegen
from iompolicy.stopping import Stopped, stoppable

sys.path.insert(0, str(ROOT / "benchmarks"))
import workload  # noqa: E402  (the benchmark's generated proposals)

EXAMPLES = ROOT / "examples"
DATA = [load_file(EXAMPLES / "data" / "member-states.yaml"), load_file(EXAMPLES / "data" / "funded-projects.yaml")]
SHIPPED = PolicySet.load(ROOT / "policies")
HEADER = 'policy test {\n  title "t"\n  source "tests"\n  applies to proposal\n}\n'


def _reports(policies, document, data, evaluator):
    return policies.check(document, data=data, validate=False, evaluator=evaluator).to_dict()


@pytest.mark.parametrize("path", sorted(p for folder in ("proposals", "budgets", "governance")
                                        for p in (EXAMPLES / folder).glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_gets_the_same_report_from_every_evaluator(path):
    document = load_file(path)
    closures = _reports(SHIPPED, document, DATA, "closures")
    assert _reports(SHIPPED, document, DATA, "generated") == closures
    assert _reports(SHIPPED, document, DATA, "traced") == closures


def test_the_benchmark_workload_gets_the_same_verdicts_generated_as_with_the_closures():
    data = {"member_states": workload.member_states(), "funded_projects": workload.funded_projects()}
    for document in workload.proposals(600, seed=7):
        closures = SHIPPED.check(document, data=data, validate=False, evaluator="closures")
        generated = SHIPPED.check(document, data=data, validate=False, evaluator="generated")
        assert [(r.clause, r.outcome, r.message) for r in generated.results] == \
            [(r.clause, r.outcome, r.message) for r in closures.results]
        assert generated.notices == closures.notices


def test_the_source_names_each_clause_and_where_it_is_written():
    listing = SHIPPED.compiled_source("proposal")
    for compiled in SHIPPED.clauses("proposal"):
        assert f"# clause {compiled.clause.id} ({compiled.clause.span})" in listing
    assert "def judge_proposal(doc, data, as_of, flag, document, sources, valid=None):" in listing
    compile(listing, "listing", "exec")  # the listing (names, then source) is Python a reader can run


def test_no_document_value_reaches_the_generator(monkeypatch):
    """The source is written from the checked policy before any document is read, and
    checking documents (hostile text among them) never writes it again."""
    policies = PolicySet.load(ROOT / "benchmarks" / "policies")
    before = policies.compiled_source("proposal")
    written = []
    monkeypatch.setattr(codegen, "generate", lambda *args: written.append(args) or pytest.fail("generated again"))
    hostile = '"); import os; os.system("echo owned") #\n\u2028'
    data = {"member_states": workload.member_states()}
    for document in workload.proposals(50):
        document.update(applicant=hostile, scope=hostile, title=hostile, submitted_on=hostile)
        report = policies.check(document, data=data, validate=False, evaluator="generated")
        assert {r.outcome.value for r in report.results} <= {"fail", "error", "pass", "not_applicable"}
    assert not written
    assert policies.compiled_source("proposal") == before
    assert hostile not in before and "os.system" not in before


def test_policy_text_is_never_spelled_into_the_source():
    """Values written in a policy live in the function's namespace: a text literal that reads
    like code, a clause id and a file name with a line break reach the source only as names
    or inside one-line comments."""
    payload = '__import__(\\"os\\").system(\\"echo owned\\")'
    text = HEADER + (f'clause evil {{ title "t" cite "c" quote "q" must\n'
                     f'  require applicant != "{payload}" and "x\\ny" != applicant }}\n')
    policies = PolicySet.from_texts({"odd\nname.iom": text}, TEST_SCHEMAS)
    program = policies._program("proposal")
    code_lines = [line for line in program.source.splitlines() if not line.lstrip().startswith("#")]
    assert not any("__import__" in line or "echo owned" in line for line in code_lines)
    assert "odd?name.iom" in program.source  # the file name's line break cannot end the comment
    assert any("__import__" in shown for shown in program.names.values())  # a name's value, listed
    report = policies.check({"kind": "proposal", "applicant": '__import__("os").system("echo owned")'},
                            validate=False, evaluator="generated")
    assert report.results[0].outcome.value == "fail"


def test_documents_are_checked_with_the_closures_until_the_warm_up_is_over(monkeypatch):
    monkeypatch.setenv("IOMPOLICY_NO_CACHE", "1")  # nothing kept by an earlier run to put back
    policies = PolicySet.load(ROOT / "benchmarks" / "policies")
    data = {"member_states": workload.member_states()}
    documents = workload.proposals(WARM_UP + 5)
    for document in documents[:WARM_UP]:
        policies.check(document, data=data, validate=False)
    assert "proposal" not in policies._programs  # a short run never pays for writing the code
    for document in documents[WARM_UP:]:
        policies.check(document, data=data, validate=False)
    assert "proposal" in policies._programs


def test_a_selection_gets_its_own_function_of_the_chosen_clauses():
    policies = PolicySet.load(ROOT / "benchmarks" / "policies")
    data = {"member_states": workload.member_states()}
    document = workload.proposals(1)[0]
    chosen = policies.check(document, data=data, validate=False, evaluator="generated",
                            select=lambda clause: clause.id.endswith("ceiling"))
    closures = policies.check(document, data=data, validate=False, evaluator="closures",
                              select=lambda clause: clause.id.endswith("ceiling"))
    assert [r.clause for r in chosen.results] == [r.clause for r in closures.results] == \
        ["national_ceiling", "regional_ceiling"]
    assert chosen.to_dict() == closures.to_dict()


def test_a_stopped_check_stops_in_the_generated_code():
    flag = threading.Event()
    flag.set()
    with stoppable(flag), pytest.raises(Stopped):
        SHIPPED.check(workload.proposals(1)[0], validate=False, evaluator="generated")


def test_an_unknown_evaluator_is_refused():
    with pytest.raises(ValueError, match="unknown evaluator `fast`"):
        SHIPPED.check(workload.proposals(1)[0], validate=False, evaluator="fast")


def test_a_condition_written_alike_in_several_clauses_is_decided_once_per_document():
    policies = PolicySet.load(ROOT / "benchmarks" / "policies")
    listing = policies.compiled_source("proposal")
    assert "shared = _UNSET  # shared: funding.line == 2" in listing  # four clauses write it
    assert listing.count("shared = (") == 4  # computed where first met, on each path that can meet it first


def test_conditions_alike_in_text_but_reading_different_lets_are_not_shared():
    """`limit` is each clause's own let: the same text means two things."""
    text = HEADER + (
        'clause small { title "t" cite "c" quote "q" must\n'
        '  let limit = 100\n  require funding.requested_usd <= limit }\n'
        'clause large { title "t" cite "c" quote "q" must\n'
        '  let limit = 1000\n  require funding.requested_usd <= limit }\n'
        'clause again { title "t" cite "c" quote "q" must\n'
        '  let limit = 1000\n  require funding.requested_usd <= limit }\n')
    policies = PolicySet.from_texts({"lets.iom": text}, TEST_SCHEMAS)
    assert "shared" not in policies.compiled_source("proposal")
    document = {"kind": "proposal", "funding": {"requested_usd": 500}}
    outcomes = [r.outcome.value for r in policies.check(document, validate=False, evaluator="generated").results]
    assert outcomes == ["fail", "pass", "pass"]
    assert outcomes == [r.outcome.value for r in policies.check(document, validate=False, evaluator="closures").results]


def test_lets_and_conditions_written_alike_in_several_clauses_are_worked_out_once():
    """The three follow-up clauses each write `let previous = first(...)`, a scan of the
    funded-projects register, and the same guard, an `and` of three conditions."""
    listing = SHIPPED.compiled_source("proposal")
    assert listing.count("let_previous") and "let_previous_" not in listing  # one local for the three
    assert listing.count("= _UNSET  # shared: funding.line == 2 and funding.follow_up_of exists and "
                         "funding.follow_up_of != null\n") == 1  # one local, decided where first met
    assert listing.count("outside_1 = as_of is None or as_of < FROM") == 1  # the clauses' dates, tested once


def test_lets_alike_in_text_but_reading_different_bindings_are_not_shared():
    """`cap` is written alike in both clauses, but `limit` is each clause's own let."""
    text = HEADER + (
        'clause small { title "t" cite "c" quote "q" must\n'
        '  let limit = 100\n  let cap = limit * 2\n  require funding.requested_usd <= cap }\n'
        'clause large { title "t" cite "c" quote "q" must\n'
        '  let limit = 1000\n  let cap = limit * 2\n  require funding.requested_usd <= cap }\n')
    policies = PolicySet.from_texts({"lets.iom": text}, TEST_SCHEMAS)
    document = {"kind": "proposal", "funding": {"requested_usd": 500}}
    for evaluator in ("generated", "closures", "traced"):
        report = policies.check(document, validate=False, evaluator=evaluator)
        assert [r.outcome.value for r in report.results] == ["fail", "pass"], evaluator


@pytest.mark.parametrize("written", ["x == true", "true == x", "x != false", "x == false", "false != x", "x != true"])
def test_a_comparison_with_true_or_false_decides_as_the_closures_do(written):
    text = HEADER + (
        f'clause flag {{ title "t" cite "c" quote "q" must\n  require {written.replace("x", "government_request")} }}\n')
    policies = PolicySet.from_texts({"flag.iom": text}, TEST_SCHEMAS)
    for value in (True, False, None, 1, 0, "true", [True]):
        document = {"kind": "proposal", "government_request": value}
        outcomes = {evaluator: policies.check(document, validate=False, evaluator=evaluator).results[0].outcome.value
                    for evaluator in ("generated", "closures", "traced")}
        assert len(set(outcomes.values())) == 1, (value, outcomes)
    absent = {evaluator: policies.check({"kind": "proposal"}, validate=False, evaluator=evaluator).results[0].outcome
              for evaluator in ("generated", "closures")}
    assert len(set(absent.values())) == 1


def test_an_undecided_shared_condition_is_undecided_in_every_clause_that_reads_it():
    text = HEADER + "".join(f'clause c{i} {{ title "t" cite "c" quote "q" must\n  when funding.line == 2\n'
                            f'  require applicant == "UGA" }}\n' for i in range(3))
    policies = PolicySet.from_texts({"shared.iom": text}, TEST_SCHEMAS)
    assert "shared: funding.line == 2" in policies.compiled_source("proposal")
    for funding, expected in (({"line": "two"}, "error"), ({"line": 2}, "fail"), ({"line": 1}, "not_applicable")):
        document = {"kind": "proposal", "applicant": "KEN", "funding": funding}
        for evaluator in ("generated", "closures"):
            report = policies.check(document, validate=False, evaluator=evaluator)
            assert [r.outcome.value for r in report.results] == [expected] * 3, (funding, evaluator)


@pytest.mark.parametrize("written", [9, 13, 2, Decimal("2.5"), Decimal("12"), "UGA", "national", "",
                                     0, 1, Decimal("1.0"), "2008-01-01", "20080101"])
def test_pythons_in_is_used_only_where_it_finds_what_member_finds(written):
    """`N in list` compiles to Python's `in` for a policy's value only when, over any list,
    Python finds the value exactly when `operations.member` does."""
    import datetime as dt

    from iompolicy.evaluation.operations import member

    lists = [[], [9], [True, False], [1, 0], [Decimal("9"), 13], ["UGA", "national"], [dt.date(2008, 1, 1)],
             ["2008-01-01"], [None, {"a": 1}, [9]], [Decimal("2.5"), 2], [Decimal("1"), "", 12]]
    agrees = all((written in items) == member(written, items, "item", "list") for items in lists)
    if codegen._found_by_in(written):
        assert agrees
    else:
        assert written in (0, 1, Decimal("1.0"), "2008-01-01", "20080101")  # the values it must refuse


def test_a_text_in_a_list_is_found_as_member_finds_it_by_every_evaluator():
    """Python's `in` answers first when it finds the text; when it does not, `member` decides
    (a date in the list equals the text that writes it)."""
    import datetime as dt

    text = HEADER + 'clause named { title "t" cite "c" quote "q" must\n  require applicant in beneficiary_states }\n'
    policies = PolicySet.from_texts({"in.iom": text}, TEST_SCHEMAS)
    for applicant, states, expected in (("UGA", ["KEN", "UGA"], "pass"), ("UGA", ["KEN"], "fail"),
                                        ("2008-01-01", [dt.date(2008, 1, 1)], "pass"),
                                        ("2008", [Decimal("2008")], "fail"), ("UGA", [], "fail")):
        document = {"kind": "proposal", "applicant": applicant, "beneficiary_states": states}
        outcomes = {evaluator: policies.check(document, validate=False, evaluator=evaluator).results[0].outcome.value
                    for evaluator in ("generated", "closures", "traced")}
        assert set(outcomes.values()) == {expected}, (states, outcomes)


def _cache_in(tmp_path, monkeypatch):
    monkeypatch.delenv("IOMPOLICY_NO_CACHE", raising=False)
    monkeypatch.setenv("IOMPOLICY_CACHE_DIR", str(tmp_path / "cache"))


def test_a_run_past_the_warm_up_keeps_its_function_and_the_next_run_puts_it_back(tmp_path, monkeypatch):
    """Writing the function is paid once per policy texts and readings, not once per run:
    the next run's function is the kept one (its source, its verdicts), and nothing is
    written again."""
    _cache_in(tmp_path, monkeypatch)
    data = {"member_states": workload.member_states(), "funded_projects": workload.funded_projects()}
    documents = workload.proposals(WARM_UP + 1, seed=7)
    first = PolicySet.load(ROOT / "policies")
    for document in documents:
        first.check(document, data=data, validate=False)
    written = first._programs["proposal"]
    assert len(list((tmp_path / "cache").glob("program-*.pickle"))) == 1

    monkeypatch.setattr(codegen, "generate", lambda *args: pytest.fail("written again"))
    second = PolicySet.load(ROOT / "policies")
    for document in documents:
        kept = second.check(document, data=data, validate=False)
        closures = second.check(document, data=data, validate=False, evaluator="closures")
        assert kept.to_dict() == closures.to_dict()
    assert second._programs["proposal"].source == written.source
    assert second.compiled_source("proposal") == first.compiled_source("proposal")


def test_a_kept_function_is_put_back_only_for_its_clauses_and_readings(tmp_path, monkeypatch):
    """A parameter's reading is a value of the function's namespace: the function kept
    under one reading is never put back under another, which gets its own."""
    from iompolicy.evaluation.program_store import restored, stored_form

    _cache_in(tmp_path, monkeypatch)
    default = PolicySet.load(ROOT / "policies")
    clauses = default.clauses("facility_budget")
    default._program("facility_budget")  # written, and kept
    assert default._kept_program("facility_budget", clauses) is not None
    from iompolicy.evaluation import program_store

    with monkeypatch.context() as patched:  # written by another code generator (an edited checkout)
        patched.setattr(program_store, "generator", lambda: "another")
        assert default._kept_program("facility_budget", clauses) is None
    this_generator = program_store.generator()
    with monkeypatch.context() as patched:  # the outcome codes it spells into the source are its too
        patched.setattr(program_store, "FAIL", 99)
        program_store.generator.cache_clear()
        assert program_store.generator() != this_generator
    program_store.generator.cache_clear()
    assert program_store.generator() == this_generator
    other = PolicySet.load(ROOT / "policies", readings={"cap_lines": "line2_only"})
    assert other._kept_program("facility_budget", other.clauses("facility_budget")) is None
    form = stored_form(default._programs["facility_budget"], clauses, default.readings)
    assert restored(form, clauses, other.readings) is None  # the form itself says which readings
    assert restored(form, clauses[:-1], default.readings) is None  # and which clauses
    assert restored(form, clauses, default.readings) is not None
    damaged = form[:3] + (b"not code",) + form[4:]
    assert restored(damaged, clauses, default.readings) is None  # ignored and written again, as any damaged entry
    budgets = [load_file(path) for path in sorted((EXAMPLES / "budgets").glob("*.yaml"))]
    for policies in (other, PolicySet.load(ROOT / "policies", readings={"cap_lines": "line2_only"})):
        for budget in budgets:
            assert policies.check(budget, validate=False, evaluator="generated").to_dict() == \
                policies.check(budget, validate=False, evaluator="closures").to_dict()


def test_a_function_whose_names_stand_for_what_cannot_be_kept_is_not_kept():
    from iompolicy.evaluation.program_store import stored_form
    from iompolicy.values import MISSING

    policies = PolicySet.load(ROOT / "benchmarks" / "policies")
    program = codegen.generate(policies.clauses("proposal"), "proposal")
    assert stored_form(program, policies.clauses("proposal"), policies.readings) is not None
    program.judge.__globals__["K_odd"] = MISSING  # its identity is its meaning: a copy would not be it
    assert stored_form(program, policies.clauses("proposal"), policies.readings) is None


def test_a_file_let_is_explained_with_the_names_of_its_own_scope():
    """A clause's `let x` hides the file's `x` in the clause, not in the file's `let ok = x < 12`
    written before it. The tracer read `x` in the clause's scope: traced, the clause failed
    (`ok = x (100,000) < 12`) where the closures and the generated code pass; a failed
    clause's explanation read the same wrong value."""
    text = HEADER + ('let x = duration_months\nlet ok = x < 12\n'
                     'clause c1 { title "t" cite "c" quote "q" must\n  let x = funding.requested_usd\n  require ok }\n'
                     'clause c2 { title "t" cite "c" quote "q" must\n  let x = funding.requested_usd\n'
                     '  require ok and x < 10 }\n')
    policies = PolicySet.from_texts({"scope.iom": text}, TEST_SCHEMAS)
    document = {"kind": "proposal", "duration_months": 6, "funding": {"requested_usd": 100000}}
    for evaluator in ("generated", "closures", "traced"):
        report = policies.check(document, validate=False, evaluator=evaluator)
        assert [r.outcome.value for r in report.results] == ["pass", "fail"], evaluator
        explanation = report.results[1].explanation
        assert "where ok = x (6) < 12 = true" in explanation, explanation  # the file's x, not the clause's


def test_a_clause_let_that_reads_the_file_let_of_its_name_is_explained_without_recursion():
    """`let n1 = n1` in a clause reads the file's `n1`; the tracer looked the name up in the
    clause's scope and called itself until Python's recursion limit."""
    text = HEADER + ('let n1 = funding.line\n'
                     'clause c1 { title "t" cite "c" quote "q" must\n  let n1 = n1\n  require n1 > 1 }\n')
    policies = PolicySet.from_texts({"recursion.iom": text}, TEST_SCHEMAS)
    document = {"kind": "proposal", "funding": {"line": 1}}
    for evaluator in ("generated", "closures", "traced"):
        (result,) = policies.check(document, validate=False, evaluator=evaluator).results
        assert result.outcome.value == "fail", evaluator
        assert result.explanation.splitlines() == ["n1 (1) > 1", "where n1 = funding.line (1) = 1",
                                                   "where n1 = n1 (1) = 1"], result.explanation
