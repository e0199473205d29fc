"""Symbolic documents: every value a schema-valid document (and its reference data)
can hold, as z3 terms, and the way back from a z3 model to a document.

A `Sym` is what an expression evaluates to symbolically: a static type, a z3 term
for the value, and three z3 conditions under which the value is *undecided*
(evaluation raises), *missing* or *null*. Numbers are z3 reals (exact rationals;
integers carry an `is_int` constraint), dates are day numbers (`date.toordinal()`),
and reference-data maps are uninterpreted functions keyed by text. Text is an
integer id (`texts.Texts`): every string the policies write has its own id, and
other text is "some other string" of the field's pattern, made up when a witness is
written. Lists hold at most `max_items` items: the bound under which every result
is sound.

The schema's constraints bind only the values a document has: each is required under
the condition that its value is present (`Universe.present`). A list's slots past its
end and the fields of a missing object are free terms that no formula reads unless they
are present, so the solver has nothing to search there. (Constrained like present
values, those slots made even a fully pinned calendar at a bound of 8 a search of
seconds to minutes, which the solver often gave up.)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools

import z3

NUMBER, STRING, BOOLEAN, DATE, NULL, LIST, OBJECT, MAP = (
    "number", "string", "boolean", "date", "null", "list", "object", "map")

TRUE, FALSE = z3.BoolVal(True), z3.BoolVal(False)
FIRST_DAY, LAST_DAY = dt.date(1, 1, 1).toordinal(), dt.date(9999, 12, 31).toordinal()


class Unsupported(Exception):
    """A construct the encoding does not support; the message names it (`uses X`)."""


def _truth_value(term) -> int:
    """1 for the literal true, -1 for the literal false, 0 for any other formula. One call
    into z3 (`z3.is_true` and `z3.is_false` make several each, and the encoding asks
    hundreds of thousands of times)."""
    return z3.Z3_get_bool_value(term.ctx_ref(), term.as_ast())


def any_of(*terms) -> z3.BoolRef:
    """Disjunction that drops literal falses (formulas stay small and readable)."""
    kept = []
    for term in terms:
        value = _truth_value(term)
        if value == 1:
            return TRUE
        if value == 0:
            kept.append(term)
    return FALSE if not kept else kept[0] if len(kept) == 1 else z3.Or(*kept)


def all_of(*terms) -> z3.BoolRef:
    """Conjunction that drops literal trues."""
    kept = []
    for term in terms:
        value = _truth_value(term)
        if value == -1:
            return FALSE
        if value == 0:
            kept.append(term)
    return TRUE if not kept else kept[0] if len(kept) == 1 else z3.And(*kept)


def negation(term) -> z3.BoolRef:
    value = _truth_value(term)
    return FALSE if value == 1 else TRUE if value == -1 else z3.Not(term)


class Sym:
    """A symbolic value: `type` (static), `value` (a z3 term, or a `SymList`, a dict of
    fields for an object, a `SymMap`), and when it is `undecided`, `missing`, `null`."""

    __slots__ = ("type", "value", "undecided", "missing", "null")

    def __init__(self, type_: str, value, undecided=FALSE, missing=FALSE, null=FALSE):
        self.type = type_
        self.value = value
        self.undecided = undecided
        self.missing = missing
        self.null = null

    def but(self, **changes) -> "Sym":
        fields = {name: getattr(self, name) for name in self.__slots__}
        fields.update(changes)
        return Sym(fields.pop("type"), **fields)

    @property
    def absent(self):
        """Missing or null: what `default` replaces and arithmetic cannot use."""
        return any_of(self.missing, self.null)


class SymList:
    """A list of at most len(items) items; item i exists when i < length."""

    __slots__ = ("length", "items")

    def __init__(self, length, items: list[Sym]):
        self.length = length
        self.items = items

    def active(self, position: int):
        if isinstance(self.length, int):
            return TRUE if position < self.length else FALSE
        return self.length > position


class SymMap:
    """A map with text keys (the member-state register): `has(key)` and, per key, an
    entry built from the entry schema out of uninterpreted functions of the key."""

    def __init__(self, universe: "Universe", kind, entry_schema: dict, name: str, key_schema: dict):
        self.universe = universe
        self.kind = kind
        self.entry_schema = entry_schema
        self.name = name
        self.key_schema = key_schema
        self.has = z3.Function(f"{name}?", z3.IntSort(), z3.BoolSort())
        self.lookups: dict[int, tuple[z3.ExprRef, Sym]] = {}

    def lookup(self, key) -> Sym:
        """The entry at `key` (missing when the map has no such key)."""
        found = self.lookups.get(key.get_id())
        if found is None:
            entry = self.universe.build_entry(self.kind, self.entry_schema, self.name, key)
            self.universe.constraints.append(z3.Implies(self.has(key), self.universe.texts.allowed(key, self.key_schema)))
            found = self.lookups[key.get_id()] = (key, entry)
        key, entry = found
        return entry.but(missing=negation(self.has(key)))


class Universe:
    """The symbolic document of one kind and its reference data, with the schema's
    constraints (`constraints`) on every term made."""

    def __init__(self, schemas, kind: str, max_items: int, texts):
        self.schemas = schemas
        self.texts = texts
        self.kind = kind
        self.max_items = max_items
        self.constraints: list = []
        self.present = TRUE  # while building: the condition that the value being built is in the document
        self.numbers: list = []  # every numeric term of the document and data (for witnesses)
        self.optional: list = []  # the `absent` flag of every optional field (for small witnesses)
        self.lengths: list = []  # the length of every list
        self._names = itertools.count()
        kind_schema = schemas.get(kind)
        self.document = self.build(kind_schema, kind_schema.schema, kind, required=True)
        self._data: dict[str, Sym] = {}

    def data(self, name: str) -> Sym:
        """Reference data `name`, assumed given (the analysis says so)."""
        if name not in self._data:
            kind_schema = self.schemas.get(name)
            if kind_schema is None:
                raise Unsupported(f"reference data `{name}` with no schema")
            self._data[name] = self.build(kind_schema, kind_schema.schema, f"data.{name}", required=True)
        return self._data[name]

    def entries(self) -> list:
        """`has(key)` of every register lookup made so far (for small witnesses)."""
        found = []
        for data in self._data.values():
            found += [sym.value.has(key) for sym in _maps(data) for key, _ in sym.value.lookups.values()]
        return found

    def data_names(self) -> list[str]:
        return sorted(self._data)

    def fresh(self, name: str) -> str:
        return f"{name}#{next(self._names)}"

    # ---- building terms from a schema -----------------------------------------------------
    def build(self, kind_schema, schema, path: str, required: bool) -> Sym:
        """Fresh terms for a value of `schema` at `path`, present unless optional."""
        missing = FALSE if required else z3.Bool(self.fresh(f"{path}:absent"))
        if not required:
            self.optional.append(missing)
        with self._within(negation(missing)):
            return self._value(kind_schema, kind_schema.resolve(schema), path).but(missing=missing)

    @contextlib.contextmanager
    def _within(self, condition):
        """Build under `condition` (the value's presence) as well as the enclosing ones."""
        outer = self.present
        self.present = all_of(outer, condition)
        try:
            yield
        finally:
            self.present = outer

    def require(self, *constraints) -> None:
        """Schema constraints on the value being built: binding when it is present."""
        self.constraints += [c if z3.is_true(self.present) else z3.Implies(self.present, c) for c in constraints]

    def _value(self, kind_schema, schema: dict, path: str) -> Sym:
        plain = dated_union(kind_schema, schema)
        if plain is not None:  # a value, or dated facts that may cover no date (then missing)
            uncovered = z3.Bool(self.fresh(f"{path}:uncovered"))
            self.texts.uncovered.add(uncovered.decl().name())
            with self._within(negation(uncovered)):
                return self._value(kind_schema, plain, path).but(missing=uncovered)
        declared = schema.get("type")
        types = [declared] if isinstance(declared, str) else list(declared or [])
        null = FALSE
        if "null" in types:
            types.remove("null")
            null = z3.Bool(self.fresh(f"{path}:null"))
        if "const" in schema and not types:
            return self._constant(schema["const"], path).but(null=null)
        if len(types) != 1:
            raise Unsupported(f"the schema of `{path}` (a value of several types)")
        with self._within(negation(null)):
            made = self._typed(kind_schema, schema, types[0], path)
        return made.but(null=null)

    def _typed(self, kind_schema, schema: dict, json_type: str, path: str) -> Sym:
        if json_type in ("number", "integer"):
            term = z3.Real(self.fresh(path))
            self.numbers.append(term)
            if json_type == "integer":
                self.require(z3.IsInt(term))
            self.require(*_number_bounds(term, schema))
            return Sym(NUMBER, term)
        if json_type == "boolean":
            return Sym(BOOLEAN, z3.Bool(self.fresh(path)))
        if json_type == "string" and schema.get("format") == "date":
            term = z3.Int(self.fresh(path))
            self.require(term >= FIRST_DAY, term <= LAST_DAY)
            return Sym(DATE, term)
        if json_type == "string":
            term = z3.Int(self.fresh(path))
            self.require(self.texts.allowed(term, schema))
            return Sym(STRING, term)
        if json_type == "array":
            return self._list(kind_schema, schema, path)
        if json_type == "object":
            if "properties" in schema or not isinstance(schema.get("additionalProperties"), dict):
                fields = self._fields(kind_schema, schema, path)
                self.require(*object_constraints(self.texts, schema, fields, path))
                return Sym(OBJECT, fields)
            keys = {"type": "string", **schema.get("propertyNames", {})}
            return Sym(MAP, SymMap(self, kind_schema, schema["additionalProperties"], path, keys))
        raise Unsupported(f"the schema of `{path}` (type {json_type})")

    def _fields(self, kind_schema, schema: dict, path: str) -> dict[str, Sym]:
        required = set(schema.get("required", ()))
        return {name: self.build(kind_schema, sub, f"{path}.{name}", name in required)
                for name, sub in schema.get("properties", {}).items()}

    def _list(self, kind_schema, schema: dict, path: str) -> Sym:
        most = min(self.max_items, schema.get("maxItems", self.max_items))
        length = z3.Int(self.fresh(f"{path}:length"))
        self.require(length >= schema.get("minItems", 0), length <= most)
        self.lengths.append(length)
        item_schema = schema.get("items", {})
        items = []
        for i in range(most):
            with self._within(length > i):
                items.append(self.build(kind_schema, item_schema, f"{path}[{i}]", required=True))
        if schema.get("uniqueItems"):
            if items and items[0].type not in (NUMBER, STRING, BOOLEAN, DATE):
                raise Unsupported(f"unique items of `{path}` that are not plain values")
            # distinct through an inverse (each item's value maps back to its position): n
            # equations the solver settles by congruence, not n(n-1)/2 disequalities it splits
            position = z3.Function(self.fresh(f"{path}:position"), items[0].value.sort(), z3.IntSort())
            self.require(*[z3.Implies(length > i, position(item.value) == i) for i, item in enumerate(items)])
        return Sym(LIST, SymList(length, items))

    def _constant(self, value, path: str) -> Sym:
        if isinstance(value, bool):
            return Sym(BOOLEAN, z3.BoolVal(value))
        if isinstance(value, str):
            return Sym(STRING, self.texts.literal(value))
        if isinstance(value, (int, float)):
            return Sym(NUMBER, z3.RealVal(str(value)))
        raise Unsupported(f"the constant of `{path}`")

    def build_entry(self, kind_schema, schema: dict, name: str, key) -> Sym:
        """An entry of a map at `key`: each field an uninterpreted function of the key."""
        schema = kind_schema.resolve(schema)
        if schema.get("type") != "object":
            raise Unsupported(f"entries of `{name}` that are not objects")
        fields = {}
        required = set(schema.get("required", ()))
        for field, sub in schema.get("properties", {}).items():
            sub = kind_schema.resolve(sub)
            fields[field] = self._entry_field(sub, f"{name}.{field}", key, field in required, kind_schema)
        return Sym(OBJECT, fields)

    def _entry_field(self, schema: dict, name: str, key, required: bool, kind_schema=None) -> Sym:
        plain = dated_union(kind_schema, schema) if kind_schema is not None else None
        if plain is not None:  # a value, or dated facts that may cover no date (then missing)
            flag = z3.Function(f"{name}:uncovered", z3.IntSort(), z3.BoolSort())
            self.texts.uncovered.add(flag.name())
            field = self._entry_field(kind_schema.resolve(plain), name, key, True)
            return field.but(missing=any_of(field.missing, flag(key)))
        json_type = schema.get("type")
        sorts = {"number": z3.RealSort(), "integer": z3.RealSort(), "boolean": z3.BoolSort(),
                 "string": z3.IntSort()}
        if json_type not in sorts or schema.get("format") == "date":
            raise Unsupported(f"register field `{name}` of type {json_type}")
        term = z3.Function(name, z3.IntSort(), sorts[json_type])(key)
        add = self.constraints.append
        if json_type in ("number", "integer"):
            self.numbers.append(term)
            if json_type == "integer":
                add(z3.IsInt(term))
            for constraint in _number_bounds(term, schema):
                add(constraint)
        elif json_type == "string":
            add(self.texts.allowed(term, schema))
        missing = FALSE if required else z3.Function(f"{name}:absent", z3.IntSort(), z3.BoolSort())(key)
        kind = {"number": NUMBER, "integer": NUMBER, "boolean": BOOLEAN, "string": STRING}[json_type]
        return Sym(kind, term, missing=missing)


def _number_bounds(term, schema: dict) -> list:
    bounds = []
    if "minimum" in schema:
        bounds.append(term >= z3.RealVal(str(schema["minimum"])))
    if "maximum" in schema:
        bounds.append(term <= z3.RealVal(str(schema["maximum"])))
    if "exclusiveMinimum" in schema:
        bounds.append(term > z3.RealVal(str(schema["exclusiveMinimum"])))
    if "exclusiveMaximum" in schema:
        bounds.append(term < z3.RealVal(str(schema["exclusiveMaximum"])))
    if "enum" in schema:
        bounds.append(any_of(*(term == z3.RealVal(str(v)) for v in schema["enum"])))
    return bounds


def _maps(sym: Sym):
    """The maps inside a symbolic value (registers are fields of reference data)."""
    if sym.type == MAP:
        yield sym
    elif sym.type == OBJECT:
        for child in sym.value.values():
            yield from _maps(child)


def dated_union(kind_schema, schema: dict) -> dict | None:
    """The plain option of `oneOf`/`anyOf` [a value, dated facts of it] (`x-iompolicy-dated`),
    or None. The evaluator reads dated facts as the value in force, or as missing."""
    options = schema.get("oneOf") or schema.get("anyOf")
    if not options or len(options) != 2 or "type" in schema:
        return None
    resolved = [kind_schema.resolve(o) for o in options]
    dated = [o for o in resolved if o.get("x-iompolicy-dated")]
    plain = [o for o in resolved if not o.get("x-iompolicy-dated")]
    return plain[0] if len(dated) == 1 and len(plain) == 1 else None


def object_constraints(texts, schema: dict, fields: dict, path: str) -> list:
    """An object schema's `anyOf`/`oneOf` of required fields and `if`/`then` on a field's value."""
    present = {name: negation(sym.missing) for name, sym in fields.items()}
    found = []
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if not options:
            continue
        if not all(set(o) == {"required"} for o in options):
            raise Unsupported(f"the `{key}` of `{path}`")
        met = [all_of(*(present[name] for name in o["required"])) for o in options]
        found.append(any_of(*met))
        if key == "oneOf":
            found += [negation(all_of(a, b)) for i, a in enumerate(met) for b in met[i + 1:]]
    if "if" in schema:
        condition, then = schema["if"], schema.get("then", {})
        if set(condition) - {"properties", "required"} or set(then) - {"required"} or "else" in schema:
            raise Unsupported(f"the `if` of `{path}`")
        tests = [present[name] for name in condition.get("required", ())]
        for name, sub in condition.get("properties", {}).items():
            if set(sub) != {"const"} or not isinstance(sub["const"], str) or fields[name].type != STRING:
                raise Unsupported(f"the `if` of `{path}`")
            tests.append(any_of(fields[name].missing, fields[name].value == texts.literal(sub["const"])))
        found.append(z3.Implies(all_of(*tests), all_of(*(present[name] for name in then.get("required", ())))))
    return found
