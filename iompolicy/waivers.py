"""Governed waivers: named exceptions to named clauses, with a reason, an approver,
a decision and dates.

A failed clause that a waiver in force covers becomes `waived`; a waiver that
matches but is not in force at the date the document is judged as of leaves the
clause failed and says so; a waiver that matches nothing, or covers a clause that
passed, is reported (a stale waiver is a smell).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .documents import Document
from .globs import matches
from .report import ClauseResult, Outcome, Report, WaiverNote
from .selection import pattern_covers


@dataclass(frozen=True)
class Pin:
    """One entry of a waiver's `documents` written as a mapping: every field given must
    match the document (its `id`, a `path` pattern, the `sha256` of its file's bytes)."""

    id: str | None = None
    path: str | None = None
    sha256: str | None = None

    def covers(self, report: Report, digest: str | None) -> bool:
        return ((self.id is None or (report.id is not None and _takes(self.id, report.id)))
                and (self.path is None or (report.path is not None and matches(self.path, report.path)))
                and (self.sha256 is None or self.sha256 == digest))

    def __str__(self) -> str:
        return " ".join(f"{key}={value}" for key, value in vars(self).items() if value is not None)


def _takes(pattern: str, name: str) -> bool:
    return name == pattern or matches(pattern, name)


@dataclass(frozen=True)
class Waiver:
    """One waiver as written in a waivers file."""

    id: str
    clause: str
    documents: tuple[str | Pin, ...]
    reason: str
    approved_by: str
    decision: str
    granted: dt.date
    expires: dt.date

    def covers_clause(self, result: ClauseResult) -> bool:
        """By clause id, or by citation and every provision under it."""
        return pattern_covers(self.clause, result.clause, result.cite)

    def covers_document(self, report: Report, digest: str | None = None) -> bool:
        """By document id, or by a pattern on its id or path (`*` does not cross `/`), or by
        a pin that names its id, path and the SHA-256 of its file (`digest`)."""
        for entry in self.documents:
            if isinstance(entry, Pin):
                if entry.covers(report, digest):
                    return True
            elif any(name is not None and _takes(entry, name) for name in (report.id, report.path)):
                return True
        return False

    @property
    def pins_digest(self) -> bool:
        """Whether a document must have its SHA-256 worked out to be matched."""
        return any(isinstance(entry, Pin) and entry.sha256 for entry in self.documents)

    def in_force(self, day: dt.date | None) -> bool:
        return day is not None and self.granted <= day <= self.expires

    def note(self, applied: bool) -> WaiverNote:
        return WaiverNote(self.id, self.reason, self.approved_by, self.decision,
                          self.granted.isoformat(), self.expires.isoformat(), applied)


def read_waivers(document: Document) -> list[Waiver]:
    """Waivers from a schema-valid waivers document."""
    return [
        Waiver(w["id"], w["clause"], tuple(d if isinstance(d, str) else Pin(**d) for d in w["documents"]),
               w["reason"], w["approved_by"], w["decision"],
               dt.date.fromisoformat(w["granted"]), dt.date.fromisoformat(w["expires"]))
        for w in document.value["waivers"]
    ]


@dataclass
class WaiverLedger:
    """Applies waivers to reports and remembers which were used, for the stale list."""

    waivers: list[Waiver]
    used: set[str] = field(default_factory=set)
    notices: list[str] = field(default_factory=list)

    @property
    def pins_digest(self) -> bool:
        """Whether some waiver is pinned to the SHA-256 of a document's file."""
        return any(w.pins_digest for w in self.waivers)

    def apply(self, report: Report, digest: str | None = None) -> Report:
        """The report with every failure that a waiver in force covers marked `waived`
        (`digest`: the SHA-256 of the document's file, for waivers pinned to one)."""
        candidates = [w for w in self.waivers if w.covers_document(report, digest)]
        if not candidates:
            return report
        results = []
        for result in report.results:
            matching = [w for w in candidates if w.covers_clause(result)]
            if matching:
                self.used.update(w.id for w in matching)
                result = self._judge(result, matching, report)
            results.append(result)
        return report._replace(results=tuple(results))

    def _judge(self, result: ClauseResult, matching: list[Waiver], report: Report) -> ClauseResult:
        where = report.path or report.id or "document"
        if result.outcome is Outcome.PASS:
            for waiver in matching:
                self.notices.append(f"waiver {waiver.id} covers {result.clause} on {where}, "
                                    "which passed: the waiver is not needed")
            return result
        if result.outcome is not Outcome.FAIL:
            return result  # an undecided clause is not a failure to waive; n/a needs nothing
        in_force = [w for w in matching if w.in_force(report.as_of)]
        if in_force:
            waiver = in_force[0]
            return result.replace(outcome=Outcome.WAIVED, waiver=waiver.note(True))
        waiver = matching[0]
        when = f"the document is judged as of {report.as_of}" if report.as_of else "the document's date is not known"
        explanation = (result.explanation + "\n" if result.explanation else "") + \
            f"waiver {waiver.id} does not apply: in force {waiver.granted} to {waiver.expires}, and {when}"
        return result.replace(explanation=explanation, waiver=waiver.note(False))

    def stale(self) -> list[str]:
        """Waivers that matched no clause of any checked document."""
        return [f"waiver {w.id} ({w.clause} on {', '.join(map(str, w.documents))}) matched nothing: remove it or fix it"
                for w in self.waivers if w.id not in self.used]
