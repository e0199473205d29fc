"""Audit many documents with the Python API inside a parallel engine.

The same two calls work in any engine that maps a function over items:
`PolicySet.load` once per worker (cheap: the checked policy set is cached on
disk), then `check` per document, returning `report.to_dict()` (plain data that
pickles and serialises anywhere).

    python examples/api/parallel_audit.py examples/proposals examples/data
"""

from __future__ import annotations

import sys
from multiprocessing import Pool
from pathlib import Path

from iompolicy import PolicySet, load_file

_policies = None
_data = None


def start_worker(data_folder: str) -> None:
    """Once per worker process: load the policies and the reference data."""
    global _policies, _data
    _policies = PolicySet.load(Path(__file__).resolve().parents[2] / "policies")
    _data = [load_file(p) for p in sorted(Path(data_folder).glob("*.yaml"))]


def check_one(path: str) -> dict:
    """One document's report as plain data."""
    return _policies.check(load_file(path), data=_data).to_dict()


def audit(folder: str, data_folder: str, processes: int = 2) -> list[dict]:
    paths = [str(p) for p in sorted(Path(folder).glob("*.yaml"))]
    with Pool(processes, initializer=start_worker, initargs=(data_folder,)) as pool:
        return pool.map(check_one, paths, chunksize=16)


if __name__ == "__main__":
    reports = audit(sys.argv[1], sys.argv[2])
    failing = [r["id"] for r in reports if r["outcome"] != "pass"]
    print(f"{len(reports)} documents, {len(failing)} not passing: {', '.join(failing)}")
