"""What each operator and built-in function means for symbolic values: the
evaluator's rules (`iompolicy.evaluation.operations` and the built-in functions),
restated as z3 terms, including exactly when each one is undecided."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import z3

from ..language import syntax as n
from .symbolic import (BOOLEAN, DATE, FALSE, LAST_DAY, LIST, MAP, NULL, NUMBER, OBJECT, STRING, TRUE, Sym, SymList,
                       Unsupported, all_of, any_of, negation)

NONE = "none"  # the type of a value known to be missing (a field of an object with no schema)


def number(value) -> z3.ArithRef:
    fraction = Fraction(value)
    return z3.RealVal(f"{fraction.numerator}/{fraction.denominator}")


def to_real(term):
    return z3.RealVal(term) if isinstance(term, int) else z3.ToReal(term) if term.sort() == z3.IntSort() else term


def truth(sym: Sym):
    """(true, false) of a condition: anything but a present boolean is undecided."""
    if sym.type != BOOLEAN:
        return FALSE, FALSE
    decided = all_of(negation(sym.undecided), negation(sym.missing), negation(sym.null))
    return all_of(decided, sym.value), all_of(decided, negation(sym.value))


def condition(true, false) -> Sym:
    return Sym(BOOLEAN, true, undecided=all_of(negation(true), negation(false)))


def merge(choose, first: Sym, second: Sym) -> Sym:
    """`first` where `choose` holds, else `second` (types must agree)."""
    if first.type == NONE:
        first = second.but(missing=TRUE)
    if second.type == NONE:
        second = first.but(missing=TRUE)
    if first.type != second.type:
        raise Unsupported(f"a choice between a {first.type} and a {second.type}")
    flags = {name: _if(choose, getattr(first, name), getattr(second, name)) for name in ("undecided", "missing", "null")}
    if first.type == OBJECT:
        names = set(first.value) | set(second.value)
        gone = Sym(NONE, None, missing=TRUE)
        value = {k: merge(choose, first.value.get(k, gone), second.value.get(k, gone)) for k in names}
    elif first.type == LIST:
        value = _merge_lists(choose, first.value, second.value)
    elif first.type == MAP:
        if first.value is not second.value:
            raise Unsupported("a choice between two maps")
        value = first.value
    elif first.type == NULL:
        value = None
    else:
        value = _if(choose, first.value, second.value)
    return Sym(first.type, value, **flags)


def _if(choose, a, b):
    if z3.is_true(choose):
        return a
    if z3.is_false(choose):
        return b
    return z3.If(choose, a, b)


def _merge_lists(choose, first: SymList, second: SymList) -> SymList:
    size = max(len(first.items), len(second.items))
    items = []
    for i in range(size):
        a = first.items[i] if i < len(first.items) else second.items[i]
        b = second.items[i] if i < len(second.items) else first.items[i]
        items.append(merge(choose, a, b))
    length = _if(choose, as_int(first.length), as_int(second.length))
    return SymList(length, items)


def as_int(length):
    return z3.IntVal(length) if isinstance(length, int) else length


def literal(value, texts) -> Sym:
    """The Sym of a written value (a constant of the policy)."""
    if isinstance(value, bool):
        return Sym(BOOLEAN, z3.BoolVal(value))
    if type(value) in (int, Decimal):
        return Sym(NUMBER, number(value))
    if isinstance(value, str):
        return Sym(STRING, texts.literal(value))
    if isinstance(value, dt.date):
        return Sym(DATE, z3.IntVal(value.toordinal()))
    if value is None:
        return Sym(NULL, None, null=TRUE)
    raise Unsupported(f"the literal {value!r}")


def year_of(day):
    """The Gregorian year of a day number (`date.toordinal()`) from 1 January 1 to 31 December
    9999 (every date a schema or a policy can hold), as a term of the day.

    The day is split into 400-year cycles, centuries, 4-year spans and years, each count
    being the number of thresholds the remaining days pass: comparisons with constants,
    which a known day settles by propagation and an unknown one by plain case splits.
    (Integer division, `div` by 146097, 36524, 1461 and 365, is exact too, but z3 searches
    its quotients: the governance calendar's clauses, which compare `year(meeting.opens)`
    with the calendar's year, took the solver 20 s instead of 5 s in the analysis. A fresh
    year bounded by 1 January of it and the next year, the first encoding, was slower still.)"""
    rest = day - 1
    cycles = _passed(rest, 146097, (LAST_DAY - 1) // 146097)
    rest = rest - 146097 * cycles
    centuries = _passed(rest, 36524, 4)  # 4 only on a cycle's last day (31 December of a leap century)
    rest = rest - 36524 * centuries
    quads = _passed(rest, 1461, 24)
    rest = rest - 1461 * quads
    years = _passed(rest, 365, 4)  # 4 only on a leap year's 31 December
    base = 400 * cycles + 100 * centuries + 4 * quads + years
    return z3.If(z3.Or(centuries == 4, years == 4), base, base + 1)


def _passed(days, size: int, most: int):
    """days // size, for 0 <= days < (most + 1) * size: how many of size, 2 size, ... it reaches."""
    return z3.Sum(*[z3.If(days >= size * k, 1, 0) for k in range(1, most + 1)])


