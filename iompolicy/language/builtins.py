"""The built-in functions' signatures: one table the checker reads (arity, argument and result
types) and `list`/docs show. Their bodies, which both evaluators call, are in
`evaluation/functions.py`, keyed by the same names."""

from __future__ import annotations

from ..records import Record
from .shapes import ANY, DATE, LIST, NUMBER, OBJECT, STRING, Shape


class Builtin(Record, fields="name min_args max_args arg_types result doc"):
    """A function's name, arity (`max_args` None: any number), the types every argument
    may have, its result's Shape and its documentation."""

    __slots__ = ()


BUILTINS: dict[str, Builtin] = {
    b.name: b
    for b in (
        Builtin("max", 1, None, (NUMBER, DATE, LIST), Shape.of(NUMBER, DATE),
                "The largest of its arguments, or of the items of one list."),
        Builtin("min", 1, None, (NUMBER, DATE, LIST), Shape.of(NUMBER, DATE),
                "The smallest of its arguments, or of the items of one list."),
        Builtin("round", 1, 2, (NUMBER,), Shape.of(NUMBER),
                "A number rounded half up to whole units, or to the given decimal places."),
        Builtin("year", 1, 1, (DATE, STRING), Shape.of(NUMBER),
                "The year of a date."),
        Builtin("len", 1, 1, (LIST, STRING, OBJECT), Shape.of(NUMBER),
                "The number of items of a list, entries of a map or characters of a string."),
        Builtin("abs", 1, 1, (NUMBER,), Shape.of(NUMBER),
                "The absolute value of a number."),
        Builtin("sum", 1, 1, (LIST,), Shape.of(NUMBER),
                "The total of a list of numbers (0 for an empty list)."),
        Builtin("count", 1, 1, (LIST,), Shape.of(NUMBER),
                "The number of items of a list."),
        Builtin("default", 2, 2, (), ANY,
                "Its first argument, or the second when the first is missing or null."),
    )
}

AGGREGATES = ("count", "sum", "min", "max", "first", "unique")

__all__ = ["AGGREGATES", "BUILTINS", "Builtin"]
