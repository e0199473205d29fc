"""Headroom: the change to a document that would make a failed clause pass.

Worked out from the clause's requirements as written (the expression tree), never
from text written per clause, so a new clause gets headroom without new code:

- each requirement that does not hold is taken apart (`and`, `or`, `not`,
  quantifiers) down to comparisons, memberships and presence tests;
- the document fields a comparison reads (through its `let`s, sums and formulas)
  are its levers; a field read only to choose items (`where`, an index key, an
  `if` condition) is not a lever, and reference data never is;
- each lever is solved for, with every other value as it is: exactly (Decimal)
  where the comparison is linear in it, else by searching for the smallest change
  on the field's own grid (whole units, cents, days); a boolean or an enumerated
  field gets the value the other side asks for; a list gets the items that break
  it, each with what it would need, or its removal;
- every change offered is checked by evaluating the requirement again on the
  document with that one change made. Changes that do not check are not offered.

A clause's fix is a list of steps, all of which are needed (one per requirement,
or per item of a list, that breaks it); each step offers alternative changes, the
usual remedy first: the lever the clause's note names (in backticks), else the
first one the requirement reads. Applying the usual change of every step (`Fix.apply`)
makes the clause pass; `Fix.complete` records that this was checked.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections import namedtuple
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, DecimalException

from ..language import syntax as n
from .explain import Traced, Tracer
from ..language.unparse import unparse
from ..values import EXACT, MISSING, Undecided, format_number, format_value, is_number

_SEARCH_DOUBLINGS = 60  # a change is searched for up to 2**60 grid steps away
_NEWTON_ROUNDS = 8


class Change(namedtuple("Change", "action path current target bound amount usual where like",
                        defaults=(MISSING, None, None, None, False, None, None))):
    """One change to the document that makes a requirement hold.

    `action`: reduce, raise, set, move (a date), remove (a list item), add (an item,
    or `amount` items, to the list at `path`), change (to anything but `target`) or
    provide (a missing field). `bound` says how `target` binds: at most, at least,
    exactly, other than, one of. `amount` is the difference (days for a date, items
    for a list). `where` is the condition the items added or dropped meet; `like` is
    the path of the item an `add` copies, or the paths of the items a `drop` removes."""

    __slots__ = ()

    @property
    def field(self) -> str:
        """The path without its `$.`, as a person writes it: `funding.requested_usd`."""
        return self.path[2:] if self.path.startswith("$.") else self.path

    def describe(self) -> str:
        """One phrase: `reduce `funding.requested_usd` by USD 35,000 (to at most USD 200,000)`."""
        field, shown = f"`{self.field}`", (lambda value: _shown(self.path, value))
        if self.action in ("reduce", "raise"):
            return f"{self.action} {field} by {shown(self.amount)} (to {self.bound} {shown(self.target)})"
        if self.action == "move":
            direction = "forward" if self.amount > 0 else "back"
            edge = "or later" if self.bound == "at least" else "or earlier" if self.bound == "at most" else "exactly"
            return f"move {field} {direction} by {abs(self.amount)} days (to {shown(self.target)} {edge})"
        if self.action == "set":
            text = f"set {field} to {shown(self.target)}"
            if self.current is MISSING:
                return text + " (it is missing)"
            if is_number(self.current) and is_number(self.target) and self.current != self.target:
                verb = "reduce" if self.target < self.current else "raise"
                text += f" ({verb} by {shown(abs(self.target - self.current))})"
            return text
        if self.action == "change":
            return f"change {field} to anything other than {shown(self.target)}"
        if self.action == "one of":
            return f"set {field} to one of " + ", ".join(shown(v) for v in self.target)
        if self.action == "remove":
            scalar = self.current is not MISSING and not isinstance(self.current, (list, dict))
            return f"remove {field} ({format_value(self.current)})" if scalar else f"remove {field}"
        if self.action == "add":
            if self.amount is not None:
                items = "item" if self.amount == 1 else "items"
                where = f" for which `{self.where}` holds" if self.where else ""
                return f"add {self.amount} {items}{where} to {field}"
            return f"add {format_value(self.target)} to {field}"
        if self.action == "drop":
            items = "item" if self.amount == 1 else "items"
            where = f" for which `{self.where}` holds" if self.where else ""
            chosen = ", ".join(f"`{path[2:]}`" for path in self.like)
            return f"remove {self.amount} {items}{where} from {field} ({chosen})"
        return f"give {field} (it is missing)"

    def to_dict(self) -> dict:
        return {"action": self.action, "field": self.field, "path": self.path,
                "current": _json_value(self.current), "target": _json_value(self.target),
                "bound": self.bound, "amount": _json_value(self.amount), "usual": self.usual,
                "where": self.where, "text": self.describe()}


class Step(namedtuple("Step", "requirement item changes")):
    """Something that must change: the `requirement` (source text) that does not hold,
    `item` (the JSON path of the list item that breaks it, or None), and the
    alternative `changes`, each enough on its own; the usual remedy is first."""

    __slots__ = ()

    def describe(self) -> str:
        changes = [c.describe() for c in self.changes]
        if len(changes) > 1:
            changes[0] += " (usual remedy)"
        return " or ".join(changes)

    def to_dict(self) -> dict:
        return {"requirement": self.requirement, "item": self.item,
                "changes": [c.to_dict() for c in self.changes]}


class Fix(namedtuple("Fix", "steps notes complete replacement", defaults=(None,))):
    """What would make a failed clause pass: `steps` (all needed), `notes` on what
    cannot be changed in the document (reference data, say), and `complete`: the
    usual change of every step, made together, was checked to make the clause pass.
    `replacement`, when one scalar suffices and the document's text shows where it
    is written: {line, column, end_column, text}, the edit itself (SARIF's fix)."""

    __slots__ = ()

    SHOWN_STEPS = 6  # in the one-line text; the JSON report has them all

    def text(self) -> str:
        """The fix in one line (`text` report, SARIF, Markdown)."""
        parts = [s.describe() for s in self.steps[:self.SHOWN_STEPS]]
        if len(self.steps) > self.SHOWN_STEPS:
            parts.append(f"and {len(self.steps) - self.SHOWN_STEPS} more (see the JSON report)")
        parts.extend(self.notes)
        return "; ".join(parts)

    def single_scalar(self) -> Change | None:
        """The one change that suffices, when it replaces a single scalar value (SARIF's fix)."""
        if len(self.steps) == 1 and self.complete:
            change = self.steps[0].changes[0]
            if change.action in ("reduce", "raise", "set", "move") and change.current is not MISSING:
                return change
        return None

    def apply(self, document: dict) -> dict:
        """A copy of the document with the usual change of every step made."""
        return _apply([s.changes[0] for s in self.steps], document)

    def with_replacement(self, document) -> "Fix":
        """This fix with the edit of its single scalar in `document`'s text, when there is one."""
        change = self.single_scalar()
        span = document.scalar_span(change.path) if change is not None else None
        if span is None:
            return self
        line, column, end_column, quote = span
        target = change.target
        if isinstance(target, bool):
            text = "true" if target else "false"
        elif isinstance(target, str):
            text = json.dumps(target, ensure_ascii=False) if quote == '"' or (not quote and document.format == "json") \
                else f"'{target}'" if quote else target
        else:
            text = str(target)
        return self._replace(replacement={"line": line, "column": column, "end_column": end_column, "text": text})

    def to_dict(self) -> dict:
        return {"text": self.text(), "complete": self.complete, "notes": list(self.notes),
                "steps": [s.to_dict() for s in self.steps], "replacement": self.replacement}


def headroom(requires, guards, doc: dict, data: dict, bindings: dict, note: str | None = None,
             valid=None) -> Fix | None:
    """The fix of a clause whose `requires` (expressions) fail on `doc`, or None when
    no requirement is false (an undecided clause has missing facts, not a fix).

    `bindings` are the clause's visible `let`s and `const`s by name (as the tracer
    takes them). `valid(value) -> bool`, when given, is the document kind's schema:
    a change that would make the document invalid (a list left with fewer items
    than it must have, say) is not offered. Requirements are worked through in
    order, each on the document as the changes before it left it, so that the
    usual changes hold together."""
    solver = _Solver(data, bindings, note, [*requires, *guards], valid)
    steps, notes, plan = [], [], doc
    for requirement in requires:
        if solver.holds(requirement, plan, {}) is not False:
            continue
        found = solver.steps(requirement, plan, {}, None)
        if not found:
            notes.append(solver.why_not(requirement, plan))
            continue
        steps.extend(found)
        plan = _apply([s.changes[0] for s in found], plan)
    if not steps and not notes:
        return None
    complete = bool(steps) and not notes and all(solver.holds(g, plan, {}) is True for g in guards) \
        and all(solver.holds(r, plan, {}) is True for r in requires)
    return Fix(tuple(_display_order(steps)), tuple(dict.fromkeys(notes)), complete)


# ---- reading what a requirement reads ----------------------------------------------------------

class _Reading(Tracer):
    """The tracer, noting each document field read (with its value) that could be a lever,
    and the reference data read. Reads under a selector (`where`, index key, `if`
    condition) are not levers."""

    def __init__(self, doc, data, bindings, selectors: frozenset):
        super().__init__(doc, data, bindings)
        self.selectors = selectors
        self.selecting = 0
        self.levers: dict[str, object] = {}
        self.data_read: list[str] = []

    def eval(self, node) -> Traced:
        if id(node) not in self.selectors:
            return super().eval(node)
        self.selecting += 1
        try:
            return super().eval(node)
        finally:
            self.selecting -= 1

    def note_lever(self, path, value) -> None:
        if path is not None and not self.selecting and _is_lever_value(value):
            self.levers.setdefault(path, value)

    def field(self, value, label, path):
        self.note_lever(path, value)
        return super().field(value, label, path)

    def on_Name(self, node):
        traced = super().on_Name(node)
        if node.name in self.locals:
            self.note_lever(traced.path, traced.value)
        return traced

    def on_DataRef(self, node):
        if node.name not in self.data_read:
            self.data_read.append(node.name)
        return super().on_DataRef(node)


def _is_lever_value(value) -> bool:
    return value is MISSING or value is None or isinstance(value, (bool, int, Decimal, str, dt.date))


def _selectors(nodes) -> frozenset:
    """Ids of the subtrees that only choose what is read: `where` conditions, index keys, `if` conditions."""
    found: set[int] = set()

    def walk(node) -> None:
        if isinstance(node, n.Node):
            if isinstance(node, (n.Aggregate, n.Quantified)) and node.where is not None:
                found.add(id(node.where))
            elif isinstance(node, n.Index):
                found.add(id(node.index))
            elif isinstance(node, n.Conditional):
                found.add(id(node.condition))
            for value in node._values():
                walk(value)
        elif isinstance(node, tuple):
            for item in node:
                walk(item)

    for node in nodes:
        walk(node)
    return frozenset(found)


# ---- the solver ------------------------------------------------------------------------------------

class _Solver:
    def __init__(self, data: dict, bindings: dict, note: str | None, conditions, valid=None):
        self.data = data
        self.valid = valid or (lambda value: True)
        self.bindings = bindings
        self.named_in_note = re.findall(r"`([^`]+)`", note or "")
        self.selectors = _selectors([*conditions, *(b.expr for b in bindings.values())])

    # ---- evaluating on a (changed) document ------------------------------------------------------
    def reading(self, doc, ctx) -> _Reading:
        tracer = _Reading(doc, self.data, self.bindings, self.selectors)
        for var, (path, value) in ctx.items():
            if path is not None:
                value = _get(doc, path)
            tracer.locals[var] = Traced(value, format_value(value), path)
        return tracer

    def traced(self, node, doc, ctx):
        """(Traced or None when undecided, the reading)."""
        tracer = self.reading(doc, ctx)
        try:
            return tracer.eval(node), tracer
        except Undecided:
            return None, tracer

    def value(self, node, doc, ctx):
        traced, _ = self.traced(node, doc, ctx)
        return MISSING if traced is None else traced.value

    def holds(self, node, doc, ctx) -> bool | None:
        """True, False, or None when undecided."""
        try:
            return self.reading(doc, ctx).condition(node).value
        except Undecided:
            return None

    def why_not(self, requirement, doc) -> str:
        _, tracer = self.traced(requirement, doc, {})
        if tracer.data_read:
            names = ", ".join(f"`{name}`" for name in tracer.data_read)
            return f"`{unparse(requirement)}` turns on reference data ({names}): no change to the document alone decides it"
        return f"no change to a single field of the document makes `{unparse(requirement)}` hold"

    # ---- taking a false condition apart ----------------------------------------------------------
    def steps(self, node, doc, ctx, item) -> list[Step]:
        """The steps that make `node` (false on `doc`) hold; [] when none is found."""
        if isinstance(node, n.And):
            return self.conjunction(node, doc, ctx, item)
        if isinstance(node, n.Or):
            return self.disjunction(node, doc, ctx, item)
        if isinstance(node, n.Not):
            negated = _negated(node.operand)
            return self.steps(negated, doc, ctx, item) if negated is not None else []
        if isinstance(node, n.Quantified):
            return self.quantified(node, doc, ctx, item)
        if isinstance(node, n.Compare):
            return self.single(node, self.compare(node, doc, ctx), item)
        if isinstance(node, n.Membership):
            return self.single(node, self.membership(node, doc, ctx), item)
        if isinstance(node, n.Presence):
            return self.single(node, self.presence(node, doc, ctx), item)
        if isinstance(node, (n.Name, n.Attribute, n.Index)):  # a boolean field required true
            as_compare = n.Compare("==", node, n.Literal(True, "boolean", "true"))
            return self.single(node, self.compare(as_compare, doc, ctx), item)
        return []

    def single(self, node, changes: list[Change], item) -> list[Step]:
        if not changes:
            return []
        changes = self.usual_first(changes)
        return [Step(unparse(node), item, tuple(changes))]

    def usual_first(self, changes: list[Change]) -> list[Change]:
        def named(change):
            plain = re.sub(r"\[\d+\]", "", change.field)
            return any(name in (change.field, plain) for name in self.named_in_note)

        chosen = next((c for c in changes if named(c)), changes[0])
        ordered = [chosen] + [c for c in changes if c is not chosen]
        return [c._replace(usual=c is chosen) for c in ordered]

    def conjunction(self, node, doc, ctx, item) -> list[Step]:
        parts = _conjuncts(node)
        steps: list[Step] = []
        for part in parts:
            if self.holds(part, doc, ctx) is True:
                continue
            if isinstance(part, n.Presence) and part.test == "exists" and any(
                    p is not part and _reads(p, part.operand) for p in parts):
                continue  # `x exists and x == true`: giving x its value makes it exist
            found = self.steps(part, doc, ctx, item)
            if not found:
                return []  # a conjunct that cannot be made to hold: the whole cannot
            steps.extend(found)
            doc = _apply([s.changes[0] for s in found], doc)
        return steps

    def disjunction(self, node, doc, ctx, item) -> list[Step]:
        sides = [self.steps(side, doc, ctx, item) for side in (node.left, node.right)]
        singles = [s[0] for s in sides if len(s) == 1]
        if len(singles) == 2:
            changes = [*singles[0].changes, *singles[1].changes]
            return [Step(unparse(node), item, tuple(self.usual_first([c._replace(usual=False) for c in changes])))]
        usable = [s for s in sides if s]
        return min(usable, key=len) if usable else []

    def quantified(self, node: n.Quantified, doc, ctx, item) -> list[Step]:
        source, _ = self.traced(node.source, doc, ctx)
        if source is None or not isinstance(source.value, list):
            return []
        breaking = []
        for position, value in enumerate(source.value):
            inner = {**ctx, node.var: (f"{source.path}[{position}]" if source.path else None, value)}
            if node.where is not None and self.holds(node.where, doc, inner) is not True:
                continue
            body = self.holds(node.body, doc, inner)
            if (node.quantifier == "all" and body is not True) or (node.quantifier == "none" and body is not False):
                breaking.append((position, inner))
        if node.quantifier == "any":
            return self.any_item(node, doc, ctx, source, item)
        want = node.body if node.quantifier == "all" else _negated(node.body)
        steps: list[Step] = []
        for position, inner in reversed(breaking):  # from the end: removing an item moves none before it
            item_path = inner[node.var][0]
            found = self.steps(want, doc, inner, item_path) if want is not None else []
            removal = [Change("remove", item_path, source.value[position])] \
                if item_path and self.valid(_apply([Change("remove", item_path)], doc)) else []
            if len(found) == 1:
                first = found[0]
                found = [first._replace(item=item_path, changes=first.changes + tuple(removal))]
            elif not found:
                found = self.single(node.body, removal, item_path)
            if not found:
                return []
            steps.extend(found)
            doc = _apply([s.changes[0] for s in found], doc)
        return steps

    def any_item(self, node, doc, ctx, source, item) -> list[Step]:
        changes = []
        for position, value in enumerate(source.value):
            inner = {**ctx, node.var: (f"{source.path}[{position}]" if source.path else None, value)}
            if node.where is not None and self.holds(node.where, doc, inner) is not True:
                continue
            found = self.steps(node.body, doc, inner, None)
            if len(found) == 1:
                changes.extend(c._replace(usual=False) for c in found[0].changes)
        return self.single(node, changes, item)

    # ---- comparisons -----------------------------------------------------------------------------------
    def compare(self, node: n.Compare, doc, ctx) -> list[Change]:
        aimed = _aim(node)
        if aimed is not node:
            return self.compare(aimed, doc, ctx)
        decided = self.holds(node, doc, ctx) is not None
        _, tracer = self.traced(node, doc, ctx)
        left_reads = self.traced(node.left, doc, ctx)[1].levers
        right_reads = self.traced(node.right, doc, ctx)[1].levers
        changes = []
        for path, value in _innermost(tracer.levers).items():
            if path in left_reads and path in right_reads:
                continue  # read on both sides: no single value to solve for
            other = node.right if path in left_reads else node.left
            change = self.solve(node, path, value, doc, ctx, other, decided)
            if change is not None:
                changes.append(change)
        size = self.list_size(node, doc, ctx)
        if size is not None:
            changes.append(size)
        return self.checked(node, changes, doc, ctx)

    def checked(self, node, changes: list[Change], doc, ctx) -> list[Change]:
        """The changes that, made alone, make `node` hold. A missing field to `provide`
        is kept: no value can be checked for it, and naming it is the help."""
        kept = []
        for change in changes:
            changed = _apply([change], doc)
            if change.action == "provide" or (self.holds(node, changed, ctx) is True and self.valid(changed)):
                kept.append(change)
        return kept

    def solve(self, node, path, value, doc, ctx, other, decided: bool) -> Change | None:
        def holds_with(candidate) -> bool:
            return self.holds(node, _patch(doc, path, candidate), ctx) is True

        if is_number(value):
            return self.solve_number(node, path, value, doc, ctx, holds_with)
        if value is MISSING and decided:
            # read through `default(x, 0)`: a missing amount counts as nothing, and may be given
            change = self.solve_number(node, path, 0, doc, ctx, holds_with)
            return change._replace(action="set", current=MISSING, amount=None) if change is not None else None
        as_date = _date(value)
        if as_date is not None and self.dated(node, doc, ctx):
            return self.solve_date(node, path, value, as_date, doc, ctx)
        wanted = self.value(other, doc, ctx)
        if node.op == "==" and wanted is not MISSING and not isinstance(wanted, (list, dict)) \
                and holds_with(wanted):
            return Change("set", path, value, wanted, "exactly")
        if node.op == "!=" and value is not MISSING:
            different = _different(value)
            if different is not None and holds_with(different):
                if isinstance(value, bool):
                    return Change("set", path, value, not value, "exactly")
                return Change("change", path, value, value, "other than")
        if value is MISSING:
            return Change("provide", path)
        return None

    def gap(self, node, doc, ctx):
        """left - right as a number (dates as day numbers), or None."""
        left, right = self.value(node.left, doc, ctx), self.value(node.right, doc, ctx)
        left, right = _as_number(left), _as_number(right)
        if left is None or right is None:
            return None
        try:
            return EXACT.subtract(Decimal(left), Decimal(right))
        except DecimalException:
            return None

    def dated(self, node, doc, ctx) -> bool:
        return _as_number(self.value(node.left, doc, ctx)) is not None

    def solve_number(self, node, path, value, doc, ctx, holds_with) -> Change | None:
        grid = _grid(value)
        found = self.newton(node, path, Decimal(value), grid, doc, ctx, holds_with)
        if found is None:
            found = _search(Decimal(value), grid, holds_with, _typed(value))
        if found is None:
            return None
        target = _typed(value)(found)
        if value >= 0 > target:
            return None  # a negative amount is never the remedy
        return _number_change(node, path, value, target)

    def newton(self, node, path, start: Decimal, grid: Decimal, doc, ctx, holds_with):
        """The boundary of a comparison that is linear in the lever, exactly, then the
        nearest point of the lever's grid on the passing side. A few rounds, for a
        formula with a bend (min, max) between the value and the boundary."""
        x = start
        for _ in range(_NEWTON_ROUNDS):
            here = self.gap(node, _patch(doc, path, _on_grid(x, grid)), ctx)
            there = self.gap(node, _patch(doc, path, _on_grid(x + grid, grid)), ctx)
            if here is None or there is None or here == there:
                return None
            try:
                x = EXACT.subtract(x, EXACT.divide(EXACT.multiply(here, grid), EXACT.subtract(there, here)))
            except DecimalException:
                return None
            for candidate in _near(x, grid):
                if holds_with(_on_grid(candidate, grid)):
                    return candidate
        return None

    def solve_date(self, node, path, value, start: dt.date, doc, ctx) -> Change | None:
        def holds_at(day: Decimal) -> bool:
            try:
                moved = dt.date.fromordinal(int(day))
            except (ValueError, OverflowError):
                return False
            shown = moved.isoformat() if isinstance(value, str) else moved
            return self.holds(node, _patch(doc, path, shown), ctx) is True

        day = _search(Decimal(start.toordinal()), Decimal(1), holds_at, int)
        if day is None:
            return None
        target = dt.date.fromordinal(int(day))
        bound = "at least" if target > start else "at most"
        if node.op in ("==", "!="):
            bound = "exactly"
        return Change("move", path, value, target.isoformat(), bound, int(day) - start.toordinal())

    def list_size(self, node: n.Compare, doc, ctx) -> Change | None:
        """`len(list)` or `count(... in list ...)` compared with a number: items to add or remove."""
        for side, other, flipped in ((node.left, node.right, False), (node.right, node.left, True)):
            if isinstance(side, n.Call) and side.func in ("len", "count") and len(side.args) == 1:
                source, where = side.args[0], None
            elif isinstance(side, n.Aggregate) and side.func == "count":
                source, where = side.source, side.where
            else:
                continue
            listed, _ = self.traced(source, doc, ctx)
            bound = _as_number(self.value(other, doc, ctx))
            count = _as_number(self.value(side, doc, ctx))
            if listed is None or listed.path is None or not isinstance(listed.value, list) or bound is None \
                    or count is None:
                continue
            op = _FLIPPED[node.op] if flipped else node.op
            wanted = _whole_count(op, int(count), bound)
            if wanted is None or wanted == count:
                continue
            where_text = unparse(where) if where is not None else None
            if wanted > count:
                like = self.last_matching(side, listed, doc, ctx)
                return Change("add", listed.path, int(count), wanted, "at least", wanted - int(count),
                              where=where_text, like=like)
            chosen = self.matching(side, listed, doc, ctx)[-(int(count) - wanted):]
            return Change("drop", listed.path, int(count), wanted, "at most", int(count) - wanted, where=where_text,
                          like=tuple(chosen))
        return None

    def last_matching(self, side, listed: Traced, doc, ctx) -> str | None:
        """The path of the last item of the list that an aggregate's `where` chooses."""
        chosen = self.matching(side, listed, doc, ctx)
        return chosen[-1] if chosen else None

    def matching(self, side, listed: Traced, doc, ctx) -> list[str]:
        """The paths of the items a `len` or `count` counts."""
        paths = [f"{listed.path}[{position}]" for position in range(len(listed.value))]
        if not isinstance(side, n.Aggregate) or side.where is None:
            return paths
        return [path for path, value in zip(paths, listed.value)
                if self.holds(side.where, doc, {**ctx, side.var: (path, value)}) is True]

    # ---- membership and presence -------------------------------------------------------------------------
    def membership(self, node: n.Membership, doc, ctx) -> list[Change]:
        item, _ = self.traced(node.item, doc, ctx)
        container, _ = self.traced(node.container, doc, ctx)
        if item is None or container is None:
            return []
        changes = []
        if not node.negated:
            if container.path and isinstance(container.value, list) and not isinstance(item.value, (list, dict)):
                changes.append(Change("add", container.path, MISSING, item.value))
            if item.path and isinstance(container.value, (list, dict)) and container.value:
                options = list(container.value)[:20]
                if self.holds(node, _patch(doc, item.path, options[0]), ctx) is True:
                    changes.append(Change("one of", item.path, item.value, options, "one of"))
        else:
            if container.path and isinstance(container.value, list):
                for position, element in enumerate(container.value):
                    if element == item.value and type(element) is type(item.value):
                        changes.append(Change("remove", f"{container.path}[{position}]", element))
                        break
            if item.path:
                different = _different(item.value)
                if different is not None and self.holds(node, _patch(doc, item.path, different), ctx) is True:
                    changes.append(Change("change", item.path, item.value, item.value, "other than"))
        return changes

    def presence(self, node: n.Presence, doc, ctx) -> list[Change]:
        operand, tracer = self.traced(node.operand, doc, ctx)
        path = operand.path if operand is not None else None
        if path is None:
            return []
        if node.test == "null":
            return [Change("set", path, operand.value, None, "exactly")]
        if node.test in ("exists", "not_null"):
            return [Change("provide", path, operand.value)]
        return []  # `x is missing`: taking a fact out of the document is never offered as the remedy


# ---- the shape of a condition ---------------------------------------------------------------------------

_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_OPPOSITE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}


