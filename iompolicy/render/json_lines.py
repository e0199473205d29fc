"""JSON Lines: one document's report per line as it is checked, then one line
holding the summary (`{"summary": {...}}`). Memory stays flat however many
documents a run checks."""

from __future__ import annotations

import json

from .. import __version__
from . import document_json
from .printable import json_safe
from ..evaluation.missing import data_files
from .summary import Summary


def write(reports, summary: Summary, options, out) -> None:
    for report in summary.counting(reports):
        out.write(json_safe(document_json(report, options)) + "\n")
    last = {"version": __version__, "summary": summary.to_dict(data_files(options.provenance))}
    if options.provenance is not None:
        last["provenance"] = options.provenance
    out.write(json_safe(json.dumps(last, ensure_ascii=False)) + "\n")
