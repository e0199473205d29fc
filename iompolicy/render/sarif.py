"""SARIF 2.1.0 for code scanning: one rule per clause, one result per failing clause."""

from __future__ import annotations

import json

from .. import __version__
from . import gathered
from ..report import Outcome
from .printable import json_safe

_SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def _rule(clause) -> dict:
    """A SARIF rule for a clause (its `ClauseInfo`)."""
    help_text = f"{clause.cite}: \u201c{clause.quote}\u201d"
    if clause.note:
        help_text += f"\n\nInterpretation: {clause.note}"
    return {
        "id": clause.clause,
        "name": clause.clause.replace(".", "_"),
        "shortDescription": {"text": clause.title},
        "fullDescription": {"text": clause.quote},
        "help": {"text": help_text, "markdown": f"**{clause.cite}**: \u201c{clause.quote}\u201d"
                 + (f"\n\n*Interpretation:* {clause.note}" if clause.note else "")},
        "defaultConfiguration": {"level": clause.severity},
        "properties": {"cite": clause.cite, "policy": clause.policy, "tags": ["iom-strategy", clause.cite]},
    }


_INVALID_RULE = {
    "id": "invalid-input",
    "name": "invalid_input",
    "shortDescription": {"text": "An input could not be checked"},
    "fullDescription": {"text": "The file is not readable, not valid YAML or JSON, has no known kind, or does not "
                                "match the JSON Schema of its kind: none of its clauses was judged."},
    "help": {"text": "Fix the file at the location given; the run exits with status 2 until every input is valid."},
    "defaultConfiguration": {"level": "error"},
    "properties": {"tags": ["iompolicy-input"]},
}


def _invalid(problem, rule_index: int) -> dict:
    """A result for one thing wrong with an input that could not be checked."""
    region = {"startLine": problem.line or 1}
    if problem.column:
        region["startColumn"] = problem.column
    text = problem.message + (f" (hint: {problem.hint})" if problem.hint else "")
    return {
        "ruleId": _INVALID_RULE["id"],
        "ruleIndex": rule_index,
        "level": "error",
        "kind": "fail",
        "message": {"text": text},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": problem.file.replace("\\", "/")},
            "region": region,
        }}],
        "properties": {"outcome": "invalid", "jsonPath": problem.path, "code": problem.code},
    }


def render(reports, summary, options) -> str:
    compiled = options.clauses
    index = {c.clause: i for i, c in enumerate(compiled)}
    results, notifications = [], []
    for report in reports:
        results.extend(_invalid(problem, len(compiled)) for problem in report.problems)
        uri = (report.path or "stdin").replace("\\", "/")
        notifications.extend({"level": "note", "message": {"text": notice},
                              "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}}}]}
                             for notice in report.notices)
        for result in report.results:
            if result.outcome not in (Outcome.FAIL, Outcome.UNDECIDED, Outcome.WAIVED):
                continue
            text = result.message or result.title
            if result.explanation:
                text += "\n" + result.explanation
            if result.outcome is Outcome.UNDECIDED:
                text = "could not be decided: " + text
            region = {"startLine": result.location.line or 1}
            if result.location.column:
                region["startColumn"] = result.location.column
            entry = {
                "ruleId": result.clause,
                "ruleIndex": index[result.clause],
                "level": result.severity,
                "kind": "fail",
                "message": {"text": text},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": uri},
                    "region": region,
                }}],
                "properties": {"cite": result.cite, "outcome": result.outcome.value,
                               "jsonPath": result.location.path, "documentId": report.id},
            }
            if result.outcome is Outcome.WAIVED:
                waiver = result.waiver
                entry["suppressions"] = [{
                    "kind": "external", "status": "accepted",
                    "justification": f"{waiver.id}: {waiver.reason} (approved by {waiver.approved_by}, "
                                     f"{waiver.decision}; expires {waiver.expires})",
                    "properties": waiver.to_dict(),
                }]
            results.append(entry)
    sarif = {
        "$schema": _SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "iompolicy",
                "version": __version__,
                "informationUri": "https://iompolicy.example/",
                "rules": [_rule(c) for c in compiled] + ([_INVALID_RULE] if summary.invalid else []),
            }},
            "results": results,
            "invocations": [{
                "executionSuccessful": not summary.invalid,  # some inputs could not be analysed
                "toolExecutionNotifications": [{"level": "warning", "message": {"text": notice}}
                                               for notice in summary.notices] + notifications,
            }],
        }],
    }
    return json_safe(json.dumps(sarif, indent=2, ensure_ascii=False)) + "\n"


write = gathered(render)