def _conjuncts(node) -> list:
    if isinstance(node, n.And):
        return _conjuncts(node.left) + _conjuncts(node.right)
    return [node]


def _negated(node):
    """A condition that holds exactly when `node` does not, or None."""
    if isinstance(node, n.Compare):
        return n.Compare(_OPPOSITE[node.op], node.left, node.right, node.span)
    if isinstance(node, n.Membership):
        return n.Membership(node.item, node.container, not node.negated, node.span)
    if isinstance(node, n.Presence):
        other = {"exists": "missing", "missing": "exists", "null": "not_null", "not_null": "null"}[node.test]
        return n.Presence(node.operand, other, node.span)
    if isinstance(node, n.Not):
        return node.operand
    if isinstance(node, (n.And, n.Or)):
        left, right = _negated(node.left), _negated(node.right)
        if left is None or right is None:
            return None
        return (n.Or if isinstance(node, n.And) else n.And)(left, right, node.span)
    if isinstance(node, n.Quantified):
        body = _negated(node.body)
        if body is None:
            return None
        flipped = {"all": ("any", body), "any": ("none", node.body), "none": ("any", node.body)}[node.quantifier]
        return n.Quantified(flipped[0], node.var, node.source, node.where, flipped[1], node.span)
    if isinstance(node, (n.Name, n.Attribute, n.Index)):
        return n.Compare("==", node, n.Literal(False, "boolean", "false"))
    return None


