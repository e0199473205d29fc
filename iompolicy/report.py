"""Results: one `ClauseResult` per clause considered, gathered in a `Report`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple


class Outcome(str, Enum):
    """What a clause came to for one document. Never folded into one another."""

    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"
    WAIVED = "waived"  # failed, but a valid waiver covers it

    def __str__(self) -> str:
        return self.value


class Location(NamedTuple):
    """Where in the input a result points: a JSON path and, when known, line and column."""

    path: str | None = None
    line: int | None = None
    column: int | None = None

    def to_dict(self) -> dict:
        return {"path": self.path, "line": self.line, "column": self.column}


NOWHERE = Location()


class ClauseInfo(NamedTuple):
    """What a result says about its clause; one shared object per clause."""

    clause: str
    cite: str
    title: str
    quote: str
    severity: str  # "error" | "warning"
    policy: str
    policy_version: str | None
    clause_source: str  # file:line:col of the clause in its policy file
    note: str | None


class WaiverNote(NamedTuple):
    """The waiver that covered a failed clause, or one that could not (expired)."""

    id: str
    reason: str
    approved_by: str
    decision: str
    granted: str
    expires: str
    applied: bool  # False: it matched but had expired (or was not yet granted)

    def to_dict(self) -> dict:
        return self._asdict()

    def describe(self) -> str:
        state = "waived" if self.applied else f"waiver {self.id} does not apply: in force {self.granted} to {self.expires}"
        if self.applied:
            return (f"waived by {self.id} until {self.expires}: {self.reason} "
                    f"(approved by {self.approved_by}, {self.decision})")
        return state


class ClauseResult(NamedTuple):
    """The verdict of one clause on one document, with everything that explains it.

    Immutable (a named tuple: results are built for every clause of every
    document, so they must be cheap); the clause's own facts are reached
    through `info` or the properties below.
    """

    info: ClauseInfo
    outcome: Outcome
    message: str = ""
    explanation: str = ""
    location: Location = NOWHERE
    waiver: WaiverNote | None = None

    clause = property(lambda self: self.info.clause, doc="The clause id.")
    cite = property(lambda self: self.info.cite, doc="The provision of the Strategy the clause encodes.")
    title = property(lambda self: self.info.title, doc="The clause's title.")
    quote = property(lambda self: self.info.quote, doc="The sentence of the Strategy it encodes.")
    severity = property(lambda self: self.info.severity, doc="`error` (must) or `warning` (should).")
    policy = property(lambda self: self.info.policy, doc="The id of the policy holding the clause.")
    policy_version = property(lambda self: self.info.policy_version, doc="That policy's version.")
    clause_source = property(lambda self: self.info.clause_source, doc="file:line:col of the clause.")
    note = property(lambda self: self.info.note, doc="How an ambiguous sentence was read.")

    def to_dict(self) -> dict:
        """The JSON shape of a result (the names are a contract; see schemas/report.schema.json)."""
        info = self.info
        return {
            "clause": info.clause,
            "cite": info.cite,
            "title": info.title,
            "severity": info.severity,
            "outcome": self.outcome.value,
            "message": self.message,
            "explanation": self.explanation,
            "location": self.location.to_dict(),
            "quote": info.quote,
            "note": info.note,
            "policy": info.policy,
            "policy_version": info.policy_version,
            "clause_source": info.clause_source,
            "waiver": self.waiver.to_dict() if self.waiver else None,
        }


_WORST_FIRST = (Outcome.ERROR, Outcome.FAIL, Outcome.WAIVED, Outcome.PASS, Outcome.NOT_APPLICABLE)


@dataclass(frozen=True, slots=True)
class Report:
    """Every clause's result for one document, in policy order."""

    path: str | None
    kind: str
    id: str | None
    as_of: dt.date | None
    results: tuple[ClauseResult, ...]
    notices: tuple[str, ...] = field(default=())

    @property
    def outcome(self) -> Outcome:
        """`error` if any clause erred, else `fail` if any failed, else `waived` if a
        failure was waived, else `pass` (a document no clause applied to is
        `not_applicable`)."""
        present = {r.outcome for r in self.results}
        return next((o for o in _WORST_FIRST if o in present), Outcome.NOT_APPLICABLE)

    def counts(self) -> dict[str, int]:
        """How many results had each outcome."""
        totals = {o.value: 0 for o in Outcome}
        for result in self.results:
            totals[result.outcome.value] += 1
        return totals

    def failed(self, level: str = "error") -> list[ClauseResult]:
        """Results that fail the run at `level` (`error`: must-clauses only;
        `warning`: should-clauses too). An `error` outcome counts as a failure."""
        severities = {"error"} if level == "error" else {"error", "warning"}
        return [r for r in self.results
                if r.outcome in (Outcome.FAIL, Outcome.ERROR) and r.severity in severities]

    def to_dict(self) -> dict:
        """The JSON shape of a document's report."""
        return {
            "path": self.path,
            "kind": self.kind,
            "id": self.id,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "outcome": self.outcome.value,
            "counts": self.counts(),
            "notices": list(self.notices),
            "results": [r.to_dict() for r in self.results],
        }
