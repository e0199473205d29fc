"""Headroom: the change to a document that would make a failed clause pass.

Worked out from the clause's requirements as written (the expression tree), never
from text written per clause, so a new clause gets headroom without new code:

- each requirement that does not hold is taken apart (`and`, `or`, `not`,
  quantifiers) down to comparisons, memberships and presence tests;
- the document fields a comparison reads (through its `let`s, sums and formulas)
  are its levers; a field read only to choose items (`where`, an index key, an
  `if` condition) is not a lever, and reference data never is; nor is, anywhere in the
  clause, a field a `where` read on an item it chose (changing it passes by judging less);
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

import contextlib
import datetime as dt
import re
from decimal import Decimal, DecimalException

from ..language import syntax as n
from ..language.unparse import unparse
from ..values import EXACT, MISSING, Undecided, equality_key, is_number
from ._solving import (FLIPPED, aim, as_number, conjuncts, grid, innermost, near, negated, number_change, on_grid,
                       reads, search, typed, whole_count)
from .compiler import Env, compile_condition, compile_expr
from .explain import Traced, Tracer
from .fixes import Change, Fix, Step, apply_changes, date_of, different, display_order, value_at, patched

# The work a fix may take, counted in expressions evaluated (not in time, so a fix does not
# depend on the machine): a requirement over a list of 100,000 items costs some 300,000 a
# reading, and working out each lever takes dozens of readings. Past it, the fix says so.
WORK_LIMIT = 50_000
MAX_LEVERS = 8  # alternatives offered for one comparison (the note's lever first, then as read)
MAX_ITEMS = 50  # items of a list that breaks a requirement, each given its own step
TOO_MUCH_WORK = f"the document is too large to work out a fix within iompolicy's limit ({WORK_LIMIT:,} expressions evaluated)"


class _TooMuchWork(Exception):
    """The work limit was reached."""
_NEWTON_ROUNDS = 8


def headroom(requires, guards, doc: dict, data: dict, bindings: dict, note: str | None = None,
             valid=None, scope=None, cache=None) -> Fix | None:
    """The fix of a clause whose `requires` (expressions) fail on `doc`, or None when
    no requirement is false (an undecided clause has missing facts, not a fix).

    `bindings` are the clause's visible `let`s and `const`s by name (as the tracer
    takes them). `valid(value) -> bool`, when given, is the document kind's schema:
    a change that would make the document invalid (a list left with fewer items
    than it must have, say) is not offered. Requirements are worked through in
    order, each on the document as the changes before it left it, so that the
    usual changes hold together.

    `scope`, when given, is the clause's compiled `Bindings`: a condition or a value whose
    reading does not read a list is then worked out by the compiler's closures, on the
    changed documents a search tries (the same verdicts and values as the tracer's,
    several times faster); one that does is read by the tracer once (which counts its work).
    `cache`, the clause's `SolverCache`, keeps what does not depend on the document."""
    solver = _Solver(data, bindings, note, [*requires, *guards], valid, scope, cache)
    steps, notes, plan = [], [], doc
    try:
        solver.choosing = solver.chosen_by(requires, doc)
        for requirement in requires:
            if solver.holds(requirement, plan, {}) is not False:
                continue
            found = solver.steps(requirement, plan, {}, None)
            if not found:
                notes.append(solver.why_not(requirement, plan))
                continue
            steps.extend(found)
            plan = apply_changes([s.changes[0] for s in found], plan)
    except _TooMuchWork:
        return _unfinished(steps)
    if not steps and not notes:
        return None

    judged: dict[tuple, tuple] = {}  # ids of changes made together -> (the changes, kept alive; the verdict)

    def passes(changes: list) -> bool:
        """Does the clause pass with `changes` made? (The usual changes are judged by
        `_whole_clause` and again for `complete`: a verdict is worked out once.)"""
        key = tuple(map(id, changes))
        known = judged.get(key)
        if known is None:
            changed = apply_changes(changes, doc)
            known = judged[key] = (changes, all(solver.holds(c, changed, {}) is True for c in (*guards, *requires)))
        return known[1]

    try:
        if not notes:
            steps = _whole_clause(steps, passes)
        usual = [s.changes[0] for s in steps]
        complete = bool(steps) and not notes and passes(usual)
    except _TooMuchWork:
        return _unfinished(steps)
    if steps and not complete and not notes and all(c.action != "provide" for c in usual):
        notes.append("made, these changes are not enough: the clause still fails or cannot be decided")
    return Fix(tuple(display_order(steps)), tuple(dict.fromkeys(notes)), complete)


