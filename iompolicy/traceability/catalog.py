"""What is said about a clause: its one-line listing and its explanation (quote,
interpretation note, dates in force, rule as written), as data.

`iompolicy list` and `iompolicy explain` print these; the service answers them as
JSON (GET /v1/clauses, GET /v1/clauses/{clause_or_citation}).
"""

from __future__ import annotations

from ..selection import selector
from ..language.unparse import unparse


def listing(compiled) -> dict:
    """id, citation, document kind, severity and title: one row of `iompolicy list`."""
    clause = compiled.clause
    return {"id": clause.id, "cite": clause.cite, "kind": compiled.header.kind,
            "severity": clause.severity, "title": clause.title}


def find(policies, what: str) -> list:
    """The compiled clauses with id `what`, or citing `what` or a provision under it."""
    select = selector((what,), ())
    return [c for c in policies.clauses() if select(c.clause)]


def explanation(compiled) -> dict:
    """Everything `iompolicy explain` shows of a clause, and its text as shown there."""
    clause, header = compiled.clause, compiled.header
    return {
        **listing(compiled),
        "modality": clause.modality,
        "policy": header.id,
        "policy_version": header.version,
        "source": str(clause.span) if clause.span else None,
        "quote": clause.quote,
        "note": clause.note,
        "in_force": {"from": compiled.start.isoformat() if compiled.start else None,
                     "until": compiled.until.isoformat() if compiled.until else None},
        "when": [unparse(guard) for guard in clause.guards],
        "require": [unparse(requirement) for requirement in clause.requires],
        "text": "\n".join(explain_lines(compiled)),
    }


def explain_lines(compiled) -> list[str]:
    """The lines `iompolicy explain` prints for one clause."""
    clause = compiled.clause
    lines = [f"{clause.id} [{clause.cite}] {clause.title}",
             f"  severity: {clause.severity} ({clause.modality}); applies to: {compiled.header.kind}; "
             f"policy: {compiled.header.id}; defined at {clause.span}",
             f"  quote: \u201c{clause.quote}\u201d"]
    if clause.note:
        lines.append(f"  interpretation: {clause.note}")
    if compiled.start or compiled.until:
        window = " ".join(filter(None, (compiled.start and f"from {compiled.start}",
                                        compiled.until and f"until {compiled.until}")))
        lines.append(f"  in force: {window}")
    lines.extend(f"  when {unparse(guard)}" for guard in clause.guards)
    lines.extend(f"  require {unparse(requirement)}" for requirement in clause.requires)
    return lines
