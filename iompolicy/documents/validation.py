"""Schema validation of documents against their kind's JSON Schema (draft 2020-12).

Every document is validated by a function that fastjsonschema generated from the
schema (cheap to import and to run; the generated code is cached with the policy
set). Only a document that fails is validated again by jsonschema, which gives
every error with its JSON path. jsonschema decides: if it finds nothing wrong, the
document is valid. The test suite checks that the two agree.
"""

from __future__ import annotations

import datetime as dt
import itertools
import marshal
import re
from _thread import allocate_lock  # what threading.Lock is, without importing threading (1 ms)

from .document import Document, DocumentError, Problem
from ..patterns import LazyPattern
from ..values import equality_key
from ..language.schemas import KindSchema, SchemaSet

_MAX_PROBLEMS = 20


def _is_iso_date(value) -> bool:
    if not isinstance(value, str):
        return True  # `format` only constrains strings
    try:
        dt.date.fromisoformat(value)
        return len(value) == 10
    except ValueError:
        return False


_FORMATS = {"date": _is_iso_date}


def generate(kind: KindSchema) -> tuple[str, bytes]:
    """A fast validator for one kind: (function name, marshalled code).

    The code is generated from the shipped schema only; no document or policy
    text ever becomes Python source.
    """
    import fastjsonschema  # here: only when the policy cache missed

    # A copy (`_inlined` builds new containers): fastjsonschema rewrites every `$ref` of the
    # schema it is given into an absolute URI, which broke the shared schema for the checker.
    source = fastjsonschema.compile_to_code(_exclusive_choices(_inlined(kind.schema, kind.schema.get("$defs", {}))),
                                            formats=_FORMATS, use_default=False)
    # The generated module imports its exception classes from fastjsonschema, whose import
    # costs a few ms on every run; they are given to it instead (see _fast_validator).
    source = _IMPORT_LINE.sub("", source)
    name = re.search(r"^def (\w+)\(", source, re.MULTILINE).group(1)
    source = _hoisted_unique_key(source)
    return name, marshal.dumps(compile(source, f"<schema {kind.kind}>", "exec"))


_IMPORT_LINE = LazyPattern(r"^from fastjsonschema import [\w, ]+$", re.MULTILINE)
_UNIQUE_KEY = LazyPattern(r"^[ \t]+(def fn\(var\): .*)$", re.MULTILINE)


def _hoisted_unique_key(source: str) -> str:
    """The generated source with fastjsonschema's `uniqueItems` helper defined once, at the
    top, instead of inside the validator each time a list is checked: a nested function
    that calls itself is a reference cycle, and a cycle left by each document waits for the
    garbage collector (`test_checking_a_document_leaves_no_reference_cycle`). The definition
    is the library's own line, moved; a source holding two different ones is left as it is."""
    definitions = set(_UNIQUE_KEY.findall(source))
    if len(definitions) != 1:
        return source
    return definitions.pop() + "\n" + _UNIQUE_KEY.sub("", source)


_OWN_DEFINITION = "#/$defs/"


def _inlined(node, definitions: dict, within: tuple = ()):
    """A copy of a schema in which each `$ref` to one of its own `$defs` is the definition
    itself, under `allOf`: the same verdicts (in draft 2020-12 a `$ref` applies alongside its
    sibling keywords, as `allOf` does). fastjsonschema then writes the checks in line, where
    it called a function for each value referred (naming each item of a list with
    `str.format(**locals())`): the proposal's validator runs in about 40% of the
    instructions. A definition met again inside itself keeps its `$ref`."""
    if isinstance(node, list):
        return [_inlined(item, definitions, within) for item in node]
    if not isinstance(node, dict):
        return node
    copied = {key: _inlined(value, definitions, within) for key, value in node.items() if key != "$ref"}
    ref = node.get("$ref")
    name = ref[len(_OWN_DEFINITION):] if isinstance(ref, str) and ref.startswith(_OWN_DEFINITION) else None
    if name is None or name in within or name not in definitions:
        if ref is not None:
            copied["$ref"] = ref
        return copied
    copied["allOf"] = [*copied.get("allOf", []), _inlined(definitions[name], definitions, (*within, name))]
    return copied


# Where a keyword holds schemas: one (`items`), a list of them (`allOf`), or a map of them (`properties`).
_ONE_SCHEMA = ("items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames",
               "unevaluatedItems", "unevaluatedProperties", "additionalItems")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")


