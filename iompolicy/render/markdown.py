"""A Markdown audit report a compliance officer can read and file."""

from __future__ import annotations

import datetime as dt
import os

from .. import __version__
from . import gathered
from ..report import Outcome
from .printable import printable

_MARKS = {Outcome.PASS: "pass", Outcome.FAIL: "**FAIL**", Outcome.UNDECIDED: "**UNDECIDED**",
          Outcome.NOT_APPLICABLE: "n/a", Outcome.WAIVED: "*waived*",
          Outcome.INVALID: "**INVALID**"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


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
        f"**Summary:** {summary.line()}",
        "",
    ]
    if summary.notices:
        out += ["**Notices:**", ""] + [f"- {notice}" for notice in summary.notices] + [""]
    for report in reports:
        title = report.path or report.id or "document"
        out += [f"## {title}", ""]
        facts = [f"kind `{report.kind}`" if report.kind else "no known kind"]
        if report.id:
            facts.append(f"id `{report.id}`")
        if report.as_of:
            facts.append(f"judged as of {report.as_of}")
        facts.append(f"outcome **{report.outcome.value}**")
        out += [", ".join(facts) + ".", ""]
        out += [f"- note: {notice}" for notice in report.notices] + ([""] if report.notices else [])
        if report.problems:  # an input that could not be checked: what is wrong, where
            out += ["Not checked: the document could not be read or does not match its schema.", ""]
            out += [f"- {problem}" for problem in report.problems] + [""]
            continue
        out += ["| Clause | Citation | Severity | Outcome | Explanation |", "|---|---|---|---|---|"]
        for result in report.results:
            explanation = result.explanation if result.outcome is not Outcome.PASS else ""
            if result.message and result.outcome in (Outcome.FAIL, Outcome.UNDECIDED, Outcome.WAIVED):
                explanation = result.message + ("\n" + explanation if explanation else "")
            if result.waiver is not None and result.waiver.applied:
                explanation = result.waiver.describe() + "\n" + explanation
            out.append(f"| {_cell(result.title)} (`{result.clause}`) | {result.cite} | {result.severity} | "
                       f"{_MARKS[result.outcome]} | {_cell(explanation)} |")
        failed = [r for r in report.results if r.outcome in (Outcome.FAIL, Outcome.UNDECIDED)]
        if failed:
            out += ["", "### What the Strategy says", ""]
            for result in failed:
                out.append(f"- **{result.cite}** (`{result.clause}`): \u201c{result.quote}\u201d")
                if result.note:
                    out.append(f"  - *Interpretation:* {result.note}")
        out.append("")
    return "\n".join(printable(line) for line in out)


write = gathered(render)
