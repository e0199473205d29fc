"""The plain-Python baseline process: load YAML files with PyYAML's C loader,
check the eight rules of workload.plain_check by hand, print one JSON report of
the same shape as `iompolicy check --format json` (without explanations, which
a hand-written check cannot give).

    python benchmarks/plain_check.py FOLDER              # every *.yaml in FOLDER
    python benchmarks/plain_check.py FILE MEMBER_STATES  # one proposal
    python benchmarks/plain_check.py --import-click ...  # the same, after importing click:
                                                         # the floor of any click command line
"""

import json
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload import plain_check  # noqa: E402


CITES = {"request": "I", "activities": "I", "member": "III", "developing": "III", "line2_from_2008": "III.1",
         "article4": "III.5.1", "national_ceiling": "III.5.2", "regional_ceiling": "III.5.3"}


def load(path):
    with open(path, encoding="utf-8") as stream:
        return yaml.load(stream, Loader=yaml.CSafeLoader)


def main(args):
    if args[0] == "--import-click":
        __import__("click")  # importing it is the point: what it costs
        args = args[1:]
    target = Path(args[0])
    files = sorted(target.glob("*.yaml")) if target.is_dir() else [target, Path(args[1])]
    documents, data = [], {}
    for path in files:
        doc = load(path)
        if doc.get("kind") == "member_states":
            data["member_states"] = doc
        else:
            doc["submitted_on"] = str(doc["submitted_on"])
            documents.append((str(path), doc))
    print('{\n  "version": "plain",\n  "documents": [')
    counts = {"pass": 0, "fail": 0, "not_applicable": 0}
    for number, (path, doc) in enumerate(documents):
        results = []
        for clause, outcome in plain_check(doc, data):
            counts[outcome] += 1
            results.append({"clause": clause, "cite": CITES[clause], "title": clause, "severity": "error",
                            "outcome": outcome, "message": clause if outcome == "fail" else "", "explanation": "",
                            "location": {"path": None, "line": None, "column": None}})
        outcome = "fail" if any(r["outcome"] == "fail" for r in results) else "pass"
        entry = {"path": path, "kind": "proposal", "id": doc["id"], "as_of": doc["submitted_on"],
                 "outcome": outcome, "results": results}
        print(("    " if number == 0 else "    ,") + json.dumps(entry))
    print('  ],\n  "summary": ' + json.dumps(counts) + "\n}")


if __name__ == "__main__":
    main(sys.argv[1:])
