"""One document kind as the solver sees it: the symbolic document, the clauses of one
or more policy sets encoded over it, the assumptions, and the solver itself."""

from __future__ import annotations

import z3

from ..language import syntax as n
from .encode import Outcomes, PolicyEncoder
from .symbolic import NUMBER, Universe, Unsupported, all_of, negation
from .witness import NotRepresentable, Witness, build, confirm, decimal_model, smallest_model

OUTCOMES = ("pass", "fail", "not_applicable", "error")
# A bound for a conditional conflict is an optimum, found in hundredths of a second; a timeout
# (with every seed the analysis tries) is counted: the report says the solver gave up, and no
# bound is claimed.
OPTIMUM_TIMEOUT_MS = 1_000


class KindModel:
    """The clauses of a kind over one symbolic document, and a solver holding the
    schema's constraints and the maintainers' assumptions."""

    def __init__(self, schemas, kind: str, max_items: int, texts, timeout_ms: int = 5_000):
        self.kind = kind
        self.universe = Universe(schemas, kind, max_items, texts)
        self.solver = z3.Solver()
        self.solver.set("timeout", timeout_ms)
        self._added = 0
        self._files: dict = {}
        self.unknown = 0  # queries the solver gave up on (reported)

    def optimizer(self, *formulas) -> z3.Optimize:
        """A fresh optimizer holding what the solver holds and `formulas` (one optimizer
        reused with push and pop gave up more often)."""
        self.sync()
        optimizer = z3.Optimize()
        optimizer.set("timeout", OPTIMUM_TIMEOUT_MS)
        optimizer.add(*self.solver.assertions(), *formulas)
        return optimizer

    def encode(self, policies) -> tuple[dict, dict, dict]:
        """({clause id: Outcomes}, {clause id: why not analysed}, {clause id: numeric lets it names}).

        A policy file equal to one encoded before (the same file in two regimes) shares
        its formulas, so the solver sees at once that its clauses agree."""
        outcomes, unsupported, lets = {}, {}, {}
        for policy_file in policies.files:
            if policy_file.header.kind != self.kind:
                continue
            # the same file under other readings is another set of formulas
            key = (policy_file, tuple(sorted(policies.readings.items())))
            if key not in self._files:
                self._files[key] = self._encode_file(policies, policy_file)
            for table, found in zip((outcomes, unsupported, lets), self._files[key]):
                table.update(found)
        self.sync()
        return outcomes, unsupported, lets

    def _encode_file(self, policies, policy_file) -> tuple[dict, dict, dict]:
        outcomes, unsupported, lets = {}, {}, {}
        encoder = PolicyEncoder(self.universe, policy_file, policies.readings)
        for compiled in policies.clauses(self.kind):
            if compiled.header is not policy_file.header:
                continue
            try:
                outcomes[compiled.id] = encoder.clause(compiled)
                lets[compiled.id] = _numeric_lets(encoder, compiled.clause)
            except Unsupported as reason:
                unsupported[compiled.id] = str(reason)
        return outcomes, unsupported, lets

    def assume(self, formula) -> None:
        self.solver.add(formula)

    def sync(self) -> None:
        """Give the solver the schema constraints of every term made since the last call."""
        constraints = self.universe.constraints
        if self._added < len(constraints):
            self.solver.add(*constraints[self._added:])
            self._added = len(constraints)

    def possible(self, *formulas) -> bool | None:
        """True when some schema-valid document satisfies all the formulas, False when
        none does, None when the solver gave up (counted in `unknown`: never a claim)."""
        self.solver.push()
        try:
            self.solver.add(*formulas)
            result = self.solver.check()
        finally:
            self.solver.pop()
        if result == z3.unknown:
            self.unknown += 1
            return None
        return result == z3.sat

    def model(self, *formulas, smallest: bool = False):
        """A model of the formulas with decimal amounts, or None."""
        self.sync()
        self.solver.push()
        try:
            self.solver.add(*formulas)
            result = self.solver.check()
            if result != z3.sat:
                self.unknown += result == z3.unknown
                return None
            try:
                return smallest_model(self.solver, self.universe) if smallest else decimal_model(self.solver, self.universe)
            except NotRepresentable:
                return None
        finally:
            self.solver.pop()

    def witness(self, model, regimes: list, claimed: list) -> Witness:
        """The document of a model, judged by the evaluator. `regimes` is [(label, PolicySet)];
        `claimed` is [(label, clause id, Outcomes)]: the outcome each clause has in the model
        is what the evaluator must give."""
        document, data = build(self.universe, model, self.universe.data_names())
        expected = [(label, clause, predicted(model, formulas)) for label, clause, formulas in claimed]
        return confirm(regimes, document, data, expected)


def predicted(model, outcomes: Outcomes) -> str:
    """The outcome a clause has in a model."""
    for name in OUTCOMES:
        if z3.is_true(model.eval(outcomes.of(name), model_completion=True)):
            return name
    return "none"  # cannot happen: the four conditions cover every document


def leaves(outcomes: Outcomes) -> set[str]:
    """The names of the document's and data's terms a clause's outcomes depend on."""
    found, seen = set(), set()
    stack = [outcomes.passed, outcomes.failed, outcomes.undecided]
    while stack:
        term = stack.pop()
        if term.get_id() in seen:
            continue
        seen.add(term.get_id())
        if z3.is_app(term):
            declaration = term.decl()
            if declaration.kind() == z3.Z3_OP_UNINTERPRETED:
                found.add(declaration.name())
            stack.extend(term.children())
    return found


def present_number(sym):
    """The condition that a numeric let has a value (for ranges over it)."""
    return all_of(negation(sym.undecided), negation(sym.absent))


def _numeric_lets(encoder: PolicyEncoder, clause) -> dict:
    """{name: Sym} of the file-level numeric `let`s a clause names directly."""
    found = {}
    for node in n.descendants((clause.guards, clause.requires, tuple(b.expr for b in clause.lets))):
        if isinstance(node, n.Name) and node.name in encoder.file_scope:
            binding = encoder.file_scope[node.name]
            if not binding.is_const and (sym := encoder.binding(binding)).type == NUMBER:
                found[node.name] = sym
    return found