def decided_true(sym: Sym):
    return all_of(negation(sym.undecided), sym.value)


def equality(left: Sym, right: Sym, lenient: bool = False) -> Sym:
    """`==` (or, `lenient`, the item test of `in`: other types are simply not equal)."""
    undecided = any_of(left.undecided, right.undecided, left.missing, right.missing)
    either_null = any_of(left.null, right.null)
    both_null = all_of(left.null, right.null)
    if left.type == NULL or right.type == NULL or left.type == right.type:
        if left.type in (LIST, OBJECT, MAP) and left.type == right.type:
            raise Unsupported(f"`==` between two {left.type}s")
        same = _if(either_null, both_null, left.value == right.value) if left.type == right.type != NULL else both_null
        return Sym(BOOLEAN, same, undecided=undecided)
    if {left.type, right.type} == {DATE, STRING}:
        raise Unsupported("`==` between a date and text")
    if lenient:
        return Sym(BOOLEAN, both_null, undecided=undecided)
    # values of two types are not comparable: undecided unless one is null
    return Sym(BOOLEAN, both_null, undecided=any_of(undecided, negation(either_null)))


def order(op: str, left: Sym, right: Sym) -> Sym:
    undecided = any_of(left.undecided, right.undecided, left.absent, right.absent)
    if left.type != right.type or left.type not in (NUMBER, DATE, STRING):
        if {left.type, right.type} == {DATE, STRING}:
            raise Unsupported(f"`{op}` between a date and text")
        return Sym(BOOLEAN, FALSE, undecided=TRUE)
    if left.type == STRING:
        raise Unsupported(f"`{op}` on text (the order of text)")
    a, b = left.value, right.value
    value = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    return Sym(BOOLEAN, value, undecided=undecided)


def aggregate(universe, func: str, chosen: list, values: list[Sym], undecided) -> Sym:
    """count, sum, min, max, first, unique of the `values` of the `chosen` items."""
    if func == "count":
        return Sym(NUMBER, to_real(z3.Sum(*[z3.If(c, 1, 0) for c in chosen]) if chosen else 0), undecided=undecided)
    if func == "sum":
        if values and values[0].type != NUMBER:
            return Sym(NUMBER, z3.RealVal(0), undecided=TRUE)
        bad = any_of(*(all_of(c, v.absent) for c, v in zip(chosen, values)))
        total = z3.Sum(*[z3.If(c, v.value, 0) for c, v in zip(chosen, values)]) if values else z3.RealVal(0)
        return Sym(NUMBER, total, undecided=any_of(undecided, bad))
    if func == "unique":
        bad = any_of(*(all_of(c, v.missing) for c, v in zip(chosen, values)))
        clashes = []
        for i in range(len(values)):
            for j in range(i + 1, len(values)):
                same = equality(values[i], values[j], lenient=True)
                clashes.append(all_of(chosen[i], chosen[j], decided_true(same)))
        return Sym(BOOLEAN, negation(any_of(*clashes)), undecided=any_of(undecided, bad))
    if func == "first":
        if not values:
            return Sym(NONE, None, undecided=TRUE, missing=TRUE)
        result = Sym(values[0].type, values[0].value, undecided=TRUE)  # nothing chosen: undecided
        for c, v in reversed(list(zip(chosen, values))):
            result = merge(c, v, result)
        return result.but(undecided=any_of(undecided, result.undecided))
    if func in ("min", "max"):
        return extreme(func, chosen, values, undecided)
    raise Unsupported(f"the aggregate `{func}`")


