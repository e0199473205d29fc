"""Policy test cases: documents with the outcome expected of each named clause.

A case file is YAML::

    data:                               # reference data for every case (paths are
      member_states: ../data/ms.yaml    # relative to the case file), optional
    cases:
      - name: line2-national-over-ceiling
        base: ../examples/p.yaml        # a document to start from, optional
        patch: {funding: {requested_usd: 250000}}   # JSON Merge Patch (RFC 7396) on it
        as_of: 2009-01-01               # optional
        readings: {cap_lines: line2_only}   # readings of policy parameters, optional
        expect: {part3.line2_national_ceiling: fail}

`document:` may give a whole document instead of `base`. Only the clauses named in
`expect` are asserted; the run also records which clauses were seen passing and
failing, so untested clauses are found. Every clause that fails in a case has its
fix (headroom) checked: the document with the fix's usual changes made is judged
again, and the clause must pass (a fix that does not is a mismatch); the run
records which clauses had their fix verified so (`fixes`). Two more expectations may stand beside
or instead of `expect`:

    notices: ["later texts may govern"]  # each text is part of some notice of the report
    messages: {part3.line2_allocation_formula: "the cap binds"}  # part of the clause's message
    refused: "is written `SCPF`"         # the document must be refused by its schema,
                                         # with this text in one of the problems
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from .documents import DocumentError, as_document, load_file
from .engine import PolicySet
from .language.source import PolicyError
from .report import Outcome

_CASE_KEYS = {"name", "base", "patch", "document", "data", "as_of", "expect", "note", "notices", "refused",
              "messages", "readings"}
_EXPECTATIONS = {"expect", "notices", "refused", "messages"}
_FILE_KEYS = {"data", "cases", "description"}


FIX_VERIFIED = "verified"  # the fix's usual changes made, the clause passed
FIX_DATA = "reference data"  # the failure turns on reference data: no change to the document decides it
FIX_PARTIAL = "partial"  # a fix that names what to change but could not be checked (a field to give)


class CaseFileError(Exception):
    """A case file that cannot be run."""


def merge_patch(target, patch):
    """RFC 7396 JSON Merge Patch: objects merge, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


@dataclass
class Mismatch:
    """A clause whose outcome was not the one expected."""

    file: str
    case: str
    clause: str
    expected: str
    actual: str
    explanation: str = ""


@dataclass
class TestRun:
    """What a run of policy tests found."""

    cases: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seen: dict[str, set[str]] = field(default_factory=dict)  # clause id -> outcomes seen
    fixes: dict[str, set[str]] = field(default_factory=dict)  # clause id -> FIX_* of its failures

    def record(self, clause: str, outcome: str) -> None:
        self.seen.setdefault(clause, set()).add(outcome)

    def never(self, clause_ids: list[str], outcome: str) -> list[str]:
        """Clauses never seen with `outcome`."""
        return [c for c in clause_ids if outcome not in self.seen.get(c, set())]

    def fix_unverified(self, clause_ids: list[str]) -> list[str]:
        """Clauses seen failing whose fix was never verified, leaving out those whose every
        failure turns on reference data alone (no change to the document decides them)."""
        return [c for c in clause_ids if self.fixes.get(c) and FIX_VERIFIED not in self.fixes[c]
                and self.fixes[c] != {FIX_DATA}]

    def coverage(self, clause_ids: list[str]) -> float:
        """Percentage of clauses seen both passing and failing."""
        if not clause_ids:
            return 0.0
        both = [c for c in clause_ids if {"pass", "fail"} <= self.seen.get(c, set())]
        return 100.0 * len(both) / len(clause_ids)


def _refusal(problem) -> str:
    """A schema problem's message with its hint, as the command line prints them."""
    return f"{problem.message} (hint: {problem.hint})" if problem.hint else problem.message


def _read_yaml(path: Path):
    try:
        return load_file(path).value
    except DocumentError as error:
        raise CaseFileError(str(error)) from None


def _load_data(entries: dict, folder: Path) -> dict:
    data = {}
    for name, value in (entries or {}).items():
        data[name] = _read_yaml(folder / value) if isinstance(value, str) else value
    return data


def run_case_files(policies: PolicySet, paths: list[Path]) -> TestRun:
    """Run every case of every file; collect mismatches and what each clause was seen doing."""
    run = TestRun()
    known = {c.id for c in policies.clauses()}
    for path in paths:
        try:
            content = load_file(path).value  # exact numbers, as in any checked document
        except DocumentError as error:
            run.problems.append(str(error))
            continue
        if not isinstance(content, dict) or set(content) - _FILE_KEYS or "cases" not in content:
            run.problems.append(f"{path}: a case file is a mapping with `cases` (and optional `data`, `description`)")
            continue
        try:
            shared = _load_data(content.get("data"), path.parent)
        except CaseFileError as error:
            run.problems.append(str(error))
            continue
        for case in content["cases"]:
            _run_case(policies, path, case, shared, known, run)
    return run


