"""Reference data with dated facts, read as of a document's date.

A register entry may give a fact as one value (true as of the register's `as_of`) or
as dated facts, a list of `{from, until, value}` (`until` inclusive, open when absent),
where its schema marks the list with `"x-iompolicy-dated": true`. Before clauses read
the data, each dated list is replaced by the value in force on the date the document is
judged as of, or removed (missing, so a clause that reads it is undecided) when no
entry covers that date. Policies read one value either way.

Finding where a register holds dated lists walks it with its schema once; judging a
document then only replaces those values, so a register without dated facts costs a
dictionary look-up per document.
"""

from __future__ import annotations

import datetime as dt

from .documents import date_of

DATED = "x-iompolicy-dated"


class DatedData:
    """The dated facts of the reference data of one schema set."""

    def __init__(self, schemas):
        self.schemas = schemas
        self._paths: dict[int, tuple[object, list[tuple]]] = {}  # id(value) -> (value, dated paths)
        self._kinds: dict[str, bool] = {}

    def kind_has_dated_facts(self, kind: str) -> bool:
        """Whether the schema of `kind` allows dated facts anywhere."""
        known = self._kinds.get(kind)
        if known is None:
            schema = self.schemas.get(kind)
            known = self._kinds[kind] = schema is not None and DATED in repr(schema.schema)
        return known

    def paths(self, kind: str, value) -> list[tuple]:
        """The paths (tuples of keys and indexes) of the dated lists in one data value."""
        known = self._paths.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        schema = self.schemas.get(kind)
        found: list[tuple] = []
        if schema is not None and self.kind_has_dated_facts(kind):
            _walk(schema, schema.schema, value, (), found)
        if len(self._paths) >= 64:  # registers are few; documents given inline as data may be many
            self._paths.clear()
        self._paths[id(value)] = (value, found)  # the value is kept, so its id is not reused
        return found

    def as_of(self, data: dict, on: dt.date | None) -> dict:
        """`data` (kind -> value) with every dated list replaced by its value on `on`."""
        resolved = data
        known_paths = self._paths
        for kind, value in data.items():
            known = known_paths.get(id(value))  # `paths`' memo, read here: this runs for every document
            paths = known[1] if known is not None and known[0] is value else self.paths(kind, value)
            if paths:
                if resolved is data:
                    resolved = dict(data)
                resolved[kind] = _replace_all(value, paths, on)
        return resolved


def _walk(kind_schema, schema, value, path: tuple, found: list) -> None:
    if not isinstance(value, (list, dict)):  # a text, a number, a flag: no dated list in it (most of a register)
        return
    schema = kind_schema.resolve(schema)
    if isinstance(value, list) and _is_dated(kind_schema, schema):
        found.append(path)
        return
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            sub = properties.get(key, extra if isinstance(extra, dict) else None)
            if sub is not None:
                _walk(kind_schema, sub, item, path + (key,), found)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            _walk(kind_schema, schema["items"], item, path + (index,), found)


def _is_dated(kind_schema, schema: dict) -> bool:
    if schema.get(DATED):
        return True
    options = schema.get("oneOf", []) + schema.get("anyOf", [])
    return any(kind_schema.resolve(option).get(DATED) for option in options)


def _replace_all(value, paths: list[tuple], on: dt.date | None):
    copy = _copy_along(value, paths)
    for path in paths:
        parent = copy
        for key in path[:-1]:
            parent = parent[key]
        facts = parent[path[-1]]
        in_force = _in_force(facts, on)
        if in_force is _NONE:
            del parent[path[-1]]
        else:
            parent[path[-1]] = in_force
    return copy


def _copy_along(value, paths: list[tuple]):
    """A copy of the containers on the paths; everything else is shared."""
    if not paths or any(len(p) == 0 for p in paths):
        return value
    copy = dict(value) if isinstance(value, dict) else list(value)
    heads: dict = {}
    for path in paths:
        heads.setdefault(path[0], []).append(path[1:])
    for head, rests in heads.items():
        copy[head] = _copy_along(copy[head], [r for r in rests if r]) if any(rests) else copy[head]
    return copy


_NONE = object()


def _in_force(facts: list, on: dt.date | None):
    """The value of the entry covering `on`; _NONE when none does (or the date is unknown)."""
    if on is None:
        return _NONE
    for fact in facts:
        start, until = date_of(fact.get("from")), date_of(fact.get("until"))
        if start is not None and start <= on and (until is None or on <= until):
            return fact.get("value")
    return _NONE
