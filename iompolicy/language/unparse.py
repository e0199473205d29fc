"""Nodes back to source text: for messages, explanations and `explain`."""

from __future__ import annotations

from . import syntax as n

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


def _unparse(node) -> str:
    case = _CASES.get(type(node))
    if case is None:
        raise TypeError(f"cannot unparse {type(node).__name__}")
    return case(node)


def _literal(node: n.Literal) -> str:
    return node.text


def _name(node: n.Name) -> str:
    return node.name


def _data_ref(node: n.DataRef) -> str:
    return f"data.{node.name}"


def _param_ref(node: n.ParamRef) -> str:
    return f"param.{node.name}"


def _attribute(node: n.Attribute) -> str:
    return f"{wrap(node.obj, unparse(node.obj), _POSTFIX)}.{node.name}"


def _index(node: n.Index) -> str:
    return f"{wrap(node.obj, unparse(node.obj), _POSTFIX)}[{unparse(node.index)}]"


def _list_literal(node: n.ListLiteral) -> str:
    return "[" + ", ".join(unparse(i) for i in node.items) + "]"


def _call(node: n.Call) -> str:
    return f"{node.func}(" + ", ".join(unparse(a) for a in node.args) + ")"


def _aggregate(node: n.Aggregate) -> str:
    where = f" where {unparse(node.where)}" if node.where is not None else ""
    return f"{node.func}({unparse(node.value)} for {node.var} in {unparse(node.source)}{where})"


def _quantified(node: n.Quantified) -> str:
    where = f" where {unparse(node.where)}" if node.where is not None else ""
    return f"{node.quantifier} {node.var} in {unparse(node.source)}{where}: {unparse(node.body)}"


def _conditional(node: n.Conditional) -> str:
    return f"if {unparse(node.condition)} then {unparse(node.then)} else {unparse(node.otherwise)}"


def _arithmetic(node: n.Arithmetic) -> str:
    level = precedence(node)
    left = wrap(node.left, unparse(node.left), level)
    right = wrap(node.right, unparse(node.right), level + 1)
    return f"{left} {node.op} {right}"


def _negate(node: n.Negate) -> str:
    return "-" + wrap(node.operand, unparse(node.operand), _UNARY)


def _compare(node: n.Compare) -> str:
    return f"{wrap(node.left, unparse(node.left), _SUM)} {node.op} {wrap(node.right, unparse(node.right), _SUM)}"


def _membership(node: n.Membership) -> str:
    word = "not in" if node.negated else "in"
    return f"{wrap(node.item, unparse(node.item), _SUM)} {word} {wrap(node.container, unparse(node.container), _SUM)}"


_PRESENCE_WORDS = {"exists": "exists", "missing": "is missing", "null": "is null", "not_null": "is not null"}


def _presence(node: n.Presence) -> str:
    return f"{wrap(node.operand, unparse(node.operand), _SUM)} {_PRESENCE_WORDS[node.test]}"


def _and(node: n.And) -> str:
    return f"{wrap(node.left, unparse(node.left), _AND)} and {wrap(node.right, unparse(node.right), _NOT)}"


def _or(node: n.Or) -> str:
    return f"{wrap(node.left, unparse(node.left), _OR)} or {wrap(node.right, unparse(node.right), _AND)}"


def _not(node: n.Not) -> str:
    return "not " + wrap(node.operand, unparse(node.operand), _NOT)


# One case per kind of expression (a table, not functools.singledispatch: building that
# costs a command-line run about a millisecond, and importing `typing`).
_CASES = {
    n.Literal: _literal,
    n.Name: _name,
    n.DataRef: _data_ref,
    n.ParamRef: _param_ref,
    n.Attribute: _attribute,
    n.Index: _index,
    n.ListLiteral: _list_literal,
    n.Call: _call,
    n.Aggregate: _aggregate,
    n.Quantified: _quantified,
    n.Conditional: _conditional,
    n.Arithmetic: _arithmetic,
    n.Negate: _negate,
    n.Compare: _compare,
    n.Membership: _membership,
    n.Presence: _presence,
    n.And: _and,
    n.Or: _or,
    n.Not: _not,
}