def _run_case(policies, path: Path, case: dict, shared: dict, known: set[str], run: TestRun) -> None:
    name = case.get("name", "?") if isinstance(case, dict) else "?"
    where = f"{path}: case `{name}`"
    if not isinstance(case, dict) or set(case) - _CASE_KEYS or not _EXPECTATIONS & set(case):
        run.problems.append(f"{where}: unknown keys or no `expect`, `notices` or `refused` "
                            f"(keys: {', '.join(sorted(_CASE_KEYS))})")
        return
    unknown = [c for c in {**case.get("expect", {}), **case.get("messages", {})} if c not in known]
    if unknown:
        run.problems.append(f"{where}: expects unknown clause(s) {', '.join(unknown)}")
        return
    try:
        document = _read_yaml(path.parent / case["base"]) if "base" in case else case.get("document", {})
        document = merge_patch(document, case.get("patch", {}))
        data = {**shared, **_load_data(case.get("data"), path.parent)}
        as_of = case.get("as_of")
        as_of = dt.date.fromisoformat(str(as_of)) if as_of else None
        judging = policies.with_readings(case["readings"]) if case.get("readings") else policies
        report = judging.check(as_document(document, f"{path.name}#{name}"), data=data, as_of=as_of)
    except DocumentError as error:
        if "refused" in case:
            run.cases += 1
            if not any(case["refused"] in _refusal(problem) for problem in error.problems):
                run.mismatches.append(Mismatch(str(path), name, "(schema)", f"refused with `{case['refused']}`",
                                               "refused otherwise", str(error)))
        else:
            run.problems.append(f"{where}: {error}")
        return
    except (CaseFileError, ValueError, PolicyError) as error:
        run.problems.append(f"{where}: {error}")
        return
    run.cases += 1
    if "refused" in case:
        run.mismatches.append(Mismatch(str(path), name, "(schema)", f"refused with `{case['refused']}`", "accepted"))
        return
    for wanted in case.get("notices", ()):
        if not any(wanted in notice for notice in report.notices):
            run.mismatches.append(Mismatch(str(path), name, "(notices)", f"a notice with `{wanted}`",
                                           "; ".join(report.notices) or "no notice"))
    for result in report.results:
        run.record(result.clause, result.outcome.value)
    outcomes = {r.clause: r for r in report.results}
    for clause, wanted in case.get("messages", {}).items():
        message = outcomes[clause].message if clause in outcomes else "(absent)"
        if wanted not in message:
            run.mismatches.append(Mismatch(str(path), name, clause, f"a message with `{wanted}`", message))
    for result in report.results:
        if result.outcome is Outcome.FAIL:
            _check_fix(judging, document, data, as_of, result, f"{path.name}#{name}", run, (str(path), name))
    for clause, expected in case.get("expect", {}).items():
        result = outcomes.get(clause)
        actual = result.outcome.value if result else "absent"
        if actual != expected:
            explanation = result.explanation if result and result.outcome is not Outcome.PASS else ""
            run.mismatches.append(Mismatch(str(path), name, clause, expected, actual, explanation))


def _check_fix(policies, document: dict, data: dict, as_of, result, label: str, run: TestRun, where) -> None:
    """Judge the document again with each plan of the fix of a failed clause made (the usual
    changes, or for a fix of one step each other change alone): each must make it pass."""
    fix = result.fix
    plans = fix.plans() if fix is not None else []
    if not plans:
        data_only = fix is not None and not fix.steps and fix.notes and \
            all("reference data" in note for note in fix.notes)
        run.fixes.setdefault(result.clause, set()).add(FIX_DATA if data_only else FIX_PARTIAL)
        return
    for plan in plans:
        fixed = policies.check(as_document(fix.made(plan, document), label), data=data, as_of=as_of)
        after = next((r.outcome.value for r in fixed.results if r.clause == result.clause), "absent")
        if after != Outcome.PASS.value:
            made = " and ".join(change.describe() for change in plan)
            run.mismatches.append(Mismatch(*where, result.clause, f"pass once the fix is made ({made})", after,
                                           fix.text()))
            return
    run.fixes.setdefault(result.clause, set()).add(FIX_VERIFIED)
