"""`--only` / `--skip`: choosing clauses by id or by citation prefix.

An entry is a clause id (`part3.line2_national_ceiling`) or a citation, which also
takes every provision under it (`III.5` takes `III.5.2`). Several entries may be
given by repeating the option or in one comma-separated entry (`III.5.2,III.5.3`).
An entry that names no clause of the loaded policies is refused (`resolve`), and so
is a selection that leaves no clause at all: either would turn every document into
`not_applicable` and the run green.
"""

from __future__ import annotations

from .language import syntax as n


def pattern_covers(pattern: str, clause_id: str, cite: str) -> bool:
    """True when `pattern` is the clause's id, or its citation or one above it
    (`III.5` takes `III.5.2`). Used by --only/--skip and by waivers alike."""
    return clause_id == pattern or cite == pattern or cite.startswith(pattern + ".")


def _matches(clause: n.Clause, pattern: str) -> bool:
    return pattern_covers(pattern, clause.id, clause.cite)


def selector(only: tuple[str, ...], skip: tuple[str, ...]):
    """A predicate on clauses, or None when every clause is selected."""
    if not only and not skip:
        return None

    def select(clause: n.Clause) -> bool:
        if only and not any(_matches(clause, p) for p in only):
            return False
        return not any(_matches(clause, p) for p in skip)

    return select


class SelectionError(Exception):
    """An --only/--skip entry that names no clause, or a selection that leaves none."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        super().__init__("\n".join(lines))


def resolve(entries, clauses: list[n.Clause], where: str) -> tuple[str, ...]:
    """The entries of one option (`where` names it: `--only`, or `only` in a settings
    file with its line), comma lists split, each checked to name a clause id or a
    citation of `clauses`. Raises SelectionError, with a did-you-mean, otherwise."""
    resolved: list[str] = []
    problems: list[str] = []
    for entry in entries or ():
        parts = [entry] if _names_any(entry, clauses) else [part.strip() for part in entry.split(",")]
        for part in parts:
            if not part:
                problems.append(f"{where}: an empty entry names no clause" + (f" (in `{entry}`)" if entry else ""))
            elif not _names_any(part, clauses):
                problems.append(f"{where}: `{part}` names no clause id or citation of the policies"
                                + did_you_mean(part, clauses))
            else:
                resolved.append(part)
    if problems:
        raise SelectionError(problems + ["hint: `iompolicy list` shows every clause id and citation"])
    return tuple(dict.fromkeys(resolved))


def refuse_empty(only, skip, clauses: list[n.Clause]) -> None:
    """SelectionError when --only and --skip together leave no clause to judge."""
    select = selector(tuple(only or ()), tuple(skip or ()))
    if select is not None and clauses and not any(select(c) for c in clauses):
        raise SelectionError(["--only/--skip leave no clause to judge: every document would be not applicable",
                              "hint: `iompolicy list` shows every clause id and citation"])


def _names_any(pattern: str, clauses: list[n.Clause]) -> bool:
    return any(_matches(clause, pattern) for clause in clauses)


def did_you_mean(pattern: str, clauses: list[n.Clause]) -> str:
    """` (did you mean `X`?)` for the nearest clause id or citation, or nothing."""
    import difflib

    candidates = sorted({c.id for c in clauses} | {c.cite for c in clauses})
    folded = {candidate.casefold(): candidate for candidate in candidates}
    if pattern.casefold() in folded:  # `iii.5.2`, `Part3.x`: ids and citations are case-sensitive
        return f" (did you mean `{folded[pattern.casefold()]}`?)"
    close = difflib.get_close_matches(pattern, candidates, n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""
