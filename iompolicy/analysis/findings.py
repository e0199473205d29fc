"""What the analysis reports: findings about clauses, each with where the clause is
written and, when the solver found one, a witness the evaluator has confirmed."""

from __future__ import annotations

from ..records import Record

# code -> (severity, what it means). `error` findings make `analyze` exit 1.
CODES = {
    "conflict": ("error", "no document can pass these must clauses together whenever they apply"),
    "never-applies": ("error", "the clause can never apply to a schema-valid document"),
    "never-fails": ("error", "the clause can never fail on a schema-valid document"),
    "never-passes": ("error", "the clause can never pass on a schema-valid document"),
    "conditional-conflict": ("warning", "under a condition, no document can pass both clauses"),
    "undecided-on-valid-input": ("warning", "a schema-valid document on which the clause is undecided"),
    "redundant": ("warning", "the clause holds whenever the others hold"),
    "regimes-differ": ("warning", "two regimes give different verdicts on a document"),
    "not-analysed": ("note", "the clause uses something the encoding does not model"),
    "internal-inconsistency": ("error", "the evaluator disagrees with the solver: a bug in the encoding"),
}


class ClauseRef(Record, fields="id cite modality kind location"):
    """A clause as findings name it: id, citation, must/should, document kind and
    `file:line:col` of its definition."""

    __slots__ = ()

    @classmethod
    def of(cls, compiled) -> "ClauseRef":
        clause = compiled.clause
        return cls(clause.id, clause.cite, clause.modality, compiled.header.kind,
                   str(clause.span) if clause.span else "")

    def to_dict(self) -> dict:
        return dict(self._asdict())


class Finding(Record, fields="code kind clauses message witness details"):
    """One finding: its `code` (see CODES), the document `kind`, the clauses concerned,
    a one-line `message`, a confirmed `Witness` or None, and `details` (a dict:
    ranges, the regime labels, the reason a clause was not analysed)."""

    __slots__ = ()

    @property
    def severity(self) -> str:
        severity = CODES[self.code][0]
        # a should clause that never fails or never applies is worth a warning, not a failed gate
        if severity == "error" and self.code.startswith("never-") and all(c.modality == "should" for c in self.clauses):
            return "warning"
        return severity

    @property
    def location(self) -> str:
        return self.clauses[0].location if self.clauses else ""

    def to_dict(self) -> dict:
        return {
            "code": self.code, "severity": self.severity, "kind": self.kind, "message": self.message,
            "clauses": [c.to_dict() for c in self.clauses], "location": _location(self.location),
            "witness": self.witness.to_dict() if self.witness is not None else None,
            "details": self.details,
        }


def _location(text: str) -> dict | None:
    """`file:line:col` as a SARIF-like physical location."""
    if not text:
        return None
    path, line, column = text.rsplit(":", 2)
    return {"file": path, "line": int(line), "column": int(column)}
