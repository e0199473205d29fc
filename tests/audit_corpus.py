"""A generated audit: N proposals as YAML files, of which exactly F break the national
Line 2 ceiling (III.5.2); the others comply. Used by the report tests and to measure
report sizes and times (README, "Reports"). Run as a script to write one:
`python tests/audit_corpus.py FOLDER [N] [F]`."""

from __future__ import annotations

import sys
from pathlib import Path

# Eligible applicants of examples/data/member-states.yaml (members, developing, not under Article 4).
APPLICANTS = ["AGO", "ARM", "BDI", "BOL", "COD", "DOM", "GHA", "KEN", "KHM", "LKA", "MOZ", "PHL", "TJK", "UGA"]
YEARS = [2009, 2011, 2013, 2015, 2016]

TEMPLATE = """kind: proposal
id: GEN-{number:05d}
title: Generated proposal {number}
submitted_on: {year}-03-{day:02d}
applicant: {state}
government_request: true
scope: national
beneficiary_states: [{state}]
funding:
  line: 2
  requested_usd: {requested}
strategy_activities: [3, 4]
duration_months: 18
budget_lines:
  - {{category: staff, description: "Coordinator", usd: 30000}}
  - {{category: office, description: "Office share", usd: 10000}}
  - {{category: operational, description: "Activities", usd: {operational}}}
"""


def write_audit(folder: Path, count: int = 2000, failing: int = 100) -> list[Path]:
    """Write `count` proposals under `folder` (every count // failing-th one failing III.5.2)."""
    folder.mkdir(parents=True, exist_ok=True)
    step = count // failing if failing else count + 1
    paths = []
    for number in range(count):
        fails = failing and number % step == 0 and number // step < failing
        requested = 235_000 if fails else 150_000 + (number % 40) * 1_000
        path = folder / f"proposal-{number:05d}.yaml"
        path.write_text(TEMPLATE.format(number=number, year=YEARS[number % len(YEARS)], day=1 + number % 28,
                                        state=APPLICANTS[number % len(APPLICANTS)], requested=requested,
                                        operational=requested - 40_000), encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    write_audit(Path(sys.argv[1]), *(int(a) for a in sys.argv[2:4]))
