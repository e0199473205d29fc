"""A loaded policy set: checked, compiled once, and evaluated against documents."""

from __future__ import annotations

import datetime as dt
from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from .language import syntax as n
from .evaluation.compiler import Bindings, Env, compile_binding, compile_condition, compile_expr
from .documents import Document, DocumentError, Problem, as_document, date_of
from .report import NOWHERE, ClauseInfo, ClauseResult, Location, Outcome, Report
from .language.schemas import SchemaSet
from .language.schemas import read_texts as read_schema_texts
from .language.source import Diagnostic, PolicyError, SourceFile
from .language.unparse import unparse
from .documents.validation import Validator
from .values import Undecided, format_value


class CompiledClause(namedtuple("CompiledClause", "clause header bindings guards requires message start until "
                                                   "info not_applicable passed")):
    """A clause (`n.Clause`, with its policy's `n.PolicyHeader`) with its closures and what
    is needed to explain it: `bindings` by name (for the tracer); the compiled `guards` and
    `requires`; the `message` template's parts (text, or a compiled closure); the dates it
    is in force from (`start`) and `until` (each None when open); its `ClauseInfo`; and the
    results it gives, always the same ones, when a guard is false (`not_applicable`) and
    when it `passed`."""

    __slots__ = ()

    @property
    def id(self) -> str:
        return self.clause.id


