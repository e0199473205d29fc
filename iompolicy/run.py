"""One audit run: find the inputs, gather reference data and waivers, then check
the documents one at a time.

Documents are streamed: each is loaded, checked and handed on before the next is
read, so memory does not grow with the number of files. Reference data found
among the inputs must be known before any document is checked, so a first pass
peeks at each file's top-level `kind` (a cheap look at the text) and loads in
full only the files that are, or might be, reference data.

The CLI, the test harness and the service go through `Run`; only the CLI prints
or exits.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from pathlib import Path
from collections.abc import Callable, Iterator

from .documents import (DEFAULT_LIMITS, Document, DocumentError, Limits, Problem, load_bytes, load_file, load_text,
                        not_a_regular_file, read_file)
from .engine import PolicySet
from .patterns import LazyPattern
from .report import Report
from .stopping import checkpoint

SUFFIXES = (".yaml", ".yml", ".json")
_PEEK_BYTES = 65536
_READ_AHEAD_BUDGET = 8 * 1024 * 1024  # bytes of documents kept from the first pass to the second
_YAML_KIND = LazyPattern(r"^kind:[ \t]*[\"']?([A-Za-z_][\w-]*)[\"']?[ \t]*(?:#.*)?$", re.MULTILINE)
_JSON_KIND = LazyPattern(r"\"kind\"\s*:\s*\"([^\"\\]*)\"")
MISSING_DATA = "reference data `{}` was not given: clauses that read it are undecided"  # a run notice
_GIVE_DATA = "give it with `--data FILE`, or list it under `data:` in .iompolicy.yaml"
_NEARBY_FILES = 200  # files peeked at, at most, when looking for reference data next to the documents
_NEARBY_FOLDERS = 20  # subfolders looked into, at most, in each folder


def discover(paths: list[str], leave_out: Callable[[str], bool] | None = None,
             left_out: list[str] | None = None) -> tuple[list[str], list[Problem]]:
    """Files named, and files found under folders (sorted; hidden ones left out), with `-` for
    stdin; and a problem for each path that is missing, is not a regular file or folder
    (a FIFO or a device is never opened: reading it could block or never end), or is a
    folder that cannot be read (nothing under it is silently skipped). A path, file or
    folder, for which `leave_out` is true is not read, and is added to `left_out`."""
    found: list[str] = []
    problems: list[Problem] = []
    skipped = [] if left_out is None else left_out
    for raw in paths:
        if raw == "-":
            found.append("-")
        elif leave_out is not None and leave_out(raw):
            skipped.append(raw)
        elif os.path.isdir(raw):
            _walk(Path(raw), found, problems, leave_out, skipped)
        elif os.path.isfile(raw):
            found.append(str(Path(raw)))
        else:
            problems.append(_not_a_file(raw))
    return list(dict.fromkeys(found)), problems


def _walk(folder: Path, found: list[str], problems: list[Problem], leave_out, skipped: list[str]) -> None:
    """The YAML and JSON files under `folder`, in sorted order, hidden files and folders left
    out. A link to a folder is followed, once: a folder met again by its real path (a loop,
    or two links to one folder) is not walked twice."""
    def unreadable(error: OSError) -> None:
        problems.append(Problem(error.filename or str(folder), f"cannot read the folder: {error.strerror or error}",
                                hint="its files would be left out of the run: make it readable, or leave it out "
                                     "with --exclude", code="unreadable"))

    walked: set[str] = set()
    for top, folders, files in os.walk(folder, onerror=unreadable, followlinks=True):
        real = os.path.realpath(top)
        if real in walked:
            folders[:] = []
            continue
        walked.add(real)
        kept = []
        for name in sorted(folders):
            if name.startswith("."):
                continue
            if leave_out is not None and leave_out(str(Path(top, name))):
                skipped.append(str(Path(top, name)))
            else:
                kept.append(name)
        folders[:] = kept
        base = str(Path(top))  # as rglob named them: `./x.yaml` is `x.yaml` (a Path per file cost 10 us)
        for name in sorted(files):
            if name.startswith(".") or os.path.splitext(name)[1] not in SUFFIXES:
                continue
            path = name if base == "." else os.path.join(base, name)
            if leave_out is not None and leave_out(path):
                skipped.append(path)
            elif os.path.isfile(path):
                found.append(path)
            else:  # a FIFO, a device, a socket or a broken link named like a document
                problems.append(_not_a_file(path))


def _entries(folder: Path) -> tuple[list[str], list[Path]]:
    """The YAML and JSON files and the subfolders of `folder` (sorted, hidden ones left out)."""
    try:
        entries = sorted((e for e in os.scandir(folder) if not e.name.startswith(".")), key=lambda e: e.name)
    except OSError:
        return [], []
    files = [e.path for e in entries if e.name.endswith(SUFFIXES) and e.is_file()]
    return files, [Path(e.path) for e in entries if e.is_dir()]


def _not_a_file(name: str) -> Problem:
    """Why a path given or found is neither a regular file nor a folder."""
    special = not_a_regular_file(name)
    if special is not None:
        return special
    if os.path.islink(name) and not os.path.exists(name):
        return Problem(name, "is a link to a file that does not exist", code="no_such_file")
    return Problem(name, "no such file or folder", code="no_such_file")


def repeated(values) -> list:
    """The values that occur more than once, sorted (in one pass: `list.count` for each
    took 5.7 s for 10,000 waiver ids)."""
    seen, twice = set(), set()
    for value in values:
        (twice if value in seen else seen).add(value)
    return sorted(twice)


def peek_kind(name: str) -> str | None:
    """The top-level `kind` of a file, if its text shows it unambiguously; else None."""
    return peek(name)[0]


def peek(name: str) -> tuple[str | None, bytes | None]:
    """`peek_kind`, and the file's bytes when it is shorter than what a peek reads (else None)."""
    try:
        with open(name, "rb") as stream:
            data = stream.read(_PEEK_BYTES)
            # only a regular file's bytes are kept: a FIFO or a device is refused when its turn comes
            regular = stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except OSError:
        return None, None
    head = data.decode("utf-8", errors="replace")
    pattern = _JSON_KIND if name.endswith(".json") or head.lstrip("\ufeff \t\r\n").startswith("{") else _YAML_KIND
    kinds = pattern.findall(head)
    return (kinds[0] if len(kinds) == 1 else None), (data if regular and len(data) < _PEEK_BYTES else None)


