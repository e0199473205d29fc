"""The HTML audit report: one self-contained file (styles, charts and the small script
that sorts and filters the table are inline; nothing is fetched) that opens from a
file share or an e-mail attachment.

The page is a Jinja2 template (templates/report.html.j2) with autoescaping on, so no
text of a document can become markup; the charts are SVG drawn by `svg`. What a
document holds beyond its results (a proposal's applicant, a budget's figures) comes
from `options.facts` (a `facts.FactFinder` that saw each document) when the run
gave one.
"""

from __future__ import annotations

import functools
from pathlib import Path

from .. import __version__
from ..evaluation.missing import data_files
from ..report import Outcome
from . import digest_of, gathered
from .markdown import report_date
from .printable import printable
from .svg import measured_bars, stacked_bars

COLOURS = {"fail": "#c0392b", "error": "#8e44ad", "waived": "#d4ac0d", "pass": "#27ae60",
           "not_applicable": "#bdc3c7", "invalid": "#7b241c"}
LABELS = {"fail": "failed", "error": "undecided", "waived": "waived", "pass": "passed",
          "not_applicable": "not applicable", "invalid": "invalid (not checked)"}
_SHOWN = (Outcome.FAIL, Outcome.UNDECIDED, Outcome.WAIVED)
_PLACED = {"clause", "cite", "title", "severity", "outcome", "message", "explanation", "location", "quote", "note",
           "policy", "policy_version", "clause_source", "waiver", "fix", "missing"}
_ORDER = ["fail", "error", "invalid", "waived", "pass", "not_applicable"]


@functools.cache  # compiling the template costs some 0.1 s; a process (the service, a test run) pays it once
def _environment():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=False)


def _text(value) -> str:
    """Text shown in the page: characters a browser would not show as themselves escaped."""
    return printable(str(value)) if value is not None else ""


def _where(report, result) -> str:
    location = result.location
    if location.line is None:
        return _text(location.path or "")
    return _text(f"{report.path or '<document>'}:{location.line}:{location.column}")


def _result(report, result, files: dict) -> dict:
    extra = [(key, _text(value)) for key, value in result.to_dict().items()
             if key not in _PLACED and value not in (None, "", [], {})]
    waiver = result.waiver.describe() if result.waiver is not None else ""
    return {"clause": result.clause, "cite": result.cite, "title": _text(result.title), "severity": result.severity,
            "outcome": result.outcome.value, "outcome_label": LABELS[result.outcome.value],
            "message": _text(result.message), "explanation": "\n".join(map(_text, result.explanation.splitlines())),
            "where": _where(report, result), "quote": result.quote, "note": result.note or "",
            "waiver": _text(waiver), "extra": extra,
            "fix": _text(result.fix.text()) if result.outcome is Outcome.FAIL and result.fix is not None else "",
            "missing": [_text(fact.text(files)) for fact in result.missing]}


def _document(index: int, report, facts: dict, digest: str | None, files: dict) -> dict:
    counts = report.counts()
    return {
        "digest": digest or "",
        "index": index, "name": _text(report.path or report.id or "document"), "kind": _text(report.kind or ""),
        "id": _text(report.id or ""), "year": report.as_of.year if report.as_of else "",
        "state": _text(facts.get("applicant", "")), "outcome": report.outcome.value,
        "outcome_label": LABELS[report.outcome.value], "failed": counts["fail"], "undecided": counts["error"],
        "waived": counts["waived"], "notices": [_text(n) for n in report.notices],
        "problems": [_text(p) for p in report.problems],
        "shown": [_result(report, r, files) for r in report.results if r.outcome in _SHOWN],
        "passed": [r.clause for r in report.results if r.outcome is Outcome.PASS],
        "not_applicable": [r.clause for r in report.results if r.outcome is Outcome.NOT_APPLICABLE],
    }


def _series(keys) -> list[tuple[str, str, str]]:
    return [(key, COLOURS[key], LABELS[key]) for key in keys]