class PolicySet:
    """Policies loaded from a folder, checked and compiled; safe to share between threads."""

    def __init__(self, files: list[n.PolicyFile], schemas: SchemaSet, sources: dict[str, SourceFile],
                 provisions=None, fast_code: dict | None = None):
        self.files = files
        self.provisions = provisions
        self.schemas = schemas
        self.sources = sources
        self.validator = Validator(schemas, fast_code)
        self.by_kind: dict[str, list[CompiledClause]] = {}
        for policy_file in files:
            self.by_kind.setdefault(policy_file.header.kind, []).extend(_compile_file(policy_file))

    # ---- loading ---------------------------------------------------------------------
    @classmethod
    def load(cls, folder: str | Path | list, schemas: str | Path | SchemaSet | None = None) -> "PolicySet":
        """Load every `*.iom` file under `folder` (or under each of a list of folders:
        several regimes side by side); raise PolicyError with all problems.

        A folder's `provisions.yaml`, if any, is what its own clauses must cite and
        quote. A policy set that loaded before from the same texts comes from the
        cache (see `iompolicy.cache`) without being parsed or checked again.
        """
        from . import cache

        folders = [Path(f) for f in (folder if isinstance(folder, (list, tuple)) else [folder])]
        for one in folders:
            if not one.is_dir():
                raise PolicyError([Diagnostic("no-policies", f"`{one}` is not a folder of policies", None)])
        policy_paths = [p for one in folders for p in sorted(one.rglob("*.iom"))]
        provisions_paths = [one / "provisions.yaml" for one in folders if (one / "provisions.yaml").is_file()]
        if isinstance(schemas, SchemaSet):
            texts = {str(p): p.read_text(encoding="utf-8") for p in policy_paths}
            return cls._build(texts, schemas, folders)
        schema_folder = Path(schemas or _shipped_schemas())
        stat_signature = cache.signature(policy_paths + provisions_paths + sorted(schema_folder.glob("*.schema.json")))
        entry = cache.load_by_signature(stat_signature)  # nothing touched: no file read, nothing hashed
        if entry is None:
            texts = {str(p): p.read_text(encoding="utf-8") for p in policy_paths}
            provisions_texts = {str(p): p.read_text(encoding="utf-8") for p in provisions_paths}
            schema_texts = read_schema_texts(schema_folder)
            digest = cache.key({**texts, **schema_texts, **provisions_texts})
            entry = cache.load(digest)
            if entry is None:
                schema_set = SchemaSet.from_texts(schema_texts)
                policy_set = cls._build(texts, schema_set, folders)
                entry = {"files": policy_set.files, "provisions": policy_set.provisions,
                         "fast_code": policy_set.validator.all_fast_code(),
                         "schemas": {k.path: k.schema for k in schema_set.kinds.values()}}
                cache.store(digest, entry)
                cache.store_by_signature(stat_signature, entry)
                return policy_set
            cache.store_by_signature(stat_signature, entry)
        return cls(entry["files"], SchemaSet.from_schemas(entry["schemas"]), {}, entry["provisions"],
                   entry["fast_code"])

    @classmethod
    def _build(cls, texts: dict[str, str], schemas: SchemaSet, folders: list[Path]) -> "PolicySet":
        from .traceability.provisions import ProvisionsError, load_provisions

        scoped = []
        for folder in folders:
            try:
                provisions = load_provisions(folder)
            except ProvisionsError as error:
                raise PolicyError([Diagnostic("bad-provisions", str(error), None)]) from None
            if provisions is not None:
                scoped.append((str(folder), provisions))
        return cls.from_texts(texts, schemas, scoped)

    @classmethod
    def from_texts(cls, texts: Mapping[str, str], schemas: str | Path | SchemaSet | None = None,
                   provisions=None) -> "PolicySet":
        """Load policies given as {file name: text}.

        `provisions` (a `Provisions`, or a list of (folder, Provisions)) makes every
        clause (of files under that folder) cite a listed provision and quote it.
        """
        from .language.checker import Checker
        from .language.build import build_file

        schema_set = schemas if isinstance(schemas, SchemaSet) else SchemaSet.load(schemas or _shipped_schemas())
        sources = {name: SourceFile(name, text) for name, text in texts.items()}
        diagnostics: list[Diagnostic] = []
        files: list[n.PolicyFile] = []
        for source in sources.values():
            policy_file, problems = build_file(source)
            diagnostics.extend(problems)
            if policy_file is not None:
                files.append(policy_file)
        if not sources:
            diagnostics.append(Diagnostic("empty-policy-set", "no policy files (*.iom) were found", None,
                                          "point --policies at a folder of .iom files"))
        diagnostics.extend(Checker(schema_set).check(files))
        scoped = provisions if isinstance(provisions, list) else [("", provisions)] if provisions else []
        if scoped:
            from .traceability.coverage import check_citations

            for folder, listed in scoped:
                under = [f for f in files if not folder or Path(f.path).is_relative_to(folder)]
                diagnostics.extend(check_citations(under, listed))
        if not diagnostics:
            diagnostics.extend(_check_constants(files))
        if diagnostics:
            raise PolicyError(diagnostics, sources)
        return cls(files, schema_set, sources, scoped[0][1] if scoped else None)

    # ---- what it holds -----------------------------------------------------------------
    def clauses(self, kind: str | None = None) -> list[CompiledClause]:
        """All compiled clauses, or those of one document kind, in policy order."""
        if kind is not None:
            return list(self.by_kind.get(kind, ()))
        return [c for group in self.by_kind.values() for c in group]

    def data_needed(self, kinds=None) -> set[str]:
        """The reference data sets (`data.NAME`) that some clause reads (of documents of `kinds`)."""
        found: set[str] = set()

        def walk(node) -> None:
            if isinstance(node, n.DataRef):
                found.add(node.name)
            elif isinstance(node, n.Node):
                for value in node._values():
                    walk(value)
            elif isinstance(node, tuple):
                for item in node:
                    walk(item)

        for policy_file in self.files:
            if kinds is None or policy_file.header.kind in kinds:
                walk(policy_file.bindings)
                walk(policy_file.clauses)
        return found

    # ---- checking ----------------------------------------------------------------------
    def check(self, document, data: Mapping | Iterable | None = None, as_of: dt.date | None = None,
              validate: bool = True, select: Callable[[n.Clause], bool] | None = None,
              trace_all: bool = False) -> Report:
        """Judge one document (a dict, a path or a Document) against its kind's clauses.

        `data` maps reference-data names to documents (dicts or Documents), or is a
        list of Documents named by their `kind`. `as_of` overrides the document's
        own date. Raises DocumentError if the document is not of a known kind or
        does not match its schema. `trace_all` decides every clause with the
        explaining evaluator instead of the compiled one (slower; same verdicts).

        A failed clause is explained when its explanation is first read, from the
        document and data as given: do not change them while the report is in use.
        """
        doc = as_document(document)
        kind = self.validator.validate(doc) if validate else self.validator.kind_of(doc)
        if kind.role != "document":
            hint = "pass it as data" if kind.is_data else "name it with --waivers or in the configuration"
            raise DocumentError([Problem(doc.name, f"`{kind.kind}` is {kind.role}, not a document to check",
                                         hint=hint)])
        own_date = _document_date(doc.value, kind.date_rule)
        judged_on = as_of or own_date
        env = Env(doc.value, _data_values(data))
        clauses = self.by_kind.get(kind.kind, ())
        notices = () if clauses else (f"no policy applies to `{kind.kind}` documents",)
        evaluate = _evaluate_traced if trace_all else _evaluate
        results = tuple(
            evaluate(compiled, env, doc, judged_on)
            for compiled in clauses
            if select is None or select(compiled.clause)
        )
        if clauses and not results:  # said out loud: the selection, not the document, made it not applicable
            notices = (f"--only/--skip leave no clause for `{kind.kind}` documents",)
        return Report(doc.name if doc.format else None, kind.kind, doc.id, judged_on, results, notices)


