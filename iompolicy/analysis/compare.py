"""`analyze --compare A B`: do two regimes (two policy sets, or one policy set under two
readings) give the same verdict on every document of a kind? If not, a small witness
document on which they differ, confirmed by running both."""

from __future__ import annotations

import time

import z3

from .analyzer import Analysis
from .encode import Outcomes
from .findings import ClauseRef, Finding
from .model import KindModel, predicted
from .symbolic import all_of, any_of, negation
from .texts import Texts
from .witness import NotRepresentable


def verdict(outcomes: list[Outcomes]) -> Outcomes:
    """A document's overall outcome as `Report.outcome` gives it: error if any clause is
    undecided, else fail if any fails, else pass if any passes, else not applicable."""
    error = any_of(*(o.undecided for o in outcomes))
    failed = all_of(negation(error), any_of(*(o.failed for o in outcomes)))
    passed = all_of(negation(error), negation(failed), any_of(*(o.passed for o in outcomes)))
    return Outcomes(passed=passed, failed=failed, undecided=error,
                    not_applicable=all_of(negation(error), negation(failed), negation(passed)))


def compare_regimes(regimes: list, max_items: int, assumptions=None) -> Analysis:
    """Compare two (label, PolicySet) regimes, kind by kind: the verdict, and every clause
    id the two share."""
    started = time.perf_counter()
    (label_a, first), (label_b, second) = regimes
    schemas = first.schemas
    texts = Texts.of([first, second], schemas, assumptions.nodes() if assumptions else ())
    findings, notes, kinds = [], [], {}
    for kind in sorted(set(first.by_kind) | set(second.by_kind)):
        model = KindModel(schemas, kind, max_items, texts)
        encoded = {}
        for label, policies in regimes:
            outcomes, unsupported, _ = model.encode(policies)
            encoded[label] = (outcomes, unsupported)
            for clause_id, reason in unsupported.items():
                notes.append(f"{kind}: {label}: {clause_id} is not analysed (uses {reason})")
        for formula in (assumptions.formulas(model, notes) if assumptions else ()):
            model.assume(formula)
        kinds[kind] = len(first.clauses(kind)) + len(second.clauses(kind))
        refs = {label: {c.id: ClauseRef.of(c) for c in policies.clauses(kind)} for label, policies in regimes}
        compared = _Comparison(model, regimes, encoded, refs, findings, notes)
        compared.verdicts()
        for clause_id in sorted(set(encoded[label_a][0]) & set(encoded[label_b][0])):
            compared.clause(clause_id)
    return Analysis(findings, kinds, assumptions.listed() if assumptions else [], max_items,
                    time.perf_counter() - started, notes)


class _Comparison:
    def __init__(self, model, regimes, encoded, refs, findings, notes):
        self.model = model
        self.regimes = regimes
        self.labels = [label for label, _ in regimes]
        self.encoded = encoded
        self.refs = refs
        self.findings = findings
        self.notes = notes

    def verdicts(self) -> None:
        kind = self.model.kind
        if any(self.encoded[label][1] for label in self.labels):
            self.notes.append(f"{kind}: the verdicts are not compared: a clause is not analysed")
            return
        a, b = (verdict(list(self.encoded[label][0].values())) for label in self.labels)
        if not self.encoded[self.labels[0]][0] and not self.encoded[self.labels[1]][0]:
            return
        self._differ("verdict", a, b, f"{kind}: {self.labels[0]} and {self.labels[1]} give the same verdict on "
                                      "every schema-valid document (within the bounds)")

    def clause(self, clause_id: str) -> None:
        a, b = (self.encoded[label][0][clause_id] for label in self.labels)
        self._differ(clause_id, a, b, None)

    def _differ(self, what: str, a: Outcomes, b: Outcomes, same_note: str | None) -> None:
        differ = any_of(*(all_of(a.of(o), negation(b.of(o))) for o in ("pass", "fail", "not_applicable", "error")))
        possible = False if z3.is_false(differ) else self.model.possible(differ)
        if possible is None:
            self.notes.append(f"{self.model.kind}: whether {what} differs is not known: the solver gave up (timeout)")
            return
        if possible is False:
            if same_note:
                self.notes.append(same_note)
            return
        model = self.model.model(differ, smallest=True)
        if model is None:
            self.notes.append(f"{self.model.kind}: {what} differs between the regimes, but no witness with "
                              "decimal amounts was found")
            return
        claimed = [(label, what, formulas) for label, formulas in zip(self.labels, (a, b))]
        try:
            witness = self.model.witness(model, self.regimes, claimed)
        except NotRepresentable as reason:
            self.notes.append(f"{self.model.kind}: {what}: {reason}")
            return
        refs = self._deciding(model, what)
        outcomes = ", ".join(f"{label}: {expected}" for label, _, expected, _, _ in witness.claims)
        subject = "the verdict" if what == "verdict" else what
        code = "regimes-differ" if witness.confirmed else "internal-inconsistency"
        message = (f"{subject} differs on this {self.model.kind} ({outcomes})" if witness.confirmed else
                   f"{subject}: the evaluator disagrees with the solver on the witness")
        self.findings.append(Finding(code, self.model.kind, refs, message, witness,
                                     {"regimes": self.labels, "compared": what}))

    def _deciding(self, model, what: str) -> tuple:
        """The clauses that decide the difference: failing or undecided ones first."""
        if what != "verdict":
            return (self.refs[self.labels[0]][what],)
        chosen = []
        for outcome in ("error", "fail", "pass"):
            for label in self.labels:
                for clause_id, formulas in self.encoded[label][0].items():
                    if predicted(model, formulas) == outcome and self.refs[label][clause_id] not in chosen:
                        chosen.append(self.refs[label][clause_id])
            if chosen:
                return tuple(chosen)
        return ()
