"""Immutable syntax nodes of the policy language.

Every node carries the `Span` it came from; spans are left out of `==` so that
whole trees compare equal in tests regardless of where they were written.

Nodes are small classes on a common `Node` base (as in Python's own `ast`), not
dataclasses: they are created at import on every command-line run, and 24 frozen
dataclasses cost about 15 ms to build there, against well under 1 ms for these.
"""

from __future__ import annotations

import datetime as dt

from .source import Span


class Node:
    """Base of every node. Fields are the annotated names of the subclass, in
    order; `span` is optional and is not part of equality or hashing."""

    _fields: tuple[str, ...] = ()

    def __init_subclass__(cls) -> None:
        cls._fields = tuple(name for name in cls.__dict__.get("__annotations__", {}) if name != "span")

    def __init__(self, *args, **kwargs) -> None:
        fields = self._fields
        if len(args) > len(fields) + 1:
            raise TypeError(f"{type(self).__name__} takes {len(fields)} fields and a span")
        values = self.__dict__
        for name, value in zip(fields, args):
            values[name] = value
        values["span"] = args[len(fields)] if len(args) > len(fields) else kwargs.pop("span", None)
        for name in fields[len(args):]:
            if name not in kwargs:
                raise TypeError(f"{type(self).__name__} needs `{name}`")
            values[name] = kwargs.pop(name)
        if kwargs:
            raise TypeError(f"{type(self).__name__} has no field(s) {', '.join(kwargs)}")

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name):
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _values(self) -> tuple:
        return tuple(self.__dict__[name] for name in self._fields)

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self), self._values()))

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={value!r}" for name, value in zip(self._fields, self._values()))
        return f"{type(self).__name__}({inner})"

    def __reduce__(self):
        # The worked-out source text travels with the node, so a policy set from the
        # cache does not unparse its expressions again.
        return (_rebuild, (type(self), self._values(), self.span, self.__dict__.get("_text")))


def source_text(node: Node) -> str:
    """The node's source text, normalised: kept on the node once worked out (a node from the
    policy cache comes with it), else written now by `unparse` (imported only then: a check
    from a warm cache never loads it)."""
    text = node.__dict__.get("_text")
    if text is None:
        from .unparse import unparse

        text = unparse(node)
    return text


def _rebuild(cls, values: tuple, span, text=None):
    node = object.__new__(cls)
    state = node.__dict__
    state.update(zip(cls._fields, values))
    state["span"] = span
    if text is not None:
        state["_text"] = text
    return node


# ---- expressions -------------------------------------------------------------------


class Literal(Node):
    """A written value: number, percentage, money, date, string, boolean or null.

    `text` is how the value is shown in explanations (`25%`, `USD 200,000`).
    """

    value: object
    kind: str
    text: str
    span: Span | None


class Name(Node):
    """A bare name: a quantifier variable, a `let`, a `const` or a document field."""

    name: str
    span: Span | None


class DataRef(Node):
    """`data.NAME`: a reference-data document passed beside the checked one."""

    name: str
    span: Span | None


class ParamRef(Node):
    """`param.NAME`: the reading of a declared parameter, chosen when the policies load."""

    name: str
    span: Span | None


class Attribute(Node):
    """`obj.name`: a field of an object."""

    obj: "Expr"
    name: str
    span: Span | None


class Index(Node):
    """`obj[index]`: an item of a list or an entry of a map."""

    obj: "Expr"
    index: "Expr"
    span: Span | None


class ListLiteral(Node):
    """`[a, b, c]`."""

    items: tuple["Expr", ...]
    span: Span | None


class Call(Node):
    """`name(args...)`: one of the built-in functions."""

    func: str
    args: tuple["Expr", ...]
    span: Span | None


class Aggregate(Node):
    """`sum(value for var in source where condition)`; count, min, max, first and
    unique likewise."""

    func: str
    value: "Expr"
    var: str
    source: "Expr"
    where: "Expr | None"
    span: Span | None


