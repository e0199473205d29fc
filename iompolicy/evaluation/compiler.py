"""The fast path: each expression compiled once into a tree of Python closures.

Nothing from a policy or a document is ever turned into Python source; the
closures only call the functions of `operations` and `builtins`. A closure
takes an `Env` and returns a value or raises `Undecided`.
"""

from __future__ import annotations

import operator as _operator
from decimal import Decimal

from ..language import syntax as n
from . import operations as op
from .functions import FUNCTIONS, finish_aggregate
from ..language.parameters import PREFIX, reading_bindings
from ..values import MISSING, Undecided


class Env:
    """What one evaluation reads: the document, reference data (with the file each set
    came from, in `sources`, to explain a key it lacks), bound variables, and the values
    of `let`s computed so far (each is computed once per document)."""

    __slots__ = ("doc", "data", "sources", "locals", "cache")

    def __init__(self, doc: dict, data: dict, sources: dict | None = None):
        self.doc = doc
        self.data = data
        self.sources = sources  # None when no data came from a file (the tracer reads it only to explain)
        self.locals: dict = {}
        self.cache: dict = {}


class Bindings:
    """The compiled `const`s and `let`s visible in a scope, by name."""

    def __init__(self, parent: "Bindings | None" = None):
        self.table: dict[str, tuple[object, object]] = dict(parent.table) if parent else {}
        # id(binding) -> the table it was compiled with (what its names meant where it was
        # written); the generated code (`codegen`) resolves a `let`'s names by it
        self.defined: dict[int, dict] = dict(parent.defined) if parent else {}

    @classmethod
    def of_readings(cls, readings) -> "Bindings":
        """A scope holding the readings of parameters (`{name: value}`), each the constant
        binding `param.NAME`: what every scope of a policy file starts from."""
        scope = cls()
        for binding in reading_bindings(readings):
            scope.add(binding, compile_binding(binding, scope))
        return scope

    def add(self, binding: n.Binding, compiled) -> None:
        self.defined[id(binding)] = dict(self.table)
        self.table[binding.name] = (binding, compiled)

    def get(self, name: str):
        return self.table.get(name)


def compile_binding(binding: n.Binding, bindings: Bindings):
    """A `const` becomes its value (computed now); a `let` a cached closure."""
    body = compile_expr(binding.expr, bindings, frozenset())
    if binding.is_const:
        value = body(Env({}, {}))  # the checker made sure a const reads nothing
        return lambda env: value
    key = object()

    def let_value(env: Env):
        cache = env.cache
        if key in cache:
            value = cache[key]
        else:
            try:
                value = body(env)
            except Undecided as undecided:
                value = undecided.kept()  # see `values.Undecided`
            cache[key] = value
        if isinstance(value, Undecided):
            raise value.again()  # the frames it goes through hold the cache that keeps `value`
        return value

    return let_value


def compile_expr(node, bindings: Bindings, local_names: frozenset):
    """A closure `f(env) -> value` for one expression."""
    return _COMPILERS[type(node)](node, bindings, local_names)


def compile_condition(node, bindings: Bindings, local_names: frozenset = frozenset()):
    """A closure that returns True or False, or raises Undecided."""
    body = compile_expr(node, bindings, local_names)
    what = n.source_text(node)
    truth = op.truth

    def condition(env):
        value = body(env)
        if value is True or value is False:
            return value
        return truth(value, what)

    return condition


# ---- one compiler per node type ---------------------------------------------------------

def _literal(node: n.Literal, bindings, local_names):
    value = node.value
    return lambda env: value


def _name(node: n.Name, bindings: Bindings, local_names):
    name = node.name
    if name in local_names:
        return lambda env: env.locals[name]
    found = bindings.get(name)
    if found is not None:
        return found[1]
    return lambda env: env.doc.get(name, MISSING)


