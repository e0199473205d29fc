"""The Markdown report (issue 15): failures first, text from documents escaped, and sized
by the failures, not by the corpus."""

from __future__ import annotations

import io
import re

from markdown_it import MarkdownIt

from audit_corpus import write_audit
from conftest import ROOT
from iompolicy import PolicySet, load_file
from iompolicy.render import RenderOptions, Summary, writer
from iompolicy.run import Run, discover

POLICIES = PolicySet.load(ROOT / "policies")
DATA = [ROOT / "examples" / "data" / name for name in ("member-states.yaml", "funded-projects.yaml")]


def audit_reports(*paths, verbose=False):
    run = Run(POLICIES)
    for name in DATA:
        run.add_data_file(str(name))
    names, missing = discover([str(p) for p in paths])
    assert not missing
    run.add_inputs(names)
    return render(list(run.reports()), verbose=verbose)


def render(reports, verbose=False) -> str:
    out = io.StringIO()
    writer("markdown")(iter(reports), Summary(), RenderOptions.for_policies(POLICIES, verbose=verbose), out)
    return out.getvalue()


def html_of(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("table").enable("strikethrough").render(markdown)


def test_failing_documents_come_first_with_each_failing_clause_located(monkeypatch):
    monkeypatch.chdir(ROOT)
    text = audit_reports("examples")
    failures = text.index("## Documents with failures")
    passing = text.index("## Documents without failures")
    assert text.index("| Failing clause |") < failures < passing
    # every failing result is in the failures section, with its file:line:col
    over = "examples/proposals/04-tajikistan-border-over-ceiling.yaml"
    section = text[failures:passing]
    assert f"| error | **FAIL** | `part3.line2_national_ceiling` | III.5.2 | {over}:18:3 |" in section
    assert "funding.requested\\_usd" not in section.split("```text")[0]  # explanations are in code blocks
    assert "funding.requested_usd (235,000) <= LINE2_NATIONAL_CEILING (200,000)" in section
    assert "<details><summary>" in section
    # a passing document is one line, not a table of its clauses
    assert "- examples/proposals/01-bolivia-climate-line2-national.yaml (proposal, id IDF-2016-BOL-01" in text[passing:]
    assert "\n| Clause | Citation |" not in text  # the every-clause tables only with -v
    assert "\n| Clause | Citation |" in audit_reports("examples", verbose=True)


def test_the_summary_counts_documents_by_outcome_and_ranks_failing_clauses():
    text = audit_reports(ROOT / "examples")
    assert "| failed | 7 |" in text and "| undecided | 2 |" in text and "| **checked** | **17** |" in text
    ranked = re.findall(r"^\| .*\(`([\w.]+)`\) \| [\w.]+ \| \w+ \| (\d+) \| (\d+) \| (\d+) \|$", text, re.MULTILINE)
    totals = [int(failed) + int(undecided) for _, failed, undecided, _ in ranked]
    assert totals == sorted(totals, reverse=True) and totals[0] == 3


HOSTILE = "x | `code` <script>alert(1)</script> **bold** [link](http://evil.example) http://bare.example &amp; ~~s~~"


def test_text_from_a_document_cannot_break_the_table_or_add_markup():
    over = load_file(ROOT / "examples" / "proposals" / "04-tajikistan-border-over-ceiling.yaml").value
    data = {load_file(p).kind: load_file(p).value for p in DATA}
    report = POLICIES.check({**over, "id": HOSTILE}, data=data)._replace(path=HOSTILE + ".yaml")
    text = render([report])
    html = html_of(text)
    for tag in ("<script", "<a ", "<strong>bold", "<code>code", "<s>", "<del>"):
        assert tag not in html, tag
    assert "&lt;script&gt;" in html and "&amp;amp;" in html
    for table in re.findall(r"<table>.*?</table>", html, re.DOTALL):
        widths = {row.count("<td") + row.count("<th") for row in re.findall(r"<tr>.*?</tr>", table, re.DOTALL)}
        assert len(widths) == 1, table  # a `|` in the text did not add a cell
    assert f"{HOSTILE}.yaml: fail" in _plain(html) and f"id {HOSTILE}," in _plain(html)  # and reads as itself


def _plain(html: str) -> str:
    import html as html_module

    return html_module.unescape(re.sub(r"<[^>]+>", "", html))


def test_a_field_the_report_has_no_place_for_is_shown_not_dropped():
    from iompolicy.report import ClauseResult

    over = load_file(ROOT / "examples" / "proposals" / "04-tajikistan-border-over-ceiling.yaml").value
    report = POLICIES.check(over)
    original = ClauseResult.to_dict
    try:  # a field a later change adds (a reading, say); `fix` has its own place now
        ClauseResult.to_dict = lambda self: {**original(self), "later": "ask for USD 200,000 or less"}
        text = render([report])
    finally:
        ClauseResult.to_dict = original
    assert "- later: ask for USD 200,000 or less" in text


def test_the_report_is_sized_by_the_failures_not_by_the_corpus(tmp_path):
    small = audit_reports(*write_audit(tmp_path / "small", 400, 100))
    large = audit_reports(*write_audit(tmp_path / "large", 2000, 100))
    assert "| failed | 100 |" in large and "| **checked** | **2000** |" in large
    assert large.count("### ") == 100  # one section per failing document
    assert len(large.encode()) < 1.02 * len(small.encode())  # 1,600 more passing documents add a few bytes
    assert len(large.encode()) < 200_000
