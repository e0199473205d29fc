"""Parameters and readings: what a policy leaves to be chosen when it is loaded.

A `param` declares a question of reading that the Strategy's text leaves open (what
counts towards the III.2 cap, say), the readings it allows and the default. A set of
readings (`{name: value}`) is checked against the declarations here, and each
reading becomes a constant binding named `param.NAME` that the compiler, the
explaining evaluator and the SMT encoding read as they read any other constant.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from . import syntax as n
from ..records import Record
from .source import Diagnostic, suggest

PREFIX = "param."  # a reading's binding is `param.NAME`; no binding written in a policy has a dot


def values_hint(value: str, allowed) -> str:
    """The help line for a value that is not one of `allowed`: the nearest, or the list."""
    listed = ", ".join(f"`{a}`" for a in allowed)
    near = suggest(value, allowed)
    return f"{near} readings: {listed}" if near else f"readings: {listed}"


def resolve_readings(declared: Mapping[str, n.Parameter], given: Mapping[str, object] | None
                     ) -> tuple[dict[str, str], list[Diagnostic]]:
    """Every declared parameter's reading (the one given, else its default), and a
    diagnostic for each given reading of no declared parameter or of a value it does not allow."""
    readings = {name: parameter.default for name, parameter in declared.items()}
    problems = []
    for name, value in (given or {}).items():
        parameter = declared.get(name)
        if parameter is None:
            known = sorted(declared)
            hint = suggest(name, known) or (f"parameters: {', '.join(known)}" if known
                                            else "these policies declare no parameter")
            problems.append(Diagnostic("unknown_parameter", f"no policy declares a parameter `{name}`", None, hint))
        elif value not in parameter.allowed:
            shown = value if isinstance(value, str) else json.dumps(value, default=str)
            problems.append(Diagnostic("unknown_value", f"`{shown}` is not a reading of parameter `{name}`",
                                       parameter.span, values_hint(str(value), parameter.allowed)))
        else:
            readings[name] = value
    return readings, problems


def reading_binding(name: str, value: str) -> n.Binding:
    """The constant binding (`param.NAME`) that holds a parameter's reading."""
    return n.Binding(PREFIX + name, n.Literal(value, "string", json.dumps(value, ensure_ascii=False)), True)


def reading_bindings(readings: Mapping[str, str]) -> list[n.Binding]:
    """The constant binding of each reading, in order."""
    return [reading_binding(name, value) for name, value in readings.items()]


def parameters_read(clause: n.Clause, file_bindings: Mapping[str, n.Binding]) -> tuple[str, ...]:
    """The parameters a clause reads, directly or through the `let`s and `const`s it uses,
    in the order first met."""
    found: dict[str, None] = {}
    visited: set[str] = set()
    own = {binding.name: binding for binding in clause.lets}

    def walk(node) -> None:
        if isinstance(node, n.ParamRef):
            found.setdefault(node.name)
        elif isinstance(node, n.Name):
            binding = own.get(node.name) or file_bindings.get(node.name)
            if binding is not None and node.name not in visited:
                visited.add(node.name)
                walk(binding.expr)
        elif isinstance(node, n.Node):
            for value in node._values():
                walk(value)
        elif isinstance(node, tuple):
            for item in node:
                walk(item)

    walk((clause.guards, clause.requires, clause.lets, clause.message))
    return tuple(found)


class ParameterInfo(Record, fields="name title cite allowed descriptions default reading declared_at"):
    """A declared parameter as the API lists it: `allowed` values in order, `descriptions`
    (`{value: what it means}`), the `default`, the `reading` in force, and `declared_at`
    (`file:line:col`)."""

    __slots__ = ()

    @classmethod
    def of(cls, parameter: n.Parameter, reading: str) -> "ParameterInfo":
        return cls(parameter.name, parameter.title, parameter.cite, parameter.allowed, dict(parameter.values),
                   parameter.default, reading, str(parameter.span) if parameter.span else "")

    def to_dict(self) -> dict:
        return self._asdict()