def extreme(func: str, chosen: list, values: list[Sym], undecided) -> Sym:
    """The smallest or largest chosen value; undecided when none is chosen."""
    if not values:
        return Sym(NUMBER, z3.RealVal(0), undecided=TRUE)
    kind = values[0].type
    if kind not in (NUMBER, DATE) or any(v.type != kind for v in values):
        raise Unsupported(f"`{func}` of {kind} values")
    best, found = values[0].value, chosen[0]
    bad = all_of(chosen[0], values[0].absent)
    for c, v in zip(chosen[1:], values[1:]):
        better = v.value > best if func == "max" else v.value < best
        best = z3.If(all_of(c, any_of(negation(found), better)), v.value, best)
        found = any_of(found, c)
        bad = any_of(bad, all_of(c, v.absent))
    return Sym(kind, best, undecided=any_of(undecided, negation(found), bad))


def call(universe, func: str, args: list[Sym], nodes) -> Sym:
    """A built-in function (arguments are all evaluated first, as the evaluator does)."""
    undecided = any_of(*(a.undecided for a in args))
    if func in ("max", "min"):
        if len(args) == 1 and args[0].type == LIST:
            items = args[0].value
            chosen = [items.active(i) for i in range(len(items.items))]
            bad = any_of(undecided, args[0].absent)
            return extreme(func, chosen, items.items, bad)
        result = extreme(func, [TRUE] * len(args), args, undecided)
        return result
    if func == "year":
        (date,) = args
        if date.type != DATE:
            raise Unsupported(f"`year` of a {date.type}")
        return Sym(NUMBER, z3.ToReal(year_of(date.value)), undecided=any_of(undecided, date.absent))
    if func in ("len", "count"):
        (value,) = args
        if value.type == LIST:
            length = to_real(as_int(value.value.length))
        elif value.type == STRING and func == "len":
            length = z3.ToReal(universe.texts.length_of(value.value, universe.constraints))
        else:
            raise Unsupported(f"`{func}` of a {value.type}")
        return Sym(NUMBER, length, undecided=any_of(undecided, value.absent))
    if func == "abs":
        (value,) = args
        if value.type != NUMBER:
            return Sym(NUMBER, z3.RealVal(0), undecided=TRUE)
        return Sym(NUMBER, z3.If(value.value >= 0, value.value, -value.value), undecided=any_of(undecided, value.absent))
    if func == "sum":
        (value,) = args
        if value.type != LIST:
            raise Unsupported(f"`sum` of a {value.type}")
        items = value.value
        return aggregate(universe, "sum", [items.active(i) for i in range(len(items.items))], items.items,
                         any_of(undecided, value.absent))
    if func == "default":
        value, fallback = args
        chosen = merge(value.absent, fallback, value)
        return chosen.but(undecided=undecided)
    if func == "round":
        return _round(args, nodes, undecided)
    raise Unsupported(f"the function `{func}`")


def _round(args: list[Sym], nodes, undecided) -> Sym:
    value = args[0]
    places = 0
    if len(args) == 2:
        if not isinstance(nodes[1], n.Literal) or type(nodes[1].value) is not int:
            raise Unsupported("`round` to a number of places that is not written out")
        places = nodes[1].value
    if value.type != NUMBER or not 0 <= places <= 20:
        return Sym(NUMBER, z3.RealVal(0), undecided=TRUE)
    scale = z3.RealVal(10 ** places)
    x = value.value * scale
    half = z3.RealVal("1/2")
    rounded = z3.If(x >= 0, z3.ToReal(z3.ToInt(x + half)), -z3.ToReal(z3.ToInt(-x + half)))
    return Sym(NUMBER, rounded / scale, undecided=any_of(undecided, value.absent))
