"""The pure helpers of the headroom solver: the shape of a condition (its conjuncts, its
negation, where a tolerance aims), which read paths are levers, and numbers on a field's
grid (the smallest step of a whole number, a cent, a day) searched exactly."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, DecimalException

from ..language import syntax as n
from ..language.unparse import unparse
from ..values import EXACT, is_number
from .fixes import Change, date_of

_SEARCH_DOUBLINGS = 60  # a change is searched for up to 2**60 grid steps away


# ---- the shape of a condition ---------------------------------------------------------------------------

FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
OPPOSITE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}


def conjuncts(node) -> list:
    """The conditions joined by `and`, in order."""
    if isinstance(node, n.And):
        return conjuncts(node.left) + conjuncts(node.right)
    return [node]


def negated(node):
    """A condition that holds exactly when `node` does not, or None."""
    if isinstance(node, n.Compare):
        return n.Compare(OPPOSITE[node.op], node.left, node.right, node.span)
    if isinstance(node, n.Membership):
        return n.Membership(node.item, node.container, not node.negated, node.span)
    if isinstance(node, n.Presence):
        other = {"exists": "missing", "missing": "exists", "null": "not_null", "not_null": "null"}[node.test]
        return n.Presence(node.operand, other, node.span)
    if isinstance(node, n.Not):
        return node.operand
    if isinstance(node, (n.And, n.Or)):
        left, right = negated(node.left), negated(node.right)
        if left is None or right is None:
            return None
        return (n.Or if isinstance(node, n.And) else n.And)(left, right, node.span)
    if isinstance(node, n.Quantified):
        body = negated(node.body)
        if body is None:
            return None
        flipped = {"all": ("any", body), "any": ("none", node.body), "none": ("any", node.body)}[node.quantifier]
        return n.Quantified(flipped[0], node.var, node.source, node.where, flipped[1], node.span)
    if isinstance(node, (n.Name, n.Attribute, n.Index)):
        return n.Compare("==", node, n.Literal(False, "boolean", "false"))
    return None


def aim(node: n.Compare) -> n.Compare:
    """`abs(a - b) <= tolerance` is aimed at `a - b == 0`: the value the formula gives,
    not the edge of the tolerance."""
    zero = n.Literal(0, "number", "0")
    if node.op in ("<=", "<") and isinstance(node.left, n.Call) and node.left.func == "abs":
        return n.Compare("==", node.left.args[0], zero, node.span)
    if node.op in (">=", ">") and isinstance(node.right, n.Call) and node.right.func == "abs":
        return n.Compare("==", node.right.args[0], zero, node.span)
    return node


def reads(node, operand) -> bool:
    """Does `node` contain the expression `operand` (by its source text)?"""
    wanted = unparse(operand)
    found = [False]

    def walk(value) -> None:
        if found[0]:
            return
        if isinstance(value, n.Node):
            if value is not operand and unparse(value) == wanted:
                found[0] = True
                return
            for child in value._values():
                walk(child)
        elif isinstance(value, tuple):
            for child in value:
                walk(child)

    walk(node)
    return found[0]


def innermost(levers: dict) -> dict:
    """Leave out a path when a field under it is read too (`humanitarian` for `humanitarian.x`):
    every proper prefix of a read path ending before a `.` or `[` is a parent (linear, not a
    pairwise comparison: a sum over 10,000 items reads 10,000 paths)."""
    parents = set()
    for path in levers:
        for position, character in enumerate(path):
            if character in ".[" and position > 1:
                parents.add(path[:position])
    return {p: v for p, v in levers.items() if p not in parents}


# ---- numbers, dates and grids ----------------------------------------------------------------------------

def as_number(value):
    """A number as itself, a date as its day number (so dates are solved like numbers), else None."""
    if is_number(value):
        return value
    day = date_of(value)
    return day.toordinal() if day is not None else None


def grid(value) -> Decimal:
    """The smallest step of a field: 1 for a whole number, a cent (or finer, as written) for a decimal."""
    if type(value) is int:
        return Decimal(1)
    exponent = value.as_tuple().exponent
    return Decimal(1).scaleb(min(exponent, -2)) if isinstance(exponent, int) else Decimal("0.01")


def typed(value):
    """Turns a Decimal back into the field's own type (int stays int)."""
    if type(value) is int:
        return lambda x: int(x)
    return lambda x: x


def on_grid(x: Decimal, grid: Decimal):
    """A whole number as an int (a field of whole numbers stays one), else the Decimal."""
    return int(x) if grid == 1 and x == x.to_integral_value() else x


def near(x: Decimal, grid: Decimal) -> list[Decimal]:
    """The grid points around an exact boundary (a strict comparison needs the next one out)."""
    try:
        down = x.quantize(grid, rounding=ROUND_FLOOR, context=EXACT)
        up = x.quantize(grid, rounding=ROUND_CEILING, context=EXACT)
    except DecimalException:
        return []
    return list(dict.fromkeys([down, up, down - grid, up + grid]))


def search(start: Decimal, grid: Decimal, holds_at, typed) -> Decimal | None:
    """The smallest change on the grid, either way, that makes `holds_at` true, assuming
    the requirement holds on one side of a boundary in each direction.

    Both directions are probed together, doubling the step, so the work grows with the
    distance to the nearer boundary, not with the search's reach: a direction in which
    nothing passes costs as many probes as the other needs, not all sixty doublings.
    Then the bracket of each direction that passed is halved down to the boundary."""
    low = 0
    for doubling in range(_SEARCH_DOUBLINGS):
        steps = 1 << doubling
        passing = [direction for direction in (1, -1) if holds_at(typed(start + direction * steps * grid))]
        if passing:
            break
        low = steps
    else:
        return None
    best = None
    for direction in passing:  # below `low` neither direction passes: only the bracket is searched
        bottom, high = low, steps
        while high - bottom > 1:
            middle = (bottom + high) // 2
            if holds_at(typed(start + direction * middle * grid)):
                high = middle
            else:
                bottom = middle
        if best is None or high < best[0]:
            best = (high, start + direction * high * grid)
    return best[1]


def whole_count(op: str, count: int, bound) -> int | None:
    """The count nearest `count` that satisfies `count op bound`."""
    bound = Decimal(bound)
    floor, ceiling = int(bound.to_integral_value(ROUND_FLOOR)), int(bound.to_integral_value(ROUND_CEILING))
    wanted = {"<=": floor, "<": ceiling - 1, ">=": ceiling, ">": floor + 1}.get(op)
    if op == "==":
        wanted = int(bound) if bound == floor else None
    if wanted is None or wanted < 0:
        return None
    if op in ("<=", "<"):
        return min(count, wanted)
    if op in (">=", ">"):
        return max(count, wanted)
    return wanted


def number_change(node, path, value, target) -> Change:
    """The change of a number from `value` to `target`: set exactly for `==`/`!=`, else reduce or raise."""
    if node.op in ("==", "!="):
        return Change("set", path, value, target, "exactly")
    action = "reduce" if target < value else "raise"
    bound = "at most" if target < value else "at least"
    return Change(action, path, value, target, bound, abs(target - value))