def _exclusive_choices(schema):
    """The schema (a copy of our own, changed in place) with each `oneOf` whose choices take
    values of different JSON types (a boolean, or a list of dated facts) written `anyOf`:
    no value can meet two of them, so "exactly one" is "at least one", and the validator
    stops at the first choice met. fastjsonschema's `oneOf` tries every choice, raising an
    exception for each one missed: two per state of the member-state register, most of the
    work of validating it (the benchmark's register: 4.03 M instructions, 0.58 M as anyOf)."""
    if not isinstance(schema, dict):
        return schema
    for key in _ONE_SCHEMA:
        _exclusive_choices(schema.get(key))
    for key in _SCHEMA_LISTS:
        inner = schema.get(key)
        for item in inner if isinstance(inner, list) else ():
            _exclusive_choices(item)
    for key in _SCHEMA_MAPS:
        inner = schema.get(key)
        for item in inner.values() if isinstance(inner, dict) else ():
            _exclusive_choices(item)
    choices = schema.get("oneOf")
    if isinstance(choices, list) and "anyOf" not in schema and _pairwise_apart([_types(c) for c in choices]):
        schema["anyOf"] = schema.pop("oneOf")
    return schema


def _types(schema) -> frozenset | None:
    """The JSON types a schema allows by its `type` (and its `allOf`'s), or None: any."""
    if not isinstance(schema, dict):
        return None
    written = schema.get("type")
    found = frozenset([written] if isinstance(written, str) else written) if isinstance(written, (str, list)) else None
    for part in schema.get("allOf", []) if isinstance(schema.get("allOf"), list) else ():
        inner = _types(part)
        if inner is not None:
            found = inner if found is None else found & inner
    return found


def _pairwise_apart(type_sets: list) -> bool:
    """No value has a type of two of the sets (`integer` is a `number`)."""
    if any(types is None for types in type_sets):
        return False
    widened = [types | ({"integer"} if "number" in types else set()) | ({"number"} if "integer" in types else set())
               for types in type_sets]
    return all(not (a & b) for i, a in enumerate(widened) for b in widened[i + 1:])


class SchemaViolation(ValueError):
    """Raised by generated validators (in place of fastjsonschema's own exceptions)."""

    def __init__(self, message="", value=None, name=None, definition=None, rule=None, errors=None):
        super().__init__(message)
        self.rule = rule  # the schema keyword broken (`uniqueItems`, `type`, ...)


class Validator:
    """Validates documents by kind; validators are built once per kind and shared.

    `fast_code` is generated code already at hand (kind -> (function name, marshalled
    code)); `kept` is where a kind's code is kept between runs (the policy cache: an
    object with `load(kind)`, the code or None, and `store(kind, code)`), asked for a
    kind only when a document of that kind is first validated, so a run reads the code of
    the kinds it meets, not of all (the shipped schemas' is some 335 KB)."""

    def __init__(self, schemas: SchemaSet, fast_code: dict[str, tuple[str, bytes]] | None = None, kept=None):
        self.schemas = schemas
        self.fast_code = dict(fast_code or {})
        self.kept = kept
        self._fast: dict[str, object] = {}
        self._detailed: dict[str, object] = {}
        self._lock = allocate_lock()

    def all_fast_code(self) -> dict[str, tuple[str, bytes]]:
        """Generated code of every kind (what the cache keeps)."""
        for kind in self.schemas.kinds.values():
            self._code(kind)
        return self.fast_code

    def _code(self, kind: KindSchema, fresh: bool = False) -> tuple[str, bytes]:
        """The kind's generated code: at hand, else kept from an earlier run, else (or when
        `fresh`) generated now, and kept."""
        code = None if fresh else self.fast_code.get(kind.kind)
        if code is None:
            code = None if fresh or self.kept is None else self.kept.load(kind.kind)
            if code is None:
                code = generate(kind)
                if self.kept is not None:
                    self.kept.store(kind.kind, code)
            self.fast_code[kind.kind] = code
        return code

    def _fast_validator(self, kind: KindSchema):
        function = self._fast.get(kind.kind)
        if function is None:
            with self._lock:
                function = self._fast.get(kind.kind)  # another thread may have made it meanwhile
                if function is None:
                    try:
                        function = _function(*self._code(kind))
                    except Exception:  # noqa: BLE001 - kept code that does not load (damaged): made again
                        function = _function(*self._code(kind, fresh=True))
                    self._fast[kind.kind] = function
        return function

    def _detailed_validator(self, kind: KindSchema):
        validator = self._detailed.get(kind.kind)
        if validator is None:
            with self._lock:
                from jsonschema import FormatChecker

                validator = _detailed_class()(kind.schema, format_checker=FormatChecker())
                self._detailed[kind.kind] = validator
        return validator

    def kind_of(self, document: Document) -> KindSchema:
        """The schema of the document's `kind`, or a DocumentError saying why not."""
        kind = document.kind
        if kind is None:
            raise DocumentError([_problem(document, "the document has no `kind` field", "$",
                                          "add `kind:` with one of: " + ", ".join(sorted(self.schemas.kinds)))])
        schema = self.schemas.get(kind) if isinstance(kind, str) else None
        if schema is None:
            raise DocumentError([_problem(document, f"unknown document kind `{kind}`", "$.kind",
                                          "known kinds: " + ", ".join(sorted(self.schemas.kinds)))])
        return schema

    def is_valid(self, value: dict) -> bool:
        """Does a document value (a changed copy, say) match its kind's schema? The same
        verdict as `validate`, without jsonschema's import (a tenth of a second) where the
        generated validator's own verdict is exact: it says valid, or it rejects by a
        keyword other than `type` (it has no Decimal numbers) and `uniqueItems` over a list
        holding booleans (Python's `True == 1`; JSON Schema's true differs from 1)."""
        kind = self.schemas.get(value.get("kind")) if isinstance(value.get("kind"), str) else None
        if kind is None:
            return False
        try:
            self._fast_validator(kind)(value, custom_formats=_FORMATS)
            return True
        except SchemaViolation as violation:
            if violation.rule not in ("type", "uniqueItems") or (
                    violation.rule == "uniqueItems" and not _bool_in_a_list(value)):
                return False
        except Exception:  # noqa: BLE001 - as in validate: jsonschema decides
            pass
        try:
            self.validate(Document(value))
        except DocumentError:
            return False
        return True

    def validate(self, document: Document) -> KindSchema:
        """Raise DocumentError listing every schema violation (at most 20)."""
        kind = self.kind_of(document)
        try:
            self._fast_validator(kind)(document.value, custom_formats=_FORMATS)
            return _no_unquoted_dates(document, kind)
        except DocumentError:
            raise
        except Exception:  # fastjsonschema's verdict is only a hint: jsonschema decides
            pass
        validator = self._detailed_validator(kind)
        # A hostile document may break the schema a million times: sort a bounded sample.
        errors = sorted(itertools.islice(validator.iter_errors(document.value), 50 * _MAX_PROBLEMS),
                        key=lambda e: list(e.absolute_path))
        if not errors:
            return _no_unquoted_dates(document, kind)
        from .schema_problems import schema_problems

        raise DocumentError(schema_problems(document, errors)[:_MAX_PROBLEMS])


