"""The meaning of each operator, shared by the fast evaluator and the tracer.

Each function takes plain values and either returns the result or raises
`Undecided` with a reason. `what` names the operand in the source text, so a
reason reads `funding.requested_usd is missing`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, DecimalException

from ..values import EXACT, MISSING, STRICT, Undecided, format_value, is_number, type_name


def present(value, what: str):
    """The value itself, or Undecided if it is missing (null is a value)."""
    if value is MISSING:
        raise Undecided(f"`{what}` is missing", missing=what)
    return value


def truth(value, what: str) -> bool:
    """A condition's value, which must be a boolean."""
    if value is True or value is False:
        return value
    present(value, what)
    raise Undecided(f"`{what}` is {type_name(value)} {format_value(value)}, not true or false")


DATE_TEXTS: dict[str, dt.date] = {}  # ISO text -> its date: documents share few dates, each is read once


def as_date(value, what: str) -> dt.date:
    """A date, reading ISO `YYYY-MM-DD` text as a date."""
    if isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    if isinstance(value, str):
        known = DATE_TEXTS.get(value)
        if known is not None:
            return known
        try:
            known = dt.date.fromisoformat(value)
        except ValueError:
            pass
        else:
            if len(DATE_TEXTS) >= 4096:
                DATE_TEXTS.clear()
            DATE_TEXTS[value] = known
            return known
    present(value, what)
    raise Undecided(f"`{what}` is {type_name(value)} {format_value(value)}, not a date")


def number(value, what: str):
    """A number (int or Decimal; never a boolean)."""
    if is_number(value):
        return value
    present(value, what)
    raise Undecided(f"`{what}` is {type_name(value)} {format_value(value)}, not a number")


def _comparable(left, right, left_what: str, right_what: str):
    """Bring two values to a common type for comparison, or raise."""
    if is_number(left) and is_number(right):
        return left, right
    if isinstance(left, dt.date) or isinstance(right, dt.date):
        return as_date(left, left_what), as_date(right, right_what)
    if isinstance(left, str) and isinstance(right, str):
        return left, right
    if isinstance(left, bool) and isinstance(right, bool):
        return left, right
    present(left, left_what)
    present(right, right_what)
    raise Undecided(
        f"cannot compare `{left_what}` ({type_name(left)}) with `{right_what}` ({type_name(right)})"
    )


def equal(left, right, left_what: str = "left side", right_what: str = "right side") -> bool:
    """`==`: null equals only null; otherwise both sides must be of one type."""
    present(left, left_what)
    present(right, right_what)
    if left is None or right is None:
        return left is right
    if isinstance(left, (list, dict)) or isinstance(right, (list, dict)):
        if type(left) is not type(right):
            raise Undecided(f"cannot compare `{left_what}` ({type_name(left)}) with `{right_what}` ({type_name(right)})")
        return _deep_equal(left, right)
    left, right = _comparable(left, right, left_what, right_what)
    return left == right


