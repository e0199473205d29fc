"""The bodies of the built-in functions, keyed by the names of `language/builtins.py`.

Each body takes the argument values and their source texts (for messages) and returns a
value or raises `Undecided`. Both evaluators call these, so a function means one thing.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, DecimalException

from ..values import EXACT, MISSING, Undecided, equality_key
from . import operations as op


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


def _unique(values: list, what: str) -> bool:
    """True when no two values are equal by `==` (linear: values are hashed)."""
    seen = set()
    for value in values:
        op.present(value, what)
        key = equality_key(value)
        if key in seen:
            return False
        seen.add(key)
    return True


def finish_aggregate(func: str, values: list, what: str, source_what: str = "list"):
    """The aggregate `func` of the values a comprehension chose (`first` of nothing is
    undecided); both evaluators call it, so an aggregate means one thing."""
    if func == "count":
        return len(values)
    if func == "first":
        if not values:
            raise Undecided(f"no item of `{source_what}` matches")
        return values[0]
    if func == "unique":
        return _unique(values, what)
    if func == "sum":
        total = 0
        for item in values:
            total = op.arithmetic("+", total, item, "sum", what)
        return total
    return FUNCTIONS[func]([values], [what])


FUNCTIONS = {
    "max": _extreme(max),
    "min": _extreme(min),
    "round": _round,
    "year": _year,
    "len": _len,
    "abs": _abs,
    "sum": _sum,
    "count": _count,
    "default": _default,
}

__all__ = ["FUNCTIONS", "finish_aggregate"]
