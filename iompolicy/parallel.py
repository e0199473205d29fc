"""`iompolicy check --jobs N`: documents checked by N worker processes, reports
handed back in input order.

Each worker loads the policy set itself (from the on-disk cache, so it is cheap)
and receives the run's reference data once. Waivers are applied in the parent,
which keeps the one record of which waivers were used. What the reports need
beside the results (each document's digest, the facts the HTML report draws) is
seen in the worker, which has the document, and recorded in the parent's observer.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ProcessPoolExecutor

_worker: dict = {}


def _start(folders: list, data: dict, as_of: dt.date | None, only: tuple, skip: tuple, limits=None,
           digests: bool = False, readings: dict | None = None, observers: tuple = (),
           sources: dict | None = None) -> None:
    from .engine import PolicySet
    from .selection import selector

    policies = PolicySet.load(folders if len(folders) > 1 else folders[0], readings=readings)
    _worker.update(policies=policies, data=data, sources=sources, as_of=as_of, select=selector(only, skip),
                   limits=limits, digests=digests, observers=[kind.in_worker(policies, data) for kind in observers])


def _check(name: str):
    """(Report, digest, seen) for one file; an input that cannot be checked has its invalid
    Report. `digest` is the file's SHA-256 when waivers pin one; `seen`, what each observer
    saw of the document (None for each, for an invalid input)."""
    from .report import Report
    from .run import load_queued

    policies = _worker["policies"]
    observers = _worker["observers"]
    document, digest = load_queued(name, policies, _worker.get("limits"), _worker.get("digests", False))
    if isinstance(document, Report):
        return document, None, [None] * len(observers)
    report = policies.check(document, data=_worker["data"], as_of=_worker["as_of"], validate=False,
                            select=_worker["select"], sources=_worker["sources"])
    return report, digest, [observer.seen(document, report) for observer in observers]


def parallel_reports(run, jobs: int, as_of, settings: dict, folders: list, readings: dict | None = None,
                     observers: tuple = ()):
    """The reports of `run.pending`, in input order: files checked by `jobs` processes
    (each loading the policy set of `folders` under `readings`, which loaded in this process already),
    stdin and inputs already found invalid here. Waivers and the one-id-per-document
    rule are applied here, in the parent, which sees every report. Each of `observers`
    (a `provenance.DocumentDigests`, a `render.facts.FactFinder`: objects with `observe`,
    `record`, and `in_worker` making the worker's twin, whose `seen` is recorded here)
    sees every checked document."""
    from .selection import selector

    names = [item for item in run.pending if isinstance(item, str)]
    run.read_ahead.clear()  # the workers read their files themselves
    digests = run.waivers is not None and run.waivers.pins_digest
    arguments = (folders, run.data, as_of, tuple(settings["only"] or ()), tuple(settings["skip"] or ()),
                 run.limits, digests, readings, tuple(type(observer) for observer in observers), run.data_sources)
    select = selector(settings["only"], settings["skip"])

    def observe(document, report) -> None:
        for observer in observers:
            observer.observe(document, report)

    with ProcessPoolExecutor(max_workers=jobs, initializer=_start, initargs=arguments) as pool:
        checked = pool.map(_check, names, chunksize=max(1, min(64, len(names) // (jobs * 4) or 1)))
        pending, run.pending = run.pending, []
        for item in pending:
            if not isinstance(item, str):  # stdin, or an input already found invalid: handled here
                run.pending = [item]
                yield from run.reports(as_of=as_of, select=select, observe=observe)
                continue
            report, digest, seen = next(checked)
            if report.problems:
                run.problems.extend(report.problems)
                yield report
                continue
            report = run.finish(report, digest)
            for observer, value in zip(observers, seen):
                observer.record(report, value)
            yield report
        run.pending = pending
