"""Schema validation of documents against their kind's JSON Schema (draft 2020-12)."""

from __future__ import annotations

import threading

from .documents import Document, DocumentError, Problem
from .schema import KindSchema, SchemaSet

_MAX_PROBLEMS = 20


class Validator:
    """Validates documents by kind; jsonschema validators are built once per kind."""

    def __init__(self, schemas: SchemaSet):
        self.schemas = schemas
        self._validators: dict[str, object] = {}
        self._lock = threading.Lock()

    def _validator(self, kind: KindSchema):
        validator = self._validators.get(kind.kind)
        if validator is None:
            with self._lock:
                from jsonschema import Draft202012Validator, FormatChecker

                validator = Draft202012Validator(kind.schema, format_checker=FormatChecker())
                self._validators[kind.kind] = validator
        return validator

    def kind_of(self, document: Document, allow_data: bool = True) -> KindSchema:
        """The schema of the document's `kind`, or a DocumentError saying why not."""
        kind = document.kind
        if kind is None:
            raise DocumentError([_problem(document, "the document has no `kind` field", "$",
                                          "add `kind:` with one of: " + ", ".join(sorted(self.schemas.kinds)))])
        schema = self.schemas.get(kind) if isinstance(kind, str) else None
        if schema is None or (schema.is_data and not allow_data):
            raise DocumentError([_problem(document, f"unknown document kind `{kind}`", "$.kind",
                                          "known kinds: " + ", ".join(sorted(self.schemas.kinds)))])
        return schema

    def validate(self, document: Document) -> KindSchema:
        """Raise DocumentError listing every schema violation (at most 20)."""
        kind = self.kind_of(document)
        validator = self._validator(kind)
        if validator.is_valid(document.value):  # the common case pays for nothing more
            return kind
        errors = sorted(validator.iter_errors(document.value), key=lambda e: list(e.absolute_path))
        problems = [_problem(document, _describe(e), e.json_path) for e in errors[:_MAX_PROBLEMS]]
        raise DocumentError(problems)


def _describe(error) -> str:
    where = error.json_path
    return f"{where}: {error.message}" if where != "$" else error.message


def _problem(document: Document, message: str, path: str, hint: str | None = None) -> Problem:
    position = document.position(path)
    line, column = position if position else (None, None)
    return Problem(document.name, message, line, column, path, hint)