# ---- compiling ---------------------------------------------------------------------------

def _compile_file(policy_file: n.PolicyFile) -> list[CompiledClause]:
    file_bindings = Bindings()
    by_name: dict[str, n.Binding] = {}
    for binding in policy_file.bindings:
        file_bindings.add(binding, compile_binding(binding, file_bindings))
        by_name[binding.name] = binding
    compiled = []
    header = policy_file.header
    for clause in policy_file.clauses:
        scope = Bindings(file_bindings)
        visible = dict(by_name)
        for binding in clause.lets:
            scope.add(binding, compile_binding(binding, scope))
            visible[binding.name] = binding
        message = ()
        if clause.message is not None:
            message = tuple(p if isinstance(p, str) else (compile_expr(p, scope, frozenset()), p)
                            for p in clause.message.parts)
        starts = [d for d in (header.effective_from, clause.effective_from) if d]
        untils = [d for d in (header.effective_until, clause.effective_until) if d]
        info = ClauseInfo(clause.id, clause.cite, clause.title, clause.quote, clause.severity, header.id,
                          header.version, str(clause.span) if clause.span else "", clause.note)
        guards = " and ".join(unparse(g) for g in clause.guards)
        reason = f"does not apply: `{guards}` is false"
        compiled.append(CompiledClause(
            clause, header, visible,
            tuple(compile_condition(g, scope) for g in clause.guards),
            tuple(compile_condition(r, scope) for r in clause.requires),
            message, max(starts, default=None), min(untils, default=None),
            info, ClauseResult(info, Outcome.NOT_APPLICABLE, reason, reason), ClauseResult(info, Outcome.PASS),
        ))
    return compiled


def _check_constants(files: list[n.PolicyFile]) -> list[Diagnostic]:
    """A `const` must have a value: `1 / 0` is found when the policy loads."""
    problems = []
    for policy_file in files:
        scope = Bindings()
        for binding in policy_file.bindings:
            try:
                scope.add(binding, compile_binding(binding, scope))
            except Undecided as undecided:
                problems.append(Diagnostic("bad-const", f"`{binding.name}` has no value: {undecided.reason}", binding.span))
                scope.add(binding, _raising(undecided))  # later constants that use it are reported too
    return problems


def _raising(undecided: Undecided):
    def closure(env):
        raise undecided

    return closure


def _shipped_schemas() -> Path:
    from .resources import shipped_schemas

    return shipped_schemas()


def _data_values(data) -> dict:
    if data is None:
        return {}
    if isinstance(data, Mapping):
        return {name: as_document(value).value for name, value in data.items()}
    values = {}
    for item in data:
        doc = as_document(item)
        values[doc.kind] = doc.value
    return values


def _document_date(value: dict, rule: dict | None) -> dt.date | None:
    """The date a document is judged as of, by its schema's `x-iompolicy-date` rule."""
    if not rule:
        return None
    if "field" in rule:
        return date_of(value.get(rule["field"]))
    year = value.get(rule.get("year", ""))
    if type(year) is int and 1 <= year <= 9999:
        return dt.date(year, 12, 31)
    return None


# ---- evaluating one clause -------------------------------------------------------------------

def _evaluate(compiled: CompiledClause, env: Env, doc: Document, as_of: dt.date | None) -> ClauseResult:
    env.locals.clear()
    if compiled.start is not None or compiled.until is not None:
        window = _window(compiled, as_of)
        if window is not None:
            outcome, reason = window
            return ClauseResult(compiled.info, outcome, reason, reason)
    undecided_guard = None
    for guard in compiled.guards:
        try:
            if not guard(env):
                return compiled.not_applicable
        except Undecided as undecided:
            undecided_guard = undecided_guard or undecided
    if undecided_guard is not None:
        return _explain(compiled, env, doc, Outcome.UNDECIDED, compiled.clause.guards)
    failed, undecided_require = False, False
    for requirement in compiled.requires:
        try:
            if not requirement(env):
                failed = True
        except Undecided:
            undecided_require = True
    if failed:
        return _explain(compiled, env, doc, Outcome.FAIL, compiled.clause.requires)
    if undecided_require:
        return _explain(compiled, env, doc, Outcome.UNDECIDED, compiled.clause.requires)
    return compiled.passed


