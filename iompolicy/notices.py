"""The notices of one document's report: what a reader must know beside the verdicts.

Nothing is passed in silence: a document that no clause applied to says why; a
document dated after a later text that may govern says so; a register of flat facts
as of another year than the document's says that its facts may not be that year's.

`Notices` works them out for one policy set. What depends only on the policies (the
earliest effective date of a kind's clauses, the registers its clauses read) is found
once per kind, and each notice's text once per date it names: a check then costs a few
comparisons per document (profiled: recomputing them was a third of a check's time).
"""

from __future__ import annotations

import datetime as dt

from .report import Outcome

_NOT_APPLICABLE = Outcome.NOT_APPLICABLE
_UNKNOWN = object()
_MEMO_SIZE = 4096  # notice texts kept per kind of notice (one per document date, register and as_of)


class Notices:
    """The notices of documents judged by one policy set (`by_kind`: kind -> compiled
    clauses; `data_read(kind)`: the reference data its clauses read; `dated`: the set's
    `DatedData`; `provisions`: its `Provisions` or None)."""

    def __init__(self, by_kind: dict, data_read, dated, provisions):
        self.by_kind = by_kind
        self.data_read = data_read
        self.dated = dated
        self.provisions = provisions
        self._kinds: dict[str, tuple] = {}  # kind -> (earliest start or None, sorted data read)
        self._texts: dict[tuple, tuple[str, ...]] = {}  # key -> the notices it gives (one tuple, shared)
        self._later: dict[dt.date, tuple[str, ...]] = {}  # date -> the notices of later texts

    def _kind(self, kind: str) -> tuple:
        known = self._kinds.get(kind)
        if known is None:
            starts = [c.start for c in self.by_kind.get(kind, ()) if c.start is not None]
            # only a register whose kind allows dated facts can be of another year than a document
            registers = tuple(name for name in sorted(self.data_read(kind)) if self.dated.kind_has_dated_facts(name))
            known = self._kinds[kind] = (bool(self.by_kind.get(kind)), min(starts, default=None), registers)
        return known

    def of(self, kind: str, results, judged_on: dt.date | None, data: dict, resolved: dict) -> tuple[str, ...]:
        """The notices of one document's report: its `results` (a tuple), the date it was
        judged as of, the reference data given (name -> value), and that data as of that
        date (`DatedData.as_of`: a register without dated facts is the very value given)."""
        has_clauses, earliest, registers = self._kinds.get(kind) or self._kind(kind)
        if not has_clauses:
            return (f"no policy applies to `{kind}` documents",)
        found = ()  # a tuple grown by concatenation: most reports have no notice, or one
        if not results:  # said out loud: the selection, not the document, made it not applicable
            found = (f"--only/--skip leave no clause for `{kind}` documents",)
        else:
            for result in results:
                if result.outcome is not _NOT_APPLICABLE:
                    break
            else:
                found = self._memo(("none", judged_on, earliest), no_clause_applied_texts, judged_on, earliest)
        if judged_on is None:
            return found
        if self.provisions is not None:
            later = self._later.get(judged_on, _UNKNOWN)  # by date alone: no key to build for every document
            if later is _UNKNOWN:
                later = self._memo(judged_on, later_texts, self.provisions, judged_on, texts=self._later)
            if later:
                found += later
        if data:
            for name in registers:
                value = data.get(name)
                if isinstance(value, dict) and resolved.get(name) is value:  # no dated facts replaced
                    as_of = value.get("as_of")
                    if type(as_of) is str or isinstance(as_of, dt.date):  # else it names no date
                        texts = self._texts.get(("register", name, as_of, judged_on), _UNKNOWN)
                        if texts is _UNKNOWN:
                            texts = self._memo(("register", name, as_of, judged_on), register_texts, name, as_of,
                                               judged_on)
                        found += texts  # () + texts is texts: most reports share their notices' tuple
        return found

    def _memo(self, key, make, *args, texts: dict | None = None):
        """`make(*args)`, kept under `key` in `texts` (default: the notice texts)."""
        texts = self._texts if texts is None else texts
        text = texts.get(key, _UNKNOWN)  # one look-up: another thread may clear the memo meanwhile
        if text is not _UNKNOWN:
            return text
        if len(texts) >= _MEMO_SIZE:
            texts.clear()
        text = texts[key] = make(*args)
        return text


def no_clause_applied_texts(judged_on: dt.date | None, earliest: dt.date | None) -> tuple[str]:
    """Why no clause applied to a document that had clauses and results, all not applicable."""
    if judged_on is not None and earliest is not None and judged_on < earliest:
        return (f"no clause applied to this document: it is dated {judged_on}, before the policies' "
                f"effective dates (in force from {earliest}); it is not a pass",)
    return ("no clause applied to this document: no clause's conditions select it; it is not a pass",)


def later_texts(provisions, judged_on: dt.date) -> tuple[str, ...]:
    """The notices of the later texts that may govern a document of this date."""
    return tuple(f"dated {judged_on}, after {text.after}: later texts may govern. {text.notice}"
            for text in provisions.later_texts if judged_on > text.after)


def register_texts(kind: str, as_of, judged_on: dt.date) -> tuple[str, ...]:
    """The notice of a register of flat facts as of `as_of` (a date or ISO text) read for a
    document judged as of `judged_on`, when the two are in different years (else none)."""
    as_of = as_of if isinstance(as_of, dt.date) else _iso(as_of)
    if as_of is None or as_of.year == judged_on.year:
        return ()
    return (f"reference data `{kind}` is as of {as_of}, and this document is judged as of "
            f"{judged_on}: its facts may not be those of {judged_on.year}. Give them as dated "
            "facts (`{from, until, value}`) to judge each year by its own",)


def _iso(text) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None
