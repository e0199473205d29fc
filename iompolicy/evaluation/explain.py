"""The explaining path: re-evaluates a clause that failed or could not be decided,
and renders the expression with the values that decided it.

It has the same semantics as `compiler` (both call `operations`), and the
conformance suite runs every case through both to keep it so. It is slower and
is only run for results that need an explanation.
"""

from __future__ import annotations

import contextlib
import datetime as dt

from ..language import syntax as n
from . import operations as op
from .missing import MissingFact
from .functions import FUNCTIONS, finish_aggregate
from ..language.parameters import PREFIX
from ..language.unparse import precedence, unparse, wrap
from ..records import Record
from ..stopping import Stopped, stop_flag
from ..values import MISSING, Undecided, format_value, is_scalar

_tuple_new = tuple.__new__
_SHOWS_RESULT = (n.Arithmetic, n.Call, n.Aggregate, n.Conditional, n.Negate)


class Traced(Record, fields="value text path label absent fact origin", defaults=(None, None, None, None, None)):
    """A value, how to show it, and where in the document it came from: its `path`, or None;
    `label`, a field's name with concrete keys (`states["BGR"].member`), or None; `absent`, why
    a missing value is missing (`"FRA"` is not in a register), or None; `fact`, for a missing
    value, the MissingFact saying which fact is missing; `origin`, for reference data, (data
    set, keys from its top)."""

    __slots__ = ()

    def __new__(cls, value, text, path=None, label=None, absent=None, fact=None, origin=None):
        # Written out: the tracer names fields in most of the Traced it makes, which a
        # Record's general `__new__` takes in Python (about four times the cost of this).
        return _tuple_new(cls, (value, text, path, label, absent, fact, origin))


