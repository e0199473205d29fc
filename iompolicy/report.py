"""Results: one `ClauseResult` per clause considered, gathered in a `Report`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum


class Outcome(str, Enum):
    """What a clause came to for one document. Never folded into one another."""

    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Location:
    """Where in the input a result points: a JSON path and, when known, line and column."""

    path: str | None = None
    line: int | None = None
    column: int | None = None

    def to_dict(self) -> dict:
        return {"path": self.path, "line": self.line, "column": self.column}


@dataclass(frozen=True, slots=True)
class ClauseResult:
    """The verdict of one clause on one document, with everything that explains it."""

    clause: str
    cite: str
    title: str
    quote: str
    severity: str  # "error" | "warning"
    outcome: Outcome
    message: str
    explanation: str
    location: Location
    policy: str
    policy_version: str | None
    clause_source: str  # file:line:col of the clause in its policy file
    note: str | None = None

    def to_dict(self) -> dict:
        """The JSON shape of a result (the names are a contract; see docs/api.md)."""
        return {
            "clause": self.clause,
            "cite": self.cite,
            "title": self.title,
            "severity": self.severity,
            "outcome": self.outcome.value,
            "message": self.message,
            "explanation": self.explanation,
            "location": self.location.to_dict(),
            "quote": self.quote,
            "note": self.note,
            "policy": self.policy,
            "policy_version": self.policy_version,
            "clause_source": self.clause_source,
        }


_WORST_FIRST = (Outcome.ERROR, Outcome.FAIL, Outcome.PASS, Outcome.NOT_APPLICABLE)


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
        """`error` if any clause erred, else `fail` if any failed, else `pass`
        (a document no clause applied to is `not_applicable`)."""
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