def _data_ref(node: n.DataRef, bindings, local_names):
    name = node.name

    def data(env):
        try:
            return env.data[name]
        except KeyError:
            raise Undecided(f"reference data `{name}` was not given") from None

    return data


def _param_ref(node: n.ParamRef, bindings: Bindings, local_names):
    found = bindings.get(PREFIX + node.name)
    if found is None:  # the checker refuses an undeclared parameter, and every declared one has a reading
        raise LookupError(f"no reading of parameter `{node.name}` was compiled")
    return found[1]


def _attribute(node: n.Attribute, bindings, local_names):
    obj = compile_expr(node.obj, bindings, local_names)
    name, what, attribute = node.name, n.source_text(node.obj), op.attribute

    def get(env):
        value = obj(env)
        if type(value) is dict:
            return value.get(name, MISSING)
        return attribute(value, name, what)

    return get


def _index(node: n.Index, bindings, local_names):
    obj = compile_expr(node.obj, bindings, local_names)
    key = compile_expr(node.index, bindings, local_names)
    what, key_what, index = n.source_text(node.obj), n.source_text(node.index), op.index
    return lambda env: index(obj(env), key(env), what, key_what)


def _list(node: n.ListLiteral, bindings, local_names):
    items = [compile_expr(i, bindings, local_names) for i in node.items]
    whats = [n.source_text(i) for i in node.items]
    present = op.present
    return lambda env: [present(item(env), w) for item, w in zip(items, whats)]


def _call(node: n.Call, bindings, local_names):
    args = [compile_expr(a, bindings, local_names) for a in node.args]
    whats = [n.source_text(a) for a in node.args]
    body = FUNCTIONS[node.func]
    return lambda env: body([a(env) for a in args], whats)


def _aggregate(node: n.Aggregate, bindings, local_names):
    inner = local_names | {node.var}
    source = compile_expr(node.source, bindings, local_names)
    value = compile_expr(node.value, bindings, inner)
    where = compile_condition(node.where, bindings, inner) if node.where is not None else None
    var, func = node.var, node.func
    source_what, value_what = n.source_text(node.source), n.source_text(node.value)

    def aggregate(env):
        items = op.elements(source(env), source_what)
        chosen = []
        locals_ = env.locals
        saved = locals_.get(var, MISSING)
        try:
            for item in items:
                locals_[var] = item
                if where is None or where(env):
                    chosen.append(None if func == "count" else value(env))
        finally:
            _restore(locals_, var, saved)
        return finish_aggregate(func, chosen, value_what, source_what)

    return aggregate


def _restore(locals_: dict, var: str, saved) -> None:
    if saved is MISSING:
        locals_.pop(var, None)
    else:
        locals_[var] = saved


def _quantified(node: n.Quantified, bindings, local_names):
    source = compile_expr(node.source, bindings, local_names)
    body = compile_condition(node.body, bindings, local_names | {node.var})
    where = compile_condition(node.where, bindings, local_names | {node.var}) if node.where is not None else None
    var, quantifier, source_what = node.var, node.quantifier, n.source_text(node.source)
    # all: stop at the first false; any/none: stop at the first true.
    decisive = quantifier != "all"

    def quantified(env):
        items = op.elements(source(env), source_what)
        locals_ = env.locals
        saved = locals_.get(var, MISSING)
        undecided = None
        try:
            for item in items:
                locals_[var] = item
                try:
                    if where is not None and not where(env):
                        continue
                    if body(env) is decisive:
                        return quantifier == "any"
                except Undecided as reason:
                    undecided = undecided or reason.kept()  # see `values.Undecided`
        finally:
            _restore(locals_, var, saved)
        if undecided is not None:
            raise undecided.again()  # this frame holds `undecided`
        return quantifier != "any"

    return quantified


def _conditional(node: n.Conditional, bindings, local_names):
    condition = compile_condition(node.condition, bindings, local_names)
    then = compile_expr(node.then, bindings, local_names)
    otherwise = compile_expr(node.otherwise, bindings, local_names)
    return lambda env: then(env) if condition(env) else otherwise(env)


