"""What a fix is made of, and how it is made: a `Change` to a document, the `Step`s of a
clause's `Fix` (each with alternative changes, the usual remedy first), and the copies of
a document with changes made (`apply_changes`), never touching the original.

`headroom` works fixes out; this module holds what they are, how they read and how
they are applied, so the reports, the policy tests and the solver share one meaning.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import re
from decimal import Decimal

from ..records import Record
from ..values import MISSING, format_number, format_value, is_number, json_text


class Change(Record, fields="action path current target bound amount usual where like",
             defaults=(MISSING, None, None, None, False, None, None)):
    """One change to the document that makes a requirement hold.

    `action`: reduce, raise, set, move (a date), remove (a list item), add (an item,
    or `amount` items, to the list at `path`), change (to anything but `target`) or
    provide (a missing field). `bound` says how `target` binds: at most, at least,
    exactly, other than, one of. `amount` is the difference (days for a date, items
    for a list). `where` is the condition the items added or dropped meet; `like` is
    the path of the item an `add` copies, or the paths of the items a `drop` removes."""

    __slots__ = ()

    @property
    def field(self) -> str:
        """The path without its `$.`, as a person writes it: `funding.requested_usd`."""
        return self.path[2:] if self.path.startswith("$.") else self.path

    def describe(self) -> str:
        """One phrase: `reduce `funding.requested_usd` by USD 35,000 (to at most USD 200,000)`."""
        field, shown = f"`{self.field}`", (lambda value: _shown(self.path, value))
        if self.action in ("reduce", "raise"):
            return f"{self.action} {field} by {shown(self.amount)} (to {self.bound} {shown(self.target)})"
        if self.action == "move":
            direction = "forward" if self.amount > 0 else "back"
            edge = "or later" if self.bound == "at least" else "or earlier" if self.bound == "at most" else "exactly"
            return f"move {field} {direction} by {abs(self.amount)} days (to {shown(self.target)} {edge})"
        if self.action == "set":
            text = f"set {field} to {shown(self.target)}"
            if self.current is MISSING:
                return text + " (it is missing)"
            if is_number(self.current) and is_number(self.target) and self.current != self.target:
                verb = "reduce" if self.target < self.current else "raise"
                text += f" ({verb} by {shown(abs(self.target - self.current))})"
            return text
        if self.action == "change":
            return f"change {field} to anything other than {shown(self.target)}"
        if self.action == "one of":
            return f"set {field} to one of " + ", ".join(shown(v) for v in self.target)
        if self.action == "remove":
            scalar = self.current is not MISSING and not isinstance(self.current, (list, dict))
            return f"remove {field} ({format_value(self.current)})" if scalar else f"remove {field}"
        if self.action == "add":
            if self.amount is not None:
                items = "item" if self.amount == 1 else "items"
                where = f" for which `{self.where}` holds" if self.where else ""
                return f"add {self.amount} {items}{where} to {field}"
            return f"add {format_value(self.target)} to {field}"
        if self.action == "drop":
            items = "item" if self.amount == 1 else "items"
            where = f" for which `{self.where}` holds" if self.where else ""
            chosen = ", ".join(f"`{path[2:]}`" for path in self.like)
            return f"remove {self.amount} {items}{where} from {field} ({chosen})"
        return f"give {field} (it is missing)"

    def to_dict(self) -> dict:
        return {"action": self.action, "field": self.field, "path": self.path,
                "current": _json_value(self.current), "target": _json_value(self.target),
                "bound": self.bound, "amount": _json_value(self.amount), "usual": self.usual,
                "where": self.where, "text": self.describe()}


class Step(Record, fields="requirement item changes"):
    """Something that must change: the `requirement` (source text) that does not hold,
    `item` (the JSON path of the list item that breaks it, or None), and the
    alternative `changes`, each enough on its own; the usual remedy is first."""

    __slots__ = ()

    def describe(self) -> str:
        changes = [c.describe() for c in self.changes]
        if len(changes) > 1:
            changes[0] += " (usual remedy)"
        return " or ".join(changes)

    def to_dict(self) -> dict:
        return {"requirement": self.requirement, "item": self.item,
                "changes": [c.to_dict() for c in self.changes]}


class Fix(Record, fields="steps notes complete replacement", defaults=(None,)):
    """What would make a failed clause pass: `steps` (all needed), `notes` on what
    cannot be changed in the document (reference data, say), and `complete`: the
    usual change of every step, made together, was checked to make the clause pass.
    `replacement`, when one scalar suffices and the document's text shows where it
    is written: {line, column, end_column, text}, the edit itself (SARIF's fix)."""

    __slots__ = ()

    SHOWN_STEPS = 6  # in the one-line text; the JSON report has them all

    def text(self) -> str:
        """The fix in one line (`text` report, SARIF, Markdown)."""
        parts = [s.describe() for s in self.steps[:self.SHOWN_STEPS]]
        if len(self.steps) > self.SHOWN_STEPS:
            parts.append(f"and {len(self.steps) - self.SHOWN_STEPS} more (see the JSON report)")
        parts.extend(self.notes)
        return "; ".join(parts)

    def single_scalar(self) -> Change | None:
        """The one change that suffices, when it replaces a single scalar value (SARIF's fix)."""
        if len(self.steps) == 1 and self.complete:
            change = self.steps[0].changes[0]
            if change.action in ("reduce", "raise", "set", "move") and change.current is not MISSING:
                return change
        return None

    def apply(self, document: dict) -> dict:
        """A copy of the document with the usual change of every step made."""
        return apply_changes([s.changes[0] for s in self.steps], document)

    def plans(self) -> list[tuple[Change, ...]]:
        """The sets of changes that, made together, make the clause pass (checked when the
        fix was worked out): the usual change of every step, then (for a fix of one step)
        each other change alone. A field to `provide` is left out: no value of it is known."""
        if self.notes or not self.steps:
            return []
        found = [tuple(s.changes[0] for s in self.steps)] if self.complete else []
        if len(self.steps) == 1:
            found += [(c,) for c in self.steps[0].changes[1:]]
        return [plan for plan in found if all(c.action != "provide" for c in plan)]

    @staticmethod
    def made(plan, document: dict) -> dict:
        """A copy of the document with the changes of `plan` made."""
        return apply_changes(list(plan), document)

    def with_replacement(self, document) -> "Fix":
        """This fix with the edit of its single scalar in `document`'s text, when there is one."""
        change = self.single_scalar()
        span = document.scalar_span(change.path) if change is not None else None
        if span is None:
            return self
        line, column, end_column, quote = span
        target = change.target
        if isinstance(target, bool):
            text = "true" if target else "false"
        elif isinstance(target, str):
            text = json_text(target) if quote == '"' or (not quote and document.format == "json") \
                else f"'{target}'" if quote else target
        else:
            text = str(target)
        return self._replace(replacement={"line": line, "column": column, "end_column": end_column, "text": text})

    def to_dict(self) -> dict:
        return {"text": self.text(), "complete": self.complete, "notes": list(self.notes),
                "steps": [s.to_dict() for s in self.steps], "replacement": self.replacement}


def display_order(steps: list[Step]) -> list[Step]:
    """Steps of list items in document order (they are worked out from the end)."""
    return sorted(steps, key=lambda s: path_key(s.item) if s.item else ())


def path_key(path: str) -> tuple:
    """A JSON path as a key that sorts items in document order (`[10]` after `[9]`)."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[.\[\]]+", path) if p)


def date_of(value) -> dt.date | None:
    """A date, or ISO `YYYY-MM-DD` text as one; else None."""
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def different(value):
    """Some value other than `value`, of its type, to check a `!=` change with."""
    if isinstance(value, bool):
        return not value
    if is_number(value):
        return value + 1
    if isinstance(value, str):
        return value + "-2"
    return None


def _shown(path: str, value) -> str:
    """A value as the fix shows it: amounts of a field named `..._usd` (or `usd`) in USD, dates bare."""
    if is_number(value) and not isinstance(value, bool):
        money = re.search(r"(^|_)usd$", path.rsplit(".", 1)[-1])
        return ("USD " if money else "") + format_number(value)
    if date_of(value) is not None:
        return date_of(value).isoformat()
    return format_value(value)


def _json_value(value):
    if value is MISSING:
        return None
    if isinstance(value, Decimal):
        return str(value)  # exact: JSON numbers are read as binary floats by most readers
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return value


# ---- changing a document without touching the original ----------------------------------------------------

_TOKEN = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


@functools.lru_cache(maxsize=4096)  # a fix's search reads and changes the same few paths again and again
def _steps_of(path: str) -> tuple:
    if not path.startswith("$"):
        raise ValueError(f"not a JSON path: {path}")
    return tuple(int(index) if index else name for name, index in _TOKEN.findall(path[1:]))


def value_at(doc, path: str):
    """The value at a JSON path of a document, or MISSING."""
    value = doc
    for key in _steps_of(path):
        if isinstance(key, int):
            value = value[key] if isinstance(value, list) and key < len(value) else MISSING
        else:
            value = value.get(key, MISSING) if isinstance(value, dict) else MISSING
    return value


def patched(doc, path: str, value, remove: bool = False):
    """A copy of `doc` with the value at `path` replaced (or removed); only the
    containers along the path are copied."""
    keys = _steps_of(path)
    root = container = _copied(doc)
    for key in keys[:-1]:  # a loop, not a recursion: a fix's search patches a document hundreds of times
        if isinstance(container, list) and isinstance(key, int) and key < len(container):
            child = container[key]
        else:
            child = container.get(key) if isinstance(container, dict) else None
        child = container[key] = _copied(child)
        container = child
    key = keys[-1]
    if not remove:
        container[key] = value
    elif isinstance(container, list) and isinstance(key, int) and key < len(container):
        del container[key]
    elif isinstance(container, dict):
        container.pop(key, None)
    return root


def _copied(container):
    """A shallow copy of a list or mapping; an empty mapping in place of anything else."""
    if isinstance(container, list):
        return list(container)
    if isinstance(container, dict):
        return dict(container)
    return {}


def apply_changes(changes, doc):
    """The document with the changes made: values first, then removals from the end."""
    removals = [c for c in changes if c.action == "remove"]
    for change in changes:
        if change.action in ("reduce", "raise", "set", "move"):
            doc = patched(doc, change.path, change.target)
        elif change.action == "change":
            doc = patched(doc, change.path, different(change.current if change.current is not MISSING
                                                     else change.target))
        elif change.action == "one of":
            doc = patched(doc, change.path, change.target[0])
        elif change.action == "add" and change.amount is None:
            items = value_at(doc, change.path)
            doc = patched(doc, change.path, [*(items if isinstance(items, list) else []), change.target])
        elif change.action == "add" and change.like is not None:
            items, model = value_at(doc, change.path), value_at(doc, change.like)
            doc = patched(doc, change.path, [*items, *(copy.deepcopy(model) for _ in range(change.amount))])
        elif change.action == "drop":
            removals.extend(Change("remove", path) for path in change.like)
    for change in sorted(removals, key=lambda c: path_key(c.path), reverse=True):
        doc = patched(doc, change.path, None, remove=True)
    return doc
