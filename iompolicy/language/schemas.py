"""The JSON Schemas of document kinds: each kind's schema, its role, its date rule.

The document validator asks this module for each kind's schema; the checker asks
`shapes` what `funding.requested_usd` is in a `proposal`, reading the kind's schema
from here (so a check from the policy cache never loads the type lattice). A schema names its kind
with `properties.kind.const`, and may say which field dates a document with
`x-iompolicy-date` (`{"field": "submitted_on"}` or `{"year": "year"}`) and that
it is reference data with `"x-iompolicy-role": "data"`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..records import Record


class SchemaError(Exception):
    """A schema file that cannot be used."""


class KindSchema(Record, fields="kind path schema"):
    """One document kind's schema (`schema`, read from the file at `path`) and how to navigate it."""

    __slots__ = ()

    @property
    def role(self) -> str:
        """`document` (checked), `data` (reference data) or `waivers`."""
        return self.schema.get("x-iompolicy-role", "document")

    @property
    def is_data(self) -> bool:
        return self.role == "data"

    @property
    def date_rule(self) -> dict | None:
        return self.schema.get("x-iompolicy-date")

    def resolve(self, schema: dict) -> dict:
        """Follow a local `$ref` (`#/$defs/...`) and merge `allOf` parts."""
        seen = 0
        while isinstance(schema, dict) and "$ref" in schema and seen < 32:
            ref = schema["$ref"]
            if not ref.startswith("#/"):
                raise SchemaError(f"{self.path}: only local references are supported, not `{ref}`")
            target = self.schema
            for part in ref[2:].split("/"):
                target = target[part]
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
            seen += 1
        if isinstance(schema, dict) and "allOf" in schema:
            merged = {k: v for k, v in schema.items() if k != "allOf"}
            for part in schema["allOf"]:
                part = self.resolve(part)
                merged.setdefault("properties", {})
                merged["properties"] = {**merged["properties"], **part.get("properties", {})}
                for key, value in part.items():
                    if key != "properties":
                        merged.setdefault(key, value)
            schema = merged
        return schema if isinstance(schema, dict) else {}



class SchemaSet:
    """Every kind's schema in a folder (`*.schema.json`), keyed by kind."""

    def __init__(self, kinds: dict[str, KindSchema]):
        self.kinds = kinds

    @classmethod
    def load(cls, folder: str | Path) -> "SchemaSet":
        """Every `*.schema.json` of a folder."""
        return cls.from_texts(read_texts(folder))

    @classmethod
    def from_texts(cls, texts: dict[str, str]) -> "SchemaSet":
        """Schemas given as {path: JSON text}."""
        parsed = {}
        for path, text in sorted(texts.items()):
            try:
                parsed[path] = json.loads(text)
            except ValueError as error:
                raise SchemaError(f"{path}: cannot read this schema: {error}") from None
        return cls.from_schemas(parsed)

    @classmethod
    def from_schemas(cls, schemas: dict[str, dict]) -> "SchemaSet":
        """Schemas given as {path: parsed schema}."""
        kinds: dict[str, KindSchema] = {}
        for path, schema in sorted(schemas.items()):
            kind = schema.get("properties", {}).get("kind", {}).get("const")
            if not isinstance(kind, str):
                continue  # not a document kind (the report schema, for example)
            if kind in kinds:
                raise SchemaError(f"{path}: kind `{kind}` is also defined by {kinds[kind].path}")
            kinds[kind] = KindSchema(kind, str(path), schema)
        return cls(kinds)

    def get(self, kind: str) -> KindSchema | None:
        """The schema of a kind, or None."""
        return self.kinds.get(kind)

    def document_kinds(self) -> list[str]:
        return sorted(k for k, s in self.kinds.items() if s.role == "document")

    def data_kinds(self) -> list[str]:
        return sorted(k for k, s in self.kinds.items() if s.is_data)


def schema_files(folder: str | Path) -> list[Path]:
    """The `*.schema.json` files of a folder, sorted; none when it cannot be listed. (A
    suffix test, not `Path.glob`, whose pattern costs 0.2 ms to compile on every start.)"""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return sorted(Path(folder, name) for name in names if os.path.normcase(name).endswith(".schema.json"))


def read_texts(folder: str | Path) -> dict[str, str]:
    """{path: text} of every schema file in a folder."""
    texts = {}
    for path in schema_files(folder):
        try:
            texts[str(path)] = path.read_text(encoding="utf-8")
        except OSError as error:
            raise SchemaError(f"{path}: cannot read this schema: {error.strerror}") from None
    return texts