def _aim(node: n.Compare) -> n.Compare:
    """`abs(a - b) <= tolerance` is aimed at `a - b == 0`: the value the formula gives,
    not the edge of the tolerance."""
    zero = n.Literal(0, "number", "0")
    if node.op in ("<=", "<") and isinstance(node.left, n.Call) and node.left.func == "abs":
        return n.Compare("==", node.left.args[0], zero, node.span)
    if node.op in (">=", ">") and isinstance(node.right, n.Call) and node.right.func == "abs":
        return n.Compare("==", node.right.args[0], zero, node.span)
    return node


def _reads(node, operand) -> bool:
    """Does `node` contain the expression `operand` (by its source text)?"""
    wanted = unparse(operand)
    found = [False]

    def walk(value) -> None:
        if found[0]:
            return
        if isinstance(value, n.Node):
            if value is not operand and unparse(value) == wanted:
                found[0] = True
                return
            for child in value._values():
                walk(child)
        elif isinstance(value, tuple):
            for child in value:
                walk(child)

    walk(node)
    return found[0]


def _innermost(levers: dict) -> dict:
    """Leave out a path when a field under it is read too (`humanitarian` for `humanitarian.x`)."""
    paths = list(levers)
    return {p: v for p, v in levers.items()
            if not any(q != p and (q.startswith(p + ".") or q.startswith(p + "[")) for q in paths)}


