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
