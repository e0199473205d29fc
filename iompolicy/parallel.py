"""`iompolicy check --jobs N`: documents checked by N worker processes, reports
handed back in input order.

Each worker loads the policy set itself (from the on-disk cache, so it is cheap)
and receives the run's reference data once. Waivers are applied in the parent,
which keeps the one record of which waivers were used.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ProcessPoolExecutor

_worker: dict = {}


def _start(folders: list, data: dict, as_of: dt.date | None, only: tuple, skip: tuple, limits=None,
           digests: bool = False, readings: dict | None = None) -> None:
    from .engine import PolicySet
    from .selection import selector

    policies = PolicySet.load(folders if len(folders) > 1 else folders[0], readings=readings)
    _worker.update(policies=policies, data=data, as_of=as_of,
                   select=selector(only, skip), limits=limits, digests=digests)


def _check(name: str):
    """(Report, digest) for one file; an input that cannot be checked has its invalid Report.
    `digest` is the file's SHA-256 when waivers pin one."""
    from .report import Report
    from .run import load_queued

    policies = _worker["policies"]
    document, digest = load_queued(name, policies, _worker.get("limits"), _worker.get("digests", False))
    if isinstance(document, Report):
        return document, None
    report = policies.check(document, data=_worker["data"], as_of=_worker["as_of"], validate=False,
                            select=_worker["select"])
    return report, digest


def parallel_reports(run, jobs: int, as_of, settings: dict, folders: list, readings: dict | None = None):
    """The reports of `run.pending`, in input order: files checked by `jobs` processes
    (each loading the policy set of `folders` under `readings`, which loaded in this process already),
    stdin and inputs already found invalid here. Waivers and the one-id-per-document
    rule are applied here, in the parent, which sees every report."""
    from .selection import selector

    names = [item for item in run.pending if isinstance(item, str)]
    digests = run.waivers is not None and run.waivers.pins_digest
    arguments = (folders, run.data, as_of, tuple(settings["only"] or ()), tuple(settings["skip"] or ()),
                 run.limits, digests, readings)
    select = selector(settings["only"], settings["skip"])
    with ProcessPoolExecutor(max_workers=jobs, initializer=_start, initargs=arguments) as pool:
        checked = pool.map(_check, names, chunksize=max(1, min(64, len(names) // (jobs * 4) or 1)))
        pending, run.pending = run.pending, []
        for item in pending:
            if not isinstance(item, str):  # stdin, or an input already found invalid: handled here
                run.pending = [item]
                yield from run.reports(as_of=as_of, select=select)
                continue
            report, digest = next(checked)
            if report.problems:
                run.problems.extend(report.problems)
                yield report
            else:
                yield run.finish(report, digest)
        run.pending = pending