def _display_order(steps: list[Step]) -> list[Step]:
    """Steps of list items in document order (they are worked out from the end)."""
    return sorted(steps, key=lambda s: _path_key(s.item) if s.item else ())


def _path_key(path: str) -> tuple:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[.\[\]]+", path) if p)


# ---- numbers, dates and grids ----------------------------------------------------------------------------

def _as_number(value):
    if is_number(value):
        return value
    day = _date(value)
    return day.toordinal() if day is not None else None


def _date(value) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _grid(value) -> Decimal:
    """The smallest step of a field: 1 for a whole number, a cent (or finer, as written) for a decimal."""
    if type(value) is int:
        return Decimal(1)
    exponent = value.as_tuple().exponent
    return Decimal(1).scaleb(min(exponent, -2)) if isinstance(exponent, int) else Decimal("0.01")


def _typed(value):
    """Turns a Decimal back into the field's own type (int stays int)."""
    if type(value) is int:
        return lambda x: int(x)
    return lambda x: x


def _on_grid(x: Decimal, grid: Decimal):
    """A whole number as an int (a field of whole numbers stays one), else the Decimal."""
    return int(x) if grid == 1 and x == x.to_integral_value() else x


def _near(x: Decimal, grid: Decimal) -> list[Decimal]:
    """The grid points around an exact boundary (a strict comparison needs the next one out)."""
    try:
        down = x.quantize(grid, rounding=ROUND_FLOOR, context=EXACT)
        up = x.quantize(grid, rounding=ROUND_CEILING, context=EXACT)
    except DecimalException:
        return []
    return list(dict.fromkeys([down, up, down - grid, up + grid]))


