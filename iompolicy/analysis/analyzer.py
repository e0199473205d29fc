"""The checks of `iompolicy analyze` on one policy set: vacuity, undecided results on
valid input, conflicts between must clauses, redundancy."""

from __future__ import annotations

import time
from decimal import Decimal
from fractions import Fraction

import z3

from .findings import ClauseRef, Finding
from .encode import document_date
from .model import KindModel, leaves, present_number
from ..records import Record
from .symbolic import Unsupported, all_of, any_of, negation
from .texts import Texts
from .witness import NotRepresentable

DEFAULT_MAX_ITEMS = 3
# `--fail-on`: the severities that fail the gate. A conditional conflict is a warning: no document
# passes both clauses over a range of the inputs (III.2 and III.5 below USD 1.4 million of
# miscellaneous income, which the literal reading implies), while documents outside it can.
FAILING = {"error": ("error",), "warning": ("error", "warning")}
CONFLICT_SEARCH_SECONDS = 5.0
# z3's optimizer now and then runs to its timeout on a bound that, started with another random
# seed, it finds (or finds unbounded) in hundredths of a second: it is tried with each seed in turn.
OPTIMUM_SEEDS = (0, 1, 2)  # per kind, the pairwise search for conditional conflicts stops here (and says so)


class Analysis(Record, fields="findings kinds assumptions max_items seconds notes"):
    """What `analyze` found: findings, the kinds analysed ({kind: number of clauses}), the
    assumptions used (text), the list bound, the time taken, and notes about the run."""

    __slots__ = ()

    @property
    def failed(self) -> bool:
        return self.fails_at("error")

    def fails_at(self, lowest: str) -> bool:
        """Whether a finding has severity `lowest` ("error" or "warning") or above: the gate
        of `analyze --fail-on`."""
        return any(f.severity in FAILING[lowest] for f in self.findings)


def analyze(policies, max_items: int = DEFAULT_MAX_ITEMS, assumptions=None, conflicts: bool = True) -> Analysis:
    """Analyse every document kind that has clauses in `policies`."""
    started = time.perf_counter()
    findings, kinds, notes = [], {}, []
    texts = Texts.of([policies], policies.schemas, assumptions.nodes() if assumptions else ())
    for kind in sorted(policies.by_kind):
        refs = {c.id: ClauseRef.of(c) for c in policies.clauses(kind)}
        kinds[kind] = len(refs)
        try:
            model = KindModel(policies.schemas, kind, max_items, texts)
        except Unsupported as reason:  # the kind's schema itself: none of its clauses can be analysed
            findings += [Finding("not-analysed", kind, (ref,), f"not analysed: the schema of `{kind}` uses {reason}",
                                 None, {"reason": f"the schema uses {reason}"}) for ref in refs.values()]
            continue
        outcomes, unsupported, lets = model.encode(policies)
        for formula in (assumptions.formulas(model, notes) if assumptions else ()):
            model.assume(formula)
        checker = _KindChecker(model, policies, refs, outcomes, findings)
        for clause_id, reason in unsupported.items():
            findings.append(Finding("not-analysed", kind, (refs[clause_id],), f"not analysed: uses {reason}", None,
                                    {"reason": reason}))
        for clause_id in outcomes:
            checker.clause(clause_id)
        if conflicts:
            checker.conflicts(lets, notes)
            checker.redundancy()
        if unsupported:
            notes.append(f"{kind}: {len(unsupported)} clause(s) not analysed; conflicts and redundancy "
                         "are judged without them")
        if model.unknown:
            notes.append(f"{kind}: the solver gave up on {model.unknown} question(s) (timeout); "
                         "nothing is claimed about them")
    used = assumptions.listed() if assumptions else []
    return Analysis(findings, kinds, used, max_items, time.perf_counter() - started, notes)


