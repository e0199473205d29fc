"""GitHub Actions workflow commands: each failing clause as an annotation
(`::error file=...,line=...,col=...,title=...::message`) that a pull request shows on
the line, without code scanning. Written document by document as the run goes.

A failed or undecided clause is `error` or `warning` by its severity (an undecided
clause counts as a failure of its severity); a waived failure is a `notice`; an input
that could not be checked is an `error` at each problem. The run's notices are
`notice` commands and the last line is the summary.

Values are escaped as GitHub's toolkit does (`%`, CR, LF as %25, %0D, %0A; in the
properties also `:` and `,`), so a file name or a message cannot end a command early
or start another.
"""

from __future__ import annotations

from ..report import Outcome
from .printable import printable
from .summary import Summary

_DATA = {ord("%"): "%25", ord("\r"): "%0D", ord("\n"): "%0A"}
_PROPERTY = {**_DATA, ord(":"): "%3A", ord(","): "%2C"}


def command(level: str, message: str, **properties) -> str:
    """One workflow command line, e.g. `::error file=a.yaml,line=3::text`."""
    shown = ",".join(f"{key}={printable(str(value).translate(_PROPERTY))}"
                     for key, value in properties.items() if value is not None)
    return f"::{level}{' ' + shown if shown else ''}::{printable(message.translate(_DATA))}"


def write(reports, summary: Summary, options, out) -> None:
    for report in summary.counting(reports):
        for line in _annotations(report):
            out.write(line + "\n")
    for notice in summary.notices:
        out.write(command("notice", notice, title="iompolicy") + "\n")
    if options.provenance is not None:
        from ..provenance import one_line

        out.write(printable(one_line(options.provenance)) + "\n")
    out.write(printable(summary.line()) + "\n")


def _annotations(report) -> list[str]:
    name = report.path if report.path not in (None, "-", "<stdin>") else None
    lines = [command("error", problem.message + (f" (hint: {problem.hint})" if problem.hint else ""),
                     file=name, line=problem.line, col=problem.column, title="iompolicy: input not checked")
             for problem in report.problems]
    for result in report.results:
        if result.outcome not in (Outcome.FAIL, Outcome.UNDECIDED, Outcome.WAIVED):
            continue
        level = "notice" if result.outcome is Outcome.WAIVED else result.severity
        title = f"{result.clause} [{result.cite}]"
        if result.outcome is Outcome.UNDECIDED:
            title += " could not be decided"
        elif result.outcome is Outcome.WAIVED:
            title += " waived"
        message = result.message or result.title
        if result.outcome is Outcome.WAIVED:
            message = result.waiver.describe() + "\n" + message
        message += "\n" + result.explanation + f"\n{result.cite}: \u201c{result.quote}\u201d"
        lines.append(command(level, message, file=name, line=result.location.line, col=result.location.column,
                             title=title))
    return lines