def _search(start: Decimal, grid: Decimal, holds_at, typed) -> Decimal | None:
    """The smallest change on the grid, either way, that makes `holds_at` true, assuming
    the requirement holds on one side of a boundary (doubling, then halving)."""
    best = None
    for direction in (1, -1):
        low, high = 0, None
        for doubling in range(_SEARCH_DOUBLINGS):
            steps = 1 << doubling
            if holds_at(typed(start + direction * steps * grid)):
                high = steps
                break
            low = steps
        if high is None:
            continue
        while high - low > 1:
            middle = (low + high) // 2
            if holds_at(typed(start + direction * middle * grid)):
                high = middle
            else:
                low = middle
        if best is None or high < best[0]:
            best = (high, start + direction * high * grid)
    return best[1] if best else None


def _whole_count(op: str, count: int, bound) -> int | None:
    """The count nearest `count` that satisfies `count op bound`."""
    bound = Decimal(bound)
    floor, ceiling = int(bound.to_integral_value(ROUND_FLOOR)), int(bound.to_integral_value(ROUND_CEILING))
    wanted = {"<=": floor, "<": ceiling - 1, ">=": ceiling, ">": floor + 1}.get(op)
    if op == "==":
        wanted = int(bound) if bound == floor else None
    if wanted is None or wanted < 0:
        return None
    if op in ("<=", "<"):
        return min(count, wanted)
    if op in (">=", ">"):
        return max(count, wanted)
    return wanted