def _unfinished(steps: list[Step]) -> Fix:
    """The fix of a document too large to work it out in full: what was found, said to be partial."""
    note = TOO_MUCH_WORK + (": the changes shown may not be all, nor enough" if steps else "")
    return Fix(tuple(display_order(steps)), (note,), False)


def _whole_clause(steps: list[Step], passes) -> list[Step]:
    """Each step keeps the changes that, made with the usual change of every other step,
    make the whole clause pass (a change that mends one requirement may break another:
    setting `year` to fit one meeting leaves the others out of it). A step none of whose
    changes does so is kept as it is (the fix is then not complete)."""
    kept = []
    for index, step in enumerate(steps):
        others = [s.changes[0] for i, s in enumerate(steps) if i != index]
        good = [c for c in step.changes if c.action == "provide" or passes([*others, c])]
        if not good or len(good) == len(step.changes):
            kept.append(step)
            continue
        usual = next((c for c in good if c.usual), good[0])
        ordered = [usual] + [c for c in good if c is not usual]
        kept.append(step._replace(changes=tuple(c._replace(usual=c is usual) for c in ordered)))
    return kept


# ---- reading what a requirement reads ----------------------------------------------------------

class _Reading(Tracer):
    """The tracer, noting each document field read (with its value) that could be a lever,
    and the reference data read. Reads under a selector (`where`, index key, `if`
    condition) are not levers."""

    def __init__(self, doc, data, bindings, selectors: frozenset, work: list, wheres: frozenset = frozenset(),
                 scopes: dict | None = None):
        super().__init__(doc, data, bindings, scopes=scopes)
        self.work = work  # [expressions evaluated so far], shared by every reading of one fix
        self.selectors = selectors
        self.wheres = wheres  # the ids of the `where` conditions among the selectors
        self.selecting = 0
        self.levers: dict[str, object] = {}
        self.data_read: list[str] = []
        self.under_selectors: list[str] = []  # the fields read by selectors, in order
        self.choosing: set[str] = set()  # the fields a `where` read on an item it chose

    def eval(self, node) -> Traced:
        self.work[0] += 1
        if self.work[0] > WORK_LIMIT:
            raise _TooMuchWork
        if id(node) not in self.selectors:
            return super().eval(node)
        self.selecting += 1
        start = len(self.under_selectors)
        try:
            traced = super().eval(node)
        finally:
            self.selecting -= 1
        if traced.value is True and id(node) in self.wheres:
            self.choosing.update(self.under_selectors[start:])
        return traced

    def note_lever(self, path, value) -> None:
        if path is not None and not self.selecting and _is_lever_value(value):
            self.levers.setdefault(path, value)

    def field(self, value, label, path):
        self.note_lever(path, value)
        if self.selecting and path is not None:
            self.under_selectors.append(path)
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


def _shape(nodes) -> tuple[frozenset, frozenset, frozenset]:
    """What a fix needs to know of a clause's expressions, found in one walk: the ids of the
    subtrees that only choose what is read (`where` conditions, index keys, `if`
    conditions), of the `where` conditions among them, and of every expression."""
    selectors, wheres, every = set(), set(), set()
    for node in n.descendants(tuple(nodes)):
        every.add(id(node))
        if isinstance(node, (n.Aggregate, n.Quantified)) and node.where is not None:
            wheres.add(id(node.where))
        elif isinstance(node, n.Index):
            selectors.add(id(node.index))
        elif isinstance(node, n.Conditional):
            selectors.add(id(node.condition))
    return frozenset(selectors | wheres), frozenset(wheres), frozenset(every)


# The actions that give a field a value (not those that add or remove items of a list)
_SETTING = frozenset({"set", "change", "move", "reduce", "raise", "provide"})
# Expressions whose work grows with the document: they read a list item by item.
_GROWING = (n.Aggregate, n.Quantified, n.Membership)
_LIST_FUNCTIONS = frozenset({"max", "min", "sum", "count", "unique"})


