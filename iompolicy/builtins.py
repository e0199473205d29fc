"""The built-in functions: one table read by the checker and both evaluators."""

from __future__ import annotations

from collections import namedtuple
from decimal import ROUND_HALF_UP, Decimal, DecimalException

from . import operations as op
from .schema import ANY, DATE, LIST, NUMBER, OBJECT, STRING, Shape
from .values import EXACT, MISSING, Undecided


class Builtin(namedtuple("Builtin", "name min_args max_args arg_types result body doc")):
    """A function's name, arity (`max_args` None: any number), the types every argument
    may have, its result's Shape, its body `body(values, source texts of the arguments)`
    and its documentation."""

    __slots__ = ()


def _extreme(pick):
    def body(values, whats):
        if len(values) == 1:
            items = op.elements(values[0], whats[0])
            whats = [f"{whats[0]}[{i}]" for i in range(len(items))]
        else:
            items = values
        if not items:
            raise Undecided(f"`{whats[0] if whats else 'list'}` is empty: it has no {pick.__name__}imum")
        best, best_what = items[0], whats[0]
        for value, what in zip(items[1:], whats[1:]):
            if op.order(">" if pick is max else "<", value, best, what, best_what):
                best, best_what = value, what
        op.order("<=", best, best, best_what, best_what)  # a single item must still be orderable
        return best

    return body


def _round(values, whats):
    value = op.number(values[0], whats[0])
    places = op.number(values[1], whats[1]) if len(values) > 1 else 0
    if places != int(places) or not 0 <= places <= 20:
        raise Undecided(f"`{whats[1]}` ({places}) is not a whole number of places between 0 and 20")
    try:
        result = Decimal(value).quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP, context=EXACT)
    except DecimalException:  # more digits than the context holds
        raise Undecided(f"`{whats[0]}` is too large to round to {int(places)} places") from None
    return int(result) if places == 0 else result


def _year(values, whats):
    return op.as_date(values[0], whats[0]).year


def _len(values, whats):
    value = values[0]
    if isinstance(value, (list, dict, str)):
        return len(value)
    op.present(value, whats[0])
    raise Undecided(f"`{whats[0]}` has no length")


def _abs(values, whats):
    value = op.number(values[0], whats[0])
    return abs(value) if type(value) is int else op.STRICT.abs(value)


def _sum(values, whats):
    total = 0
    for position, item in enumerate(op.elements(values[0], whats[0])):
        total = op.arithmetic("+", total, item, "sum", f"{whats[0]}[{position}]")
    return total


def _default(values, whats):
    value = values[0]
    return values[1] if value is MISSING or value is None else value


def _count(values, whats):
    return len(op.elements(values[0], whats[0]))


BUILTINS: dict[str, Builtin] = {
    b.name: b
    for b in (
        Builtin("max", 1, None, (NUMBER, DATE, LIST), Shape.of(NUMBER, DATE), _extreme(max),
                "The largest of its arguments, or of the items of one list."),
        Builtin("min", 1, None, (NUMBER, DATE, LIST), Shape.of(NUMBER, DATE), _extreme(min),
                "The smallest of its arguments, or of the items of one list."),
        Builtin("round", 1, 2, (NUMBER,), Shape.of(NUMBER), _round,
                "A number rounded half up to whole units, or to the given decimal places."),
        Builtin("year", 1, 1, (DATE, STRING), Shape.of(NUMBER), _year,
                "The year of a date."),
        Builtin("len", 1, 1, (LIST, STRING, OBJECT), Shape.of(NUMBER), _len,
                "The number of items of a list, entries of a map or characters of a string."),
        Builtin("abs", 1, 1, (NUMBER,), Shape.of(NUMBER), _abs,
                "The absolute value of a number."),
        Builtin("sum", 1, 1, (LIST,), Shape.of(NUMBER), _sum,
                "The total of a list of numbers (0 for an empty list)."),
        Builtin("count", 1, 1, (LIST,), Shape.of(NUMBER), _count,
                "The number of items of a list."),
        Builtin("default", 2, 2, (), ANY, _default,
                "Its first argument, or the second when the first is missing or null."),
    )
}

AGGREGATES = ("count", "sum", "min", "max", "first", "unique")

__all__ = ["AGGREGATES", "BUILTINS", "Builtin"]
