"""`--only` / `--skip`: choosing clauses by id or by citation prefix."""

from __future__ import annotations

from . import nodes as n


def _matches(clause: n.Clause, pattern: str) -> bool:
    """A clause id, or a citation and everything under it (`III.5` takes `III.5.2`)."""
    if clause.id == pattern or clause.cite == pattern:
        return True
    return clause.cite.startswith(pattern + ".")


def selector(only: tuple[str, ...], skip: tuple[str, ...]):
    """A predicate on clauses, or None when every clause is selected."""
    if not only and not skip:
        return None

    def select(clause: n.Clause) -> bool:
        if only and not any(_matches(clause, p) for p in only):
            return False
        return not any(_matches(clause, p) for p in skip)

    return select
