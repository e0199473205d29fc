"""JSON Lines: one document's report per line as it is checked, then one line
holding the summary (`{"summary": {...}}`). Memory stays flat however many
documents a run checks."""

from __future__ import annotations

import json

from .. import __version__
from .printable import json_safe
from .summary import Summary


def write(reports, summary: Summary, options, out) -> None:
    for report in summary.counting(reports):
        out.write(json_safe(json.dumps(report.to_dict(), ensure_ascii=False)) + "\n")
    out.write(json_safe(json.dumps({"version": __version__, "summary": summary.to_dict()}, ensure_ascii=False)) + "\n")