class Quantified(Node):
    """`all|any|none var in source [where condition]: body`."""

    quantifier: str
    var: str
    source: "Expr"
    where: "Expr | None"
    body: "Expr"
    span: Span | None


class Conditional(Node):
    """`if condition then a else b`."""

    condition: "Expr"
    then: "Expr"
    otherwise: "Expr"
    span: Span | None


class Arithmetic(Node):
    """`left op right` with op one of + - * /."""

    op: str
    left: "Expr"
    right: "Expr"
    span: Span | None


class Negate(Node):
    """`-operand`."""

    operand: "Expr"
    span: Span | None


class Compare(Node):
    """`left op right` with op one of == != < <= > >=."""

    op: str
    left: "Expr"
    right: "Expr"
    span: Span | None


class Membership(Node):
    """`item in container`, or `item not in container` when negated."""

    item: "Expr"
    container: "Expr"
    negated: bool
    span: Span | None


class Presence(Node):
    """`x exists`, `x is missing`, `x is null`, `x is not null`."""

    operand: "Expr"
    test: str  # "exists" | "missing" | "null" | "not_null"
    span: Span | None


class And(Node):
    """`left and right` (three-valued, see docs/language.md)."""

    left: "Expr"
    right: "Expr"
    span: Span | None


class Or(Node):
    """`left or right` (three-valued)."""

    left: "Expr"
    right: "Expr"
    span: Span | None


class Not(Node):
    """`not operand` (three-valued)."""

    operand: "Expr"
    span: Span | None


Expr = (
    Literal | Name | DataRef | ParamRef | Attribute | Index | ListLiteral | Call | Aggregate | Quantified
    | Conditional | Arithmetic | Negate | Compare | Membership | Presence | And | Or | Not
)


# ---- declarations -----------------------------------------------------------------------


class Template(Node):
    """A message with `{expression}` holes; `parts` alternates text and expressions."""

    parts: tuple["str | Expr", ...]
    span: Span | None


class Binding(Node):
    """`const NAME = expr` or `let NAME = expr`."""

    name: str
    expr: Expr
    is_const: bool
    span: Span | None


class Parameter(Node):
    """`param NAME { ... }`: a question of reading the text leaves open, its allowed
    readings (`values`: pairs of the value and what it means), and the `default`."""

    name: str
    title: str
    cite: str | None
    values: tuple[tuple[str, str], ...]
    default: str
    span: Span | None

    @property
    def allowed(self) -> tuple[str, ...]:
        """The values a reading of this parameter may take, in the order written."""
        return tuple(value for value, _ in self.values)


class Clause(Node):
    """One rule: what it encodes, when it applies and what it requires."""

    id: str
    title: str
    cite: str
    quote: str
    note: str | None
    modality: str  # "must" | "should"
    guards: tuple[Expr, ...]
    requires: tuple[Expr, ...]
    lets: tuple[Binding, ...]
    message: Template | None
    effective_from: dt.date | None
    effective_until: dt.date | None
    span: Span | None

    @property
    def severity(self) -> str:
        """`error` for a `must` clause, `warning` for a `should` clause."""
        return "error" if self.modality == "must" else "warning"


class PolicyHeader(Node):
    """The `policy` block: id, title, source, document kind and effective dates."""

    id: str
    title: str
    source: str
    kind: str
    version: str | None
    effective_from: dt.date | None
    effective_until: dt.date | None
    span: Span | None


class PolicyFile(Node):
    """One parsed and lowered policy file."""

    path: str
    header: PolicyHeader
    bindings: tuple[Binding, ...]
    clauses: tuple[Clause, ...]
    parameters: tuple[Parameter, ...]



def descendants(value):
    """Every node in a node, or in a tuple of nodes, the outer ones first."""
    if isinstance(value, Node):
        yield value
        for field in value._values():
            yield from descendants(field)
    elif isinstance(value, tuple):
        for item in value:
            yield from descendants(item)