class Tracer:
    """Evaluates nodes like the compiler does, keeping what it read and why."""

    def __init__(self, doc: dict, data: dict, bindings: dict[str, n.Binding], sources: dict | None = None,
                 scopes: dict[int, dict] | None = None):
        self.stop = stop_flag()  # read once: a stopped request stops at the next node (see eval)
        self.doc = doc
        self.data = data
        self.sources = sources or {}  # reference-data name -> the file it came from
        self.bindings = bindings
        # id(binding) -> what the names meant where it was written (`compiler.Bindings.defined`):
        # a file's `let` reads the file's names, not those a clause's `let` hides them with
        self.scopes = scopes or {}
        self.absences: dict[str, str] = {}  # an operand's text -> why it was last found missing
        self.locals: dict[str, Traced] = {}
        self.let_values: dict[int, Traced | Undecided] = {}  # id(binding) -> its value, or why it has none
        self.notes: list[str] = []
        self.reads: list[str] = _Reads()
        self.missing_at: dict[str, MissingFact] = {}  # source text of an operand found missing -> its fact

    # ---- entry points ------------------------------------------------------------------
    def condition(self, node) -> Traced:
        traced = self.eval(node)
        op.truth(traced.value, unparse(node))
        return traced

    def eval(self, node) -> Traced:
        stop = self.stop  # an explanation of a long list can take seconds: a stopped request stops here
        if stop is not None and stop.is_set():
            raise Stopped
        try:
            traced = _handler(type(self), type(node))(self, node)
        except Undecided as undecided:
            if undecided.path is None:
                undecided.path = self.reads[-1] if self.reads else None
            if undecided.why_missing is None and undecided.missing is not None:
                undecided.why_missing = self.absences.get(undecided.missing)
            if undecided.fact is None and undecided.missing is not None:
                undecided.fact = self.missing_at.get(undecided.missing)
            raise
        if traced.absent is not None:
            self.absences[unparse(node)] = traced.absent
        if traced.value is MISSING and traced.fact is not None:
            self.missing_at.setdefault(unparse(node), traced.fact)  # an operator finding it missing names it
        return traced

    def operand(self, node) -> Traced:
        """An operand shown inside a larger expression (formulas show their result)."""
        traced = self.eval(node)
        if isinstance(node, _SHOWS_RESULT):
            return Traced(traced.value, f"{traced.text} = {format_value(traced.value)}", traced.path)
        return traced

    def read(self, path: str | None, replaces: str | None = None) -> None:
        """Note a document path read; a field of a path read just before replaces it."""
        if replaces is not None and self.reads and self.reads[-1] == replaces:
            self.reads.pop()
        if path is not None and path not in self.reads:  # a set lookup: explaining n items costs O(n)
            self.reads.append(path)

    def field(self, value, label: str, path: str | None) -> Traced:
        return Traced(value, _shown(label, value), path, label)

    # ---- one method per node type -------------------------------------------------------
    def on_Literal(self, node: n.Literal) -> Traced:
        return Traced(node.value, node.text)

    def on_Name(self, node: n.Name) -> Traced:
        name = node.name
        if name in self.locals:
            local = self.locals[name]
            return Traced(local.value, name, local.path, name, fact=local.fact, origin=local.origin)
        if name in self.bindings:
            return self.binding(self.bindings[name])
        value = self.doc.get(name, MISSING)
        path = f"$.{name}"
        self.read(path)
        return self.field(value, name, path)._replace(fact=MissingFact.field(path) if value is MISSING else None)

    def binding(self, binding: n.Binding) -> Traced:
        name, key = binding.name, id(binding)
        if key not in self.let_values:
            saved, self.locals = self.locals, {}  # a let sees no quantifier variables
            names = self.bindings
            written_among = self.scopes.get(key)
            if written_among is not None:  # read with the names of where it was written
                self.bindings = {other: found for other, (found, _) in written_among.items()}
            try:
                inner = self.eval(binding.expr)
                self.let_values[key] = inner
                if not binding.is_const and not isinstance(binding.expr, n.Literal) and is_scalar(inner.value):
                    self.notes.append(f"{name} = {inner.text} = {format_value(inner.value)}")
            except Undecided as undecided:
                self.let_values[key] = undecided.kept()  # see `values.Undecided`
            finally:
                self.locals, self.bindings = saved, names
        found = self.let_values[key]
        if isinstance(found, Undecided):
            raise found.again()  # this frame, and the tracer, hold `found`
        if isinstance(binding.expr, n.Literal) and binding.expr.kind == "percent":
            return Traced(found.value, f"{name} ({binding.expr.text})")  # 30%, as written, not 0.3
        return Traced(found.value, _shown(name, found.value), found.path, absent=found.absent, fact=found.fact,
                      origin=found.origin)

    def on_DataRef(self, node: n.DataRef) -> Traced:
        if node.name not in self.data:
            raise Undecided(f"reference data `{node.name}` was not given", fact=MissingFact("data", dataset=node.name))
        return Traced(self.data[node.name], f"data.{node.name}", None, f"data.{node.name}", origin=(node.name, ()))

    def on_ParamRef(self, node: n.ParamRef) -> Traced:
        # The reading is a constant binding `param.NAME` among the clause's bindings.
        value = self.binding(self.bindings[PREFIX + node.name]).value
        return Traced(value, _shown(f"param.{node.name}", value))

    def on_Attribute(self, node: n.Attribute) -> Traced:
        parent = self.eval(node.obj)
        value = op.attribute(parent.value, node.name, unparse(node.obj))
        path = f"{parent.path}.{node.name}" if parent.path else None
        self.read(path, replaces=parent.path)
        traced = self.field(value, f"{parent.label or unparse(node.obj)}.{node.name}", path)
        traced = self.derived(traced, parent, node.name)
        return traced._replace(absent=parent.absent) if value is MISSING and parent.absent else traced

    def on_Index(self, node: n.Index) -> Traced:
        parent = self.eval(node.obj)
        key = self.eval(node.index)
        value = op.index(parent.value, key.value, unparse(node.obj), unparse(node.index))
        path = None
        if parent.path and key.value is not MISSING:
            path = f"{parent.path}[{key.value}]" if isinstance(parent.value, list) else f"{parent.path}.{key.value}"
        self.read(path, replaces=parent.path)
        traced = self.field(value, f"{parent.label or unparse(node.obj)}[{format_value(key.value)}]", path)
        traced = self.derived(traced, parent, key.value)
        if value is MISSING and type(parent.value) is dict and isinstance(key.value, str):
            return traced._replace(absent=self.not_in_register(parent.value, key.value) or parent.absent)
        return traced._replace(absent=parent.absent) if value is MISSING and parent.absent else traced

    def not_in_register(self, mapping: dict, key: str) -> str | None:
        """`FRA` is not in the `member_states` register (its file, as of its date), when
        `mapping` is reference data or a part of it; None for a part of the document."""
        register = self.register_holding(mapping)
        return None if register is None else f"`{key[:80]}` is not in the {register}"

    def register_holding(self, part) -> str | None:
        """The `name` register (its file, as of its date) that `part` is, or is a field of;
        None when `part` is not reference data. Found by identity: only on explaining."""
        for name, register in self.data.items():
            if register is part or (type(register) is dict and any(v is part for v in register.values())):
                where = [self.sources[name]] if name in self.sources else []
                as_of = register.get("as_of") if type(register) is dict else None
                if isinstance(as_of, (str, dt.date)):
                    where.append(f"as of {as_of if isinstance(as_of, str) else as_of.isoformat()}")
                return f"`{name}` register" + (f" ({', '.join(where)})" if where else "")
        return None

    def not_found(self, node: n.Aggregate, source: Traced) -> str | None:
        """Why `first(... for x in register.items where x.field == key)` found nothing: `key`
        is not in the register (or, for another condition, no item of it meets it)."""
        register = self.register_holding(source.value)
        if register is None or node.where is None:
            return None
        looked_for = self.looked_for(node)
        if isinstance(node.where, n.Compare) and len(looked_for) == 1:
            (field, key), = looked_for
            if _reads_only(field, node.var) and isinstance(key, (str, int)) and not isinstance(key, bool):
                return f"`{str(key)[:80]}` is not in the {register}"
        return f"no `{node.var}` of the {register} has `{unparse(node.where)}`"

    def looked_for(self, node: n.Aggregate) -> list[tuple]:
        """What `node.where` asks of an item: each comparison with `==` of the item's side
        (`project.id`) to a value read from elsewhere (the document), with that value."""
        found = []
        for compare in _equalities(node.where):
            for mine, other in ((compare.left, compare.right), (compare.right, compare.left)):
                if _mentions(mine, node.var) and not _mentions(other, node.var):
                    try:
                        found.append((mine, self.eval(other).value))
                    except Undecided:
                        continue
                    break
        return found

    def derived(self, traced: Traced, parent: Traced, key) -> Traced:
        """A field or entry read from `parent`, with where it comes from: a missing one names
        the fact that is missing (the innermost entry of reference data that is not there,
        or the document's field), and one of reference data keeps its data set and keys."""
        origin = (parent.origin[0], (*parent.origin[1], key)) if parent.origin is not None else None
        if traced.value is not MISSING:
            return traced._replace(origin=origin)
        if parent.value is MISSING and parent.fact is not None and parent.fact.source == "data":
            return traced._replace(fact=parent.fact)  # `register["ZMB"].member`: ZMB is what is missing
        if origin is not None:
            return traced._replace(fact=MissingFact.data(origin[0], origin[1], self.data))
        if traced.path is not None:
            return traced._replace(fact=MissingFact.field(traced.path))
        return traced._replace(fact=parent.fact)

    def on_ListLiteral(self, node: n.ListLiteral) -> Traced:
        items = [self.eval(i) for i in node.items]
        values = [op.present(t.value, unparse(i)) for t, i in zip(items, node.items)]
        return Traced(values, "[" + ", ".join(t.text for t in items) + "]")

    def on_Call(self, node: n.Call) -> Traced:
        args = [self.operand(a) for a in node.args]
        value = FUNCTIONS[node.func]([a.value for a in args], [unparse(a) for a in node.args])
        return Traced(value, f"{node.func}(" + ", ".join(a.text for a in args) + ")")

    def each(self, var: str, source: Traced):
        """Bind `var` to each item in turn, with the item's document path."""
        items = op.elements(source.value, source.text)
        saved = self.locals.get(var)
        try:
            for position, item in enumerate(items):
                path = f"{source.path}[{position}]" if source.path else None
                origin = (source.origin[0], (*source.origin[1], position)) if source.origin is not None else None
                # shown by its name (`on_Name`): formatting every item of a long list took most
                # of its explanation's time (100,000 budget lines: 4.5 of 10 s profiled)
                self.locals[var] = Traced(item, var, path, origin=origin)
                yield position, item, path
        finally:
            if saved is None:
                self.locals.pop(var, None)
            else:
                self.locals[var] = saved

    def on_Aggregate(self, node: n.Aggregate) -> Traced:
        source = self.eval(node.source)
        chosen = []
        for _position, _item, _path in self.each(node.var, source):
            if node.where is None or self.condition(node.where).value:
                chosen.append(None if node.func == "count" else self.eval(node.value).value)
        try:
            value = finish_aggregate(node.func, chosen, unparse(node.value), unparse(node.source))
        except Undecided as undecided:
            if node.func == "first" and not chosen:  # `first` of nothing: say what was looked for, and where
                undecided.why_missing = self.not_found(node, source)
            if node.func == "first" and not chosen and source.origin is not None and undecided.fact is None:
                undecided.fact = MissingFact.data(*source.origin, self.data, self.wanted(node))
            raise
        where = f" where {unparse(node.where)}" if node.where is not None else ""
        text = f"{node.func}({unparse(node.value)} for {node.var} in {source.text}{where})"
        return Traced(value, text)

    def wanted(self, node: n.Aggregate) -> str | None:
        """What an item of a list of reference data would need to match `node.where`:
        `project.id` = "IDF-2009-X" (see `looked_for`), else the condition as written."""
        parts = [f"`{unparse(field)}` = {format_value(value)}" for field, value in self.looked_for(node)]
        return " and ".join(parts) or (f"`{unparse(node.where)}`" if node.where is not None else None)

    def on_Quantified(self, node: n.Quantified) -> Traced:
        source = self.eval(node.source)
        decisive = node.quantifier != "all"
        undecided, witness = None, None
        for _position, item, path in self.each(node.var, source):
            mark = len(self.reads)
            try:
                if node.where is not None and not self.condition(node.where).value:
                    continue
                body = self.condition(node.body)
            except Undecided as reason:
                undecided = undecided or reason.kept()  # see `values.Undecided`
                continue
            finally:
                del self.reads[mark:]
            if body.value is decisive:
                witness = f"{node.var} = {format_value(item)}" if is_scalar(item) else node.var
                witness += f" at {path[2:]}" if path else ""
                witness += f": {body.text}"
                self.read(path, replaces=source.path)
                value = node.quantifier == "any"
                break
        else:
            if undecided is not None:
                raise undecided.again()  # this frame holds `undecided`
            value = node.quantifier != "any"
        where = f" where {unparse(node.where)}" if node.where is not None else ""
        header = f"{node.quantifier} {node.var} in {source.text}{where}: {unparse(node.body)}"
        if witness is not None:
            verdict = "holds" if node.quantifier == "any" else "fails"
            header += f" [{verdict} for {witness}]"
        elif source.value == []:
            header += " [the list is empty]"
        return Traced(value, header)

    def on_Conditional(self, node: n.Conditional) -> Traced:
        condition = self.condition(node.condition)
        if condition.value:
            chosen = self.eval(node.then)
            text = f"if {condition.text} then {chosen.text} else {unparse(node.otherwise)}"
        else:
            chosen = self.eval(node.otherwise)
            text = f"if {condition.text} then {unparse(node.then)} else {chosen.text}"
        return Traced(chosen.value, text, chosen.path, None, chosen.absent, chosen.fact, chosen.origin)

    def on_Arithmetic(self, node: n.Arithmetic) -> Traced:
        left, right = self.eval(node.left), self.eval(node.right)
        with _both_missing(left, right):
            value = op.arithmetic(node.op, left.value, right.value, unparse(node.left), unparse(node.right))
        level = precedence(node)
        text = f"{wrap(node.left, left.text, level)} {node.op} {wrap(node.right, right.text, level + 1)}"
        return Traced(value, text)

    def on_Negate(self, node: n.Negate) -> Traced:
        inner = self.eval(node.operand)
        return Traced(op.negate(inner.value, unparse(node.operand)), "-" + wrap(node.operand, inner.text, precedence(node)))

    def on_Compare(self, node: n.Compare) -> Traced:
        left, right = self.operand(node.left), self.operand(node.right)
        with _both_missing(left, right):
            value = op.compare(node.op, left.value, right.value, unparse(node.left), unparse(node.right))
        return Traced(value, f"{left.text} {node.op} {right.text}")

    def on_Membership(self, node: n.Membership) -> Traced:
        item, container = self.operand(node.item), self.operand(node.container)
        value = op.member(item.value, container.value, unparse(node.item), unparse(node.container)) is not node.negated
        word = "not in" if node.negated else "in"
        return Traced(value, f"{item.text} {word} {container.text}")

    def on_Presence(self, node: n.Presence) -> Traced:
        operand = self.eval(node.operand)
        words = {"exists": "exists", "missing": "is missing", "null": "is null", "not_null": "is not null"}
        if node.test == "exists":
            value = operand.value is not MISSING
        elif node.test == "missing":
            value = operand.value is MISSING
        else:
            value = (op.present(operand.value, unparse(node.operand)) is None) is (node.test == "null")
        return Traced(value, f"{operand.text} {words[node.test]}", operand.path)

    def on_And(self, node: n.And) -> Traced:
        return self.logic(node, "and", stop=False)

    def on_Or(self, node: n.Or) -> Traced:
        return self.logic(node, "or", stop=True)

    def logic(self, node, word: str, stop: bool) -> Traced:
        """`and` stops at false, `or` at true; undecided loses to the stopping value.

        When one side decides the result, only the fields that side read are kept
        as the result's location: the false side of a failed `and` is where to look.
        """
        start = len(self.reads)
        try:
            left = self.condition(node.left)
        except Undecided:
            middle = len(self.reads)
            right = self.condition_or_none(node.right)
            if right is not None and right.value is stop:
                del self.reads[start:middle]
                return Traced(stop, f"{unparse(node.left)} (undecided) {word} {right.text}")
            raise
        if left.value is stop:
            return Traced(stop, f"{wrap(node.left, left.text, precedence(node))} {word} {unparse(node.right)}")
        middle = len(self.reads)
        right = self.condition(node.right)
        if right.value is stop:
            del self.reads[start:middle]
        level = precedence(node)
        return Traced(right.value, f"{wrap(node.left, left.text, level)} {word} {wrap(node.right, right.text, level + 1)}")

    def condition_or_none(self, node) -> Traced | None:
        try:
            return self.condition(node)
        except Undecided:
            return None

    def on_Not(self, node: n.Not) -> Traced:
        inner = self.condition(node.operand)
        return Traced(not inner.value, "not " + wrap(node.operand, inner.text, precedence(node)))


