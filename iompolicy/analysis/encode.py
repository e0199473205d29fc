"""Expressions and clauses as z3 formulas, following the evaluator's semantics.

Each node becomes a `Sym` whose `undecided` condition holds exactly when the
compiled evaluator (`iompolicy.evaluation.compiler`) would raise `Undecided`, so a clause's
four outcomes are four z3 conditions over the symbolic document. What the
encoding does not model raises `Unsupported`, and the clause is reported as "not
analysed" instead of being guessed at. The evaluator stays the judge: every
witness built from these formulas is run by it before it is reported.
"""

from __future__ import annotations

import z3

from ..language import syntax as n
from ..records import Record
from .semantics import (NONE, aggregate, as_int, call, condition, decided_true, equality, literal, merge, order,
                        truth)
from ..language.parameters import PREFIX, reading_bindings
from .symbolic import (BOOLEAN, DATE, FALSE, LIST, MAP, NULL, NUMBER, OBJECT, STRING, TRUE, Sym, SymList,
                       Unsupported, all_of, any_of, negation)

class Outcomes(Record, fields="passed failed not_applicable undecided"):
    """The conditions under which a clause passes, fails, does not apply, or is undecided
    (exactly one holds for every document)."""

    __slots__ = ()

    def of(self, outcome: str):
        return {"pass": self.passed, "fail": self.failed, "not_applicable": self.not_applicable,
                "error": self.undecided}[outcome]

    @property
    def ok(self):
        """Passes or does not apply: what a document needs of a clause to be accepted."""
        return any_of(self.passed, self.not_applicable)


def document_date(universe):
    """(known, before, after) of the date a document is judged as of (its kind's
    `x-iompolicy-date`): whether it is known, and functions giving the condition that it
    is before, or after, a given date."""
    rule = universe.schemas.get(universe.kind).date_rule or {}
    fields = universe.document.value
    if "field" in rule and rule["field"] in fields:
        sym = fields[rule["field"]]
        if sym.type != DATE:
            raise Unsupported(f"a document dated by `{rule['field']}`, which is not a date")
        known = all_of(negation(sym.missing), negation(sym.null))
        return known, lambda date: sym.value < date.toordinal(), lambda date: sym.value > date.toordinal()
    if "year" in rule and rule["year"] in fields:
        # judged as of 31 December of `year`: compared by years, with no day arithmetic
        sym = fields[rule["year"]]
        year = sym.value
        known = all_of(negation(sym.missing), negation(sym.null), z3.IsInt(year), year >= 1, year <= 9999)
        return (known, lambda date: year < date.year,
                lambda date: year > date.year if (date.month, date.day) == (12, 31) else year >= date.year)
    return FALSE, lambda date: FALSE, lambda date: FALSE


