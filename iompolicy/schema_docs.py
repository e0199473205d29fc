"""The documents page (docs/documents.md), written from the shipped JSON Schemas.

Each kind of input gets a section: what it is, then one row per field (its
dotted path, its type, whether it is required, and the schema's description,
which carries the Strategy's words where the field serves one of its
sentences). `python -m iompolicy.schema_docs > docs/documents.md` rewrites the
page; a test keeps it equal to what this module writes.
"""

from __future__ import annotations

import json
from pathlib import Path

ORDER = ("proposal", "facility_budget", "governance_calendar", "member_states", "funded_projects", "waivers")
_ROLES = {"document": "a document to check", "data": "reference data", "waivers": "waivers"}

INTRO = """\
# Documents

<!-- Written by `python -m iompolicy.schema_docs > docs/documents.md` from schemas/; do not edit by hand. -->

iompolicy reads six kinds of YAML or JSON input. Each names its kind in its
top-level `kind` field and must match its kind's JSON Schema (`schemas/`)
before any clause judges it.

In the tables, `a.b` is field `b` inside the mapping `a`, `a[]` is each item of
the list `a`, and `a.<key>` is each value of the mapping `a`. A field inside
a mapping is required only when that mapping is there. Amounts of money
are written with digits only (`150000`, not `"150,000"` or `$150000`), and dates
as `YYYY-MM-DD`.
"""


def page(schema_folder: str | Path) -> str:
    """The whole page, for the schemas in `schema_folder`."""
    folder = Path(schema_folder)
    schemas = {path.name.removesuffix(".schema.json"): json.loads(path.read_text(encoding="utf-8"))
               for path in sorted(folder.glob("*.schema.json"))}
    # The schemas of iompolicy's own reports (report, diff) have no `kind` to read: not inputs.
    inputs = [k for k, schema in schemas.items() if "const" in schema.get("properties", {}).get("kind", {})]
    kinds = [k for k in ORDER if k in inputs] + sorted(k for k in inputs if k not in ORDER)
    sections = [INTRO]
    for kind in kinds:
        sections.append(section(kind, schemas[kind]))
    return "\n".join(sections)


def section(kind: str, schema: dict) -> str:
    """One kind's section: title, role, description and the table of its fields."""
    role = _ROLES.get(schema.get("x-iompolicy-role", "document"), "input")
    lines = [f"## `{kind}`: {schema.get('title', kind)}", "",
             f"{_ROLES_SENTENCE[role]} Schema: [schemas/{kind}.schema.json](../schemas/{kind}.schema.json).", "",
             schema.get("description", ""), "",
             "| field | type | required | what it holds |", "|---|---|---|---|"]
    for path, field, required in fields(schema, schema):
        lines.append(f"| `{path}` | {type_words(schema, field)} | {'yes' if required else 'no'} | "
                     f"{_cell(describe(schema, field))} |")
    return "\n".join(lines) + "\n"


_ROLES_SENTENCE = {
    "a document to check": "A document to check.",
    "reference data": "Reference data: given with `--data FILE` or `data:` in the settings, never checked itself.",
    "waivers": "Waivers: named with `--waivers FILE` or `waivers:` in the settings.",
    "input": "An input.",
}


def fields(root: dict, node: dict, prefix: str = ""):
    """(dotted path, field schema, required in its parent) of every field under `node`, depth first."""
    node = resolve(root, node)
    needed = set(node.get("required", ()))
    for name, field in node.get("properties", {}).items():
        path = f"{prefix}{name}"
        yield path, field, name in needed
        yield from _inside(root, field, path)
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        path = f"{prefix}<key>"
        yield path, extra, False
        yield from _inside(root, extra, path)


def _inside(root: dict, field: dict, path: str):
    field = resolve(root, field)
    if field.get("type") == "object":
        yield from fields(root, field, path + ".")
    elif field.get("type") == "array" and isinstance(field.get("items"), dict):
        items = resolve(root, field["items"])
        if items.get("type") == "object":
            yield from fields(root, items, path + "[].")


def resolve(root: dict, node: dict) -> dict:
    """`node` with a local `$ref` (`#/$defs/NAME`) replaced by what it names; the
    node's own keys (its description) win over the definition's."""
    ref = node.get("$ref")
    if not ref or not ref.startswith("#/$defs/"):
        return node
    target = resolve(root, root["$defs"][ref.removeprefix("#/$defs/")])
    return {**target, **{k: v for k, v in node.items() if k != "$ref"}}


def describe(root: dict, field: dict) -> str:
    """The field's description (its own, else its definition's)."""
    return resolve(root, field).get("description", "")


def type_words(root: dict, field: dict) -> str:
    """The field's type in a few words: `text (YYYY-MM-DD)`, `integer: 1 or 2`, `list of text`."""
    field = resolve(root, field)
    if "const" in field:
        return f"`{json.dumps(field['const'])}`"
    if "oneOf" in field:  # text or a mapping, and the like
        return " or ".join(type_words(root, choice) for choice in field["oneOf"])
    kind = field.get("type")
    if kind == "array":
        items = field.get("items")
        return "list of " + (type_words(root, items) if isinstance(items, dict) else "anything")
    words = {"string": "text", "number": "number", "integer": "integer", "boolean": "`true` or `false`",
             "object": "mapping", None: "anything"}.get(kind, str(kind))
    if "enum" in field:
        words += ": " + " or ".join(f"`{json.dumps(v) if not isinstance(v, str) else v}`" for v in field["enum"])
    if field.get("format") == "date":
        words += " (YYYY-MM-DD)"
    if "pattern" in field:
        words += f" matching `{field['pattern']}`"
    if "minimum" in field:
        words += f" ≥ {field['minimum']}"
    if "maximum" in field:
        words += f" ≤ {field['maximum']}"
    return words


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


if __name__ == "__main__":
    from .resources import shipped_schemas

    print(page(shipped_schemas()), end="")