def _number_change(node, path, value, target) -> Change:
    if node.op in ("==", "!="):
        return Change("set", path, value, target, "exactly")
    action = "reduce" if target < value else "raise"
    bound = "at most" if target < value else "at least"
    return Change(action, path, value, target, bound, abs(target - value))


def _different(value):
    """Some value other than `value`, of its type, to check a `!=` change with."""
    if isinstance(value, bool):
        return not value
    if is_number(value):
        return value + 1
    if isinstance(value, str):
        return value + "-2"
    return None


def _shown(path: str, value) -> str:
    """A value as the fix shows it: amounts of a field named `..._usd` (or `usd`) in USD, dates bare."""
    if is_number(value) and not isinstance(value, bool):
        money = re.search(r"(^|_)usd$", path.rsplit(".", 1)[-1])
        return ("USD " if money else "") + format_number(value)
    if _date(value) is not None:
        return _date(value).isoformat()
    return format_value(value)


def _json_value(value):
    if value is MISSING:
        return None
    if isinstance(value, Decimal):
        return str(value)  # exact: JSON numbers are read as binary floats by most readers
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return value


# ---- changing a document without touching the original ----------------------------------------------------

_TOKEN = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


def _steps_of(path: str) -> list:
    if not path.startswith("$"):
        raise ValueError(f"not a JSON path: {path}")
    return [int(index) if index else name for name, index in _TOKEN.findall(path[1:])]


