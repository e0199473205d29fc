"""Runtime values: exact arithmetic, the missing marker, undecided results, display."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Context, Decimal, DivisionByZero, Inexact, InvalidOperation, Overflow

# All decimal arithmetic goes through this context, never the thread's ambient one:
# evaluation is then exact for + - * on any realistic amount and safe to share
# between threads. Only `/` can round (to 50 significant digits).
EXACT = Context(prec=50, traps=[InvalidOperation, DivisionByZero, Overflow])
# `+ - *` and sign changes go through this one: it never rounds. A result that would
# need more than 1,000 digits raises Inexact, which operations turn into undecided.
# (Document numbers have at most 100 digits, so their sums are always exact.)
STRICT = Context(prec=1000, traps=[Inexact, InvalidOperation, DivisionByZero, Overflow])


class _Missing:
    """The value of a field that is not in the document (distinct from null)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "missing"

    def __reduce__(self):
        return "MISSING"


MISSING = _Missing()


class Undecided(Exception):
    """Evaluation could not decide: a missing field, a failed lookup, a type mismatch.

    `path` is the JSON path of the input that made it so, when there is one. `missing` is
    the operand found missing (its source text), and `why_missing` what the explaining
    evaluator found of why (a key not in a register: see `explain.Tracer`). `fact` is the
    `evaluation.missing.MissingFact` that says which fact is missing and where it comes
    from, when the explaining evaluator could tell (`others`: more of them, when several
    operands were missing).

    One kept after its `except` block (a `let`'s value, the first reason a quantifier met)
    is `kept()`: without its traceback, and the exception it was raised in, which hold the
    frames it passed through, whose variables hold what keeps it: a reference cycle that
    keeps every frame (and the document they read) until the garbage collector's next
    pass. A kept one is raised `again()`, as a copy, whose traceback holds no frame that
    holds the kept one.
    """

    def __init__(self, reason: str, path: str | None = None, missing: str | None = None, fact=None):
        super().__init__(reason)
        self.reason = reason
        self.path = path
        self.missing = missing
        self.why_missing: str | None = None
        self.fact = fact
        self.others: tuple = ()

    def kept(self) -> "Undecided":
        """This exception, to keep: without its traceback and the exceptions it was raised in."""
        self.__traceback__ = self.__context__ = self.__cause__ = None
        return self

    def again(self) -> "Undecided":
        """A copy to raise: its traceback holds no frame that holds this one."""
        copy = Undecided(self.reason, self.path, self.missing, self.fact)
        copy.why_missing, copy.others = self.why_missing, self.others
        return copy


def is_number(value: object) -> bool:
    """True for int and Decimal, not for bool (which Python counts as an int)."""
    return (type(value) is int) or (type(value) is Decimal)


def type_name(value: object) -> str:
    """The language's name for a value's type, as used in messages."""
    if value is MISSING:
        return "missing"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def format_number(value: int | Decimal) -> str:
    """250000 -> `250,000`; Decimal('2125000.00') -> `2,125,000`; 0.125 -> `0.125`.

    Whole numbers below 10,000 have no separator, so years read as years (2008).
    Beyond 10^100 nobody reads the digits: `1.000000E+120`.
    """
    if type(value) is int and value.bit_length() > 333 or (
            type(value) is Decimal and (not value.is_finite() or value.adjusted() >= 100)):
        return f"{Decimal(value):.6E}" if value == value else str(value)
    if type(value) is Decimal:
        if value == value.to_integral_value():
            value = int(value)
        else:
            value = value.normalize(STRICT)  # STRICT: shown with every digit, never rounded
            sign, digits, exponent = value.as_tuple()
            if exponent > 0:  # normalize() may give 1E+3
                value = value.quantize(Decimal(1), context=STRICT)
            return f"{value:,f}"
    return f"{value:,}" if abs(value) >= 10_000 else str(value)


def is_scalar(value: object) -> bool:
    """True for values shown in full in explanations (not lists or objects)."""
    return not isinstance(value, (list, tuple, dict))


# `json.dumps(value, ensure_ascii=False)` builds a JSONEncoder on every call, which costs ten
# times the encoding of a short text; one encoder kept writes the same text.
json_text = json.JSONEncoder(ensure_ascii=False).encode


def format_value(value: object, limit: int = 80) -> str:
    """A value as it is shown in explanations and messages."""
    if value is MISSING:
        return "missing"
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if is_number(value):
        return format_number(value)
    if isinstance(value, str):
        text = json_text(value)
    elif isinstance(value, dt.date):
        return value.isoformat()
    elif isinstance(value, (list, tuple)):
        text = "[" + ", ".join(format_value(v, limit) for v in value[:10]) + (", ..." if len(value) > 10 else "") + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k}: {format_value(v, limit)}" for k, v in list(value.items())[:5]) + (", ..." if len(value) > 5 else "") + "}"
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def equality_key(value):
    """A hashable key equal for values that `==` calls equal (a date and its ISO text too), so
    that equal values are found in one pass. Booleans are apart from numbers (true != 1, as in
    JSON Schema), numbers compare by value (1 == 1.00), objects regardless of key order."""
    if isinstance(value, bool):
        return ("boolean", value)
    if isinstance(value, dt.date):
        return ("text", value.isoformat())
    if isinstance(value, str):
        return ("text", value)
    if isinstance(value, list):
        return ("list", tuple(equality_key(v) for v in value))
    if isinstance(value, dict):
        return ("object", tuple(sorted((k, equality_key(v)) for k, v in value.items())))
    return ("value", value)  # numbers (1 and 1.00 hash alike) and null
