"""The JSON report: one versioned object (schema: schemas/report.schema.json)."""

from __future__ import annotations

import json

from .. import __version__
from .summary import Summary


def document_dict(report, options: dict) -> dict:
    return report.to_dict()


def render(reports, summary: Summary, options: dict) -> str:
    documents = [document_dict(r, options) for r in reports]
    return json.dumps({
        "version": __version__,
        "report_format": 1,
        "documents": documents,
        "summary": summary.to_dict(),
    }, indent=2, ensure_ascii=False) + "\n"