def _bool_in_a_list(value, in_list: bool = False) -> bool:
    """Whether a boolean stands anywhere inside a list of `value` (iteratively: a hostile
    document may nest deeply)."""
    pending = [(value, in_list)]
    while pending:
        value, in_list = pending.pop()
        if value is True or value is False:
            if in_list:
                return True
        elif type(value) is dict:
            pending.extend((item, in_list) for item in value.values())
        elif type(value) is list:
            pending.extend((item, True) for item in value)
    return False


def _function(name: str, code: bytes):
    """The validator function of a kind's generated code (see `generate`)."""
    namespace: dict = {"JsonSchemaValueException": SchemaViolation, "JsonSchemaValuesException": SchemaViolation}
    exec(marshal.loads(code), namespace)  # code generated from our own schema (see generate)
    return namespace[name]


def _detailed_class():
    """jsonschema's draft 2020-12 validator, with a `uniqueItems` that takes linear time.

    jsonschema's own compares every pair of items when they cannot be sorted
    (`[true, 1, 2, ...]`): a 23 KB list took 11 s. Here each item becomes a
    hashable key (`equality_key`) that is equal exactly when JSON Schema says two
    values are equal (1 == 1.0, true != 1, objects regardless of key order), and
    the first repeated key is found in one pass. The message names the repeated items
    rather than printing the whole list."""
    from jsonschema import Draft202012Validator, ValidationError, validators

    def unique_items(validator, unique, instance, schema):
        if unique and validator.is_type(instance, "array"):
            first = {}
            for index, item in enumerate(instance):
                seen = first.setdefault(equality_key(item), index)
                if seen != index:
                    yield ValidationError(f"has non-unique elements: items {seen} and {index} are equal")
                    return

    return validators.extend(Draft202012Validator, {"uniqueItems": unique_items})


PLACEHOLDER_MARK = "# FILL IN"  # placeholders.MARK, kept here so that a check loads that module only when needed


def _no_unquoted_dates(document: Document, kind: KindSchema) -> KindSchema:
    """The kind, unless a YAML date written without quotes stands where text is wanted, or
    a line is still marked `# FILL IN` (a template's placeholder: see `placeholders`)."""
    if document.dates:
        from .yaml11 import unquoted_dates

        problems = unquoted_dates(document, kind)
        if problems:
            raise DocumentError(problems)
    if document.text is not None and PLACEHOLDER_MARK in document.text:
        from .placeholders import placeholders

        problems = placeholders(document)
        if problems:
            raise DocumentError(problems[:_MAX_PROBLEMS])
    return kind


def _problem(document: Document, message: str, path: str, hint: str | None = None) -> Problem:
    position = document.position(path)
    line, column = position if position else (None, None)
    return Problem(document.name, message, line, column, path, hint)