def _reads_only(node, var: str) -> bool:
    """`node` is a field of the comprehension's variable: `project.id`."""
    while isinstance(node, (n.Attribute, n.Index)):
        node = node.obj
    return isinstance(node, n.Name) and node.name == var


@contextlib.contextmanager
def _both_missing(left: Traced, right: Traced):
    """When both operands are missing, the one the operator stops at and the other are both
    missing facts: name both (`unearmarked + interest` with neither given)."""
    try:
        yield
    except Undecided as undecided:
        if left.value is MISSING and right.value is MISSING and left.fact and right.fact:
            undecided.fact = undecided.fact or left.fact
            undecided.others = (*undecided.others, right.fact)
        raise


def _equalities(node) -> list:
    """The `==` comparisons joined by `and` in a condition."""
    if isinstance(node, n.And):
        return _equalities(node.left) + _equalities(node.right)
    return [node] if isinstance(node, n.Compare) and node.op == "==" else []


_HANDLERS: dict[tuple, object] = {}  # (tracer class, node class) -> its `on_` method


def _handler(tracer: type, node: type):
    """The method of `tracer` that evaluates a `node` (found once: a tracer evaluates
    thousands of nodes, and a `getattr` of a name built for each one costs)."""
    found = _HANDLERS.get((tracer, node))
    if found is None:
        found = _HANDLERS[(tracer, node)] = getattr(tracer, "on_" + node.__name__)
    return found