def _evaluate_traced(compiled: CompiledClause, env: Env, doc: Document, as_of: dt.date | None) -> ClauseResult:
    """Like `_evaluate`, but every condition is decided by the tracer."""
    window = _window(compiled, as_of)
    if window is not None:
        outcome, reason = window
        return ClauseResult(compiled.info, outcome, reason, reason)
    guards = _traced_truths(compiled, env, compiled.clause.guards)
    if False in guards:
        return compiled.not_applicable
    if None in guards:
        return _explain(compiled, env, doc, Outcome.UNDECIDED, compiled.clause.guards)
    requires = _traced_truths(compiled, env, compiled.clause.requires)
    if False in requires:
        return _explain(compiled, env, doc, Outcome.FAIL, compiled.clause.requires)
    if None in requires:
        return _explain(compiled, env, doc, Outcome.UNDECIDED, compiled.clause.requires)
    return compiled.passed


def _traced_truths(compiled: CompiledClause, env: Env, conditions) -> list[bool | None]:
    from .evaluation.explain import Tracer

    tracer = Tracer(env.doc, env.data, compiled.bindings)
    truths = []
    for condition in conditions:
        try:
            truths.append(tracer.condition(condition).value)
        except Undecided:
            truths.append(None)
    return truths


def _window(compiled: CompiledClause, as_of: dt.date | None):
    """NOT_APPLICABLE (or ERROR without a date) outside the clause's effective dates."""
    start, until = compiled.start, compiled.until
    if start is None and until is None:
        return None
    if as_of is None:
        return Outcome.UNDECIDED, "the document's date is not known, and this clause is in force only " + _span_words(start, until)
    if start is not None and as_of < start:
        return Outcome.NOT_APPLICABLE, f"in force from {start}; document dated {as_of}"
    if until is not None and as_of > until:
        return Outcome.NOT_APPLICABLE, f"in force until {until}; document dated {as_of}"
    return None


def _span_words(start, until) -> str:
    return " and ".join(filter(None, (start and f"from {start}", until and f"until {until}")))


def _explain(compiled: CompiledClause, env: Env, doc: Document, outcome: Outcome, conditions) -> ClauseResult:
    """A failed or undecided result, explained by the tracer when first read."""
    return ClauseResult(compiled.info, outcome, deferred=lambda: _trace(compiled, env, doc, outcome, conditions))


def _trace(compiled: CompiledClause, env: Env, doc: Document, outcome: Outcome, conditions):
    """Re-run the deciding conditions with the tracer: (message, explanation, location)."""
    from .evaluation.explain import Tracer

    tracer = Tracer(env.doc, env.data, compiled.bindings)
    lines, reasons, location_path = [], [], None
    for condition in conditions:
        tracer.reads.clear()
        try:
            traced = tracer.condition(condition)
        except Undecided as undecided:
            reasons.append(undecided.reason)
            lines.append(f"could not decide `{unparse(condition)}`: {undecided.reason}")
            location_path = location_path or undecided.path
            continue
        if outcome is Outcome.FAIL and traced.value is False:
            lines.append(traced.text)
            location_path = location_path or (tracer.reads[0] if tracer.reads else None)
    if outcome is Outcome.FAIL:
        lines = [line for line in lines if not line.startswith("could not decide")]
    lines.extend(f"where {note}" for note in tracer.notes)
    explanation = "\n".join(lines)
    if outcome is Outcome.UNDECIDED:
        message = reasons[0] if reasons else "could not be decided"
    else:
        message = _message(compiled, env) or compiled.clause.title
    return message, explanation, _location(doc, location_path)


def _message(compiled: CompiledClause, env: Env) -> str:
    parts = []
    for part in compiled.message:
        if isinstance(part, str):
            parts.append(part)
            continue
        closure, node = part
        try:
            value = closure(env)
            parts.append(value if isinstance(value, str) else format_value(value))  # text reads as text
        except Undecided:
            parts.append(f"<{unparse(node)}: undecided>")
    return "".join(parts)


def _location(doc: Document, path: str | None) -> Location:
    if path is None:
        return NOWHERE
    position = doc.position(path)
    return Location(path, *(position or (None, None)))
