"""A Markdown audit report for a pull request or a memo, failures first.

It opens with the verdict (documents by outcome, failing clauses ranked), then each
document that failed, was undecided, had a failure waived or could not be checked,
with its failing clauses (severity, clause, citation, `file:line:col`, message) and,
folded in a `<details>` block, the explanations with their values and the Strategy's
sentence. Passing documents are one line each, or a count in a big audit, so the
report grows with the failures, not with the corpus. `-v` adds every clause of every
document.

Text that comes from documents or file names is escaped (`markdown_text`): it cannot
close a table cell, open a link or emphasis, or carry HTML.
"""

from __future__ import annotations

import datetime as dt
import os
import re

from .. import __version__
from ..evaluation.missing import data_files
from ..report import Outcome, readings_line
from . import digest_of, gathered
from .printable import printable

PASSING_LISTED_UP_TO = 100  # passing documents named one per line; beyond, a count
_MARKS = {Outcome.PASS: "pass", Outcome.FAIL: "**FAIL**", Outcome.UNDECIDED: "**UNDECIDED**",
          Outcome.NOT_APPLICABLE: "n/a", Outcome.WAIVED: "*waived*", Outcome.INVALID: "**INVALID**"}
_SHOWN = (Outcome.FAIL, Outcome.UNDECIDED, Outcome.WAIVED)  # the results a failing document lists
_DOCUMENT_OUTCOMES = [(Outcome.FAIL, "failed"), (Outcome.UNDECIDED, "undecided"),
                      (Outcome.INVALID, "invalid (could not be checked)"), (Outcome.WAIVED, "passed with a waiver"),
                      (Outcome.PASS, "passed"), (Outcome.NOT_APPLICABLE, "no clause applied")]
# Fields a result's JSON shape has that the report shows in their own place; any other
# field (added later: a fix, a reading) is shown under the explanation by its name.
_PLACED = {"clause", "cite", "title", "severity", "outcome", "message", "explanation", "location", "quote", "note",
           "policy", "policy_version", "clause_source", "waiver", "readings", "fix",
           "missing"}

# Characters that mean something to Markdown inline (CommonMark lets any ASCII
# punctuation be escaped with a backslash); <, > and & become HTML entities.
_MARKDOWN_ESCAPES = {ord(c): "\\" + c for c in "\\`*_[]|~#!"}
_MARKDOWN_ESCAPES.update({ord("<"): "&lt;", ord(">"): "&gt;", ord("&"): "&amp;"})
_LINK_SCHEME = re.compile(r"(?i)\b(https?|ftp|mailto|www)([:.])")


def markdown_text(text: str) -> str:
    """Text shown as itself in Markdown (a table cell, a list item): markup escaped, a
    bare address not turned into a link, line breaks as `<br>`, control characters escaped."""
    text = _LINK_SCHEME.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", text.translate(_MARKDOWN_ESCAPES))
    return printable("<br>".join(text.splitlines()))