def _get(doc, path: str):
    value = doc
    for key in _steps_of(path):
        if isinstance(key, int):
            value = value[key] if isinstance(value, list) and key < len(value) else MISSING
        else:
            value = value.get(key, MISSING) if isinstance(value, dict) else MISSING
    return value


def _patch(doc, path: str, value, remove: bool = False):
    """A copy of `doc` with the value at `path` replaced (or removed); only the
    containers along the path are copied."""
    keys = _steps_of(path)

    def change(container, position: int):
        key = keys[position]
        if isinstance(container, list):
            copied = list(container)
        elif isinstance(container, dict):
            copied = dict(container)
        else:
            copied = {}
        if position == len(keys) - 1:
            if remove:
                if isinstance(copied, list) and isinstance(key, int) and key < len(copied):
                    del copied[key]
                elif isinstance(copied, dict):
                    copied.pop(key, None)
            else:
                copied[key] = value
            return copied
        child = copied[key] if (isinstance(copied, list) and isinstance(key, int) and key < len(copied)) \
            else copied.get(key) if isinstance(copied, dict) else None
        copied[key] = change(child, position + 1)
        return copied

    return change(doc, 0)


def _apply(changes, doc):
    """The document with the changes made: values first, then removals from the end."""
    removals = [c for c in changes if c.action == "remove"]
    for change in changes:
        if change.action in ("reduce", "raise", "set", "move"):
            doc = _patch(doc, change.path, change.target)
        elif change.action == "change":
            doc = _patch(doc, change.path, _different(change.current if change.current is not MISSING
                                                     else change.target))
        elif change.action == "one of":
            doc = _patch(doc, change.path, change.target[0])
        elif change.action == "add" and change.amount is None:
            items = _get(doc, change.path)
            doc = _patch(doc, change.path, [*(items if isinstance(items, list) else []), change.target])
        elif change.action == "add" and change.like is not None:
            items, model = _get(doc, change.path), _get(doc, change.like)
            doc = _patch(doc, change.path, [*items, *(copy.deepcopy(model) for _ in range(change.amount))])
        elif change.action == "drop":
            removals.extend(Change("remove", path) for path in change.like)
    for change in sorted(removals, key=lambda c: _path_key(c.path), reverse=True):
        doc = _patch(doc, change.path, None, remove=True)
    return doc