class PolicyEncoder:
    """The clauses of one policy file, encoded over a `Universe`; each `let` once."""

    def __init__(self, universe, policy_file: n.PolicyFile, readings: dict | None = None):
        self.universe = universe
        self.scope_of: dict[int, dict] = {}
        self.values: dict[int, Sym] = {}
        scope: dict = {}
        # A parameter is encoded as the reading the policy set was loaded with (a constant):
        # the analysis is of the policies under those readings.
        for binding in reading_bindings(readings or {}):
            self.scope_of[id(binding)] = {}
            scope[binding.name] = binding
        for binding in policy_file.bindings:
            self.scope_of[id(binding)] = dict(scope)
            scope[binding.name] = binding
        self.file_scope = scope

    # ---- clauses -----------------------------------------------------------------------------
    def clause(self, compiled) -> Outcomes:
        """The outcome conditions of a compiled clause (raises Unsupported)."""
        clause = compiled.clause
        scope = dict(self.file_scope)
        for binding in clause.lets:
            self.scope_of[id(binding)] = dict(scope)
            scope[binding.name] = binding
        in_force, out_of_force, no_date = TRUE, FALSE, FALSE
        if compiled.start is not None or compiled.until is not None:
            known, before, after = document_date(self.universe)
            outside = any_of(*([before(compiled.start)] if compiled.start else []),
                             *([after(compiled.until)] if compiled.until else []))
            no_date, out_of_force = negation(known), all_of(known, outside)
            in_force = all_of(known, negation(outside))
        guards = [truth(self.expr(g, scope, {})) for g in clause.guards]
        requires = [truth(self.expr(r, scope, {})) for r in clause.requires]
        guard_false = any_of(*(f for _, f in guards))
        guard_true = all_of(*(t for t, _ in guards))
        require_false = any_of(*(f for _, f in requires))
        require_true = all_of(*(t for t, _ in requires))
        applies = all_of(in_force, guard_true)
        return Outcomes(
            passed=all_of(applies, require_true),
            failed=all_of(applies, require_false),
            not_applicable=any_of(out_of_force, all_of(in_force, guard_false)),
            undecided=any_of(no_date,
                             all_of(in_force, negation(guard_false), negation(guard_true)),
                             all_of(applies, negation(require_false), negation(require_true))),
        )

    def condition(self, node, scope: dict | None = None):
        """(true, false) of a condition over the file's bindings (for assumptions)."""
        return truth(self.expr(node, self.file_scope if scope is None else scope, {}))

    # ---- expressions -----------------------------------------------------------------------------
    def expr(self, node, scope: dict, local: dict) -> Sym:
        handler = _HANDLERS.get(type(node))
        if handler is None:
            raise Unsupported(type(node).__name__)
        return handler(self, node, scope, local)

    def binding(self, binding: n.Binding) -> Sym:
        key = id(binding)
        if key not in self.values:
            self.values[key] = self.expr(binding.expr, self.scope_of[key], {})
        return self.values[key]

    def _literal(self, node, scope, local):
        return literal(node.value, self.universe.texts)

    def _name(self, node, scope, local):
        if node.name in local:
            return local[node.name]
        if node.name in scope:
            return self.binding(scope[node.name])
        found = self.universe.document.value.get(node.name)
        return found if found is not None else Sym(NONE, None, missing=TRUE)

    def _data_ref(self, node, scope, local):
        return self.universe.data(node.name)

    def _param_ref(self, node, scope, local):
        binding = scope.get(PREFIX + node.name)
        if binding is None:
            raise Unsupported(f"the parameter `{node.name}` without a reading")
        return self.binding(binding)

    def _attribute(self, node, scope, local):
        obj = self.expr(node.obj, scope, local)
        if obj.type in (NONE, NULL):
            return Sym(NONE, None, undecided=obj.undecided, missing=TRUE)
        if obj.type != OBJECT:
            raise Unsupported(f"a field of a {obj.type}")
        child = obj.value.get(node.name) or Sym(NONE, None, missing=TRUE)
        return child.but(undecided=any_of(obj.undecided, child.undecided),
                         missing=any_of(obj.missing, obj.null, child.missing))

    def _index(self, node, scope, local):
        obj = self.expr(node.obj, scope, local)
        key = self.expr(node.index, scope, local)
        gone = any_of(obj.missing, obj.null)
        if obj.type == MAP and key.type == STRING:
            entry = obj.value.lookup(key.value)
            return entry.but(undecided=any_of(obj.undecided, key.undecided, all_of(negation(gone), key.absent)),
                             missing=any_of(gone, entry.missing))
        if obj.type == LIST and key.type == NUMBER:
            items = obj.value
            bad_key = any_of(key.absent, negation(z3.IsInt(key.value)), key.value < 0)
            found = Sym(NONE, None, missing=TRUE)
            for position in reversed(range(len(items.items))):
                found = merge(key.value == position, items.items[position], found)
            past_end = z3.ToReal(as_int(items.length)) <= key.value
            return found.but(undecided=any_of(obj.undecided, key.undecided, all_of(negation(gone), bad_key), found.undecided),
                             missing=any_of(gone, past_end, found.missing))
        raise Unsupported(f"indexing a {obj.type} by a {key.type}")

    def _list(self, node, scope, local):
        items = [self.expr(item, scope, local) for item in node.items]
        bad = any_of(*(any_of(i.undecided, i.missing) for i in items))
        return Sym(LIST, SymList(len(items), items), undecided=bad)

    def _conditional(self, node, scope, local):
        true, false = truth(self.expr(node.condition, scope, local))
        then = self.expr(node.then, scope, local)
        otherwise = self.expr(node.otherwise, scope, local)
        chosen = merge(true, then, otherwise)
        undecided = any_of(all_of(negation(true), negation(false)), all_of(true, then.undecided),
                           all_of(false, otherwise.undecided))
        return chosen.but(undecided=undecided)

    def _arithmetic(self, node, scope, local):
        left = self.expr(node.left, scope, local)
        right = self.expr(node.right, scope, local)
        undecided = any_of(left.undecided, right.undecided, left.absent, right.absent)
        if left.type != NUMBER or right.type != NUMBER:
            return Sym(NUMBER, z3.RealVal(0), undecided=TRUE)
        a, b = left.value, right.value
        if node.op == "/":
            undecided = any_of(undecided, b == 0)
        value = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b}[node.op]()
        return Sym(NUMBER, value, undecided=undecided)

    def _negate(self, node, scope, local):
        operand = self.expr(node.operand, scope, local)
        if operand.type != NUMBER:
            return Sym(NUMBER, z3.RealVal(0), undecided=TRUE)
        return Sym(NUMBER, -operand.value, undecided=any_of(operand.undecided, operand.absent))

    def _compare(self, node, scope, local):
        left = self.expr(node.left, scope, local)
        right = self.expr(node.right, scope, local)
        if node.op in ("==", "!="):
            result = equality(left, right)
            return result if node.op == "==" else result.but(value=negation(result.value))
        return order(node.op, left, right)

    def _membership(self, node, scope, local):
        item = self.expr(node.item, scope, local)
        container = self.expr(node.container, scope, local)
        undecided = any_of(item.undecided, container.undecided, item.missing, container.missing)
        if container.type == LIST:
            hits = [all_of(container.value.active(i), decided_true(equality(item, element, lenient=True)))
                    for i, element in enumerate(container.value.items)]
            found = any_of(*hits)
            undecided = any_of(undecided, container.null)
        elif container.type == MAP:
            found = container.value.has(item.value) if item.type == STRING else FALSE
            found = all_of(negation(item.null), found)
            undecided = any_of(undecided, container.null)
        else:
            raise Unsupported(f"`in` on a {container.type}")
        return Sym(BOOLEAN, negation(found) if node.negated else found, undecided=undecided)

    def _presence(self, node, scope, local):
        operand = self.expr(node.operand, scope, local)
        if node.test in ("exists", "missing"):
            value = operand.missing if node.test == "missing" else negation(operand.missing)
            return Sym(BOOLEAN, value, undecided=operand.undecided)
        value = operand.null if node.test == "null" else negation(operand.null)
        return Sym(BOOLEAN, value, undecided=any_of(operand.undecided, operand.missing))

    def _and(self, node, scope, local):
        lt, lf = truth(self.expr(node.left, scope, local))
        rt, rf = truth(self.expr(node.right, scope, local))
        return condition(all_of(lt, rt), any_of(lf, rf))

    def _or(self, node, scope, local):
        lt, lf = truth(self.expr(node.left, scope, local))
        rt, rf = truth(self.expr(node.right, scope, local))
        return condition(any_of(lt, rt), all_of(lf, rf))

    def _not(self, node, scope, local):
        true, false = truth(self.expr(node.operand, scope, local))
        return condition(false, true)

    def _quantified(self, node, scope, local):
        source = self.expr(node.source, scope, local)
        if source.type != LIST:
            return Sym(BOOLEAN, FALSE, undecided=TRUE)
        bad_source = any_of(source.undecided, source.missing, source.null)
        decisive, unsettled = [], []
        for position, item in enumerate(source.value.items):
            inner = {**local, node.var: item}
            where_true, where_false = truth(self.expr(node.where, scope, inner)) if node.where else (TRUE, FALSE)
            body_true, body_false = truth(self.expr(node.body, scope, inner))
            active = source.value.active(position)
            decisive.append(all_of(active, where_true, body_false if node.quantifier == "all" else body_true))
            where_undecided = all_of(negation(where_true), negation(where_false))
            body_undecided = all_of(negation(body_true), negation(body_false))
            unsettled.append(all_of(active, any_of(where_undecided, all_of(where_true, body_undecided))))
        hit, open_ = any_of(*decisive), any_of(*unsettled)
        settled_no = all_of(negation(bad_source), negation(hit), negation(open_))
        settled_hit = all_of(negation(bad_source), hit)
        if node.quantifier == "any":
            return condition(settled_hit, settled_no)
        return condition(settled_no, settled_hit)

    def _aggregate(self, node, scope, local):
        source = self.expr(node.source, scope, local)
        if source.type != LIST:
            raise Unsupported(f"`{node.func}` over a {source.type}")
        chosen, values, undecided = [], [], [any_of(source.undecided, source.missing, source.null)]
        for position, item in enumerate(source.value.items):
            inner = {**local, node.var: item}
            where_true, where_false = truth(self.expr(node.where, scope, inner)) if node.where else (TRUE, FALSE)
            active = source.value.active(position)
            undecided.append(all_of(active, negation(where_true), negation(where_false)))
            chosen.append(all_of(active, where_true))
            if node.func != "count":
                value = self.expr(node.value, scope, inner)
                undecided.append(all_of(chosen[-1], value.undecided))
                values.append(value)
        return aggregate(self.universe, node.func, chosen, values, any_of(*undecided))

    def _call(self, node, scope, local):
        args = [self.expr(a, scope, local) for a in node.args]
        return call(self.universe, node.func, args, node.args)


_HANDLERS = {
    n.Literal: PolicyEncoder._literal, n.Name: PolicyEncoder._name, n.DataRef: PolicyEncoder._data_ref,
    n.ParamRef: PolicyEncoder._param_ref,
    n.Attribute: PolicyEncoder._attribute, n.Index: PolicyEncoder._index, n.ListLiteral: PolicyEncoder._list,
    n.Call: PolicyEncoder._call, n.Aggregate: PolicyEncoder._aggregate, n.Quantified: PolicyEncoder._quantified,
    n.Conditional: PolicyEncoder._conditional, n.Arithmetic: PolicyEncoder._arithmetic,
    n.Negate: PolicyEncoder._negate, n.Compare: PolicyEncoder._compare, n.Membership: PolicyEncoder._membership,
    n.Presence: PolicyEncoder._presence, n.And: PolicyEncoder._and, n.Or: PolicyEncoder._or,
    n.Not: PolicyEncoder._not,
}