def _code_block(text: str) -> list[str]:
    """A fenced block whose fence is longer than any run of backticks in the text."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + "text", *(printable(line) for line in text.splitlines()), fence]


def report_date(options) -> dt.date:
    """The date the report is dated: `options.date`, else SOURCE_DATE_EPOCH (reproducible
    builds: seconds since 1970, UTC), else today."""
    if options.date:
        return options.date
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
        except (ValueError, OverflowError, OSError):
            pass
    return dt.date.today()


def render(reports, summary, options) -> str:
    out = [
        "# iompolicy audit report",
        "",
        f"Checked against the IOM Strategy (Council Resolution No. 1150 (XCIII)) by iompolicy {__version__}"
        f" on {report_date(options).isoformat()}.",
        "",
        f"**Result:** {markdown_text(summary.line())}",
        "",
    ]
    out += _verdict(reports, summary)
    if summary.notices:
        out += ["**Notices:**", ""] + [f"- {markdown_text(notice)}" for notice in summary.notices] + [""]
    if summary.missing:
        out += ["**Missing facts, most needed first** (each leaves clauses undecided):", ""]
        out += [markdown_text(line) for line in summary.missing.lines(data_files(options.provenance))] + [""]
    failing = [r for r in reports if r.outcome in (*_SHOWN, Outcome.INVALID)]
    if failing:
        out += ["## Documents with failures", ""]
        for report in failing:
            out += _failing_document(report, options)
    out += _passing(reports)
    if options.provenance is not None:
        out += _provenance(options.provenance, reports, options)
    if options.verbose:
        out += ["## Every clause of every document", ""]
        for report in reports:
            out += _every_clause(report)
    return "\n".join(out).rstrip("\n") + "\n"


def _name(report) -> str:
    return markdown_text(report.path or report.id or "document")


def _verdict(reports, summary) -> list[str]:
    by_outcome = summary.documents_by_outcome
    out = ["| Documents | |", "|---|---:|"]
    out += [f"| {label} | {by_outcome[o.value]} |" for o, label in _DOCUMENT_OUTCOMES if by_outcome[o.value]]
    out += [f"| **checked** | **{summary.documents}** |", ""]
    ranked: dict[str, list] = {}
    for report in reports:
        for result in report.results:
            if result.outcome in _SHOWN:
                row = ranked.setdefault(result.clause, [result, 0, 0, 0])
                row[1 + _SHOWN.index(result.outcome)] += 1
    if ranked:
        out += ["| Failing clause | Citation | Severity | Failed | Undecided | Waived |", "|---|---|---|---:|---:|---:|"]
        for result, failed, undecided, waived in sorted(ranked.values(), key=lambda r: (-r[1] - r[2], -r[3],
                                                                                       r[0].clause)):
            out.append(f"| {markdown_text(result.title)} (`{result.clause}`) | {result.cite} | {result.severity} | "
                       f"{failed} | {undecided} | {waived} |")
        out.append("")
    return out


def _facts(report) -> str:
    facts = [markdown_text(report.kind) if report.kind else "no known kind"]
    if report.id:
        facts.append(f"id {markdown_text(report.id)}")
    if report.as_of:
        facts.append(f"judged as of {report.as_of}")
    readings = readings_line(report.results)
    if readings:  # the reading of the Strategy that judged (a clause's own result carries it too)
        facts.append(f"reading: {markdown_text(readings)}")
    return ", ".join(facts) + "."


def _where(report, result) -> str:
    location = result.location
    if location.line is None:
        return markdown_text(location.path or "")
    return markdown_text(f"{report.path or '<document>'}:{location.line}:{location.column}")


def _failing_document(report, options) -> list[str]:
    digest = digest_of(report, options)
    out = [f"### {_name(report)}: {report.outcome.value}", "",
           _facts(report) + (f" Content digest {digest}." if digest else ""), ""]
    out += [f"- note: {markdown_text(notice)}" for notice in report.notices] + ([""] if report.notices else [])
    if report.problems:  # an input that could not be checked: what is wrong, where
        out += ["Not checked: the document could not be read or does not match its schema.", ""]
        return out + [f"- {markdown_text(str(problem))}" for problem in report.problems] + [""]
    shown = [r for r in report.results if r.outcome in _SHOWN]
    out += ["| Severity | Outcome | Clause | Citation | Where | Message |", "|---|---|---|---|---|---|"]
    for result in shown:
        message = result.message or result.title
        if result.waiver is not None and result.waiver.applied:
            message = result.waiver.describe() + "\n" + message
        out.append(f"| {result.severity} | {_MARKS[result.outcome]} | `{result.clause}` | {result.cite} | "
                   f"{_where(report, result)} | {markdown_text(message)} |")
    out += ["", "<details><summary>Explanations and the Strategy's text</summary>", ""]
    for result in shown:
        out += [f"**`{result.clause}`** ({result.cite}, {markdown_text(result.title)})", ""]
        if result.explanation:
            out += _code_block(result.explanation) + [""]
        if result.outcome is Outcome.FAIL and result.fix is not None:
            out += [f"*Fix:* {markdown_text(result.fix.text())}", ""]
        if result.missing:  # a list: each fact on its own line
            out += ["*Missing:*", ""]
            out += [f"- {markdown_text(fact.text(data_files(options.provenance)))}" for fact in result.missing] + [""]
        out += [f"> {result.cite}: \u201c{markdown_text(result.quote)}\u201d"]
        if result.note:
            out += [">", f"> *Reading:* {markdown_text(result.note)}"]
        out.append("")
        out += _other_fields(result)
    return out + ["</details>", ""]


def _other_fields(result) -> list[str]:
    """Fields of a result this report has no place for yet, shown by name (never dropped)."""
    extra = {k: v for k, v in result.to_dict().items() if k not in _PLACED and v not in (None, "", [], {})}
    return [f"- {markdown_text(key)}: {markdown_text(str(value))}" for key, value in extra.items()] + \
        ([""] if extra else [])


def _passing(reports) -> list[str]:
    passing = [r for r in reports if r.outcome in (Outcome.PASS, Outcome.NOT_APPLICABLE)]
    if not passing:
        return []
    out = ["## Documents without failures", ""]
    if len(passing) <= PASSING_LISTED_UP_TO:
        for report in passing:
            out.append(f"- {_name(report)} ({_facts(report)[:-1]}): {report.outcome.value}")
            out += [f"  - note: {markdown_text(notice)}" for notice in report.notices]
        return out + [""]
    applied = sum(1 for r in passing if r.outcome is Outcome.PASS)
    out += [f"{applied} documents passed every clause that applied and {len(passing) - applied} had no applicable "
            "clause; `-v` lists every clause of every document.", ""]
    readings = readings_line([result for report in passing for result in report.results])
    if readings:
        out += [f"Reading of the Strategy that judged them: {markdown_text(readings)}.", ""]
    noted: dict[str, list] = {}  # a note said of many documents is said once, with how many
    for report in passing:
        for notice in report.notices:  # the same note but for each document's own date is one note
            shared = notice.replace(report.as_of.isoformat(), "(its date)") if report.as_of else notice
            noted.setdefault(shared, []).append(report)
    for notice, reports_noted in noted.items():
        examples = ", ".join(_name(r) for r in reports_noted[:3])
        more = f" and {len(reports_noted) - 3} more" if len(reports_noted) > 3 else ""
        out.append(f"- note on {len(reports_noted)} of them ({examples}{more}): {markdown_text(notice)}")
    return out + ([""] if noted else [])


def _every_clause(report) -> list[str]:
    out = [f"### {_name(report)}", "", _facts(report) + f" Outcome **{report.outcome.value}**.", ""]
    if report.problems:
        return out + [f"- {markdown_text(str(problem))}" for problem in report.problems] + [""]
    out += ["| Clause | Citation | Severity | Outcome | Explanation |", "|---|---|---|---|---|"]
    for result in report.results:
        explanation = result.explanation if result.outcome is not Outcome.PASS else ""
        if result.message and result.outcome in _SHOWN:
            explanation = result.message + ("\n" + explanation if explanation else "")
        if result.waiver is not None and result.waiver.applied:
            explanation = result.waiver.describe() + "\n" + explanation
        out.append(f"| {markdown_text(result.title)} (`{result.clause}`) | {result.cite} | {result.severity} | "
                   f"{_MARKS[result.outcome]} | {markdown_text(explanation)} |")
    return out + [""]


def _provenance(provenance: dict, reports, options) -> list[str]:
    """The run's provenance: enough to reproduce the audit and to verify it (`check --verify`
    on the JSON report of the same run)."""
    as_of = provenance["as_of"].get("date") or provenance["as_of"]["rule"]
    out = ["## Provenance", "",
           f"- iompolicy {markdown_text(provenance['iompolicy_version'])}, run started {provenance['started_at']}, "
           f"judged as of {markdown_text(as_of)}."]
    for policy_set in provenance["policy_sets"]:
        out.append(f"- policies {markdown_text(policy_set['folder'])}: {len(policy_set['files'])} files, "
                   f"digest {policy_set['digest']}")
    out.append("- policies and versions: " + ", ".join(
        markdown_text(f"{p['id']} {p['version'] or '(no version)'}") for p in provenance["policies"]))
    out.append("- named parameters: " + ", ".join(
        markdown_text(f"{p['name']} = {p['value']}") for p in provenance["parameters"]))
    from ..provenance import readings_text

    readings = readings_text(provenance)
    out.append(f"- readings of the Strategy in force: {markdown_text(readings)}" if readings else
               "- readings of the Strategy in force: none (the policies declare no parameter)")
    for data in provenance["data"]:
        out.append(f"- reference data {markdown_text(data['kind'])}: {markdown_text(data['file'])}, "
                   f"digest {data['digest']}, as of {data['as_of'] or 'not stated'}")
    if not provenance["data"]:
        out.append("- reference data: none given")
    waivers = provenance["waivers"]
    out.append(f"- waivers: {markdown_text(waivers['file'])}, digest {waivers['digest']}, "
               + (", ".join(markdown_text(w["id"]) for w in waivers["waivers"]) or "none in it")
               if waivers else "- waivers: none")
    from ..provenance import digest_bytes

    listing = "".join(f"{digest_of(r, options)}  {r.path}\n" for r in reports)
    out.append(f"- {len(reports)} documents; the digest of their digests and names is "
               f"{digest_bytes(listing.encode('utf-8', 'surrogateescape'))} (each failing document's own is above)")
    return out + [""]


write = gathered(render)
