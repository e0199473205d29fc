"""Immutable syntax nodes of the policy language.

Every node carries the `Span` it came from; spans are left out of `==` so that
whole trees compare equal in tests regardless of where they were written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Union

from .source import Span


def _span() -> Span | None:
    return field(default=None, compare=False, repr=False)


# ---- expressions -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Literal:
    """A written value: number, percentage, money, date, string, boolean or null.

    `text` is how the value is shown in explanations (`25%`, `USD 200,000`).
    """

    value: object
    kind: str
    text: str
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Name:
    """A bare name: a quantifier variable, a `let`, a `const` or a document field."""

    name: str
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class DataRef:
    """`data.NAME`: a reference-data document passed beside the checked one."""

    name: str
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Attribute:
    """`obj.name`: a field of an object."""

    obj: "Expr"
    name: str
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Index:
    """`obj[index]`: an item of a list or an entry of a map."""

    obj: "Expr"
    index: "Expr"
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class ListLiteral:
    """`[a, b, c]`."""

    items: tuple["Expr", ...]
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Call:
    """`name(args...)`: one of the built-in functions."""

    func: str
    args: tuple["Expr", ...]
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Aggregate:
    """`sum(value for var in source where condition)`; count, min, max, first and
    unique likewise."""

    func: str
    value: "Expr"
    var: str
    source: "Expr"
    where: "Expr | None"
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Quantified:
    """`all|any|none var in source [where condition]: body`."""

    quantifier: str
    var: str
    source: "Expr"
    where: "Expr | None"
    body: "Expr"
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Conditional:
    """`if condition then a else b`."""

    condition: "Expr"
    then: "Expr"
    otherwise: "Expr"
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Arithmetic:
    """`left op right` with op one of + - * /."""

    op: str
    left: "Expr"
    right: "Expr"
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Negate:
    """`-operand`."""

    operand: "Expr"
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Compare:
    """`left op right` with op one of == != < <= > >=."""

    op: str
    left: "Expr"
    right: "Expr"
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Membership:
    """`item in container`, or `item not in container` when negated."""

    item: "Expr"
    container: "Expr"
    negated: bool
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Presence:
    """`x exists`, `x is missing`, `x is null`, `x is not null`."""

    operand: "Expr"
    test: str  # "exists" | "missing" | "null" | "not_null"
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class And:
    """`left and right` (three-valued, see docs/language.md)."""

    left: "Expr"
    right: "Expr"
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Or:
    """`left or right` (three-valued)."""

    left: "Expr"
    right: "Expr"
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Not:
    """`not operand` (three-valued)."""

    operand: "Expr"
    span: Span | None = _span()


Expr = Union[
    Literal, Name, DataRef, Attribute, Index, ListLiteral, Call, Aggregate, Quantified,
    Conditional, Arithmetic, Negate, Compare, Membership, Presence, And, Or, Not,
]


# ---- declarations -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Template:
    """A message with `{expression}` holes; `parts` alternates text and expressions."""

    parts: tuple["str | Expr", ...]
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Binding:
    """`const NAME = expr` or `let NAME = expr`."""

    name: str
    expr: Expr
    is_const: bool
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Clause:
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
    span: Span | None = _span()

    @property
    def severity(self) -> str:
        """`error` for a `must` clause, `warning` for a `should` clause."""
        return "error" if self.modality == "must" else "warning"


@dataclass(frozen=True, slots=True)
class PolicyHeader:
    """The `policy` block: id, title, source, document kind and effective dates."""

    id: str
    title: str
    source: str
    kind: str
    version: str | None
    effective_from: dt.date | None
    effective_until: dt.date | None
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class PolicyFile:
    """One parsed and lowered policy file."""

    path: str
    header: PolicyHeader
    bindings: tuple[Binding, ...]
    clauses: tuple[Clause, ...]