def _deep_equal(left, right) -> bool:
    """Lists and objects are equal item by item, each item by `==` (items of
    types that cannot be compared are simply unequal)."""
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(_deep_equal(a, b) for a, b in zip(left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_deep_equal(left[k], right[k]) for k in left)
    if isinstance(left, (list, dict)) or isinstance(right, (list, dict)):
        return False
    try:
        return equal(left, right)
    except Undecided:
        return False


def order(op: str, left, right, left_what: str, right_what: str) -> bool:
    """`<`, `<=`, `>`, `>=` on numbers, dates or strings."""
    present(left, left_what)
    present(right, right_what)
    if left is None or right is None or isinstance(left, bool) or isinstance(right, bool):
        raise Undecided(
            f"cannot order `{left_what}` ({type_name(left)}) and `{right_what}` ({type_name(right)})"
        )
    left, right = _comparable(left, right, left_what, right_what)
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == ">":
        return left > right
    return left >= right


def compare(op: str, left, right, left_what: str, right_what: str) -> bool:
    if op == "==":
        return equal(left, right, left_what, right_what)
    if op == "!=":
        return not equal(left, right, left_what, right_what)
    return order(op, left, right, left_what, right_what)


def arithmetic(op: str, left, right, left_what: str, right_what: str):
    """`+ - * /`, exact: ints stay ints, anything else is an exact Decimal."""
    left = number(left, left_what)
    right = number(right, right_what)
    if type(left) is int and type(right) is int and op != "/":
        return left + right if op == "+" else left - right if op == "-" else left * right
    left, right = Decimal(left), Decimal(right)
    if op == "/" and right == 0:
        raise Undecided(f"division by zero: `{right_what}` is 0")
    try:
        if op == "+":
            return STRICT.add(left, right)
        if op == "-":
            return STRICT.subtract(left, right)
        if op == "*":
            return STRICT.multiply(left, right)
        return EXACT.divide(left, right)
    except DecimalException:  # never a rounded sum, an overflow or a crash: undecided
        raise Undecided(f"`{left_what} {op} {right_what}` cannot be computed exactly: the numbers are too large "
                        "or too precise") from None


def negate(value, what: str):
    value = number(value, what)
    return -value if type(value) is int else STRICT.minus(value)


def member(item, container, item_what: str, container_what: str) -> bool:
    """`item in container`: a list's element, a map's key or a substring."""
    present(item, item_what)
    present(container, container_what)
    if isinstance(container, list):
        kind = type(item)
        if kind is int or kind is Decimal:  # a number equals only a number (never true, a text or a date)
            for element in container:
                if (type(element) is int or type(element) is Decimal) and element == item:
                    return True
            return False
        if kind is str:  # a text equals a text, or a date it writes: dates are left to `equal`
            for element in container:
                if type(element) is str:
                    if element == item:
                        return True
                elif isinstance(element, (str, dt.date)) and _equal_or_not(item, element, item_what, container_what):
                    return True
            return False
        for element in container:
            try:
                if equal(item, element, item_what, container_what):
                    return True
            except Undecided:
                continue  # an element of another type is simply not equal
        return False
    if isinstance(container, dict):
        return isinstance(item, str) and item in container
    if isinstance(container, str) and isinstance(item, str):
        return item in container
    raise Undecided(f"`{container_what}` is {type_name(container)}, not a list, map or string")


def _equal_or_not(item, element, item_what: str, container_what: str) -> bool:
    try:
        return equal(item, element, item_what, container_what)
    except Undecided:
        return False


def attribute(obj, name: str, what: str):
    """`obj.name`: missing when obj has no such field, or obj is null or missing."""
    if type(obj) is dict:
        return obj.get(name, MISSING)
    if obj is MISSING or obj is None:
        return MISSING
    raise Undecided(f"`{what}` is {type_name(obj)} {format_value(obj)}, which has no field `{name}`")


def index(obj, key, what: str, key_what: str):
    """`obj[key]`: a list element by position, a map entry by key; missing if absent."""
    if obj is MISSING or obj is None:
        return MISSING
    present(key, key_what)
    if isinstance(obj, list):
        if not is_number(key) or key != int(key) or key < 0:
            raise Undecided(f"`{key_what}` ({format_value(key)}) is not a position in the list `{what}`")
        position = int(key)
        return obj[position] if position < len(obj) else MISSING
    if isinstance(obj, dict):
        if not isinstance(key, str):
            raise Undecided(f"`{key_what}` ({format_value(key)}) is not a text key of `{what}`")
        return obj.get(key, MISSING)
    raise Undecided(f"`{what}` is {type_name(obj)}, which cannot be indexed")


def elements(value, what: str) -> list:
    """The items a quantifier or aggregate ranges over."""
    if isinstance(value, list):
        return value
    present(value, what)
    raise Undecided(f"`{what}` is {type_name(value)}, not a list")