def read_input(name: str, stdin_text: Callable[[], str | bytes] | None = None,
               limits: Limits = DEFAULT_LIMITS) -> Document:
    """A file, or stdin for `-` (bytes are decoded as UTF-8): JSON when it starts with `{` and
    is JSON, else YAML (a YAML flow mapping, `{kind: proposal, ...}`, starts with `{` too)."""
    if name == "-":
        text = stdin_text() if stdin_text else ""
        load = load_bytes if isinstance(text, bytes) else load_text
        head = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        head = head[:4096].lstrip("\ufeff \t\r\n")
        if not head.startswith("{"):
            return load(text, "<stdin>", "yaml", limits)
        try:
            return load(text, "<stdin>", "json", limits)
        except DocumentError as as_json:
            if as_json.problems[0].code != "invalid_json":
                raise
            try:
                return load(text, "<stdin>", "yaml", limits)
            except DocumentError:
                if head[1:].lstrip(" \t\r\n")[:1] in ('"', "}"):  # written as JSON: say what is wrong as JSON
                    raise as_json from None
                raise
    return load_file(name, limits)


class ReadAhead:
    """The bytes of small documents as a run's first pass read them (to find each file's
    kind), so that the second need not open them again; within a budget, so that memory
    stays flat however many files a run has."""

    def __init__(self, budget: int = _READ_AHEAD_BUDGET):
        self.budget = budget
        self.kept: dict[str, bytes] = {}
        self.size = 0

    def keep(self, name: str, data: bytes) -> None:
        if name not in self.kept and self.size + len(data) <= self.budget:
            self.kept[name] = data
            self.size += len(data)

    def take(self, name: str) -> bytes | None:
        """The bytes kept of `name` (once), or None: read the file."""
        data = self.kept.pop(name, None)
        if data is not None:
            self.size -= len(data)
        return data

    def clear(self) -> None:
        self.kept.clear()
        self.size = 0


