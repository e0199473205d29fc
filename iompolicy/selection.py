"""`--only` / `--skip`: choosing clauses by id or by citation prefix."""

from __future__ import annotations

from . import nodes as n


def names(clause_id: str, cite: str, pattern: str) -> bool:
    """True when `pattern` is the clause's id, or its citation or one above it
    (`III.5` takes `III.5.2`). Used by --only/--skip and by waivers alike."""
    return clause_id == pattern or cite == pattern or cite.startswith(pattern + ".")


def _matches(clause: n.Clause, pattern: str) -> bool:
    return names(clause.id, clause.cite, pattern)


def selector(only: tuple[str, ...], skip: tuple[str, ...]):
    """A predicate on clauses, or None when every clause is selected."""
    if not only and not skip:
        return None

    def select(clause: n.Clause) -> bool:
        if only and not any(_matches(clause, p) for p in only):
            return False
        return not any(_matches(clause, p) for p in skip)

    return select