def _arithmetic(node: n.Arithmetic, bindings, local_names):
    left = compile_expr(node.left, bindings, local_names)
    right = compile_expr(node.right, bindings, local_names)
    operator, lw, rw, arithmetic = node.op, n.source_text(node.left), n.source_text(node.right), op.arithmetic
    return lambda env: arithmetic(operator, left(env), right(env), lw, rw)


def _negate(node: n.Negate, bindings, local_names):
    operand = compile_expr(node.operand, bindings, local_names)
    what = n.source_text(node.operand)
    return lambda env: op.negate(operand(env), what)


_SAME_KIND = {int: 1, Decimal: 1, str: 2}  # pairs of these compare directly (bool is not int here)
_EQUALITY_KIND = {**_SAME_KIND, bool: 3, type(None): 4}  # and for == and != also these


def _compare(node: n.Compare, bindings, local_names):
    left = compile_expr(node.left, bindings, local_names)
    right = compile_expr(node.right, bindings, local_names)
    operator, lw, rw, compare = node.op, n.source_text(node.left), n.source_text(node.right), op.compare
    direct = _OPERATORS[operator]
    kinds = (_EQUALITY_KIND if operator in ("==", "!=") else _SAME_KIND).get

    def comparison(env):
        a, b = left(env), right(env)
        kind = kinds(type(a))
        if kind is not None and kind == kinds(type(b)):
            return direct(a, b)  # two numbers or two strings: the same answer as op.compare, sooner
        return compare(operator, a, b, lw, rw)

    return comparison


def _membership(node: n.Membership, bindings, local_names):
    item = compile_expr(node.item, bindings, local_names)
    container = compile_expr(node.container, bindings, local_names)
    iw, cw, negated, member = n.source_text(node.item), n.source_text(node.container), node.negated, op.member
    return lambda env: member(item(env), container(env), iw, cw) is not negated


def _presence(node: n.Presence, bindings, local_names):
    operand = compile_expr(node.operand, bindings, local_names)
    test = node.test
    if test == "exists":
        return lambda env: operand(env) is not MISSING
    if test == "missing":
        return lambda env: operand(env) is MISSING
    what = n.source_text(node.operand)
    want_null = test == "null"
    return lambda env: (op.present(operand(env), what) is None) is want_null


def _and(node: n.And, bindings, local_names):
    left = compile_condition(node.left, bindings, local_names)
    right = compile_condition(node.right, bindings, local_names)

    def conjunction(env):
        try:
            if not left(env):
                return False
        except Undecided:
            if right(env) is False:  # false and undecided is false
                return False
            raise
        return right(env)

    return conjunction


def _or(node: n.Or, bindings, local_names):
    left = compile_condition(node.left, bindings, local_names)
    right = compile_condition(node.right, bindings, local_names)

    def disjunction(env):
        try:
            if left(env):
                return True
        except Undecided:
            if right(env) is True:  # true or undecided is true
                return True
            raise
        return right(env)

    return disjunction


def _not(node: n.Not, bindings, local_names):
    operand = compile_condition(node.operand, bindings, local_names)
    return lambda env: not operand(env)


_OPERATORS = {"==": _operator.eq, "!=": _operator.ne, "<": _operator.lt, "<=": _operator.le,
              ">": _operator.gt, ">=": _operator.ge}

_COMPILERS = {
    n.Literal: _literal, n.Name: _name, n.DataRef: _data_ref, n.ParamRef: _param_ref, n.Attribute: _attribute,
    n.Index: _index, n.ListLiteral: _list, n.Call: _call, n.Aggregate: _aggregate,
    n.Quantified: _quantified, n.Conditional: _conditional, n.Arithmetic: _arithmetic,
    n.Negate: _negate, n.Compare: _compare, n.Membership: _membership,
    n.Presence: _presence, n.And: _and, n.Or: _or, n.Not: _not,
}
