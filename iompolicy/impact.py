"""Impact of a change of rules: the same documents judged under two policy sets.

`compare` judges each document under the `base` policies and the `head` ones and
keeps what changes: the clauses whose outcome flips (a clause in only one of the
sets flips from or to `absent`), whether the document goes from allowed to refused
or back (refused: a clause fails, or cannot be decided, at the `fail_on` level),
and the money at stake. What money is at stake is said by the document kind's
schema, `x-iompolicy-at-stake`:

- `{"field": "funding.requested_usd"}`: the amount of every document that changes
  between allowed and refused is summed, apart for each direction;
- `{"let": "expected_allocation"}`: the named `let` of the policies is worked out
  under both sets, and the change is summed over the documents.

Nothing here prints: the `diff` command renders an `Impact` (render/impact.py).
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from .records import Record
from .values import MISSING, Undecided

ABSENT = "absent"  # the outcome of a clause that is not in one of the two sets
# A clause that did not apply and one that is not there judge nothing alike: no flip between them.


class Flip(Record, fields="clause cite before after"):
    """One clause whose outcome differs: `before` and `after` are outcome values or `absent`."""

    __slots__ = ()


class Changed(Record, fields="path kind id before after flips amount allocation"):
    """A document whose verdict changes: `before`/`after` are `allowed` or `refused`; the
    clauses that `flips`; its `amount` at stake (field reading) and the `allocation`
    (a pair, before and after) when the kind names a `let`."""

    __slots__ = ()

    def to_dict(self) -> dict:
        return {"path": self.path, "kind": self.kind, "id": self.id, "before": self.before, "after": self.after,
                "flips": [f._asdict() for f in self.flips],
                "amount": _exact(self.amount),
                "allocation": None if self.allocation is None else [_exact(v) for v in self.allocation]}


class Impact:
    """What a change of rules changes over a corpus: the documents whose verdict
    changes, the flips counted by clause and direction, and the money at stake."""

    def __init__(self, base_label: str, head_label: str, fail_on: str = "error"):
        self.base_label, self.head_label, self.fail_on = base_label, head_label, fail_on
        self.documents = 0
        self.changed: list[Changed] = []
        self.counts: Counter = Counter()  # (clause, cite, before, after) -> documents
        self.newly_refused = [0, Decimal(0)]  # documents, amount
        self.newly_allowed = [0, Decimal(0)]
        self.allocation_change = Decimal(0)
        self.allocation_documents = 0

    @property
    def flips(self) -> int:
        return sum(self.counts.values())

    def add(self, document, base_report, head_report, stake: dict | None, allocation=None) -> None:
        """Compare one document's two reports."""
        self.documents += 1
        before = {r.clause: r for r in base_report.results}
        after = {r.clause: r for r in head_report.results}
        flips = []
        for clause in list(dict.fromkeys([*before, *after])):
            old, new = before.get(clause), after.get(clause)
            old_outcome = old.outcome.value if old else ABSENT
            new_outcome = new.outcome.value if new else ABSENT
            if old_outcome != new_outcome and {old_outcome, new_outcome} != {ABSENT, "not_applicable"}:
                flips.append(Flip(clause, (old or new).cite, old_outcome, new_outcome))
        verdicts = [_verdict(r, self.fail_on) for r in (base_report, head_report)]
        amount = None
        if stake and "field" in stake:
            amount = _field(document.value, stake["field"])
            if verdicts[0] != verdicts[1] and amount is not None:
                bucket = self.newly_refused if verdicts[1] == "refused" else self.newly_allowed
                bucket[0] += 1
                bucket[1] += amount
        if allocation is not None and allocation[0] != allocation[1] and None not in allocation:
            self.allocation_change += allocation[1] - allocation[0]
            self.allocation_documents += 1
        moved = allocation is not None and allocation[0] != allocation[1]
        if flips or verdicts[0] != verdicts[1] or moved:
            for flip in flips:
                self.counts[(flip.clause, flip.cite, flip.before, flip.after)] += 1
            self.changed.append(Changed(base_report.path, base_report.kind, base_report.id, verdicts[0], verdicts[1],
                                        tuple(flips), amount, allocation))

    def money(self) -> dict:
        return {
            "newly_refused": {"documents": self.newly_refused[0], "amount": _exact(self.newly_refused[1])},
            "newly_allowed": {"documents": self.newly_allowed[0], "amount": _exact(self.newly_allowed[1])},
            "allocation_change": {"documents": self.allocation_documents, "amount": _exact(self.allocation_change)},
        }

    def by_clause(self) -> list[dict]:
        """Flips counted by clause and direction, most first."""
        rows = [{"clause": c, "cite": cite, "before": b, "after": a, "documents": n}
                for (c, cite, b, a), n in self.counts.items()]
        return sorted(rows, key=lambda r: (-r["documents"], r["clause"], r["before"], r["after"]))

    def to_dict(self) -> dict:
        """The JSON shape (schemas/diff.schema.json)."""
        return {
            "base": self.base_label,
            "head": self.head_label,
            "fail_on": self.fail_on,
            "documents": [c.to_dict() for c in self.changed],
            "by_clause": self.by_clause(),
            "money": self.money(),
            "summary": {"documents": self.documents, "changed": len(self.changed),
                        "verdicts_changed": sum(1 for c in self.changed if c.before != c.after),
                        "flips": self.flips},
        }


def compare(base, head, documents, data: dict, as_of=None, fail_on: str = "error",
            base_label: str = "base", head_label: str = "head") -> Impact:
    """Judge each of `documents` (loaded Documents) under the `base` and `head`
    PolicySets, with the same reference data, and gather what changes."""
    impact = Impact(base_label, head_label, fail_on)
    for document in documents:
        base_report = base.check(document, data=data, as_of=as_of, validate=False)
        head_report = head.check(document, data=data, as_of=as_of, validate=False)
        stake = head.schemas.get(head_report.kind).schema.get("x-iompolicy-at-stake")
        allocation = None
        if stake and "let" in stake:
            allocation = (let_value(base, document, data, stake["let"]), let_value(head, document, data, stake["let"]))
        impact.add(document, base_report, head_report, stake, allocation)
    return impact


def let_value(policies, document, data: dict, name: str):
    """The value of the file-level `let` called `name` in the policies of the document's
    kind, or None when no policy declares it or it cannot be worked out."""
    from .evaluation.explain import Tracer
    from .language.parameters import reading_bindings

    for policy_file in policies.files:
        bindings = {b.name: b for b in (*reading_bindings(policies.readings), *policy_file.bindings)}
        if policy_file.header.kind == document.kind and name in bindings:
            try:
                value = Tracer(document.value, data, bindings).binding(bindings[name]).value
            except Undecided:
                return None
            return value if value is not MISSING else None
    return None


def _verdict(report, fail_on: str) -> str:
    return "refused" if report.failed(fail_on) else "allowed"


def _field(value: dict, dotted: str):
    for name in dotted.split("."):
        value = value.get(name) if isinstance(value, dict) else None
    return value if isinstance(value, (int, Decimal)) and not isinstance(value, bool) else None


def _exact(value):
    """Money in JSON as exact text (most JSON readers turn numbers into binary floats)."""
    return None if value is None else str(value)


__all__ = ["ABSENT", "Changed", "Flip", "Impact", "compare", "let_value"]
