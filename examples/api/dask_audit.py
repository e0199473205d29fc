"""Audit a folder of documents with Dask: the reports of `iompolicy check --jobs 1`, from a
bag of file names mapped over partitions.

    python examples/api/dask_audit.py FOLDER DATA_FOLDER            # on this machine
    python examples/api/dask_audit.py FOLDER DATA_FOLDER tcp://scheduler:8786   # on a cluster

It prints the reports as JSON (a list, in the order of the file names). On this machine
the bag runs on Dask's local scheduler, one process per core. Given the address of a
Dask scheduler, the same bag runs on its workers (`dask.distributed.Client(address)`);
each worker then needs iompolicy installed and the files at the same paths (a shared
volume), or read them from object storage in `check_partition`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SHIPPED = "shipped"  # the policies shipped with iompolicy; or a folder every worker can read


def check_partition(paths: list[str], policy_folder: str, data_paths: list[str]) -> list[dict]:
    """The reports of one partition's files, as plain data (it pickles and serialises).
    The policy set is loaded once per partition, from the on-disk cache when it can be; a
    file that cannot be checked gets its invalid report, as on the command line."""
    from iompolicy import DocumentError, PolicySet, Report, load_file

    policies = PolicySet.load(policy_folder)
    data = [load_file(path) for path in data_paths]
    reports = []
    for path in paths:
        try:
            reports.append(policies.check(load_file(path), data=data).to_dict())
        except DocumentError as error:
            reports.append(Report.invalid(path, error.problems).to_dict())
    return reports


def audit(paths: list[str], data_paths: list[str], policy_folder: str = SHIPPED, partitions: int = 8,
          address: str | None = None) -> list[dict]:
    """Every file's report, in the order of `paths`: on the local scheduler (processes),
    or on the cluster whose scheduler is at `address`."""
    import dask.bag as db

    bag = db.from_sequence(paths, npartitions=max(1, min(partitions, len(paths))))
    reports = bag.map_partitions(check_partition, policy_folder, data_paths)
    if address is None:
        return reports.compute(scheduler="processes")
    from dask.distributed import Client

    with Client(address):  # the bag's tasks go to the cluster's workers
        return reports.compute()


if __name__ == "__main__":
    folder, data_folder = Path(sys.argv[1]), Path(sys.argv[2])
    files = [str(p) for p in sorted(folder.glob("*.yaml"))]
    data_files = [str(p) for p in sorted(data_folder.glob("*.yaml"))]
    json.dump(audit(files, data_files, address=sys.argv[3] if len(sys.argv) > 3 else None), sys.stdout)