def _charts(reports, documents, finder) -> dict:
    by_clause: dict[str, dict] = {}
    for report in reports:
        for result in report.results:
            counts = by_clause.setdefault(f"{result.clause} ({result.cite})", {})
            counts[result.outcome.value] = counts.get(result.outcome.value, 0) + 1
    clause_rows = sorted(by_clause.items(), key=lambda kv: (-kv[1].get("fail", 0) - kv[1].get("error", 0), kv[0]))
    charts = {"by_clause": stacked_bars("Outcomes by clause", clause_rows,
                                        _series(["fail", "error", "waived", "pass", "not_applicable"]))}

    def by(key) -> list[tuple[str, dict]]:
        table: dict[str, dict] = {}
        for document in documents:
            if document[key] != "":
                counts = table.setdefault(str(document[key]), {})
                counts[document["outcome"]] = counts.get(document["outcome"], 0) + 1
        return sorted(table.items())

    years = by("year")
    charts["by_year"] = stacked_bars("Documents by year and outcome", years, _series(_ORDER)) if years else ""
    states = by("state")
    charts["by_state"] = stacked_bars("Proposals by applicant state and outcome", states, _series(_ORDER)) \
        if states else ""
    charts["by_state_missing"] = ("No proposal was checked." if finder is not None else
                                  "Not drawn: the report was made without the documents' facts "
                                  "(RenderOptions.facts: a FactFinder that saw each document).")
    groups = []
    for report in reports:
        figures = finder.of(report).get("budget") if finder is not None else None
        if figures:
            year = f" ({report.as_of.year})" if report.as_of else ""
            groups.append((_text(report.path or report.id or "budget") + year, [
                ("Line 2 allocation", figures.get("line2_allocation"), "#2e86c1"),
                ("25% formula (III.1)", figures["formula_allocation"], "#85c1e9"),
                ("most the cap allows (III.2)", figures["most_the_cap_allows"], "#f5b041"),
                ("available, both lines", figures["available"], "#5d6d7e"),
                ("miscellaneous income cap", figures["cap"], "#f39c12"),
            ]))
    charts["budgets"] = measured_bars("Facility budgets against the formula and the cap", groups) if groups else ""
    charts["budgets_missing"] = "No facility budget was checked, or the policies do not define the formula's figures." \
        if finder is not None else ("Not drawn: the report was made without the budgets' figures "
                                    "(RenderOptions.facts: a FactFinder that saw each document).")
    return charts


def _provisions(reports, documents) -> list[dict]:
    cited: dict[str, dict] = {}
    for report, document in zip(reports, documents):
        for result in report.results:
            if result.outcome not in (Outcome.FAIL, Outcome.UNDECIDED):
                continue
            entry = cited.setdefault(result.cite, {"cite": result.cite, "quote": result.quote, "clauses": [],
                                                   "documents": []})
            if result.clause not in entry["clauses"]:
                entry["clauses"].append(result.clause)
            if not entry["documents"] or entry["documents"][-1] is not document:
                entry["documents"].append(document)
    return sorted(cited.values(), key=lambda p: p["cite"])


def render(reports, summary, options) -> str:
    finder = options.facts
    files = data_files(options.provenance)
    documents = [_document(number, report, finder.of(report) if finder is not None else {}, digest_of(report, options),
                           files) for number, report in enumerate(reports, 1)]
    ranked: dict[str, dict] = {}
    waived = []
    for report, document in zip(reports, documents):
        for result in report.results:
            if result.outcome in _SHOWN:
                row = ranked.setdefault(result.clause, {"clause": result.clause, "cite": result.cite,
                                                        "title": _text(result.title), "severity": result.severity,
                                                        "failed": 0, "undecided": 0, "waived": 0})
                row[{"fail": "failed", "error": "undecided", "waived": "waived"}[result.outcome.value]] += 1
            if result.outcome is Outcome.WAIVED:
                waived.append({"index": document["index"], "document": document["name"], "clause": result.clause,
                               "cite": result.cite, "waiver": _text(result.waiver.describe())})
    results = summary.results
    page = _environment().get_template("report.html.j2").render(
        version=__version__, date=report_date(options).isoformat(), summary_line=_text(summary.line()),
        document_outcomes=[{"key": k, "label": LABELS[k], "count": summary.documents_by_outcome.get(k, 0)}
                           for k in _ORDER if summary.documents_by_outcome.get(k, 0)],
        counts={"failed_errors": sum(1 for r in reports for x in r.results
                                     if x.outcome is Outcome.FAIL and x.severity == "error"),
                "warnings": summary.warnings, "undecided": results["error"], "waived": results["waived"],
                "passed": results["pass"], "not_applicable": results["not_applicable"]},
        notices=[_text(n) for n in summary.notices],
        ranked=sorted(ranked.values(), key=lambda r: (-r["failed"] - r["undecided"], -r["waived"], r["clause"])),
        waived=waived, missing=[_text(line) for line in summary.missing.lines(files, numbered=False)], charts=_markup(_charts(reports, documents, finder)), documents=documents,
        provisions=_provisions(reports, documents), provenance=options.provenance)
    return page + ("" if page.endswith("\n") else "\n")


def _markup(charts: dict) -> dict:
    """The SVG charts, which `svg` built with every text escaped, marked safe for the template."""
    from markupsafe import Markup

    return {key: Markup(value) if key in ("by_clause", "by_year", "by_state", "budgets") else value
            for key, value in charts.items()}


write = gathered(render)
