"""Static checks of a policy set, before any document is read.

Stages run in order and each adds diagnostics; nothing here raises. Field paths
are checked against the JSON Schema of the kind a policy applies to, so a typo
is found when the policy is loaded, not when a document happens to need it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import syntax as n
from .builtins import AGGREGATES, BUILTINS
from .schemas import KindSchema, SchemaSet
from .shapes import (ANY, BOOLEAN, DATE, LIST, NULL, NUMBER, OBJECT, STRING, Shape, field_shape, item_shape,
                     root_shape)
from .parameters import values_hint
from .source import Diagnostic, suggest
from .unparse import unparse

_ORDERED = (NUMBER, DATE, STRING)


@dataclass
class _Scope:
    """What a name can mean at one point of a policy file."""

    kind: KindSchema | None
    bindings: dict[str, n.Binding]  # visible file-level and clause-level bindings
    binding_shapes: dict[str, Shape]
    locals: dict[str, Shape] = field(default_factory=dict)
    in_const: bool = False

    def with_local(self, name: str, shape: Shape) -> "_Scope":
        return _Scope(self.kind, self.bindings, self.binding_shapes, {**self.locals, name: shape}, self.in_const)


class Checker:
    """Runs every check stage over a set of lowered policy files."""

    def __init__(self, schemas: SchemaSet):
        self.schemas = schemas
        self.diagnostics: list[Diagnostic] = []
        self.parameters: dict[str, n.Parameter] = {}  # declared anywhere in the set, by name

    def error(self, code: str, message: str, node, hint: str | None = None) -> None:
        span = getattr(node, "span", node)
        self.diagnostics.append(Diagnostic(code, message, span, hint))

    # ---- stages ------------------------------------------------------------------
    def check(self, files: list[n.PolicyFile]) -> list[Diagnostic]:
        self.unique_ids(files)
        for policy_file in files:
            self.policy_file(policy_file)
        return self.diagnostics

    def unique_ids(self, files: list[n.PolicyFile]) -> None:
        policies: dict[str, n.PolicyHeader] = {}
        clauses: dict[str, n.Clause] = {}
        for policy_file in files:
            for parameter in policy_file.parameters:
                if parameter.name in self.parameters:
                    self.error("duplicate_name", f"parameter `{parameter.name}` is also declared at "
                               f"{self.parameters[parameter.name].span}", parameter,
                               "a parameter's name is chosen in the settings, so it is one name in the whole set")
                self.parameters.setdefault(parameter.name, parameter)
            header = policy_file.header
            if header.id in policies:
                self.error("duplicate_policy_id", f"policy id `{header.id}` is also used at {policies[header.id].span}", header)
            policies.setdefault(header.id, header)
            for clause in policy_file.clauses:
                if clause.id in clauses:
                    self.error("duplicate_clause", f"clause id `{clause.id}` is also used at {clauses[clause.id].span}", clause)
                clauses.setdefault(clause.id, clause)

    def policy_file(self, policy_file: n.PolicyFile) -> None:
        header = policy_file.header
        kind = self.schemas.get(header.kind) if header.kind else None
        if header.kind and kind is None:
            known = self.schemas.document_kinds()
            self.error("unknown_kind", f"no schema defines document kind `{header.kind}`", header,
                       _suggest(header.kind, known) or f"known kinds: {', '.join(known) or 'none'}")
        elif kind is not None and kind.role != "document":
            self.error("data_kind", f"`{header.kind}` is {kind.role}, not a kind of document to check", header)
        if not policy_file.clauses:
            self.error("no_clauses", f"policy `{header.id}` has no clauses", header)
        scope = _Scope(kind, {}, {})
        for binding in policy_file.bindings:
            if binding.name in scope.bindings:
                self.error("duplicate_name", f"`{binding.name}` is already defined at {scope.bindings[binding.name].span}", binding)
                continue
            inner = _Scope(kind, dict(scope.bindings), scope.binding_shapes, in_const=binding.is_const)
            scope.binding_shapes[binding.name] = self.expr(binding.expr, inner)
            scope.bindings[binding.name] = binding
        for clause in policy_file.clauses:
            self.clause(clause, header, scope)

    def clause(self, clause: n.Clause, header: n.PolicyHeader, file_scope: _Scope) -> None:
        scope = _Scope(file_scope.kind, dict(file_scope.bindings), dict(file_scope.binding_shapes))
        for binding in clause.lets:
            if binding.name in scope.bindings and any(scope.bindings[binding.name] is own for own in clause.lets):
                self.error("duplicate_name", f"`{binding.name}` is already defined in this clause", binding)
            scope.binding_shapes[binding.name] = self.expr(binding.expr, scope)
            scope.bindings[binding.name] = binding
        for guard in clause.guards:
            self.condition(guard, scope, "when")
            if isinstance(guard, n.Literal) and guard.value is False:
                self.error("never_applies", f"clause `{clause.id}` can never apply: its guard is `false`", guard)
        for requirement in clause.requires:
            self.condition(requirement, scope, "require")
        if clause.message is not None:
            for part in clause.message.parts:
                if not isinstance(part, str):
                    self.expr(part, scope)
        start = max(filter(None, (header.effective_from, clause.effective_from)), default=None)
        until = min(filter(None, (header.effective_until, clause.effective_until)), default=None)
        if start and until and until < start:
            self.error("never_applies",
                       f"clause `{clause.id}` can never apply: in force from {start} but only until {until}", clause)

    def condition(self, expr, scope: _Scope, keyword: str) -> None:
        shape = self.expr(expr, scope)
        if shape.excludes(BOOLEAN):
            self.error("type_mismatch", f"`{keyword}` needs a condition, but `{unparse(expr)}` is {shape.describe()}", expr)

    # ---- expressions: each returns the static shape of its value --------------------
    def expr(self, node, scope: _Scope) -> Shape:
        method = getattr(self, "on_" + type(node).__name__)  # on_<syntax class>, as in the tracer
        return method(node, scope)

    def on_Literal(self, node: n.Literal, scope) -> Shape:
        kinds = {"number": NUMBER, "percent": NUMBER, "money": NUMBER, "date": DATE,
                 "string": STRING, "bool": BOOLEAN, "null": NULL}
        if node.kind not in kinds:  # the stand-in for an expression already reported (too deep)
            return ANY
        return Shape.of(kinds[node.kind])

    def on_Name(self, node: n.Name, scope: _Scope) -> Shape:
        if node.name in scope.locals:
            return scope.locals[node.name]
        if node.name in scope.bindings:
            binding = scope.bindings[node.name]
            if scope.in_const and not binding.is_const:
                self.error("const_not_constant", f"a `const` cannot use the derived value `{node.name}`", node)
            return scope.binding_shapes.get(node.name, ANY)
        if scope.in_const:
            self.error("const_not_constant", f"a `const` cannot read the document (`{node.name}`)", node,
                       "use `let` for a value computed from the document")
            return ANY
        if node.name.isupper():
            self.error("unknown_constant", f"unknown constant `{node.name}`", node,
                       _suggest(node.name, list(scope.bindings)))
            return ANY
        if scope.kind is None:
            return ANY
        shape, known = field_shape(scope.kind, root_shape(scope.kind), node.name)
        if shape is None:
            self.error("unknown_field", f"`{scope.kind.kind}` documents have no field `{node.name}`", node,
                       _suggest(node.name, known + list(scope.bindings) + list(scope.locals)))
            return ANY
        return shape

    def on_DataRef(self, node: n.DataRef, scope: _Scope) -> Shape:
        if scope.in_const:
            self.error("const_not_constant", "a `const` cannot read reference data", node)
        kind = self.schemas.get(node.name)
        if kind is None or not kind.is_data:
            known = self.schemas.data_kinds()
            self.error("unknown_data", f"no reference data set is named `{node.name}`", node,
                       _suggest(node.name, known) or f"known data sets: {', '.join(known) or 'none'}")
            return ANY
        return _Rooted(kind, root_shape(kind))

    def on_ParamRef(self, node: n.ParamRef, scope: _Scope) -> Shape:
        if scope.in_const:
            self.error("const_not_constant", f"a `const` cannot read a parameter (`param.{node.name}`)", node,
                       "use `let`: a reading is chosen when the policies are loaded, after constants are worked out")
        if node.name not in self.parameters:
            known = sorted(self.parameters)
            self.error("unknown_parameter", f"no parameter `{node.name}` is declared", node,
                       _suggest(node.name, known) or (f"parameters: {', '.join(known)}" if known
                                                      else "declare it with `param NAME { ... }`"))
            return ANY
        return Shape.of(STRING)

    def reading_values(self, reference, values) -> None:
        """`param.NAME == "v"` and `param.NAME in ["v", ...]`: each written value must be a reading."""
        if not isinstance(reference, n.ParamRef) or reference.name not in self.parameters:
            return
        parameter = self.parameters[reference.name]
        for value in values:
            if isinstance(value, n.Literal) and value.kind == "string" and value.value not in parameter.allowed:
                self.error("unknown_value", f"`{value.value}` is not a reading of parameter `{parameter.name}`",
                           value, values_hint(value.value, parameter.allowed))

    def on_Attribute(self, node: n.Attribute, scope: _Scope) -> Shape:
        parent = self.expr(node.obj, scope)
        if parent.excludes(OBJECT):
            self.error("type_mismatch", f"`{unparse(node.obj)}` is {parent.describe()}; it has no field `{node.name}`", node)
            return ANY
        kind = _kind_of(parent, scope)
        if kind is None or parent.schema is None:
            return ANY
        shape, known = field_shape(kind, parent, node.name)
        if shape is None:
            path = f"{unparse(node.obj)}.{node.name}"
            suggestions = [f"{unparse(node.obj)}.{k}" for k in known]
            self.error("unknown_field", f"unknown field `{path}`", node, _suggest(path, suggestions))
            return ANY
        return _Rooted(kind, shape) if isinstance(parent, _Rooted) else shape

    def on_Index(self, node: n.Index, scope: _Scope) -> Shape:
        parent = self.expr(node.obj, scope)
        key = self.expr(node.index, scope)
        if parent.excludes(LIST, OBJECT):
            self.error("type_mismatch", f"`{unparse(node.obj)}` is {parent.describe()}; it cannot be indexed", node)
            return ANY
        if parent.types == {LIST} and key.excludes(NUMBER):
            self.error("type_mismatch", f"a list is indexed by position, but `{unparse(node.index)}` is {key.describe()}", node.index)
        if parent.types == {OBJECT} and key.excludes(STRING):
            self.error("type_mismatch", f"a map is indexed by text, but `{unparse(node.index)}` is {key.describe()}", node.index)
        kind = _kind_of(parent, scope)
        if kind is None:
            return ANY
        shape = item_shape(kind, parent)
        return _Rooted(kind, shape) if isinstance(parent, _Rooted) else shape

    def on_ListLiteral(self, node: n.ListLiteral, scope) -> Shape:
        for item in node.items:
            self.expr(item, scope)
        return Shape.of(LIST)

    def on_Call(self, node: n.Call, scope) -> Shape:
        args = [self.expr(a, scope) for a in node.args]
        builtin = BUILTINS.get(node.func)
        if builtin is None:
            self.error("unknown_function", f"unknown function `{node.func}`", node,
                       _suggest(node.func, list(BUILTINS)) or "functions: " + ", ".join(sorted(BUILTINS)))
            return ANY
        if len(args) < builtin.min_args or (builtin.max_args is not None and len(args) > builtin.max_args):
            most = "or more" if builtin.max_args is None else f"to {builtin.max_args}"
            expected = builtin.min_args if builtin.min_args == builtin.max_args else f"{builtin.min_args} {most}"
            self.error("wrong_arity", f"`{node.func}` takes {expected} argument(s), not {len(args)}", node)
            return builtin.result
        allowed = builtin.arg_types if not (node.func in ("max", "min") and len(args) > 1) else (NUMBER, DATE)
        if node.func == "default":
            if args[0].types is None or args[1].types is None:
                return ANY
            return Shape(args[0].types | args[1].types, args[0].schema or args[1].schema)
        for arg, shape in zip(node.args, args):
            if shape.excludes(*allowed):
                self.error("type_mismatch", f"`{node.func}` cannot take `{unparse(arg)}`, which is {shape.describe()}", arg)
        if node.func in ("max", "min") and len(args) == 1 and args[0].schema is not None:
            kind = _kind_of(args[0], scope)
            if kind is not None:
                return item_shape(kind, args[0])
        return builtin.result

    def on_Aggregate(self, node: n.Aggregate, scope: _Scope) -> Shape:
        if node.func not in AGGREGATES:
            self.error("unknown_aggregate", f"`{node.func}(... for ... in ...)` is not an aggregate", node,
                       "aggregates are " + ", ".join(AGGREGATES))
        element = self.iterable(node.source, scope)
        inner = scope.with_local(node.var, element)
        value = self.expr(node.value, inner)
        if node.where is not None:
            self.condition(node.where, inner, "where")
        if node.func == "sum" and value.excludes(NUMBER):
            self.error("type_mismatch", f"`sum` adds numbers, but `{unparse(node.value)}` is {value.describe()}", node.value)
        if node.func in ("min", "max") and value.excludes(*_ORDERED):
            self.error("type_mismatch", f"`{node.func}` needs numbers or dates, but `{unparse(node.value)}` is {value.describe()}", node.value)
        if node.func == "unique":
            return Shape.of(BOOLEAN)
        return Shape.of(NUMBER) if node.func in ("sum", "count") else value

    def on_Quantified(self, node: n.Quantified, scope: _Scope) -> Shape:
        element = self.iterable(node.source, scope)
        inner = scope.with_local(node.var, element)
        if node.where is not None:
            self.condition(node.where, inner, "where")
        self.condition(node.body, inner, node.quantifier)
        return Shape.of(BOOLEAN)

    def iterable(self, source, scope: _Scope) -> Shape:
        shape = self.expr(source, scope)
        if shape.excludes(LIST):
            self.error("type_mismatch", f"`{unparse(source)}` is {shape.describe()}, not a list", source)
            return ANY
        kind = _kind_of(shape, scope)
        if kind is None or shape.schema is None:
            return ANY
        item = item_shape(kind, shape)
        return _Rooted(kind, item) if isinstance(shape, _Rooted) else item

    def on_Conditional(self, node: n.Conditional, scope) -> Shape:
        self.condition(node.condition, scope, "if")
        then, otherwise = self.expr(node.then, scope), self.expr(node.otherwise, scope)
        if then.types is None or otherwise.types is None:
            return ANY
        return Shape(then.types | otherwise.types)

    def on_Arithmetic(self, node: n.Arithmetic, scope) -> Shape:
        for side in (node.left, node.right):
            shape = self.expr(side, scope)
            if shape.excludes(NUMBER):
                self.error("type_mismatch", f"`{node.op}` works on numbers, but `{unparse(side)}` is {shape.describe()}", side)
        return Shape.of(NUMBER)

    def on_Negate(self, node: n.Negate, scope) -> Shape:
        shape = self.expr(node.operand, scope)
        if shape.excludes(NUMBER):
            self.error("type_mismatch", f"`-` works on numbers, but `{unparse(node.operand)}` is {shape.describe()}", node.operand)
        return Shape.of(NUMBER)

    def on_Compare(self, node: n.Compare, scope) -> Shape:
        left, right = self.expr(node.left, scope), self.expr(node.right, scope)
        if node.op in ("==", "!="):
            self.reading_values(node.left, (node.right,))
            self.reading_values(node.right, (node.left,))
            if _disjoint(left, right):
                self.error("type_mismatch", f"`{unparse(node.left)}` ({left.describe()}) can never equal "
                           f"`{unparse(node.right)}` ({right.describe()})", node)
        else:
            for side, shape in ((node.left, left), (node.right, right)):
                if shape.excludes(*_ORDERED):
                    self.error("type_mismatch", f"`{node.op}` orders numbers, dates or text, but `{unparse(side)}` is {shape.describe()}", side)
            if _disjoint(left, right) and not left.excludes(*_ORDERED) and not right.excludes(*_ORDERED):
                self.error("type_mismatch", f"cannot order `{unparse(node.left)}` ({left.describe()}) "
                           f"against `{unparse(node.right)}` ({right.describe()})", node)
        return Shape.of(BOOLEAN)

    def on_Membership(self, node: n.Membership, scope) -> Shape:
        self.expr(node.item, scope)
        container = self.expr(node.container, scope)
        if isinstance(node.container, n.ListLiteral):
            self.reading_values(node.item, node.container.items)
        if container.excludes(LIST, OBJECT, STRING):
            self.error("type_mismatch", f"`in` needs a list, map or text, but `{unparse(node.container)}` is {container.describe()}", node.container)
        return Shape.of(BOOLEAN)

    def on_Presence(self, node: n.Presence, scope) -> Shape:
        if not isinstance(node.operand, (n.Name, n.Attribute, n.Index, n.DataRef)):
            self.error("not_a_field", f"`{unparse(node.operand)}` is not a field; only fields can be missing", node.operand)
        self.expr(node.operand, scope)
        return Shape.of(BOOLEAN)

    def _logic(self, node, scope, word: str, operands) -> Shape:
        for operand in operands:
            shape = self.expr(operand, scope)
            if shape.excludes(BOOLEAN):
                self.error("type_mismatch", f"`{word}` joins conditions, but `{unparse(operand)}` is {shape.describe()}", operand)
        return Shape.of(BOOLEAN)

    def on_And(self, node: n.And, scope) -> Shape:
        return self._logic(node, scope, "and", (node.left, node.right))

    def on_Or(self, node: n.Or, scope) -> Shape:
        return self._logic(node, scope, "or", (node.left, node.right))

    def on_Not(self, node: n.Not, scope) -> Shape:
        return self._logic(node, scope, "not", (node.operand,))


class _Rooted(Shape):
    """A shape inside a reference-data schema (navigated with that schema, not the document's)."""

    def __init__(self, kind: KindSchema, shape: Shape):
        super().__init__(shape.types, shape.schema)
        object.__setattr__(self, "kind", kind)


def _kind_of(shape: Shape, scope: _Scope) -> KindSchema | None:
    return getattr(shape, "kind", None) or scope.kind


def _disjoint(left: Shape, right: Shape) -> bool:
    """True when two values can certainly never be equal."""
    if left.types is None or right.types is None or NULL in left.types or NULL in right.types:
        return False
    widen = lambda types: types | {STRING} if DATE in types else types | {DATE} if STRING in types else types
    return not (widen(left.types) & widen(right.types))


_suggest = suggest
