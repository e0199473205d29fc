"""The human report: failures first and in full, one summary line."""

from __future__ import annotations

from ..evaluation.missing import data_files
from ..report import Outcome, readings_line
from . import digest_of
from .printable import printable
from .summary import Summary

_COLOURS = {Outcome.FAIL: "red", Outcome.UNDECIDED: "magenta", Outcome.PASS: "green", Outcome.NOT_APPLICABLE: None,
            Outcome.WAIVED: "cyan", Outcome.INVALID: "red"}
WARNING = "yellow"  # a failed or undecided `should` clause, and a document that has nothing worse
_LISTED = (Outcome.FAIL, Outcome.UNDECIDED, Outcome.INVALID)  # what --quiet lists


def _colour(result) -> str | None:
    """A shown result's colour: a warning is yellow, not the red of an error."""
    if result.severity == "warning" and result.outcome in (Outcome.FAIL, Outcome.UNDECIDED):
        return WARNING
    return _COLOURS[result.outcome]


def _document_colour(report) -> str | None:
    """A document's colour: its outcome's, or yellow when all that failed were warnings."""
    if report.outcome in (Outcome.FAIL, Outcome.UNDECIDED) and not report.problems and all(
            r.severity == "warning" for r in report.results if r.outcome in (Outcome.FAIL, Outcome.UNDECIDED)):
        return WARNING
    return _COLOURS[report.outcome]


def _style(text: str, colour: bool, **kwargs) -> str:
    """The line made printable, then coloured (the colour's own escapes are ours)."""
    text = printable(text)
    if not colour:
        return text
    import click  # only for colour, which only the command line (on a terminal) asks for

    return click.style(text, **kwargs)


def write(reports, summary: Summary, options, out) -> None:
    """Each document as it is checked: failures in full, then one summary line. `quiet`
    leaves out the documents with nothing failed, undecided or invalid, and says how many."""
    unlisted = 0
    for report in summary.counting(reports):
        if options.quiet and report.outcome not in _LISTED and not report.problems:
            unlisted += 1
            continue
        out.write("\n".join(_document(report, options)) + "\n")
    if unlisted:
        out.write(f"{unlisted} document{'' if unlisted == 1 else 's'} with nothing failed or undecided "
                  "not listed (--no-quiet lists them)\n")
    for notice in summary.notices:
        out.write("\n".join(_lines(notice, "note: ", "      ")) + "\n")
    if summary.missing:
        lines = summary.missing.lines(data_files(options.provenance))
        out.write("\n".join([printable("missing facts, most needed first:"),
                              *(printable("  " + line) for line in lines)]) + "\n")
    if options.provenance is not None:
        from ..provenance import one_line

        out.write(printable(one_line(options.provenance)) + "\n")
    out.write(summary.line() + "\n")


def _document(report, options) -> list[str]:
    colour = options.colour
    verbose = options.verbose
    name = report.path or "<document>"
    title = f"{report.kind or 'unknown kind'} {report.id}" if report.id else report.kind or "unknown kind"
    as_of = f", as of {report.as_of}" if report.as_of else ""
    outcome = report.outcome
    out = [_style(f"{name} ({title}{as_of}): {outcome.value}", colour, bold=True, fg=_document_colour(report))]
    if verbose and (digest := digest_of(report, options)):
        out.append(printable(f"  digest {digest}"))
    for notice in report.notices:
        out.extend(_lines(notice, "  note: ", "        "))
    readings = readings_line(report.results)
    if readings:  # the reading of the Strategy that judged: said even when every clause passed
        out.append(printable(f"  reading: {readings}"))
    for problem in report.problems:  # an input that could not be checked: each thing wrong, located
        out.append(_style(f"  {problem}", colour, fg=_COLOURS[Outcome.INVALID]))
    for result in report.results:
        shown = result.outcome in (Outcome.FAIL, Outcome.UNDECIDED, Outcome.WAIVED)
        if not shown and not verbose:
            continue
        where = name
        if result.location.line is not None:
            where += f":{result.location.line}:{result.location.column}"
        level = result.severity if shown else result.outcome.value
        if result.outcome is Outcome.UNDECIDED:
            level = f"{result.severity} (undecided)"
        elif result.outcome is Outcome.WAIVED:
            level = f"{result.severity} (waived)"
        head = f"  {where}: {level} {result.clause} [{result.cite}] {result.title}"
        out.append(_style(head, colour, fg=_colour(result) if shown else None))
        if not shown:
            if result.outcome is Outcome.NOT_APPLICABLE and result.explanation:
                out.extend(_lines(result.explanation, "      "))
            continue
        if result.waiver is not None and result.waiver.applied:
            out.extend(_lines(result.waiver.describe(), "      "))
        if result.message and result.message != result.title and result.message not in result.explanation:
            out.extend(_lines(result.message, "      "))
        out.extend(_lines(result.explanation, "      "))
        if result.outcome is Outcome.FAIL and result.fix is not None:
            out.extend(_lines(result.fix.text(), "      fix: ", "           "))
        for fact in result.missing:
            out.extend(_lines(fact.text(data_files(options.provenance)), "      missing: ", "               "))
        out.append(_style(f"      {result.cite}: \u201c{result.quote}\u201d", colour, dim=True))
        if result.note and verbose:
            out.extend(_lines(result.note, "      note: ", "            "))
    return out


def _lines(text: str, first: str, rest: str | None = None) -> list[str]:
    """Text of several lines (a waiver's reason, a policy's message), each line indented and
    made printable, so that no line of it can pass for a line of the report's own."""
    rest = first if rest is None else rest
    return [printable((first if number == 0 else rest) + line) for number, line in enumerate(text.splitlines())]
