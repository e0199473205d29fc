"""The checker's type lattice: what it knows of a value's type (`Shape`) and the type names."""

from __future__ import annotations

# Static types the checker reasons with. `None` means "not known": anything goes.
NUMBER, STRING, BOOLEAN, DATE, NULL, LIST, OBJECT = (
    "number", "string", "boolean", "date", "null", "list", "object",
)
JSON_TYPES = {
    "number": NUMBER, "integer": NUMBER, "string": STRING, "boolean": BOOLEAN,
    "null": NULL, "array": LIST, "object": OBJECT,
}


class Shape:
    """What the checker knows of a value: its possible types (None: any) and, for
    lists and objects, the schema of what is inside. Treated as immutable."""

    def __init__(self, types: frozenset[str] | None, schema: dict | None = None):
        self.types = types
        self.schema = schema

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Shape):
            return NotImplemented
        return (self.types, self.schema) == (other.types, other.schema)

    def __hash__(self) -> int:  # as a frozen dataclass's: a shape that holds a schema (a dict) cannot be hashed
        return hash((self.types, self.schema))

    def __repr__(self) -> str:
        return f"Shape({self.types!r}, {self.schema!r})"

    @classmethod
    def of(cls, *types: str) -> "Shape":
        return cls(frozenset(types))

    def excludes(self, *allowed: str) -> bool:
        """True when the type is known and can be none of `allowed`: `shape.excludes(BOOLEAN)`
        means the value can never be a boolean."""
        return self.types is not None and not (self.types & set(allowed))

    def describe(self) -> str:
        if self.types is None:
            return "any value"
        return " or ".join(sorted(self.types))


ANY = Shape(None)


# ---- a kind's schema read as shapes (the checker's questions; a check never asks them) ----

def root_shape(kind) -> Shape:
    """The shape of a whole document of `kind` (a `schemas.KindSchema`)."""
    return schema_shape(kind, kind.schema)


def schema_shape(kind, schema: dict | bool | None) -> Shape:
    """The static type a (sub)schema of `kind` allows (its `$ref`s and `allOf`s followed)."""
    if not isinstance(schema, dict):
        return ANY
    schema = kind.resolve(schema)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            shapes = [schema_shape(kind, option) for option in schema[key]]
            if any(s.types is None for s in shapes):
                return ANY
            types = frozenset().union(*(s.types for s in shapes))
            inner = next((s.schema for s in shapes if s.schema), None)
            return Shape(types, inner)
    declared = schema.get("type")
    if declared is None:
        if "const" in schema or "enum" in schema:
            values = [schema["const"]] if "const" in schema else schema["enum"]
            return Shape(frozenset(_type_of_json(v) for v in values))
        if "properties" in schema:
            return Shape(frozenset({OBJECT}), schema)
        if "items" in schema:
            return Shape(frozenset({LIST}), schema)
        return ANY
    names = [declared] if isinstance(declared, str) else list(declared)
    types = set()
    for name in names:
        if name == "string" and schema.get("format") == "date":
            types.add(DATE)
        else:
            types.add(JSON_TYPES.get(name, name))
    return Shape(frozenset(types), schema)


def field_shape(kind, parent: Shape, name: str) -> tuple[Shape | None, list[str]]:
    """The shape of `parent.name`, or None and the known field names if unknown."""
    schema = parent.schema
    if schema is None:
        return ANY, []
    properties = schema.get("properties", {})
    if name in properties:
        return schema_shape(kind, properties[name]), []
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        return schema_shape(kind, extra), []
    if not properties and extra is None and "patternProperties" not in schema:
        return ANY, []
    return None, sorted(properties)


def item_shape(kind, parent: Shape) -> Shape:
    """The shape of an element of a list, or of an entry of a map."""
    schema = parent.schema
    if schema is None:
        return ANY
    if parent.types and LIST in parent.types and "items" in schema:
        return schema_shape(kind, schema["items"])
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        return schema_shape(kind, extra)
    return ANY


def _type_of_json(value) -> str:
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, (int, float)):
        return NUMBER
    if isinstance(value, str):
        return STRING
    if value is None:
        return NULL
    if isinstance(value, list):
        return LIST
    return OBJECT
