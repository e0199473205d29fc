"""What a report must say to be reproduced and defended: iompolicy's version, the
policies (each file's SHA-256, the set's digest, each policy's id and version), the
value of each named constant (`const`) in force, the reading of each parameter of the
Strategy (`param`) in force and which were chosen rather than left at their default,
the reference data (file, SHA-256,
`as_of`), the waivers (file, SHA-256, the waivers it holds), the as-of rule, the
run's start, and each document's SHA-256.

A digest is `sha256:` and the hex digest of the file's bytes (of the text as read,
UTF-8, for a document given on stdin). The set digest is the SHA-256 of the lines
`<digest>  <file name>` of its files, sorted by name, so it does not depend on where
the folder is.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

from . import __version__

try:  # CPython's own SHA-256: hashlib would load OpenSSL, tens of milliseconds on every check's cold start
    if sys.version_info >= (3, 12):  # asked, not tried: a failed import searches every folder of sys.path
        from _sha2 import sha256
    else:
        from _sha256 import sha256
except ImportError:  # another implementation of Python
    from hashlib import sha256


def digest_bytes(data: bytes) -> str:
    """`sha256:` and the hex SHA-256 of the bytes."""
    return "sha256:" + sha256(data).hexdigest()


def digest_file(path: str | os.PathLike) -> str | None:
    """The digest of a file's bytes, or None if it cannot be read."""
    try:
        with open(path, "rb") as stream:
            return digest_bytes(stream.read())
    except OSError:
        return None


def started_at() -> str:
    """Now, in UTC to the second; SOURCE_DATE_EPOCH (reproducible builds) when it is set."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    moment = None
    if epoch.isdigit():
        try:
            moment = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            moment = None
    moment = moment or dt.datetime.now(dt.timezone.utc)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def policy_set(folder: str | os.PathLike) -> dict:
    """A policy folder: its path, its files with their digests, and the set's digest."""
    root = Path(folder)
    # not rglob (no pattern to compile); the policy files are named as loading.files_ending finds them
    files = sorted(Path(top, name) for top, _, names in os.walk(root) for name in names
                   if (os.path.normcase(name).endswith(".iom") or name == "provisions.yaml")
                   and os.path.isfile(os.path.join(top, name)) and "tests" not in Path(top, name).relative_to(root).parts)
    entries = [{"file": p.relative_to(root).as_posix(), "digest": digest_file(p)} for p in files]
    lines = "".join(f"{e['digest']}  {e['file']}\n" for e in entries)
    return {"folder": os.path.abspath(root), "digest": digest_bytes(lines.encode("utf-8")), "files": entries}


def parameters(policies) -> list[dict]:
    """Each policy's named constants with the value in force, as explanations show them."""
    from .evaluation.compiler import Bindings, Env, compile_binding
    from .values import format_value

    found = []
    for policy_file in policies.files:
        scope = Bindings.of_readings(policies.readings)  # a `let` may read a parameter (a `const` cannot)
        for binding in policy_file.bindings:
            closure = compile_binding(binding, scope)
            scope.add(binding, closure)
            if binding.is_const:
                found.append({"policy": policy_file.header.id, "name": binding.name,
                              "value": format_value(closure(Env({}, {})))})
    return found


def build(run, policy_folders, as_of: dt.date | None, waivers_file: str | None, started: str,
          only=(), skip=()) -> dict:
    """The provenance of a run (documents' digests are added to each document's entry)."""
    policies = run.policies
    data = []
    for kind, name in sorted(run.data_sources.items()):
        value = run.data.get(kind)
        data.append({"kind": kind, "file": name, "digest": run.data_digests.get(name) or digest_file(name),
                     "as_of": str(value["as_of"]) if isinstance(value, dict) and value.get("as_of") else None})
    waivers = None
    if waivers_file:
        ledger = run.waivers
        waivers = {"file": waivers_file, "digest": digest_file(waivers_file),
                   "waivers": [{"id": w.id, "clause": w.clause, "granted": str(w.granted), "expires": str(w.expires)}
                               for w in (ledger.waivers if ledger is not None else [])]}
    return {
        "iompolicy_version": __version__,
        "started_at": started,
        "as_of": {"date": as_of.isoformat()} if as_of else {"rule": "each document's own date"},
        "policy_sets": [policy_set(folder) for folder in policy_folders],
        "policies": [{"id": f.header.id, "version": f.header.version, "kind": f.header.kind} for f in policies.files],
        "parameters": parameters(policies),
        "readings": dict(policies.readings),
        "readings_chosen": sorted(policies.chosen),
        "data": data,
        "waivers": waivers,
        "selection": {"only": list(only or ()), "skip": list(skip or ())},
    }


class DocumentDigests:
    """Each checked document's digest, seen through `Run.reports(observe=...)` (or, with
    --jobs, computed in the worker by `seen` and `record`ed here), else read from its file
    (an input that could not be checked)."""

    def __init__(self):
        self.by_report: dict[int, tuple[str | None, str]] = {}  # id(report) -> (its path, digest)

    @classmethod
    def in_worker(cls, policies, data) -> "DocumentDigests":
        return cls()

    def seen(self, document, report) -> str | None:
        """The digest of a checked document (of its text as read, UTF-8)."""
        if document.text is None:
            return None
        return digest_bytes(document.text.encode("utf-8", "surrogateescape"))

    def record(self, report, digest: str | None) -> None:
        if digest is not None:
            # with the path: a report dropped after it was written may leave its id to another
            self.by_report[id(report)] = (report.path, digest)

    def observe(self, document, report) -> None:
        self.record(report, self.seen(document, report))

    def of(self, report) -> str | None:
        path, found = self.by_report.get(id(report), (None, None))
        if found is not None and path == report.path:
            return found
        if report.path not in (None, "-", "<stdin>"):
            return digest_file(report.path)
        return None


def readings_text(provenance: dict) -> str | None:
    """`cap_lines = line2_only (chosen), ...`: every parameter's reading in force, or None
    when the policies declare none."""
    readings = provenance.get("readings") or {}
    chosen = set(provenance.get("readings_chosen") or ())
    if not readings:
        return None
    return ", ".join(f"{name} = {value} ({'chosen' if name in chosen else 'default'})"
                     for name, value in sorted(readings.items()))


def one_line(provenance: dict) -> str:
    """The provenance in one line, for the text report."""
    sets = ", ".join(f"{s['digest'][:19]} ({len(s['files'])} files)" for s in provenance["policy_sets"])
    data = ", ".join(f"{d['kind']} {(d['digest'] or 'unreadable')[:19]}" for d in provenance["data"]) or "none"
    waivers = provenance["waivers"]  # named only when in use: --no-waivers leaves no word of them
    as_of = provenance["as_of"].get("date") or provenance["as_of"]["rule"]
    readings = readings_text(provenance)
    return (f"provenance: iompolicy {provenance['iompolicy_version']}; policies {sets}; "
            + (f"readings {readings}; " if readings else "") + f"data {data}; "
            + (f"waivers {(waivers['digest'] or 'unreadable')[:19]}; " if waivers else "")
            + f"as of {as_of}; started {provenance['started_at']}")
