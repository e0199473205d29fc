"""The decision service's core, with no web framework in it.

`Service` holds the loaded policy set and reference data as one `Loaded` value
behind one reference. A request reads that reference once and uses what it got
to the end; a reload builds a whole new `Loaded` and then swaps the reference,
so a request is answered by the old set or by the new one, never by a mix. A
new set that does not load is refused and the old one goes on serving.

A request body goes from bytes to the JSON report here: media type, then the
project's loader (`documents.load_bytes`: UTF-8, numbers exactly as `Decimal`,
nesting, aliases and size bounded, every refusal with its place and a code),
the document's kind and schema, then the same `Run`, `Summary` and JSON writer
as `iompolicy check --format json`. Whatever is wrong with a request is raised
as a `ServiceError`: an HTTP status, a stable code, a message, and the
problems with their line, column and JSON path. `iompolicy.server` puts this
on HTTP.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from ..documents import Document, DocumentError, Problem, load_bytes
from ..stopping import checkpoint

MAX_BODY = 1024 * 1024  # bytes of a request body (`iompolicy serve --max-body`)
MAX_BATCH = 100  # documents in one batch (`iompolicy serve --max-batch`)

MEDIA_TYPES = {"application/json": "json", "application/yaml": "yaml", "text/yaml": "yaml",
               "application/x-yaml": "yaml", "text/x-yaml": "yaml"}
QUERY = ("as_of", "fail_on")

# The loader's codes that are not 400: sizes past a limit, and a value that is no document.
_LOADER_STATUS = {"too_big": 413, "too_many_values": 413, "too_many_aliases": 413, "not_a_mapping": 422}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class ServiceError(Exception):
    """A request the service cannot answer with a report: the HTTP status and the JSON error."""

    def __init__(self, status: int, code: str, message: str, problems=(), headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.problems = list(problems) or [problem(message)]
        self.headers = headers or {}

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "problems": self.problems}}


def problem(message: str, line: int | None = None, column: int | None = None, path: str | None = None,
            **more) -> dict:
    """One problem of an error answer; `more` (file, hint, code) only when known."""
    return {"message": message, "line": line, "column": column, "path": path,
            **{key: value for key, value in more.items() if value is not None}}


def _from_problem(found: Problem, prefix: str | None = None) -> dict:
    """A `documents.Problem` as JSON; `prefix` re-roots its JSON path (a document of a batch)."""
    path, message = found.path, found.message
    if prefix is not None:
        new_path = prefix + (path or "$")[1:]
        if path and message.startswith(path + ":"):
            message = new_path + message[len(path):]
        path = new_path
    return problem(message, found.line, found.column, path, hint=found.hint, code=getattr(found, "code", None))


# ---- the loaded policy set --------------------------------------------------------------------

class LoadError(Exception):
    """Policies or data that do not load: `lines` as the CLI prints them, `problems` as JSON."""

    def __init__(self, lines: list[str], problems: list[dict]):
        super().__init__("\n".join(lines))
        self.lines, self.problems = lines, problems


@dataclass(frozen=True)
class Loaded:
    """One generation of the service: policies, reference data and where they came from."""

    policies: object  # PolicySet
    data: dict
    data_sources: dict
    policy_dir: str
    generation: int
    loaded_at: str
    missing_data: tuple[str, ...]
    waivers: tuple = ()  # the Waivers of the waivers file, applied to every report
    provenance: dict | None = None  # what this generation loaded (iompolicy.provenance.build), as of its loading

    def describe(self) -> dict:
        return {"generation": self.generation, "loaded_at": self.loaded_at,
                "policies": {"folder": self.policy_dir, "files": len(self.policies.files),
                             "clauses": len(self.policies.clauses()), "readings": dict(self.policies.readings)},
                "data": dict(self.data_sources), "missing_data": list(self.missing_data)}


def load(policy_dir: str, data_files: tuple[str, ...], generation: int, waivers_file: str | None = None,
         readings: dict | None = None) -> Loaded:
    """Load and check the policy folder (under `readings` of its parameters), the data files
    and the waivers; LoadError if anything is wrong."""
    from ..engine import PolicySet
    from ..language.source import PolicyError
    from ..provenance import build as build_provenance, started_at
    from ..run import Run

    try:
        policies = PolicySet.load(policy_dir, reread=True, readings=readings)  # a reload reads every text again, whatever its time
    except PolicyError as error:
        raise LoadError([error.render()], [_diagnostic(d) for d in error.diagnostics]) from None
    except Exception as error:  # SchemaError, an unreadable file, a file that is not UTF-8...
        raise LoadError([f"{policy_dir}: {error}"], [problem(str(error), file=str(policy_dir))]) from None
    run = Run(policies)
    for name in data_files:
        run.add_data_file(name)
    if waivers_file:
        run.use_waivers(waivers_file)
    if run.problems:
        raise LoadError([str(p) for p in run.problems],
                        [{**_from_problem(p), "file": p.file} for p in run.problems])
    stamp = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    # digests of the files as this generation read them: a later edit shows in the next reload's
    provenance = build_provenance(run, [policy_dir], None, waivers_file, started_at())
    return Loaded(policies, dict(run.data), dict(run.data_sources), str(policy_dir), generation, stamp,
                  tuple(run.missing_data()), tuple(run.waivers.waivers) if run.waivers is not None else (),
                  provenance)


def _diagnostic(diagnostic) -> dict:
    span = diagnostic.span
    return problem(diagnostic.headline(), span.line if span else None, span.column if span else None,
                   None, file=span.file if span else None, code=diagnostic.code, hint=diagnostic.hint)


class Service:
    """The policies and data of a running service, and what it answers."""

    def __init__(self, policy_dir: str | Path, data_files=(), max_body: int = MAX_BODY,
                 max_batch: int = MAX_BATCH, waivers_file: str | None = None, readings: dict | None = None):
        self.policy_dir = str(policy_dir)
        self.readings = dict(readings or {})  # the parameters' readings chosen (kept on reload)
        self.data_files = tuple(str(name) for name in data_files)
        self.waivers_file = str(waivers_file) if waivers_file else None
        self.max_body, self.max_batch = max_body, max_batch
        self._reloading = threading.Lock()
        self._openapi: tuple[Loaded, dict] | None = None
        self.current: Loaded = load(self.policy_dir, self.data_files, 1, self.waivers_file,
                                    self.readings)  # raises LoadError

    def reload(self) -> Loaded:
        """Build a whole new generation, then swap it in; ServiceError 409 (old one kept) if it fails."""
        with self._reloading:
            old = self.current
            try:
                new = load(self.policy_dir, self.data_files, old.generation + 1, self.waivers_file, self.readings)
            except LoadError as error:
                raise ServiceError(409, "reload_refused",
                                   f"the policies or data do not load; generation {old.generation} goes on "
                                   "serving", error.problems) from None
            self.current = new  # the one reference every request reads once
            return new

    # ---- answers ------------------------------------------------------------------------------
    def check(self, body: bytes, fmt: str, query) -> tuple[str, Loaded]:
        """The JSON report of one document, and the generation that judged it."""
        state = self.current
        as_of, fail_on = parse_query(query)
        document = read_body(body, fmt)
        admit(state, document)
        return report(state, [document], as_of, fail_on, body, document_digests=True), state

    def check_batch(self, body: bytes, fmt: str, query) -> tuple[str, Loaded]:
        """One JSON report of every document of `{"documents": [...]}`, in order."""
        state = self.current
        as_of, fail_on = parse_query(query)
        batch = read_body(body, fmt)
        documents, problems, codes = [], [], set()
        for index, value in enumerate(batch_items(batch, self.max_batch)):
            checkpoint()  # a request told to stop (see iompolicy.stopping) stops between documents
            part = Part.of(batch, index, value)
            try:
                admit(state, part)
            except ServiceError as error:
                problems.extend(error.problems)
                codes.add(error.code)
            documents.append(part)
        duplicates = _duplicate_ids(documents)
        if duplicates:
            problems.extend(duplicates)
            codes.add("duplicate_id")
        if problems:
            raise ServiceError(422, codes.pop() if len(codes) == 1 else "invalid_documents",
                               f"{len(problems)} problem(s) in the batch: no document was checked", problems)
        return report(state, documents, as_of, fail_on, body), state

    def clauses(self) -> dict:
        from ..traceability.catalog import listing

        state = self.current
        return {"generation": state.generation, "clauses": [listing(c) for c in state.policies.clauses()]}

    def clause(self, what: str) -> dict:
        from ..traceability.catalog import explanation, find

        state = self.current
        found = find(state.policies, what)
        if not found:
            raise ServiceError(404, "no_such_clause", f"no clause has the id or citation `{what}`",
                               [problem(f"no clause has the id or citation `{what}`",
                                        hint="GET /v1/clauses lists every clause")])
        return {"query": what, "generation": state.generation, "clauses": [explanation(c) for c in found]}

    def ready(self) -> dict:
        return {"status": "ready", **self.current.describe()}

    def openapi(self) -> dict:
        from .openapi import describe

        state, cached = self._openapi or (None, None)
        if state is not self.current:
            state = self.current
            cached = describe(state.policies.schemas, self.max_body, self.max_batch)
            self._openapi = (state, cached)
        return cached


# ---- from the request to the report ---------------------------------------------------------------

def body_format(content_type: str | None) -> str:
    """`json` or `yaml` from a Content-Type; ServiceError 415 for anything else."""
    accepted = "send application/json, application/yaml or text/yaml"
    if not content_type:
        raise ServiceError(415, "unsupported_media_type", f"the request has no Content-Type: {accepted}")
    media, *params = content_type.split(";")
    media = media.strip().lower()
    fmt = MEDIA_TYPES.get(media)
    if fmt is None:
        raise ServiceError(415, "unsupported_media_type", f"`{media}` is not a type the service reads: {accepted}")
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise ServiceError(415, "unsupported_media_type", "the body must be UTF-8 text (charset=utf-8)")
    return fmt


def parse_query(pairs) -> tuple[dt.date | None, str]:
    """`as_of=YYYY-MM-DD` and `fail_on=error|warning`; ServiceError 400 for anything else."""
    values: dict[str, str] = {}
    for key, value in pairs:
        if key not in QUERY:
            raise _bad_query(key, f"unknown query parameter `{key}`", "known parameters: as_of, fail_on")
        if key in values:
            raise _bad_query(key, f"`{key}` is given more than once")
        values[key] = value
    as_of = values.get("as_of")
    if as_of is not None:
        try:
            as_of = dt.date.fromisoformat(as_of) if _DATE.fullmatch(as_of) else None
        except ValueError:
            as_of = None
        if as_of is None:
            raise _bad_query("as_of", f"`{values['as_of']}` is not a date (YYYY-MM-DD)")
    fail_on = values.get("fail_on", "error")
    if fail_on not in ("error", "warning"):
        raise _bad_query("fail_on", f"`{fail_on}` is not a severity: error or warning")
    return as_of, fail_on


def _bad_query(key: str, message: str, hint: str | None = None) -> ServiceError:
    return ServiceError(400, "bad_query", message, [problem(message, path=f"?{key}", hint=hint)])


def read_body(body: bytes, fmt: str, name: str = "<body>") -> Document:
    """A Document from a request body, by the project's loader (exact numbers, bounded
    depth, aliases and size); ServiceError 400, 413 or 422 if it cannot be one."""
    from ..limits import Limits

    if not body.strip(b" \t\r\n"):
        raise ServiceError(400, "empty", "the body is empty: send one document")
    try:
        return load_bytes(body, name, fmt, Limits(max_bytes=max(len(body), 1)))
    except DocumentError as error:
        first = error.problems[0]
        code = first.code or f"invalid_{fmt}"
        raise ServiceError(_LOADER_STATUS.get(code, 400), code, first.message,
                           [_from_problem(p) for p in error.problems]) from None
    except Exception as error:  # the loader's own defences failed: still the body's fault, not a 500
        raise ServiceError(400, f"invalid_{fmt}", f"not valid {fmt.upper()}: {type(error).__name__}") from None


class Part(Document):
    """A document of a batch: its lines and columns are those of the whole request body."""

    __slots__ = ("parent", "prefix")

    def __init__(self, value, name: str, text: str | None, format: str | None, parent: Document | None = None,
                 prefix: str = "$"):
        super().__init__(value, name, text, format)
        self.parent = parent
        self.prefix = prefix

    @classmethod
    def of(cls, batch: Document, index: int, value) -> "Part":
        prefix = f"$.documents[{index}]"
        dates = {"$" + path[len(prefix):]: text for path, text in getattr(batch, "dates", {}).items()
                 if path.startswith(prefix + ".") or path.startswith(prefix + "[")}
        part = cls(value, f"documents[{index}]", batch.text, batch.format, parent=batch, prefix=prefix)
        part.dates = dates
        return part

    def position(self, path: str | None):
        if path is None or self.parent is None:
            return None
        return self.parent.position(self.prefix + path[1:])

    def reading_hint(self, path: str | None):
        if path is None or self.parent is None or not hasattr(self.parent, "reading_hint"):
            return None
        return self.parent.reading_hint(self.prefix + path[1:])


def batch_items(batch: Document, max_batch: int) -> list:
    """The documents of a batch body `{"documents": [...]}`; ServiceError if it is not one."""
    value = batch.value

    def bad(message: str, path: str, status: int = 422, code: str = "bad_batch"):
        position = batch.position(path) or (None, None)
        return ServiceError(status, code, message, [problem(message, *position, path,
                                                             hint='a batch is {"documents": [...]}')])

    for key in value:
        if key != "documents":
            raise bad(f"unknown field `{key}` in a batch", f"$.{key}")
    items = value.get("documents")
    if not isinstance(items, list):
        raise bad("a batch needs `documents`, a list of documents", "$.documents" if "documents" in value else "$")
    if not items:
        raise bad("the batch has no documents", "$.documents")
    if len(items) > max_batch:
        raise bad(f"a batch holds at most {max_batch} documents; this one has {len(items)}", "$.documents",
                  413, "too_many_documents")
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise bad("a document must be a mapping with a `kind` field", f"$.documents[{index}]")
    return items


def _duplicate_ids(parts: list) -> list[dict]:
    """Documents of one batch that claim an id an earlier one has: a waiver keyed on it would cover both."""
    first: dict[str, str] = {}
    found = []
    for part in parts:
        ident = part.id
        if ident is None:
            continue
        if ident in first:
            key = "$.id" if isinstance(part.value.get("id"), str) else "$.document"
            found.append(problem(f"the id `{ident}` is also the id of {first[ident]}",
                                 *(part.position(key) or (None, None)), part.prefix + key[1:],
                                 hint="two documents of one batch must not share an id", code="duplicate_id"))
        else:
            first[ident] = part.name
    return found


def admit(state: Loaded, document: Document) -> None:
    """The document is of a known kind that is checked (not data), and matches its schema."""
    prefix = document.prefix if isinstance(document, Part) else None
    validator = state.policies.validator
    try:
        schema = validator.kind_of(document)
    except DocumentError as error:
        raise ServiceError(422, "unknown_kind", error.problems[0].message,
                           [_from_problem(p, prefix) for p in error.problems]) from None
    role = getattr(schema, "role", "data" if schema.is_data else "document")
    if role != "document":
        what = "reference data, read from the service's --data files" if role == "data" else f"a {role} file"
        message = f"`{schema.kind}` is {what}, not a document to check"
        position = document.position("$.kind") or (None, None)
        raise ServiceError(422, "not_a_document", message, [problem(message, *position, (prefix or "$") + ".kind")])
    try:
        validator.validate(document)
    except DocumentError as error:
        raise ServiceError(422, "schema_violation", f"the {schema.kind} does not match its schema",
                           [_from_problem(p, prefix) for p in error.problems]) from None


class _BodyDigest:
    """The `digests` of a report of one request: the body's own, when the body is the
    document; none for the documents of a batch (they have no bytes of their own)."""

    def __init__(self, digest: str | None):
        self.digest = digest

    def of(self, report) -> str | None:
        return self.digest


def answer_provenance(state: Loaded, as_of: dt.date | None, body: bytes) -> dict:
    """The provenance of one answer: what the serving generation loaded (policies, their
    digests and readings, data, waivers), with this request's time, as-of rule and body."""
    from ..provenance import digest_bytes, started_at

    return {**state.provenance, "started_at": started_at(),
            "as_of": {"date": as_of.isoformat()} if as_of else {"rule": "each document's own date"},
            "service": {"generation": state.generation, "loaded_at": state.loaded_at,
                        "body_digest": digest_bytes(body)}}


def report(state: Loaded, documents: list[Document], as_of: dt.date | None, fail_on: str, body: bytes = b"",
           document_digests: bool = False) -> str:
    """The JSON report, written by the CLI's writer, with the answer's provenance; documents
    have no path (`null`); each has the body's digest when `document_digests` (the body is it)."""
    from ..provenance import digest_bytes
    from ..render import RenderOptions, Summary, writer
    from ..run import Run

    run = Run(state.policies, data=dict(state.data), data_sources=dict(state.data_sources), documents=documents,
              waivers=state.waivers or None)  # a ledger per request: no stale-waiver notices here
    summary = Summary(fail_on=fail_on)
    reports = (r._replace(path=None) for r in run.reports(as_of=as_of))
    out = io.StringIO()
    options = RenderOptions.for_policies(
        state.policies, provenance=answer_provenance(state, as_of, body) if state.provenance else None,
        digests=_BodyDigest(digest_bytes(body) if document_digests else None))
    writer("json")(run.then_notices(reports, summary, stale=False), summary, options, out)
    if run.problems:  # cannot happen: every document was admitted
        raise ServiceError(422, "schema_violation", "a document cannot be checked",
                           [_from_problem(p) for p in run.problems])
    return out.getvalue()
