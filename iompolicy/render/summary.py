"""Counts over a whole run, shared by every format."""

from __future__ import annotations

from ..evaluation.missing import Checklist
from ..report import CLAUSE_OUTCOMES, Outcome, Report, failing_severities

_FAIL, _UNDECIDED = Outcome.FAIL, Outcome.UNDECIDED


class Summary:
    """Documents and clause results counted by outcome, what fails the run, and
    the run's notices (stale waivers, missing reference data...). An input that
    could not be checked counts as a document whose outcome is `invalid`."""

    def __init__(self, fail_on: str = "error", notices: list[str] | None = None):
        self.fail_on = fail_on
        self.documents = 0
        self.documents_by_outcome = {o.value: 0 for o in Outcome}
        self.results = {o.value: 0 for o in CLAUSE_OUTCOMES}
        self.failing = 0  # results that fail the run at the --fail-on level
        self.warnings = 0  # failed or erred `should` clauses
        self.notices = [] if notices is None else notices
        self.missing = Checklist()  # the distinct facts the undecided results lack

    def add(self, report: Report) -> None:
        self.documents += 1
        self.documents_by_outcome[report.outcome._value_] += 1  # `_value_`: see report.py's outcome constants
        results, failing, undecided = self.results, failing_severities(self.fail_on), False
        for result in report.results:  # one pass: what Report.counts and Report.failed count, and the warnings
            outcome = result.outcome
            results[outcome._value_] += 1
            if outcome is _FAIL or outcome is _UNDECIDED:
                severity = result.info.severity
                self.failing += severity in failing
                self.warnings += severity == "warning"
                undecided = undecided or outcome is _UNDECIDED
        if undecided:  # this report's (the run's count made every later report's failures explained here)
            self.missing.add(report)

    def counting(self, reports):
        """The reports, each added to the summary as it passes."""
        for report in reports:
            self.add(report)
            yield report

    def to_dict(self, files: dict | None = None) -> dict:
        """The JSON shape; `files` maps reference data names to their files (for `missing_facts`)."""
        return {
            "documents": self.documents,
            "documents_by_outcome": dict(self.documents_by_outcome),
            **self.results,
            "invalid_documents": self.invalid,
            "failing": self.failing,
            "warnings": self.warnings,
            "fail_on": self.fail_on,
            "notices": list(self.notices),
            "missing_facts": self.missing.to_list(files),
        }

    @property
    def invalid(self) -> int:
        """Inputs that could not be checked (unreadable, not of their kind's schema...)."""
        return self.documents_by_outcome[Outcome.INVALID.value]

    def line(self) -> str:
        """`16 documents: 10 passed, 5 failed, 1 invalid; 312 clause results: ...`: documents
        by outcome (passed and failed always, the others when there are any), then clause
        results by outcome and how many fail the run."""
        by = self.documents_by_outcome
        documents = [f"{by['pass']} passed", f"{by['fail']} failed"]
        documents += [f"{by[outcome]} {word}" for outcome, word in _DOCUMENT_WORDS if by[outcome]]
        r = self.results
        total = sum(r.values())
        waived = f", {r['waived']} waived" if r["waived"] else ""
        return (f"{_count(self.documents, 'document')}: {', '.join(documents)}; {_count(total, 'clause result')}: "
                f"{r['pass']} passed, {r['fail']} failed{waived}, {r['error']} undecided, "
                f"{r['not_applicable']} not applicable ({self.failing} failing at --fail-on {self.fail_on})")


# The outcomes of a document said only when some document has them (after passed and failed).
_DOCUMENT_WORDS = (("error", "undecided"), ("not_applicable", "not applicable"), ("waived", "waived"),
                   ("invalid", "invalid, not judged"))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
