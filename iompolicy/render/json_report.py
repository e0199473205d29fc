"""The JSON report: one versioned object (schema: schemas/report.schema.json),
written document by document as the run goes: each document's report is one
compact line inside the `documents` list (the C JSON encoder writes compact JSON
several times faster than indented; `jq .` shows it indented)."""

from __future__ import annotations

import json

from .. import __version__
from . import document_json
from .printable import json_safe
from ..evaluation.missing import data_files
from .summary import Summary


def write(reports, summary: Summary, options, out) -> None:
    out.write(f'{{\n  "version": {json.dumps(__version__)},\n  "report_format": 1,\n')
    if options.provenance is not None:  # the run's provenance (the API's reports have none)
        provenance = json_safe(json.dumps(options.provenance, ensure_ascii=False))
        out.write(f'  "provenance": {provenance},\n')
    out.write('  "documents": [')
    first = True
    for report in summary.counting(reports):
        text = json_safe(document_json(report, options))
        out.write(("\n    " if first else ",\n    ") + text)
        first = False
    body = json_safe(json.dumps(summary.to_dict(data_files(options.provenance)), indent=2, ensure_ascii=False)).replace("\n", "\n  ")
    out.write(("\n  " if not first else "") + f'],\n  "summary": {body}\n}}\n')