# ---- the solver ------------------------------------------------------------------------------------

class _Solver:
    def __init__(self, data: dict, bindings: dict, note: str | None, conditions, valid=None, scope=None,
                 cache=None):
        self.data = data
        self.scope = scope
        self.valid = valid or (lambda value: True)
        self.bindings = bindings
        self.named_in_note = re.findall(r"`([^`]+)`", note or "")
        shape = cache.shape if cache is not None else None
        if shape is None:
            shape = _shape([*conditions, *(b.expr for b in bindings.values())])
            if cache is not None:
                cache.shape = shape
        self.selectors, self.wheres, self.own = shape
        self.choosing: frozenset = frozenset()  # fields no change may touch (see `chosen_by`)
        # (id(condition), its variables) -> (the condition, its closure, its fixed work or None):
        # the clause's own conditions in the clause's cache, the ones made here (a negation, say)
        # only for this fix, since an entry keeps its condition alive
        self.shared = cache.conditions if cache is not None else {}
        self.local: dict[tuple, tuple] = {}
        self.measured: dict[tuple, tuple] = {}  # the same key -> (condition, the work its first reading took)
        self.work = [0]

    # ---- evaluating on a (changed) document ------------------------------------------------------
    def reading(self, doc, ctx) -> _Reading:
        tracer = _Reading(doc, self.data, self.bindings, self.selectors, self.work, self.wheres,
                          self.scope.defined if self.scope is not None else None)
        for var, (path, value) in ctx.items():
            if path is not None:
                value = value_at(doc, path)
            tracer.locals[var] = Traced(value, var, path)  # shown by its name, as the tracer's own
        return tracer

    def traced(self, node, doc, ctx):
        """(Traced or None when undecided, the reading)."""
        tracer = self.reading(doc, ctx)
        try:
            return tracer.eval(node), tracer
        except Undecided:
            return None, tracer

    def value(self, node, doc, ctx):
        """The value of `node` on `doc` (MISSING when undecided)."""
        if self.scope is None:
            return self.traced_value(node, doc, ctx)
        return self.by_closure(node, doc, ctx, False, self.traced_value, MISSING)

    def holds(self, node, doc, ctx) -> bool | None:
        """True, False, or None when undecided."""
        if self.scope is None:
            return self.traced_truth(node, doc, ctx)
        return self.by_closure(node, doc, ctx, True, self.traced_truth, None)

    def by_closure(self, node, doc, ctx, condition: bool, by_tracer, undecided):
        """`node` decided (a `condition`) or valued on `doc` by the compiler's closure, which gives
        what the tracer (`by_tracer`) would, several times faster; `undecided` when it raises
        Undecided. Its work is counted as a tracer's reading of it would have been."""
        key = (id(node), condition, *ctx)
        table = self.shared if id(node) in self.own else self.local
        known = table.get(key)
        if known is None:  # the entry keeps `node` alive, so its id cannot be reused by another node
            compiler = compile_condition if condition else compile_expr
            known = table[key] = (node, compiler(node, self.scope, frozenset(ctx)), self.fixed_work(node))
        _, closure, work = known
        if work is None:  # its work grows with the document: counted on a first reading, by the tracer
            measured = self.measured.get(key)
            if measured is None:
                before = self.work[0]
                found = by_tracer(node, doc, ctx)
                self.measured[key] = (node, self.work[0] - before)
                return found
            work = measured[1]
        self.work[0] += work  # counted as the first reading of it was: the limit stays one of work done
        if self.work[0] > WORK_LIMIT:
            raise _TooMuchWork
        env = Env(doc, self.data)
        if ctx:
            env.locals = {var: value if path is None else value_at(doc, path) for var, (path, value) in ctx.items()}
        try:
            return closure(env)
        except Undecided:
            return undecided

    def fixed_work(self, node) -> int | None:
        """The expressions a reading of `node` evaluates, when that number does not grow with
        the document (no list is read item by item, through the `let`s it names either), else None."""
        count, pending, seen = 0, [node], set()
        while pending:
            for part in n.descendants(pending.pop()):
                count += 1
                if isinstance(part, _GROWING) or (isinstance(part, n.Call) and part.func in _LIST_FUNCTIONS) or (
                        isinstance(part, n.Compare) and part.op in ("==", "!=")
                        and not isinstance(part.left, n.Literal) and not isinstance(part.right, n.Literal)):
                    return None  # two values read from the document may be lists, compared item by item
                if isinstance(part, n.Name) and part.name in self.bindings and part.name not in seen:
                    seen.add(part.name)
                    pending.append(self.bindings[part.name].expr)
        return count

    def traced_truth(self, node, doc, ctx) -> bool | None:
        try:
            return self.reading(doc, ctx).condition(node).value
        except Undecided:
            return None

    def traced_value(self, node, doc, ctx):
        traced, _ = self.traced(node, doc, ctx)
        return MISSING if traced is None else traced.value

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
            opposite = negated(node.operand)
            return self.steps(opposite, doc, ctx, item) if opposite is not None else []
        if isinstance(node, n.Quantified):
            return self.quantified(node, doc, ctx, item)
        if isinstance(node, n.Compare):
            return self.single(node, self.compare(node, doc, ctx), item)
        if isinstance(node, n.Membership):
            return self.single(node, self.membership(node, doc, ctx), item)
        if isinstance(node, n.Presence):
            return self.single(node, self.presence(node, doc, ctx), item)
        if isinstance(node, n.Aggregate) and node.func == "unique":
            return self.single(node, self.unique(node, doc, ctx), item)
        if isinstance(node, (n.Name, n.Attribute, n.Index)):  # a boolean field required true
            as_compare = n.Compare("==", node, n.Literal(True, "boolean", "true"))
            return self.single(node, self.compare(as_compare, doc, ctx), item)
        return []

    def chosen_by(self, requires, doc) -> frozenset:
        """The fields a `where` of the requirements read on an item it chose. Changing one
        passes the clause by judging less (a Council meeting relabelled SCPF is no longer
        one whose reports are checked), so no change of their values is offered. (A change
        that makes a guard false is never offered either: every change must leave the
        whole clause passing, its guards true.)"""
        if not self.wheres:
            return frozenset()
        chosen: set[str] = set()
        for condition in requires:
            tracer = self.reading(doc, {})
            with contextlib.suppress(Undecided):
                tracer.eval(condition)
            chosen |= tracer.choosing
        return frozenset(chosen)

    def single(self, node, changes: list[Change], item) -> list[Step]:
        changes = [c for c in changes if c.path not in self.choosing or c.action not in _SETTING]
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
        parts = conjuncts(node)
        steps: list[Step] = []
        for part in parts:
            if self.holds(part, doc, ctx) is True:
                continue
            if isinstance(part, n.Presence) and part.test == "exists" and any(
                    p is not part and reads(p, part.operand) for p in parts):
                continue  # `x exists and x == true`: giving x its value makes it exist
            found = self.steps(part, doc, ctx, item)
            if not found:
                return []  # a conjunct that cannot be made to hold: the whole cannot
            steps.extend(found)
            doc = apply_changes([s.changes[0] for s in found], doc)
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
        want = node.body if node.quantifier == "all" else negated(node.body)
        steps: list[Step] = []
        if len(breaking) > MAX_ITEMS:
            return []  # a step for each of thousands of items is no help: said as a note (why_not)
        for position, inner in reversed(breaking):  # from the end: removing an item moves none before it
            item_path = inner[node.var][0]
            found = self.steps(want, doc, inner, item_path) if want is not None else []
            removal = [Change("remove", item_path, source.value[position])] \
                if item_path and self.valid(apply_changes([Change("remove", item_path)], doc)) else []
            if len(found) == 1:
                first = found[0]
                found = [first._replace(item=item_path, changes=first.changes + tuple(removal))]
            elif not found:
                found = self.single(node.body, removal, item_path)
            if not found:
                return []
            steps.extend(found)
            doc = apply_changes([s.changes[0] for s in found], doc)
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
        aimed = aim(node)
        if aimed is not node:
            return self.compare(aimed, doc, ctx)
        decided = self.holds(node, doc, ctx) is not None
        left, left_reading = self.traced(node.left, doc, ctx)
        left_reads = left_reading.levers
        # the comparison reads the left side, then (unless the left was undecided) the right
        right_reads = {}  # a literal reads nothing: no lever (a reading of it would cost a tracer)
        if left is not None and not isinstance(node.right, n.Literal):
            right_reads = self.traced(node.right, doc, ctx)[1].levers
        read = dict(left_reads)
        for path, value in right_reads.items():
            read.setdefault(path, value)
        changes = []
        for path, value in self.fewest(innermost(read)).items():
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

    def fewest(self, levers: dict) -> dict:
        """At most MAX_LEVERS levers: those the note names first, then the others as read (a
        sum over a list of 10,000 items has 10,000 levers; a person needs a few)."""
        named = [p for p in levers if any(name in (p[2:], re.sub(r"\[\d+\]", "", p[2:]))
                                          for name in self.named_in_note)]
        ordered = named + [p for p in levers if p not in named]
        return {p: levers[p] for p in ordered[:MAX_LEVERS]}

    def checked(self, node, changes: list[Change], doc, ctx) -> list[Change]:
        """The changes that, made alone, make `node` hold. A missing field to `provide`
        is kept: no value can be checked for it, and naming it is the help."""
        kept = []
        for change in changes:
            changed = apply_changes([change], doc)
            if change.action == "provide" or (self.holds(node, changed, ctx) is True and self.valid(changed)):
                kept.append(change)
        return kept

    def solve(self, node, path, value, doc, ctx, other, decided: bool) -> Change | None:
        def holds_with(candidate) -> bool:
            return self.holds(node, patched(doc, path, candidate), ctx) is True

        if is_number(value):
            return self.solve_number(node, path, value, doc, ctx, holds_with)
        if value is MISSING and decided:
            # read through `default(x, 0)`: a missing amount counts as nothing, and may be given
            change = self.solve_number(node, path, 0, doc, ctx, holds_with)
            return change._replace(action="set", current=MISSING, amount=None) if change is not None else None
        as_date = date_of(value)
        if as_date is not None and self.dated(node, doc, ctx):
            return self.solve_date(node, path, value, as_date, doc, ctx)
        wanted = self.value(other, doc, ctx)
        if node.op == "==" and wanted is not MISSING and not isinstance(wanted, (list, dict)) \
                and holds_with(wanted):
            return Change("set", path, value, wanted, "exactly")
        if node.op == "!=" and value is not MISSING:
            other_value = different(value)
            if other_value is not None and holds_with(other_value):
                if isinstance(value, bool):
                    return Change("set", path, value, not value, "exactly")
                return Change("change", path, value, value, "other than")
        if value is MISSING:
            return Change("provide", path)
        return None

    def gap(self, node, doc, ctx):
        """left - right as a number (dates as day numbers), or None."""
        left, right = self.value(node.left, doc, ctx), self.value(node.right, doc, ctx)
        left, right = as_number(left), as_number(right)
        if left is None or right is None:
            return None
        try:
            return EXACT.subtract(Decimal(left), Decimal(right))
        except DecimalException:
            return None

    def dated(self, node, doc, ctx) -> bool:
        return as_number(self.value(node.left, doc, ctx)) is not None

    def solve_number(self, node, path, value, doc, ctx, holds_with) -> Change | None:
        step = grid(value)
        found = self.newton(node, path, Decimal(value), step, doc, ctx, holds_with)
        if found is None:
            found = search(Decimal(value), step, holds_with, typed(value))
        if found is None:
            return None
        target = typed(value)(found)
        if value >= 0 > target:
            return None  # a negative amount is never the remedy
        return number_change(node, path, value, target)

    def newton(self, node, path, start: Decimal, grid: Decimal, doc, ctx, holds_with):
        """The boundary of a comparison that is linear in the lever, exactly, then the
        nearest point of the lever's grid on the passing side. A few rounds, for a
        formula with a bend (min, max) between the value and the boundary."""
        x = start
        for _ in range(_NEWTON_ROUNDS):
            here = self.gap(node, patched(doc, path, on_grid(x, grid)), ctx)
            there = self.gap(node, patched(doc, path, on_grid(x + grid, grid)), ctx)
            if here is None or there is None or here == there:
                return None
            try:
                x = EXACT.subtract(x, EXACT.divide(EXACT.multiply(here, grid), EXACT.subtract(there, here)))
            except DecimalException:
                return None
            for candidate in near(x, grid):
                if holds_with(on_grid(candidate, grid)):
                    return candidate
        return None

    def solve_date(self, node, path, value, start: dt.date, doc, ctx) -> Change | None:
        def holds_at(day: Decimal) -> bool:
            try:
                moved = dt.date.fromordinal(int(day))
            except (ValueError, OverflowError):
                return False
            shown = moved.isoformat() if isinstance(value, str) else moved
            return self.holds(node, patched(doc, path, shown), ctx) is True

        bound = self.year_bound(node, path, start, doc, ctx)
        if bound is not None and holds_at(Decimal(bound.toordinal())):
            day = Decimal(bound.toordinal())
        else:
            day = search(Decimal(start.toordinal()), Decimal(1), holds_at, int)
        if day is None:
            return None
        target = dt.date.fromordinal(int(day))
        bound = "at least" if target > start else "at most"
        if node.op in ("==", "!="):
            bound = "exactly"
        return Change("move", path, value, target.isoformat(), bound, int(day) - start.toordinal())

    def year_bound(self, node: n.Compare, path: str, start: dt.date, doc, ctx) -> dt.date | None:
        """For `year(FIELD) op Y`, the date nearest `start` that the comparison allows: the
        first day of a year or the last, worked out instead of searched for (a search
        takes some twenty readings). None for any other comparison."""
        sides = ((node.left, node.right, node.op), (node.right, node.left, FLIPPED[node.op]))
        for call, other, op in sides:
            if not (isinstance(call, n.Call) and call.func == "year" and len(call.args) == 1):
                continue
            argument, _ = self.traced(call.args[0], doc, ctx)
            year = as_number(self.value(other, doc, ctx))
            if argument is None or argument.path != path or year is None or year != int(year):
                continue
            year = int(year)
            if op == "==":
                op = ">=" if start.year < year else "<="
            first = {">=": year, ">": year + 1}.get(op)
            last = {"<=": year, "<": year - 1}.get(op)
            if first is not None and 1 <= first <= 9999:
                return dt.date(first, 1, 1)
            if last is not None and 1 <= last <= 9999:
                return dt.date(last, 12, 31)
        return None

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
            bound = as_number(self.value(other, doc, ctx))
            count = as_number(self.value(side, doc, ctx))
            if listed is None or listed.path is None or not isinstance(listed.value, list) or bound is None \
                    or count is None:
                continue
            op = FLIPPED[node.op] if flipped else node.op
            wanted = whole_count(op, int(count), bound)
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

    def unique(self, node: n.Aggregate, doc, ctx) -> list[Change]:
        """`unique(x for item in list)`: remove each item whose value an earlier item has."""
        source, _ = self.traced(node.source, doc, ctx)
        if source is None or not isinstance(source.value, list) or not source.path:
            return []
        seen, repeated = set(), []
        for position, value in enumerate(source.value):
            inner = {**ctx, node.var: (f"{source.path}[{position}]", value)}
            if node.where is not None and self.holds(node.where, doc, inner) is not True:
                continue
            key = self.value(node.value, doc, inner)
            if key is MISSING:
                return []
            marker = equality_key(key)
            if marker in seen:
                repeated.append(inner[node.var][0])
            seen.add(marker)
        count = len(source.value)
        if len(repeated) > MAX_ITEMS:
            return []  # thousands of items to remove, one by one, are no help
        drop = Change("drop", source.path, count, count - len(repeated), "at most", len(repeated),
                      like=tuple(repeated))
        return self.checked(node, [drop] if repeated else [], doc, ctx)

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
                if self.holds(node, patched(doc, item.path, options[0]), ctx) is True:
                    changes.append(Change("one of", item.path, item.value, options, "one of"))
        else:
            if container.path and isinstance(container.value, list):
                for position, element in enumerate(container.value):
                    if element == item.value and type(element) is type(item.value):
                        changes.append(Change("remove", f"{container.path}[{position}]", element))
                        break
            if item.path:
                other_value = different(item.value)
                if other_value is not None and self.holds(node, patched(doc, item.path, other_value), ctx) is True:
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