class Run:
    """The inputs of one audit: documents to check, reference data (`data`, by kind, with
    the file each came from in `data_sources`), waivers and the problems found so far."""

    def __init__(self, policies: PolicySet, data: dict[str, object] | None = None,
                 data_sources: dict[str, str] | None = None, limits: Limits = DEFAULT_LIMITS,
                 documents=(), waivers=None):
        """`documents`: Documents already loaded, to check first; `waivers`: a list of
        `Waiver`s in force (or None: no waivers in use)."""
        self.policies = policies
        self.data = {} if data is None else data
        self.data_sources = {} if data_sources is None else data_sources
        self.data_digests: dict[str, str] = {}  # a --data file's name -> the digest of the bytes judged
        self.problems: list[Problem] = []
        self.waivers = None  # a WaiverLedger, when waivers are in use
        if waivers is not None:
            from .waivers import WaiverLedger

            self.waivers = WaiverLedger(list(waivers))
        self.pending: list = list(documents)  # file names, or Documents already loaded (stdin)
        self.limits = limits  # how big an input may be (`--max-bytes` and the like)
        self.settings_data: list[str] = []  # the settings' `data:` files (a hint when --data replaced them)
        self.folders: dict[str, None] = {}  # folders of the queued documents, in input order
        self.ids: dict[str, str] = {}  # document id -> the path of the first document that has it
        self.notices: list[str] = []  # said in the summary of every report (files left out...)
        self.read_ahead = ReadAhead()  # small documents' bytes, as the first pass read them

    # ---- reference data and waivers -------------------------------------------------------
    def _load_checked(self, name: str, data: bytes | None = None):
        """A file loaded (from `data`, its bytes, when read already) and schema-checked, with its
        kind; or (None, None) and the problems kept."""
        try:
            document = load_file(name, self.limits, data)
            return document, self.policies.validator.validate(document)
        except DocumentError as error:
            self.problems.extend(error.problems)
            return None, None

    def add_data_file(self, name: str) -> None:
        """A `--data` file: must exist and be a reference-data kind."""
        document, kind = self._load_data(name)
        if document is None:
            return
        if not kind.is_data:
            self.problems.append(Problem(name, f"`{kind.kind}` is not reference data",
                                         hint="reference data kinds: " + ", ".join(self.policies.schemas.data_kinds())))
            return
        self.use_data(kind.kind, document)

    def _load_data(self, name: str):
        """As `_load_checked`, for a reference-data file: put back from the cache when a run
        read and validated the same bytes under the same policies (see `cache.load_data`):
        a register is read once, not on every check."""
        from . import cache
        from .provenance import digest_bytes

        try:
            data = read_file(name, self.limits)
        except DocumentError as error:
            self.problems.extend(error.problems)
            return None, None
        shown = str(Path(name))  # the name `load_file` gives it
        # what the cache keys the register by, and what the provenance states: the file is not read again for it
        digest = self.data_digests[shown] = digest_bytes(data)
        context = cache.data_context(self.policies.cache_key, self.limits)
        kept = cache.load_data(shown, digest, context) if context is not None else None
        kind = self.policies.schemas.kinds.get(kept[1]) if kept is not None else None
        if kind is not None:
            return kept[0], kind
        document, kind = self._load_checked(name, data)
        if document is not None and context is not None:
            cache.store_data(shown, digest, context, document, kind.kind)
        return document, kind

    def use_data(self, kind: str, document: Document) -> None:
        if kind in self.data_sources:
            self.problems.append(Problem(document.name, f"reference data `{kind}` is also given by {self.data_sources[kind]}"))
            return
        self.data[kind] = document.value
        self.data_sources[kind] = document.name

    def use_waivers(self, name: str) -> None:
        """Read a waivers file (schema-checked) into a ledger."""
        from .waivers import WaiverLedger, read_waivers

        document, kind = self._load_checked(name)
        if document is None:
            return
        if kind.role != "waivers":
            self.problems.append(Problem(name, f"`{kind.kind}` is not a waivers file"))
            return
        waivers = read_waivers(document)
        duplicates = repeated(w.id for w in waivers)
        if duplicates:
            self.problems.append(Problem(name, "waiver ids must be unique: " + ", ".join(duplicates)))
            return
        self.waivers = WaiverLedger(waivers)

    def missing_data(self, kinds=None) -> list[str]:
        """Reference data sets that the clauses (of documents of `kinds`) read and this run was not given."""
        return sorted(self.policies.data_needed(kinds) - set(self.data))

    def missing_data_notice(self, name: str) -> str:
        """The notice for a data set not given, with the fix and, when the run can find one,
        the file it would have used: one the settings name, or one next to the documents."""
        found = self.find_data(name)
        if found is None:
            hint = _GIVE_DATA
        elif found in self.settings_data:
            hint = f"{found}, listed under `data:` in .iompolicy.yaml, was not used because --data replaces that list"
        else:
            hint = f"{found}, found next to the documents, has it: add `--data {found}` or list it under `data:` " \
                   "in .iompolicy.yaml"
        return f"{MISSING_DATA.format(name)} (hint: {hint})"

    def find_data(self, kind: str) -> str | None:
        """A file of reference-data `kind` among the settings' data files, or in a queued
        document's folder, the folder above it or that folder's subfolders (`registers/`,
        `data/`); None if there is none. Only each file's top-level `kind` is read."""
        candidates = list(self.settings_data)
        for folder in self.folders:
            here = Path(folder)
            for place in dict.fromkeys((here, here.parent)):
                files, subfolders = _entries(place)
                candidates.extend(files)
                for subfolder in subfolders[:_NEARBY_FOLDERS]:
                    candidates.extend(_entries(subfolder)[0])
        for name in list(dict.fromkeys(candidates))[:_NEARBY_FILES]:
            if peek_kind(name) == kind:
                return name  # written as the documents' names are: relative or absolute
        return None

    def then_notices(self, reports, summary, stale: bool):
        """The reports; when they are done, the run's notices join the summary's: reference
        data the checked kinds needed but did not get, waivers that covered a passing
        clause and, with `stale` (a whole audit, not one request), waivers that matched nothing."""
        kinds = set()
        for report in reports:
            if not report.problems:  # an invalid input read no data: it needs none
                kinds.add(report.kind)
            yield report
        summary.notices.extend(self.notices)
        summary.notices.extend(self.missing_data_notice(name) for name in self.missing_data(kinds))
        if self.waivers is not None:
            summary.notices.extend(self.waivers.notices)
            if stale:
                summary.notices.extend(self.waivers.stale())

    # ---- documents ------------------------------------------------------------------------------
    def add_inputs(self, names: list[str], stdin_text: Callable[[], str] | None = None) -> None:
        """First pass: take reference data out of the inputs; queue the rest for checking.
        An input that cannot be read or checked is queued as its invalid Report, so that
        it has its place in the report."""
        for name in names:
            kind, whole = (None, None) if name == "-" else peek(name)
            schema = self.policies.schemas.get(kind) if kind else None
            if schema is not None and schema.role == "document":
                self.folders[os.path.dirname(name) or "."] = None
                self.pending.append(name)  # clearly a document: loaded when its turn comes
                if whole is not None and len(whole) <= self.limits.max_bytes:
                    self.read_ahead.keep(name, whole)
                continue
            document = None
            try:
                document = read_input(name, stdin_text, self.limits)
                schema = self.policies.validator.validate(document)
            except DocumentError as error:
                shown = document.name if document else "<stdin>" if name == "-" else name
                self.pending.append(invalid_report(shown, error.problems, document))
                continue
            if schema.is_data:
                self.use_data(schema.kind, document)
            elif schema.role == "document":
                if name != "-":
                    self.folders[os.path.dirname(name) or "."] = None
                self.pending.append(document if name == "-" else name)  # a file is read again later
            # else: a waivers file met among the inputs is neither checked nor data

    def _loaded(self, item) -> tuple[Document | Report, str | None]:
        """A queued item as a schema-checked Document and the SHA-256 of its file (when a
        waiver is pinned to one), or the invalid Report of an input that is not one."""
        if isinstance(item, Report):
            return item, None
        digests = self.waivers is not None and self.waivers.pins_digest
        data = self.read_ahead.take(item) if type(item) is str else None
        return load_queued(item, self.policies, self.limits, digests, data)

    def _queued(self) -> Iterator[tuple[Document | Report, str | None]]:
        """Each queued input, loaded (see `_loaded`); the problems of invalid ones are kept."""
        for item in self.pending:
            loaded, digest = self._loaded(item)
            if isinstance(loaded, Report):
                self.problems.extend(loaded.problems)
            yield loaded, digest

    def documents(self) -> Iterator[Document | Report]:
        """Second pass: each queued document, loaded and schema-checked, or the invalid
        Report of an input that could not be (its problems are also kept in `problems`)."""
        for loaded, _ in self._queued():
            yield loaded

    def check_queued_schemas(self) -> None:
        """Load and schema-check every queued document without judging it, keeping the
        problems: a run refused in its first pass still names every bad input at once."""
        for _ in self.documents():
            pass

    def reports(self, as_of: dt.date | None = None, select=None, observe=None) -> Iterator[Report]:
        """Each input's report, in input order, with waivers applied; an input that could
        not be checked, or whose id another document of the run already has, has its
        invalid Report. `observe(document, report)`, if given, sees each checked document
        beside its report (the HTML report reads facts from it)."""
        for document, digest in self._queued():
            checkpoint()
            if isinstance(document, Report):
                yield document
                continue
            report = self.policies.check(document, data=self.data, as_of=as_of, validate=False, select=select,
                                         sources=self.data_sources)
            report = self.finish(report, digest, document)
            if observe is not None:
                observe(document, report)
            yield report

    def finish(self, report: Report, digest: str | None = None, document: Document | None = None) -> Report:
        """A checked document's report with waivers applied; invalid if its id is taken."""
        if report.id is not None:
            first = self.ids.setdefault(report.id, report.path or "<document>")
            if first != (report.path or "<document>"):
                problem = _duplicate_id(report, first, document)
                self.problems.append(problem)
                return Report.invalid(report.path, [problem], report.kind, report.id)
        return self.waivers.apply(report, digest) if self.waivers is not None else report


