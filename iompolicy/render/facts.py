"""Facts of a checked document that a report draws but results do not carry: a
proposal's applicant state, and a facility budget's allocation against the 25% formula
and the miscellaneous-income cap.

The budget figures are the values of the policy's own file-level `let`s (the names
below), evaluated on the document, so a chart shows the numbers the clauses judged
with and never a second copy of the formula. Policies that do not define those names
give no budget figures, and the report says so.
"""

from __future__ import annotations

from ..evaluation.compiler import Bindings, Env, compile_binding
from ..values import Undecided

# figure -> the `let` of policies/part3-facility-budget.iom that holds it
BUDGET_LETS = {
    "formula_allocation": "formula_allocation",  # 25% of discretionary income above USD 20.5 million (III.1)
    "most_the_cap_allows": "most_the_cap_allows",  # what miscellaneous income leaves for Line 2 (III.2)
    "expected_allocation": "expected_allocation",  # the lesser of the two
    "available": "available_excluding_voluntary",  # both lines' funds, voluntary contributions excluded
    "cap": "miscellaneous_income_total",  # the cap of III.2
}


class FactFinder:
    """`facts(document)` for each checked document; `observe` fits `Run.reports(observe=...)`.
    With --jobs, each worker process has its own (`in_worker`), whose `seen` facts are
    handed back and `record`ed here."""

    def __init__(self, policies, data: dict | None = None):
        self.policies = policies
        self.data = data or {}
        self._lets: dict[str, dict] = {}  # kind -> {let name: closure}
        self.by_report: dict[int, tuple[str | None, dict]] = {}  # id(report) -> (its path, facts)

    @classmethod
    def in_worker(cls, policies, data) -> "FactFinder":
        return cls(policies, data)

    def seen(self, document, report) -> dict:
        return self.facts(document, report.kind)

    def record(self, report, facts: dict | None) -> None:
        if facts is not None:
            # with the path: a report dropped after it was drawn may leave its id to another
            self.by_report[id(report)] = (report.path, facts)

    def observe(self, document, report) -> None:
        self.record(report, self.seen(document, report))

    def of(self, report) -> dict:
        """The facts seen for a report ({} if none: an input that could not be checked)."""
        path, facts = self.by_report.get(id(report), (None, None))
        return facts if facts is not None and path == report.path else {}

    def facts(self, document, kind: str) -> dict:
        value = document.value if hasattr(document, "value") else document
        facts = {}
        if kind == "proposal" and isinstance(value.get("applicant"), str):
            facts["applicant"] = value["applicant"]
        if kind == "facility_budget":
            figures = self._budget_figures(value, kind)
            if figures:
                facts["budget"] = figures
                line2 = (value.get("line2") or {}).get("from_discretionary_income_usd")
                if line2 is not None:
                    figures["line2_allocation"] = line2
        return facts

    def _closures(self, kind: str) -> dict:
        if kind not in self._lets:
            wanted = set(BUDGET_LETS.values())
            closures = {}
            for policy_file in self.policies.files:
                if policy_file.header.kind != kind:
                    continue
                scope = Bindings.of_readings(self.policies.readings)
                for binding in policy_file.bindings:
                    closure = compile_binding(binding, scope)
                    scope.add(binding, closure)
                    if binding.name in wanted:
                        closures[binding.name] = closure
            self._lets[kind] = closures
        return self._lets[kind]

    def _budget_figures(self, value: dict, kind: str) -> dict:
        closures = self._closures(kind)
        if len(closures) < len(BUDGET_LETS):
            return {}
        env = Env(value, self.data)
        figures = {}
        for figure, name in BUDGET_LETS.items():
            try:
                figures[figure] = closures[name](env)
            except Undecided:  # a missing field: that figure is not drawn
                figures[figure] = None
        return figures
