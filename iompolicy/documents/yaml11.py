"""YAML 1.1 readings that a schema can tell were not meant.

The loader turns a date written without quotes into ISO text, as JSON would
carry it, so a date where the schema wants some other text (an id, a title)
would pass validation unseen. The loader keeps the path of every such date
(`Document.dates`); once a document matches its schema, `unquoted_dates`
refuses those that sit where the schema wants text that is not a date.
"""

from __future__ import annotations

import re

from .document import Document, Problem
from ..language.schemas import KindSchema

_PART = re.compile(r"\.([^.\[]*)|\[(\d+)\]")


def unquoted_dates(document: Document, kind: KindSchema) -> list[Problem]:
    """A problem for each unquoted YAML date where the schema wants text, not a date."""
    problems = []
    for path, written in sorted(document.dates.items()):
        candidates = schemas_at(kind, path)
        if candidates and all(_plain_text(schema) for schema in candidates):
            position = document.position(path)
            line, column = position if position else (None, None)
            problems.append(Problem(document.name, f"{path}: `{written}` is written without quotes, so YAML reads it "
                                    "as a date, but text is expected here", line, column, path,
                                    f'write "{written}" in quotes'))
    return problems


def schemas_at(kind: KindSchema, path: str) -> list[dict]:
    """Every subschema that may apply at a JSON path (`$.a.b[0]`); [] when unknown."""
    if not path.startswith("$"):
        return []
    parts: list[str | int] = []
    position = 1
    for match in _PART.finditer(path, 1):
        if match.start() != position:
            return []
        parts.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
        position = match.end()
    if position != len(path):
        return []
    try:
        current = _expand(kind, kind.schema)
        for part in parts:
            current = [child for schema in current for child in _expand_all(kind, _children(schema, part))]
    except Exception:  # a schema this walk does not understand: say nothing
        return []
    return current


def _expand(kind: KindSchema, schema) -> list[dict]:
    """A schema with its `$ref` followed and its `anyOf`/`oneOf` options spread out."""
    if not isinstance(schema, dict):
        return []
    schema = kind.resolve(schema)
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        return [s for option in options for s in _expand(kind, option)]
    return [schema]


def _expand_all(kind: KindSchema, schemas: list) -> list[dict]:
    return [s for schema in schemas for s in _expand(kind, schema)]


def _children(schema: dict, part: str | int) -> list:
    if isinstance(part, int):
        prefix = schema.get("prefixItems") or []
        if part < len(prefix):
            return [prefix[part]]
        items = schema.get("items")
        return [items] if isinstance(items, dict) else []
    properties = schema.get("properties") or {}
    if part in properties:
        return [properties[part]]
    found = [s for pattern, s in (schema.get("patternProperties") or {}).items() if re.search(pattern, part)]
    if found:
        return found
    extra = schema.get("additionalProperties")
    return [extra] if isinstance(extra, dict) else []


def _plain_text(schema: dict) -> bool:
    """True when the schema wants text and nothing says a date may be meant."""
    declared = schema.get("type")
    types = declared if isinstance(declared, list) else [declared]
    if "string" not in types:
        return False
    return not any(key in schema for key in ("format", "enum", "const", "pattern"))