def _mentions(node, name: str) -> bool:
    """Does the expression read the variable `name`?"""
    return any(isinstance(found, n.Name) and found.name == name for found in n.descendants(node))


def _shown(label: str, value) -> str:
    """`label (value)`; a list shows its length, an object only its name."""
    if isinstance(value, dict):
        return label
    if isinstance(value, list) and len(value) != 1:
        return f"{label} ({len(value)} items)"
    return f"{label} ({format_value(value)})"


class _Reads(list):
    """The paths read, in order, with membership in constant time (a list scan made
    explaining a clause over n list items cost n squared)."""

    def __init__(self):
        super().__init__()
        self._count: dict[str, int] = {}

    def __contains__(self, path) -> bool:
        return path in self._count

    def append(self, path: str) -> None:
        super().append(path)
        self._count[path] = self._count.get(path, 0) + 1

    def pop(self, index: int = -1) -> str:
        path = super().pop(index)
        self._forget(path)
        return path

    def __delitem__(self, index) -> None:
        removed = self[index] if isinstance(index, slice) else [self[index]]
        super().__delitem__(index)
        for path in removed:
            self._forget(path)

    def clear(self) -> None:
        super().clear()
        self._count.clear()

    def _forget(self, path: str) -> None:
        left = self._count[path] - 1
        if left:
            self._count[path] = left
        else:
            del self._count[path]
