"""The shipped Strategy policies: traceability, citations, quotes and policy tests."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from conftest import ROOT
from iompolicy import PolicySet
from iompolicy.cli import main
from iompolicy.traceability.coverage import coverage, problems, render_markdown, trace

POLICIES = ROOT / "policies"
CITATION_SCHEME = (
    [f"PRE.{i}" for i in range(1, 5)] + [f"RES.{i}" for i in range(1, 6)]
    + ["I"] + [f"I.{i}" for i in range(1, 13)] + ["FN.1"]
    + ["II"] + [f"II.{i}" for i in range(1, 5)] + [f"II.3.{c}" for c in "abcdefgh"]
    + ["III"] + [f"III.{i}" for i in range(1, 6)] + [f"III.5.{i}" for i in range(1, 6)]
    + ["DOC"]
)


def _policies() -> PolicySet:
    return PolicySet.load(POLICIES)


def test_every_provision_of_the_citation_scheme_is_listed_once():
    listed = [p.cite for p in _policies().provisions.items]
    assert sorted(listed) == sorted(CITATION_SCHEME)


def test_every_sentence_is_encoded_or_explained():
    policies = _policies()
    rows = trace(policies.files, policies.provisions)
    assert problems(rows) == []
    encoded, unchecked, outside, total = coverage(rows)
    assert encoded + unchecked + outside == total
    sentences = sum(len(p.each_sentence()) for p in policies.provisions.items if not p.document_check)
    assert total == sentences > len(CITATION_SCHEME) - 1  # multi-sentence provisions are split


def test_a_sentence_is_encoded_by_the_clauses_that_quote_it():
    """Part I's chapeau: its fourth sentence is what the Part I clauses quote; the first
    three are not machine-checkable, each for its own reason."""
    policies = _policies()
    rows = [r for r in trace(policies.files, policies.provisions) if r.provision.cite == "I"]
    assert [r.label for r in rows] == ["I (1/4)", "I (2/4)", "I (3/4)", "I (4/4)"]
    assert [r.status for r in rows] == ["not machine-checkable"] * 3 + ["encoded"]
    assert {c[0] for c in rows[3].clauses} == {"part1.request_of_member_states", "part1.activities_listed"}


def test_sentences_that_do_not_make_up_their_provision_are_refused(tmp_path):
    from iompolicy.traceability.provisions import ProvisionsError, load_provisions

    text = (POLICIES / "provisions.yaml").read_text(encoding="utf-8")
    (tmp_path / "provisions.yaml").write_text(text.replace(
        '      - text: "A streamlined governance structure should be in place until such time as the aforementioned '
        'amendments enter into force."\n', ""))
    with pytest.raises(ProvisionsError, match="the sentences of II do not make up its text"):
        load_provisions(tmp_path)


def test_every_clause_cites_a_provision_of_the_scheme():
    for compiled in _policies().clauses():
        assert compiled.clause.cite in CITATION_SCHEME, compiled.clause.id


def test_traceability_document_is_current():
    policies = _policies()
    readers = [c.info for c in policies.clauses() if c.info.readings]
    expected = render_markdown(trace(policies.files, policies.provisions), policies.provisions.source,
                               policies.parameters(), readers)
    assert (ROOT / "docs" / "traceability.md").read_text(encoding="utf-8") == expected, \
        "run: iompolicy trace --format markdown > docs/traceability.md"


def _copy_policies(tmp_path, old: str, new: str) -> None:
    """The shipped policy folder with one edit in its .iom files."""
    for path in POLICIES.glob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            if path.suffix == ".iom":
                text = text.replace(old, new)
            (tmp_path / path.name).write_text(text)


def test_a_misquoted_clause_is_refused(tmp_path):
    _copy_policies(tmp_path, "USD 200,000 under Line 2.", "USD 250,000 under Line 2.")
    result = CliRunner().invoke(main, ["lint", str(tmp_path)])
    assert result.exit_code == 2
    assert "error[quote_not_found]: the quote of clause `part3.line2_national_ceiling` is not in the text of III.5.2" in result.output


def test_an_unknown_citation_is_refused(tmp_path):
    _copy_policies(tmp_path, 'cite "III.5.3"', 'cite "III.5.6"')
    result = CliRunner().invoke(main, ["lint", str(tmp_path)])
    assert result.exit_code == 2
    assert "error[unknown_citation]: clause `part3.line2_regional_ceiling` cites `III.5.6`" in result.output


def test_trace_command_reports_coverage():
    result = CliRunner().invoke(main, ["trace"])
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == "coverage: 25 of 57 sentences encoded, 31 not machine-checkable, 1 out of scope"


def test_severity_follows_the_sentence():
    severity = {c.clause.id: c.clause.severity for c in _policies().clauses()}
    assert severity["part2.executive_committee_not_enlarged"] == "warning"   # "should not be ... enlarged"
    assert severity["part2.scpf_meets_twice_a_year"] == "warning"            # "would normally meet"
    assert severity["part2.scpf_rules_approved_by_council"] == "error"       # "shall be subject to approval"
    assert severity["part2.subcommittee_abolished"] == "error"               # "to abolish"
    assert severity["part3.line2_national_ceiling"] == "error"               # "will be"
    assert severity["part3.line2_article4"] == "error"                       # "will not be eligible"


def test_every_clause_is_proven_both_ways_by_the_policy_tests():
    result = CliRunner().invoke(main, ["test"])
    assert result.exit_code == 0, result.output
    last = result.output.splitlines()[-1]
    assert " 0 mismatches; 100.0% of " in last, last
    assert "never seen" not in result.output


def test_policy_test_run_reports_a_wrong_expectation(tmp_path):
    (tmp_path / "cases.yaml").write_text(
        "data:\n"
        f"  member_states: {ROOT / 'examples/data/member-states.yaml'}\n"
        "cases:\n"
        "  - name: wrong\n"
        f"    base: {ROOT / 'examples/proposals/04-tajikistan-border-over-ceiling.yaml'}\n"
        "    expect: {part3.line2_national_ceiling: pass}\n"
    )
    result = CliRunner().invoke(main, ["test", str(tmp_path), "--min-coverage", "0"])
    assert result.exit_code == 1
    assert "case `wrong`: part3.line2_national_ceiling expected pass, got fail" in result.output
    assert "1 cases, 1 mismatches" in result.output


def test_document_checks_quote_their_own_provision():
    """Issue 13: a DOC clause quotes its own entry of provisions.yaml, never a sentence of the
    Strategy (a Line 1 mismatch must not print the Line 2 ceiling)."""
    policies = _policies()
    own = policies.provisions.get("DOC").text
    documents = [c.clause for c in policies.clauses() if c.clause.cite == "DOC"]
    assert len(documents) == 4
    for clause in documents:
        assert clause.quote in own, clause.id
        assert "Line 2" not in clause.quote, clause.id