class _KindChecker:
    """The checks of one kind; findings are appended to `findings`."""

    def __init__(self, model: KindModel, policies, refs, outcomes, findings):
        self.model = model
        self.policies = policies
        self.refs = refs
        self.outcomes = outcomes
        self.findings = findings
        self.must = [c for c in outcomes if refs[c].modality == "must"]

    def report(self, code, clause_ids, message, formulas=None, claims=None, details=None, smallest=False,
               prefer=()):
        """Add a finding; with `formulas`, only when a witness of them is confirmed (a
        witness the evaluator contradicts becomes an internal-inconsistency finding).
        A witness that also meets `prefer` is taken when there is one."""
        refs = tuple(self.refs[c] for c in clause_ids)
        witness = None
        if formulas is not None:
            found = prefer and self.model.model(*formulas, *prefer, smallest=smallest)
            found = found or self.model.model(*formulas, smallest=smallest)
            if found is None:
                details = {**(details or {}), "witness": "none found within the bounds"}
            else:
                claimed = [("", c, self.outcomes[c]) for c in (claims or clause_ids)]
                try:
                    witness = self.model.witness(found, [("", self.policies)], claimed)
                except NotRepresentable as reason:
                    details = {**(details or {}), "witness": str(reason)}
                except Exception as error:  # a witness the reader or validator refuses is an encoding bug
                    self.findings.append(Finding("internal-inconsistency", self.model.kind, refs,
                                                 f"{message}: the witness cannot be checked: {error}", None,
                                                 details or {}))
                    return
                if not witness.confirmed:
                    self.findings.append(Finding("internal-inconsistency", self.model.kind, refs,
                                                 f"{message}: the evaluator disagrees with the solver", witness,
                                                 details or {}))
                    return
        self.findings.append(Finding(code, self.model.kind, refs, message, witness, details or {}))

    # ---- one clause ----------------------------------------------------------------------------
    def clause(self, clause_id: str) -> None:
        o = self.outcomes[clause_id]
        can = {name: self.model.possible(o.of(name)) for name in ("pass", "fail", "error")}
        # a claim that something never happens is made only on the solver's proof (False, not None)
        if can["pass"] is False and can["fail"] is False:
            self.report("never-applies", [clause_id], f"{clause_id} never applies: no schema-valid document "
                        "makes it pass or fail", [o.not_applicable] if not can["error"] else [o.undecided], smallest=True)
        elif can["fail"] is False:
            self.report("never-fails", [clause_id], f"{clause_id} can never fail: every schema-valid document "
                        "it applies to passes it", [o.passed], smallest=True)
        elif can["pass"] is False:
            self.report("never-passes", [clause_id], f"{clause_id} can never pass: every schema-valid document "
                        "it applies to fails it", [o.failed], smallest=True)
        if can["error"] is True:  # a dated document shows more than one without a date
            self.report("undecided-on-valid-input", [clause_id], f"{clause_id} is undecided on a schema-valid "
                        "document", [o.undecided], prefer=[document_date(self.model.universe)[0]])

    # ---- conflicts -----------------------------------------------------------------------------------
    def conflicts(self, lets: dict, notes: list) -> None:
        """Must clauses that cannot all pass; pairs that cannot both pass, always or under a condition."""
        must = self.must
        if len(must) < 2:
            return
        tracked = {z3.Bool(f"ok:{c}"): c for c in must}
        self.model.solver.push()
        for literal, clause_id in tracked.items():
            self.model.solver.add(z3.Implies(literal, self.outcomes[clause_id].ok))
        result = self.model.solver.check(*tracked)
        self.model.unknown += result == z3.unknown
        core = [tracked[lit] for lit in self.model.solver.unsat_core()] if result == z3.unsat else []
        self.model.solver.pop()
        if result == z3.unsat and len(core) >= 2:  # one clause alone is a never-passes finding
            *others, last = core
            self.report("conflict", core, f"no schema-valid {self.model.kind} passes all of "
                        f"{', '.join(core)} (each passes or does not apply)",
                        [self.outcomes[c].ok for c in others] + [negation(self.outcomes[last].ok)], smallest=True)
            return
        deadline = time.process_time() + CONFLICT_SEARCH_SECONDS
        reads = {c: leaves(self.outcomes[c]) for c in must}
        for position, first in enumerate(must):
            for second in must[position + 1:]:
                if not reads[first] & reads[second]:
                    continue  # no term in common: what one needs, the other cannot refuse
                if time.process_time() > deadline:
                    notes.append(f"{self.model.kind}: the search for conditional conflicts stopped after "
                                 f"{CONFLICT_SEARCH_SECONDS:g} s, at the pair {first}, {second}")
                    return
                self._pair(first, second, lets)

    def _pair(self, first: str, second: str, lets: dict) -> None:
        a, b = self.outcomes[first], self.outcomes[second]
        both_apply = all_of(any_of(a.passed, a.failed), any_of(b.passed, b.failed))
        together = self.model.possible(both_apply, a.passed, b.passed)
        if together is None:
            return
        if together is False:
            if self.model.possible(both_apply, a.passed) and self.model.possible(both_apply, b.passed):
                self.report("conflict", [first, second], f"{first} and {second} can never both pass when both "
                            "apply", [both_apply, a.passed], smallest=True)
            return
        candidates = {**{k: v for k, v in lets.get(first, {}).items() if k not in lets.get(second, {})},
                      **{k: v for k, v in lets.get(second, {}).items() if k not in lets.get(first, {})}}
        for name, sym in sorted(candidates.items()):
            if self._range(first, second, both_apply, name, sym):
                return

    def _range(self, first, second, both_apply, name, sym) -> bool:
        """A bound on the numeric `let` `name` beyond which the two clauses cannot both pass,
        though each can alone: reported with the range and a witness. True when found."""
        a, b = self.outcomes[first], self.outcomes[second]
        value, defined = sym.value, present_number(sym)
        for direction in ("below", "above"):
            bound = self._optimum(direction, value, [both_apply, defined, a.passed, b.passed])
            if bound is None:
                continue
            beyond = value < bound if direction == "below" else value > bound
            if self.model.possible(both_apply, defined, a.passed, beyond) and \
                    self.model.possible(both_apply, defined, b.passed, beyond):
                words = f"{name} {'<' if direction == 'below' else '>'} {_number(bound)}"
                self.report("conditional-conflict", [first, second],
                            f"when both apply and {words}, no schema-valid {self.model.kind} passes both "
                            f"{first} and {second} (each can pass alone)",
                            [both_apply, defined, a.passed, beyond], smallest=True,
                            details={"condition": words, "term": name, "direction": direction,
                                     "bound": _number(bound)})
                return True
        return False

    def _optimum(self, direction: str, value, formulas):
        for seed in OPTIMUM_SEEDS:
            optimizer = self.model.optimizer(*formulas)
            optimizer.set("random_seed", seed)
            handle = optimizer.minimize(value) if direction == "below" else optimizer.maximize(value)
            result = optimizer.check()
            if result != z3.unknown:
                break
        if result != z3.sat:
            self.model.unknown += result == z3.unknown  # said in the notes: no bound is claimed
            return None
        bound = optimizer.lower(handle) if direction == "below" else optimizer.upper(handle)
        if not z3.is_rational_value(bound) and not z3.is_int_value(bound):
            return None  # unbounded, or an infinitesimal bound: no range to state
        return bound

    # ---- redundancy -------------------------------------------------------------------------------------
    def redundancy(self) -> None:
        """A clause that can fail, but not while every other clause of the kind passes or does not apply."""
        ids = list(self.outcomes)
        tracked = {z3.Bool(f"holds:{c}"): c for c in ids}
        solver = self.model.solver
        solver.push()
        for literal, clause_id in tracked.items():
            solver.add(z3.Implies(literal, self.outcomes[clause_id].ok))
        implied = []
        for clause_id in ids:
            if self.model.possible(self.outcomes[clause_id].failed) is not True:
                continue
            others = [lit for lit, c in tracked.items() if c != clause_id]
            solver.push()
            solver.add(self.outcomes[clause_id].failed)
            if solver.check(*others) == z3.unsat:
                implied.append((clause_id, sorted(tracked[lit] for lit in solver.unsat_core())))
            solver.pop()
        solver.pop()
        for clause_id, by in implied:
            self.report("redundant", [clause_id] + by, f"{clause_id} is implied by {', '.join(by)}: it fails only "
                        "on documents that one of those fails or leaves undecided", details={"implied_by": by})


def _number(value) -> str:
    fraction = value.as_fraction() if z3.is_rational_value(value) else Fraction(value.as_long())
    exact = Decimal(fraction.numerator) / Decimal(fraction.denominator)
    return f"{exact.normalize():,f}" if exact != exact.to_integral_value() else f"{int(exact):,}"
