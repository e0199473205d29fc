"""Nodes back to source text: for messages, explanations and `explain`."""

from __future__ import annotations

from functools import singledispatch

from . import nodes as n

# Binding strength of each node kind, to put parentheses back only where needed.
_LOOSEST, _OR, _AND, _NOT, _COMPARE, _SUM, _PRODUCT, _UNARY, _POSTFIX = range(9)


def precedence(node) -> int:
    if isinstance(node, (n.Quantified, n.Conditional)):
        return _LOOSEST
    if isinstance(node, n.Or):
        return _OR
    if isinstance(node, n.And):
        return _AND
    if isinstance(node, n.Not):
        return _NOT
    if isinstance(node, (n.Compare, n.Membership, n.Presence)):
        return _COMPARE
    if isinstance(node, n.Arithmetic):
        return _SUM if node.op in "+-" else _PRODUCT
    if isinstance(node, n.Negate):
        return _UNARY
    return _POSTFIX


def wrap(node, text: str, minimum: int) -> str:
    """Parenthesise `text` if `node` binds more loosely than `minimum`."""
    return f"({text})" if precedence(node) < minimum else text


def unparse(node) -> str:
    """The source text of an expression, normalised (worked out once per node)."""
    cached = node.__dict__.get("_text")
    if cached is None:
        cached = node.__dict__["_text"] = _unparse(node)  # nodes are immutable: the text never changes
    return cached


@singledispatch
def _unparse(node) -> str:
    raise TypeError(f"cannot unparse {type(node).__name__}")


@_unparse.register(n.Literal)
def _(node: n.Literal) -> str:
    return node.text


@_unparse.register(n.Name)
def _(node: n.Name) -> str:
    return node.name


@_unparse.register(n.DataRef)
def _(node: n.DataRef) -> str:
    return f"data.{node.name}"


@_unparse.register(n.Attribute)
def _(node: n.Attribute) -> str:
    return f"{wrap(node.obj, unparse(node.obj), _POSTFIX)}.{node.name}"


@_unparse.register(n.Index)
def _(node: n.Index) -> str:
    return f"{wrap(node.obj, unparse(node.obj), _POSTFIX)}[{unparse(node.index)}]"


@_unparse.register(n.ListLiteral)
def _(node: n.ListLiteral) -> str:
    return "[" + ", ".join(unparse(i) for i in node.items) + "]"


@_unparse.register(n.Call)
def _(node: n.Call) -> str:
    return f"{node.func}(" + ", ".join(unparse(a) for a in node.args) + ")"


@_unparse.register(n.Aggregate)
def _(node: n.Aggregate) -> str:
    where = f" where {unparse(node.where)}" if node.where is not None else ""
    return f"{node.func}({unparse(node.value)} for {node.var} in {unparse(node.source)}{where})"


@_unparse.register(n.Quantified)
def _(node: n.Quantified) -> str:
    where = f" where {unparse(node.where)}" if node.where is not None else ""
    return f"{node.quantifier} {node.var} in {unparse(node.source)}{where}: {unparse(node.body)}"


@_unparse.register(n.Conditional)
def _(node: n.Conditional) -> str:
    return f"if {unparse(node.condition)} then {unparse(node.then)} else {unparse(node.otherwise)}"


@_unparse.register(n.Arithmetic)
def _(node: n.Arithmetic) -> str:
    level = precedence(node)
    left = wrap(node.left, unparse(node.left), level)
    right = wrap(node.right, unparse(node.right), level + 1)
    return f"{left} {node.op} {right}"


@_unparse.register(n.Negate)
def _(node: n.Negate) -> str:
    return "-" + wrap(node.operand, unparse(node.operand), _UNARY)


@_unparse.register(n.Compare)
def _(node: n.Compare) -> str:
    return f"{wrap(node.left, unparse(node.left), _SUM)} {node.op} {wrap(node.right, unparse(node.right), _SUM)}"


@_unparse.register(n.Membership)
def _(node: n.Membership) -> str:
    word = "not in" if node.negated else "in"
    return f"{wrap(node.item, unparse(node.item), _SUM)} {word} {wrap(node.container, unparse(node.container), _SUM)}"


_PRESENCE_WORDS = {"exists": "exists", "missing": "is missing", "null": "is null", "not_null": "is not null"}


@_unparse.register(n.Presence)
def _(node: n.Presence) -> str:
    return f"{wrap(node.operand, unparse(node.operand), _SUM)} {_PRESENCE_WORDS[node.test]}"


@_unparse.register(n.And)
def _(node: n.And) -> str:
    return f"{wrap(node.left, unparse(node.left), _AND)} and {wrap(node.right, unparse(node.right), _NOT)}"


@_unparse.register(n.Or)
def _(node: n.Or) -> str:
    return f"{wrap(node.left, unparse(node.left), _OR)} or {wrap(node.right, unparse(node.right), _AND)}"


@_unparse.register(n.Not)
def _(node: n.Not) -> str:
    return "not " + wrap(node.operand, unparse(node.operand), _NOT)
