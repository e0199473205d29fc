"""A loaded policy set: checked, compiled once, and evaluated against documents.

Loading is the named stages of `iompolicy.loading` (locate, read, parse, check, cite,
constants), with the cache between locate and read, then compile; `check` is the hot path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from .language import syntax as n
from .evaluation.clause import CompiledClause, compile_file, evaluate, evaluate_traced
from .evaluation.compiler import Env
from .documents import Document, DocumentError, Problem, as_document, date_of, document_id
from .report import Report
from .language.schemas import SchemaSet, schema_files
from .language.schemas import read_texts as read_schema_texts
from .language.source import Diagnostic, PolicyError, SourceFile
from .loading import locate, read_policy_texts, run_stages
from .documents.validation import Validator
from . import notices as said
from .dated import DatedData
from .stopping import Stopped, stop_flag

_new_report = tuple.__new__  # a Report without Record's argument handling: built once per document
SHIPPED = "shipped"  # as a folder of policies: the shipped ones, wherever iompolicy is installed
_EVALUATORS = frozenset({"auto", "generated", "closures", "traced"})
WARM_UP = 200  # documents of a kind checked with the closures before its clauses are generated as Python


class PolicySet:
    """Policies loaded from a folder, checked and compiled; safe to share between threads."""

    def __init__(self, files: list[n.PolicyFile], schemas: SchemaSet, sources: dict[str, SourceFile],
                 provisions=None, fast_code: dict | None = None, readings: Mapping[str, str] | None = None,
                 cache_key: str | None = None, reads: dict | None = None):
        self.files = files
        self._reads = _DataReads(files, reads)  # what each kind's policies read of the reference data
        self.cache_key = cache_key  # the policy cache's key of these texts (None: not from the cache)
        self.provisions = provisions
        self.schemas = schemas
        self.sources = sources
        self.validator = Validator(schemas, fast_code, _kept_validators(cache_key))
        self._is_valid = self.validator.is_valid  # a bound method made once, not for every check
        self.dated = DatedData(schemas)
        self._compile(readings)

    def _compile(self, readings: Mapping[str, str] | None) -> None:
        """Check the readings against the parameters declared, then compile every clause under them."""
        from .language.parameters import resolve_readings

        self.declared = {p.name: p for policy_file in self.files for p in policy_file.parameters}
        resolved, problems = resolve_readings(self.declared, readings)
        if problems:
            raise PolicyError(problems, self.sources)
        self.readings = resolved  # every parameter's reading: the one chosen, else its default
        self.chosen = {name: resolved[name] for name in (readings or {})}  # those chosen
        defaults = {name: parameter.default for name, parameter in self.declared.items()}
        self.by_kind: dict[str, list[CompiledClause]] = {}
        for policy_file in self.files:
            self.by_kind.setdefault(policy_file.header.kind, []).extend(
                compile_file(policy_file, resolved, defaults))
        # kind -> its schema, for the kinds of documents to check (not reference data, not waivers)
        self._checkable = {name: kind for name, kind in self.schemas.kinds.items() if kind.role == "document"}
        # kind -> the field its documents are dated by, or None (`_document_date`'s rule is another)
        self._date_fields = {name: (kind.date_rule or {}).get("field") for name, kind in self._checkable.items()}
        # kind -> the codegen.Program of all its clauses (the usual check's: one look-up by name);
        # (kind, clauses chosen) -> the Program of those clauses
        self._programs: dict[str | tuple, object] = {}
        self._seen: dict[str, int] = {}  # kind -> documents checked before its program was generated
        # The notices ask which data a kind reads of what the set holds, not of the set: a set that
        # held itself through its notices would outlive its last user until a collector's pass
        self.notices = said.Notices(self.by_kind, self._reads.of_kind, self.dated, self.provisions)

    def with_readings(self, readings: Mapping[str, str] | None) -> "PolicySet":
        """The same policies compiled under other readings (`{parameter: value}`; a parameter
        left out takes its default). Cheap: nothing is parsed or checked again. Raises
        PolicyError for a parameter no policy declares or a value it does not allow."""
        twin = object.__new__(type(self))
        twin.__dict__.update(self.__dict__)
        twin._compile(readings)
        return twin

    def parameters(self) -> list:
        """Every declared parameter as a `ParameterInfo`: name, title, cite, allowed values
        (with what each means), default, the reading in force, and where it is declared."""
        from .language.parameters import ParameterInfo

        return [ParameterInfo.of(parameter, self.readings[name]) for name, parameter in self.declared.items()]

    # ---- loading ---------------------------------------------------------------------
    @classmethod
    def shipped(cls, readings: Mapping[str, str] | None = None) -> "PolicySet":
        """The policies that encode the IOM Strategy, as shipped with iompolicy: from a
        checkout or from an installed package, whatever the current folder."""
        return cls.load(_shipped_policies(), readings=readings)

    @classmethod
    def load(cls, folder: str | Path | list, schemas: str | Path | SchemaSet | None = None,
             reread: bool = False, readings: Mapping[str, str] | None = None) -> "PolicySet":
        """Load every `*.iom` file under `folder` (or under each of a list of folders:
        several regimes side by side); raise PolicyError with all problems.
        `"shipped"` names the shipped policies (see `shipped`).

        A folder's `provisions.yaml`, if any, is what its own clauses must cite and
        quote. A policy set that loaded before from the same texts comes from the
        cache (see `iompolicy.cache`) without being parsed or checked again.
        `reread` skips the index on file sizes and times: every text is read and the
        entry is found by the SHA-256 of the texts alone (the service's reload).
        `readings` chooses a reading of declared parameters (`{name: value}`; see
        `parameters()`); the others take their defaults.
        """
        from . import cache

        folders = [_shipped_policies() if str(f) == SHIPPED else Path(f)
                   for f in (folder if isinstance(folder, (list, tuple)) else [folder])]
        policy_paths, provisions_paths = locate(folders)
        if isinstance(schemas, SchemaSet):
            texts = read_policy_texts(policy_paths)
            policy_set = cls._build(texts, schemas, folders)
            return policy_set.with_readings(readings) if readings else policy_set
        schema_folder = Path(schemas or _shipped_schemas())
        watched = policy_paths + provisions_paths + schema_files(schema_folder)
        try:
            stat_signature = cache.signature(watched)
        except OSError:  # a broken link: reading the files below says which, and why
            stat_signature = None
        # nothing touched (same size, time and CRC-32 of each file): nothing parsed, nothing hashed with SHA-256
        entry = None if reread or stat_signature is None else cache.load_by_signature(stat_signature, watched)
        if entry is None:
            texts = read_policy_texts(policy_paths)
            provisions_texts = read_policy_texts(provisions_paths)
            schema_texts = read_schema_texts(schema_folder)
            digest = cache.key({**texts, **schema_texts, **provisions_texts})
            entry = cache.load(digest)
            if entry is None:
                schema_set = SchemaSet.from_texts(schema_texts)
                policy_set = cls._build(texts, schema_set, folders)
                entry = {"files": policy_set.files, "provisions": policy_set.provisions,
                         "schemas": {k.path: k.schema for k in schema_set.kinds.values()}, "key": digest,
                         "reads": policy_set._reads.found()}
                policy_set.cache_key = digest
                policy_set.validator.kept = _kept_validators(digest)
                policy_set.validator.all_fast_code()  # every kind's now, and kept: no later run generates one
                # (fastjsonschema's import alone is some 50 ms)
                cache.store(digest, entry)
                if stat_signature is not None:
                    cache.store_by_signature(stat_signature, entry, watched)
                return policy_set.with_readings(readings) if readings else policy_set
            if stat_signature is not None:
                cache.store_by_signature(stat_signature, entry, watched)
        return cls(entry["files"], SchemaSet.from_schemas(entry["schemas"]), {}, entry["provisions"],
                   None, readings, entry["key"], entry.get("reads"))

    @classmethod
    def _build(cls, texts: dict[str, str], schemas: SchemaSet, folders: list[Path]) -> "PolicySet":
        from .traceability.provisions import ProvisionsError, load_provisions

        scoped = []
        for folder in folders:
            try:
                provisions = load_provisions(folder)
            except ProvisionsError as error:
                raise PolicyError([Diagnostic("bad_provisions", str(error), None)]) from None
            if provisions is not None:
                scoped.append((str(folder), provisions))
        return cls.from_texts(texts, schemas, scoped)

    @classmethod
    def from_texts(cls, texts: Mapping[str, str], schemas: str | Path | SchemaSet | None = None,
                   provisions=None, readings: Mapping[str, str] | None = None) -> "PolicySet":
        """Load policies given as {file name: text}, through the stages of `iompolicy.loading`.

        `provisions` (a `Provisions`, or a list of (folder, Provisions)) makes every
        clause (of files under that folder) cite a listed provision and quote it.
        `readings` as for `load`.
        """
        schema_set = schemas if isinstance(schemas, SchemaSet) else SchemaSet.load(schemas or _shipped_schemas())
        scoped = provisions if isinstance(provisions, list) else [("", provisions)] if provisions else []
        loaded = run_stages(dict(texts), schema_set, scoped)
        return cls(loaded.files, schema_set, loaded.sources, scoped[0][1] if scoped else None, readings=readings)

    # ---- what it holds -----------------------------------------------------------------
    def clauses(self, kind: str | None = None) -> list[CompiledClause]:
        """All compiled clauses, or those of one document kind, in policy order."""
        if kind is not None:
            return list(self.by_kind.get(kind, ()))
        return [c for group in self.by_kind.values() for c in group]

    def data_needed(self, kinds=None) -> set[str]:
        """The reference data sets (`data.NAME`) that some clause reads (of documents of `kinds`)."""
        return self._reads.of(kinds)

    # ---- checking ----------------------------------------------------------------------
    def check(self, document, data: Mapping | Iterable | None = None, as_of: dt.date | None = None,
              validate: bool = True, select: Callable[[n.Clause], bool] | None = None,
              trace_all: bool = False, sources: Mapping[str, str] | None = None, evaluator: str = "auto") -> Report:
        """Judge one document (a dict, a path or a Document) against its kind's clauses.

        `data` maps reference-data names to documents (dicts or Documents), or is a
        list of Documents named by their `kind`. `as_of` overrides the document's
        own date. `sources` names the file each reference-data set came from (found from
        the Documents given, when they were read from files), so that a key the data lacks
        is said with its register's file and date. Raises DocumentError if the document is
        not of a known kind or does not match its schema.

        `evaluator` decides the clauses: `generated` (the kind's clauses as one
        generated Python function, see `compiled_source`), `closures` (the compiler's
        closures), `traced` (the explaining evaluator; slower), or `auto`: the
        closures for the first WARM_UP documents of a kind, then the generated
        function. All give the same verdicts; the conformance suite runs every case
        through each. `trace_all=True` is `evaluator="traced"`.

        A failed clause is explained when its explanation is first read, from the
        document and data as given: do not change them while the report is in use.
        """
        doc, value, kind = None, document, None
        if type(document) is dict and not validate:  # a dict is read as it is: a Document only when one is needed
            name = document.get("kind")
            kind = self._checkable.get(name) if type(name) is str else None
        if kind is None:
            doc = document if type(document) is Document else as_document(document)
            kind = self.validator.validate(doc) if validate else self.validator.kind_of(doc)
            value = doc.value
            if kind.role != "document":
                hint = "pass it as data" if kind.is_data else "name it with --waivers or in the configuration"
                raise DocumentError([Problem(doc.name, f"`{kind.kind}` is {kind.role}, not a document to check",
                                             hint=hint)])
        name = kind.kind
        judged_on = as_of
        if judged_on is None:
            field = self._date_fields.get(name)  # the usual rule, found without reading the schema
            if field is not None:
                written = value.get(field)
                known = _DATES.get(written) if type(written) is str else None  # `_date_in`'s memo, read here
                judged_on = known[0] if known is not None else _date_in(value, field)
            else:
                judged_on = _document_date(value, kind.date_rule)
        data_values, data_files = _data_values(data)
        if data_files and sources:
            data_files = {**data_files, **sources}
        data_files = data_files or sources
        resolved = self.dated.as_of(data_values, judged_on) if data_values else data_values
        flag = stop_flag()  # a service request told to stop (its client gone, its time up) stops at a clause
        if select is None and evaluator == "auto" and not trace_all:  # the usual case first: one look-up
            program = self._programs.get(name) or self._program(name, None, True)
        else:
            program = self._program_chosen(name, select, trace_all, evaluator)
        if program is not None:
            results = program.judge(value, resolved, judged_on, flag, doc or value, data_files, self._is_valid)
        else:
            evaluate_clause = evaluate_traced if trace_all or evaluator == "traced" else evaluate
            doc = doc or as_document(document)
            env = Env(value, resolved, data_files)
            results = []
            for compiled in self.by_kind.get(name, ()):
                if select is None or select(compiled.clause):
                    if flag is not None and flag.is_set():
                        raise Stopped
                    results.append(evaluate_clause(compiled, env, doc, judged_on, self._is_valid))
            results = tuple(results)
        notices = self.notices.of(name, results, judged_on, data_values, resolved)
        path = doc.name if doc is not None and doc.format else None
        found = value.get("id") if type(value) is dict else None  # the usual id, read here; else the rule
        return _new_report(Report, (path, name, found if type(found) is str else document_id(value), judged_on,
                                    results, notices, ()))

    def _program_chosen(self, kind: str, select, trace_all: bool, evaluator: str):
        """The generated function that judges a check asked for otherwise than the usual way
        (some clauses selected, an evaluator named), or None for the closures or the tracer."""
        if evaluator != "auto" and evaluator not in _EVALUATORS:
            raise ValueError(f"unknown evaluator `{evaluator}`: one of {', '.join(sorted(_EVALUATORS))}")
        if trace_all or evaluator not in ("auto", "generated"):
            return None
        chosen = None if select is None else tuple(bool(select(c.clause)) for c in self.by_kind.get(kind, ()))
        known = self._programs.get(kind if chosen is None else (kind, chosen))
        return known or self._program(kind, chosen, evaluator == "auto")

    def _program(self, kind: str, chosen: tuple[bool, ...] | None = None, warm_up: bool = False):
        """The generated function of a kind's clauses (those `chosen`, if given), written and
        compiled now, then kept. With `warm_up`, None until WARM_UP documents of that kind
        were checked: writing and compiling it takes about as long as the closures take to
        check a few hundred documents, so a short run (one file at a cold start) never pays it.
        The function of all a kind's clauses, for policies from the cache, is kept in the
        cache once written, and the next run puts it back (`evaluation.program_store`)."""
        if warm_up:
            seen = self._seen[kind] = self._seen.get(kind, 0) + 1
            if seen <= WARM_UP:
                return None
        from .evaluation.codegen import generate  # here: a short run never imports it (2 ms)
        clauses = self.by_kind.get(kind, ())
        if chosen is not None:
            clauses = [c for c, keep in zip(clauses, chosen) if keep]
        program = self._kept_program(kind, clauses) if chosen is None else None
        if program is None:
            program = generate(clauses, kind)
            if chosen is None:
                self._keep_program(kind, clauses, program)
        self._programs[kind if chosen is None else (kind, chosen)] = program
        return program

    def _kept_program(self, kind: str, clauses):
        """The kind's function as an earlier run kept it in the cache, or None."""
        if self.cache_key is None:
            return None
        from . import cache
        from .evaluation.program_store import restored

        form = cache.load(self._program_entry(kind), prefix="program-")
        return restored(form, clauses, self.readings) if form is not None else None

    def _keep_program(self, kind: str, clauses, program) -> None:
        if self.cache_key is None:
            return
        from . import cache
        from .evaluation.program_store import stored_form

        form = stored_form(program, clauses, self.readings)
        if form is not None:
            cache.store(self._program_entry(kind), form, prefix="program-")

    def _program_entry(self, kind: str) -> str:
        """The cache entry of a kind's generated function: these texts (`cache_key`), the kind,
        the readings (also checked inside the entry), and the code generator that wrote it."""
        from binascii import crc32

        from .evaluation.program_store import generator

        readings = crc32(repr((kind, sorted(self.readings.items()))).encode())
        return f"{self.cache_key}-{readings:08x}-{generator()}"

    def compiled_source(self, kind: str) -> str:
        """The Python that decides the clauses of `kind` documents, as generated from the
        checked policies: readable, with a comment naming each clause and where it is
        written, and the values its names stand for (no document was read to write it)."""
        return (self._programs.get(kind) or self._program(kind)).listing()


class _DataReads:
    """The reference data sets (`data.NAME`) the policies of each kind read, found once, when
    first asked (a walk of every syntax tree: a run asks for each kind's more than once), or
    given as the policy cache kept them (the walk of the shipped set takes about 3 ms)."""

    __slots__ = ("files", "by_kind")

    def __init__(self, files: list[n.PolicyFile], by_kind: dict[str, frozenset] | None = None):
        self.files = files
        self.by_kind = by_kind

    def found(self) -> dict[str, frozenset]:
        """Kind -> the names its policies read (what the cache keeps), found now if not yet."""
        if self.by_kind is None:
            reads: dict[str, frozenset] = {}
            for policy_file in self.files:
                names = {node.name for node in n.descendants((policy_file.bindings, policy_file.clauses))
                         if isinstance(node, n.DataRef)}
                reads[policy_file.header.kind] = reads.get(policy_file.header.kind, frozenset()) | names
            self.by_kind = reads
        return self.by_kind

    def of(self, kinds=None) -> set[str]:
        """Those read by the policies of `kinds` (of every kind when None)."""
        return {name for kind, names in self.found().items() if kinds is None or kind in kinds for name in names}

    def of_kind(self, kind: str) -> set[str]:
        return self.of({kind})


def _kept_validators(cache_key: str | None):
    """Where the cache keeps the generated validators of a set from it (None: not from it)."""
    if cache_key is None:
        return None
    from .cache import KeptValidators

    return KeptValidators(cache_key)


def _shipped_policies() -> Path:
    from .resources import shipped_policies

    return shipped_policies()


def _shipped_schemas() -> Path:
    from .resources import shipped_schemas

    return shipped_schemas()


def _data_values(data) -> tuple[dict, dict]:
    """Reference data by name, and the file each set read from a file came from. Values
    given as dicts are used as given, not copied for each document checked."""
    if not data:
        return {}, {}
    if type(data) is not dict and isinstance(data, Mapping):  # read once: another mapping may give new objects
        data = dict(data)  # each time it is read, and the notices compare the data given with the data resolved
    if type(data) is dict:
        for value in data.values():
            if type(value) is not dict:
                break
        else:  # a loop, not all() over a generator: this runs for every document checked
            return data, {}
        named = data.items()
    else:
        named = ((None, item) for item in data)
    values, files = {}, {}
    for name, item in named:
        doc = as_document(item)
        name = doc.kind if name is None else name
        values[name] = doc.value
        if doc.format is not None:
            files[name] = doc.name
    return values, files


_DATES: dict[str, tuple] = {}  # ISO text -> (its date, or None when it is not one)


def _date_in(value: dict, field: str) -> dt.date | None:
    """The date a document's `field` holds (the rule `{"field": ...}` of `_document_date`)."""
    written = value.get(field)
    if type(written) is str:  # documents share few dates: each text is read as a date once
        known = _DATES.get(written)
        if known is None:
            if len(_DATES) >= 4096:
                _DATES.clear()
            known = _DATES[written] = (date_of(written),)
        return known[0]
    return date_of(written)


def _document_date(value: dict, rule: dict | None) -> dt.date | None:
    """The date a document is judged as of, by its schema's `x-iompolicy-date` rule."""
    if not rule:
        return None
    if "field" in rule:
        return _date_in(value, rule["field"])
    year = value.get(rule.get("year", ""))
    if type(year) is int and 1 <= year <= 9999:
        return dt.date(year, 12, 31)
    return None
