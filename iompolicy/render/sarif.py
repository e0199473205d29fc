"""SARIF 2.1.0 for code scanning: one rule per clause, one result per failing clause.

A failed clause is a result of kind `fail` at the clause's severity; an undecided one
is kind `open` (the tool could not tell: SARIF then requires level `none`), a waived
one a `fail` with an accepted suppression. A file is named by a relative URI
reference when its path is relative, else by a `file://` URI; each rule's `help`
holds the quoted sentence and the note, and its `helpUri` the clause's place in its
policy file. The driver has no `informationUri`: iompolicy has no public home page.
"""

from __future__ import annotations

import json
import os
from urllib.parse import quote

from .. import __version__
from . import gathered
from ..evaluation.missing import data_files
from ..report import Outcome
from . import digest_of
from .printable import json_safe

_SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def artifact_uri(path: str) -> str:
    """A file's path as SARIF's `artifactLocation.uri`: a relative URI reference for a
    relative path, a `file://` URI for an absolute one (bytes that are not UTF-8, spaces
    and the like percent-encoded)."""
    if os.path.isabs(path):
        from pathlib import Path

        return Path(path).as_uri()
    return quote(os.fsencode(path.replace(os.sep, "/")), safe="/")


def _physical(path: str | None, line: int | None, column: int | None) -> list[dict]:
    """A result's `locations`: none for a document read from stdin (it has no URI)."""
    if path is None or path in ("-", "<stdin>"):
        return []
    region = {"startLine": line or 1}
    if column:
        region["startColumn"] = column
    return [{"physicalLocation": {"artifactLocation": {"uri": artifact_uri(path)}, "region": region}}]


def _help_uri(clause_source: str | None) -> dict:
    """`helpUri`: the clause's place in its policy file (`file://...#L12`), where its quote
    and note are written; absent when the clause has no file (policies given as text)."""
    if not clause_source:
        return {}
    path, _, rest = clause_source.rpartition(":")
    path, _, line = path.rpartition(":")
    if not path or not os.path.isfile(path):
        return {}
    return {"helpUri": artifact_uri(os.path.abspath(path)) + f"#L{line}"}


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
        **_help_uri(clause.clause_source),
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
    text = problem.message + (f" (hint: {problem.hint})" if problem.hint else "")
    return {
        "ruleId": _INVALID_RULE["id"],
        "ruleIndex": rule_index,
        "level": "error",
        "kind": "fail",
        "message": {"text": text},
        "locations": _physical(problem.file, problem.line, problem.column),
        "properties": {"outcome": "invalid", "jsonPath": problem.path, "code": problem.code},
    }


def _readings(clauses) -> dict:
    """Every reading of a parameter that some loaded clause reads: what the run judged under."""
    return {name: value for info in clauses for name, value, _ in (info.readings or ())}


def _fix(fix, artifact: dict) -> dict:
    """A SARIF fix: the replacement of the one scalar that suffices (shown as a suggested change)."""
    edit = fix.replacement
    return {"description": {"text": fix.text()},
            "artifactChanges": [{"artifactLocation": dict(artifact), "replacements": [{
                "deletedRegion": {"startLine": edit["line"], "startColumn": edit["column"],
                                  "endLine": edit["line"], "endColumn": edit["end_column"]},
                "insertedContent": {"text": edit["text"]}}]}]}


def render(reports, summary, options) -> str:
    compiled = options.clauses
    index = {c.clause: i for i, c in enumerate(compiled)}
    results, notifications = [], []
    files = data_files(options.provenance)
    for report in reports:
        results.extend(_invalid(problem, len(compiled)) for problem in report.problems)
        where = [{"physicalLocation": {"artifactLocation": location["physicalLocation"]["artifactLocation"]}}
                 for location in _physical(report.path, None, None)]  # the file, with no region
        notifications.extend({"level": "note", "message": {"text": notice}, "locations": where}
                             for notice in report.notices)
        for result in report.results:
            if result.outcome not in (Outcome.FAIL, Outcome.UNDECIDED, Outcome.WAIVED):
                continue
            text = result.message or result.title
            if result.explanation:
                text += "\n" + result.explanation
            fix = result.fix if result.outcome is Outcome.FAIL else None
            if fix is not None:
                text += "\nfix: " + fix.text()
            undecided = result.outcome is Outcome.UNDECIDED
            if undecided:
                text = "could not be decided: " + text
                text += "".join("\nmissing: " + fact.text(files) for fact in result.missing)
            entry = {
                "ruleId": result.clause,
                "ruleIndex": index[result.clause],
                "kind": "open" if undecided else "fail",
                "level": "none" if undecided else result.severity,  # SARIF 3.27.10: a result not `fail` is `none`
                "message": {"text": text},
                "locations": _physical(report.path, result.location.line, result.location.column),
                "properties": {"cite": result.cite, "outcome": result.outcome.value, "severity": result.severity,
                               "jsonPath": result.location.path, "documentId": report.id,
                               "documentDigest": digest_of(report, options),
                               **({"readings": result.readings} if result.readings else {}),
                               **({"missing": [f.to_dict(files) for f in result.missing]} if undecided else {})},
            }
            if fix is not None and fix.replacement is not None and entry["locations"]:  # stdin has no file to edit
                entry["fixes"] = [_fix(fix, entry["locations"][0]["physicalLocation"]["artifactLocation"])]
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
    properties = {"readings": _readings(compiled)} if _readings(compiled) else {}
    if options.provenance is not None:
        properties["provenance"] = options.provenance
    if properties:
        sarif["runs"][0]["properties"] = properties
    return json_safe(json.dumps(sarif, indent=2, ensure_ascii=False)) + "\n"


write = gathered(render)
