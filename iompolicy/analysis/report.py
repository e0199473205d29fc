"""The analysis as text, JSON (schemas/analysis.schema.json) or SARIF 2.1.0."""

from __future__ import annotations

import json

from .. import __version__
from .findings import CODES
from .witness import to_yaml

ANALYSIS_FORMAT = 1
_SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_SARIF_LEVEL = {"error": "error", "warning": "warning", "note": "note"}


def scope_lines(analysis) -> list[str]:
    """What was analysed, under which bounds and assumptions: said in every format."""
    kinds = ", ".join(f"{kind} ({count} clauses)" for kind, count in analysis.kinds.items()) or "none"
    lines = [f"analysed: {kinds}",
             f"bounds: lists hold at most {analysis.max_items} items (--max-items); every reference data set "
             "a clause reads is assumed given; documents are judged as of their own date"]
    if analysis.assumptions:
        lines.append(f"assumptions ({analysis.assumptions[0]['file']}):")
        lines += [f"  {a['kind']}: {a['assume']}  ({a['reason']})" for a in analysis.assumptions]
    else:
        lines.append("assumptions: none (no assumptions.yaml beside the policies)")
    lines += [f"note: {note}" for note in analysis.notes]
    return lines


def text(analysis, verbose: bool = False) -> str:
    """Findings one per line as `file:line:col: severity[code] message`, each witness
    (confirmed by the evaluator) shown as the YAML document `iompolicy check` can run."""
    lines = scope_lines(analysis)
    for finding in analysis.findings:
        cites = ", ".join(f"{c.id} [{c.cite}]" for c in finding.clauses)
        lines.append(f"{finding.location}: {finding.severity}[{finding.code}] {finding.message}")
        lines.append(f"    clauses: {cites}")
        if finding.details.get("witness"):
            lines.append(f"    witness: {finding.details['witness']}")
        witness = finding.witness
        if witness is None:
            continue
        verdict = "confirmed by the evaluator" if witness.confirmed else "NOT confirmed by the evaluator"
        lines.append(f"    witness ({verdict}):")
        lines += [f"      written: {command}" for command in finding.details.get("check", ())]
        for regime, clause, expected, actual, message in witness.claims:
            said = f" ({message})" if message and actual in ("error", "fail") else ""
            lines.append(f"      {regime + ': ' if regime else ''}{clause} {actual}{said}")
        if verbose or finding.severity == "error" or finding.code in ("regimes-differ", "conditional-conflict"):
            lines += ["      | " + line for line in witness.yaml().splitlines()]
            for name, value in witness.data.items():
                lines.append(f"      data {name}:")
                lines += ["      | " + line for line in to_yaml(value).splitlines()]
    counts = {s: sum(1 for f in analysis.findings if f.severity == s) for s in ("error", "warning", "note")}
    lines.append(f"{len(analysis.findings)} finding(s): {counts['error']} error(s), {counts['warning']} warning(s), "
                 f"{counts['note']} note(s); analysed in {analysis.seconds:.1f} s")
    return "\n".join(lines) + "\n"


def to_dict(analysis) -> dict:
    return {
        "version": __version__,
        "analysis_format": ANALYSIS_FORMAT,
        "max_items": analysis.max_items,
        "kinds": analysis.kinds,
        "assumptions": analysis.assumptions,
        "notes": analysis.notes,
        "seconds": round(analysis.seconds, 3),
        "findings": [f.to_dict() for f in analysis.findings],
    }


def as_json(analysis) -> str:
    return json.dumps(to_dict(analysis), indent=2, ensure_ascii=False) + "\n"


def sarif(analysis) -> str:
    """One rule per finding code; each finding at the clause it is about."""
    results = []
    for finding in analysis.findings:
        location = finding.to_dict()["location"]
        entry = {"ruleId": finding.code, "level": _SARIF_LEVEL[finding.severity],
                 "message": {"text": finding.message},
                 "properties": {"kind": finding.kind, "clauses": [c.id for c in finding.clauses],
                                "cites": [c.cite for c in finding.clauses], **finding.details}}
        if location:
            entry["locations"] = [{"physicalLocation": {
                "artifactLocation": {"uri": location["file"].replace("\\", "/")},
                "region": {"startLine": location["line"], "startColumn": location["column"]}}}]
        if finding.witness is not None:
            entry["properties"]["witness"] = finding.witness.yaml()
        results.append(entry)
    rules = [{"id": code, "shortDescription": {"text": meaning},
              "defaultConfiguration": {"level": _SARIF_LEVEL[severity]}} for code, (severity, meaning) in CODES.items()]
    log = {"$schema": _SARIF_SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "iompolicy analyze", "version": __version__, "rules": rules}},
        "results": results,
        "properties": {"scope": scope_lines(analysis)},
    }]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