def load_queued(item: str | Document, policies: PolicySet, limits: Limits,
                digests: bool = False, data: bytes | None = None) -> tuple[Document | Report, str | None]:
    """A queued file (or a Document read from stdin) loaded and schema-checked as a document
    to judge, with the SHA-256 of the file's bytes when `digests`; or the invalid Report of
    an input that cannot be judged. Used by the run and by the processes of --jobs. `data`:
    the file's bytes, when the first pass kept them (`Run.read_ahead`)."""
    document = item if isinstance(item, Document) else None
    digest = None
    try:
        if document is None:
            data = read_file(item, limits) if data is None else data
            digest = sha256(data) if digests else None
            document = load_bytes(data, item, "json" if item.endswith(".json") else "yaml", limits)
        schema = policies.validator.validate(document)
    except DocumentError as error:
        return invalid_report(document.name if document else item, error.problems, document), None
    if schema.role != "document":  # the first look at its text saw a document's `kind`
        return invalid_report(document.name, [disguised_kind(document, schema)], document), None
    return document, digest


def disguised_kind(document: Document, schema) -> Problem:
    """A file that a first look at its text took for a document, and that is in fact reference
    data (or waivers): found too late to be used, so it is refused rather than dropped."""
    line, column = document.position("$.kind") or (None, None)
    what = "reference data" if schema.is_data else f"a {schema.role} file"
    return Problem(document.name, f"the file is {what} (`kind: {schema.kind}`), but a first look at its text "
                                  "read a document's `kind:` line, so it was not used", line, column, "$.kind",
                   hint=f"write `kind: {schema.kind}` plainly at the top of the file, and no other line "
                        "that starts with `kind:`", code="disguised_kind")


def sha256(data: bytes) -> str:
    """The SHA-256 of a file's bytes, as `sha256sum` shows it (hashlib is imported only when needed)."""
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _duplicate_id(report: Report, first: str, document: Document | None) -> Problem:
    """The second document of a run that claims an id: a waiver keyed on it would cover both."""
    if document is None and report.path:  # checked by another process: read again, for the line only
        try:
            document = load_file(report.path)
        except DocumentError:
            pass
    key = "$.document" if document is not None and document.value.get("id") is None else "$.id"
    line, column = (document.position(key) if document is not None else None) or (None, None)
    return Problem(report.path or "<document>", f"the id `{report.id}` is also the id of {first}", line, column, key,
                   hint="two documents of one run must not share an id: a waiver or a register entry "
                        "keyed on it would cover both", code="duplicate_id")


def invalid_report(name: str, problems, document: Document | None = None) -> Report:
    """The report of an input that could not be checked, with its kind and id when it has them."""
    kind = document.kind if document is not None and isinstance(document.kind, str) else None
    ident = document.id if document is not None and isinstance(document.id, str) else None
    return Report.invalid(name, problems, kind, ident)
