"""The notices of one document's report: what a reader must know beside the verdicts.

Nothing is passed in silence: a document that no clause applied to says why; a
document dated after a later text that may govern says so; a register of flat facts
as of another year than the document's says that its facts may not be that year's.
"""

from __future__ import annotations

import datetime as dt

from .report import Outcome

def no_clause_applied(results, judged_on: dt.date | None, starts: list[dt.date]) -> list[str]:
    """Why no clause applied, when none did (an empty list otherwise)."""
    if not results:
        return []
    if any(r.outcome is not Outcome.NOT_APPLICABLE for r in results):
        return []
    if judged_on is not None and starts and judged_on < min(starts):
        return [f"no clause applied to this document: it is dated {judged_on}, before the policies' "
                f"effective dates (in force from {min(starts)}); it is not a pass"]
    return ["no clause applied to this document: no clause's conditions select it; it is not a pass"]


def later_texts(provisions, judged_on: dt.date | None) -> list[str]:
    """The notices of the later texts that may govern a document of this date."""
    if provisions is None or judged_on is None:
        return []
    return [f"dated {judged_on}, after {text.after}: later texts may govern. {text.notice}"
            for text in provisions.later_texts if judged_on > text.after]


def registers_of_another_year(data: dict, kinds: set[str], dated, judged_on: dt.date | None) -> list[str]:
    """A notice for each register read (of a kind that allows dated facts but giving none)
    whose `as_of` is in another year than the document's date."""
    if judged_on is None:
        return []
    notices = []
    for kind in sorted(kinds):
        value = data.get(kind)
        if not isinstance(value, dict) or not dated.kind_has_dated_facts(kind) or dated.paths(kind, value):
            continue
        as_of = value.get("as_of")
        as_of = as_of if isinstance(as_of, dt.date) else _iso(as_of)
        if as_of is not None and as_of.year != judged_on.year:
            notices.append(f"reference data `{kind}` is as of {as_of}, and this document is judged as of "
                           f"{judged_on}: its facts may not be those of {judged_on.year}. Give them as dated "
                           "facts (`{from, until, value}`) to judge each year by its own")
    return notices


def _iso(text) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None
