"""One clause, compiled and evaluated: the per-clause loop of a check.

`compile_file` turns a checked policy file into `CompiledClause`s (closures from the
compiler, plus what the explaining evaluator needs). `evaluate` decides a clause with the
closures: outside its effective dates it does not apply (or is undecided without a date),
a false guard makes it not applicable, then its requirements pass, fail or are undecided.
A failed or undecided result is explained lazily by re-running the deciding conditions
through `explain.Tracer`. `evaluate_traced` decides every condition with the tracer (the
conformance suite runs both and requires the same outcomes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from ..documents import Document
from ..language import syntax as n
from ..language.parameters import parameters_read
from ..language.source import Diagnostic
from ..records import Record
from ..report import FIX_FROM_DEFERRED, NOWHERE, ClauseInfo, ClauseResult, Location, Outcome, clause_result
from ..values import Undecided, format_value
from .compiler import Bindings, Env, compile_binding, compile_condition, compile_expr

_FAILED, _UNDECIDED = Outcome.FAIL, Outcome.UNDECIDED  # a class attribute of an Enum costs a call to read


# A clause's outcome as the generated code (`codegen`) works it out: a small int per clause,
# turned into its result object by `decided` (the first two are the clause's shared results).
PASS, NOT_APPLICABLE, FAIL, UNDECIDED_GUARD, UNDECIDED_REQUIRE, OUTSIDE_DATES = range(6)


class SolverCache:
    """What working out one clause's fixes (`headroom`) finds once for every document: the
    `shape` of its expressions (found by `headroom` on the first fix; None until then),
    and for each of its conditions (with the variables in scope) its compiled closure and
    the work a reading of it takes, when that is fixed."""

    __slots__ = ("shape", "conditions")

    def __init__(self):
        self.shape: tuple | None = None
        self.conditions: dict[tuple, tuple] = {}


class CompiledClause(Record, fields="clause header bindings guards requires message start until "
                     "info not_applicable passed scope outside solving"):
    """A clause (`n.Clause`, with its policy's `n.PolicyHeader`) with its closures and what
    is needed to explain it: `bindings` by name (for the tracer); the compiled `guards` and
    `requires`; the `message` template's parts (text, or a compiled closure); the dates it
    is in force from (`start`) and `until` (each None when open); its `ClauseInfo`; and the
    results it gives, always the same ones, when a guard is false (`not_applicable`) and
    when it `passed`; `scope`, the compiled `Bindings` its conditions read (for `codegen`);
    `outside`, its results outside its effective dates by document date (made when first met);
    `solving`, what working out its fixes finds once for every document (a `SolverCache`)."""

    __slots__ = ()

    @property
    def id(self) -> str:
        return self.clause.id


def compile_file(policy_file: n.PolicyFile, readings: Mapping[str, str] | None = None,
                 defaults: Mapping[str, str] | None = None) -> list[CompiledClause]:
    """Compile a policy file's bindings and clauses into closures, once per policy set, under
    `readings` (every parameter's value: a constant binding `param.NAME` each). A clause that
    reads a parameter records its reading in its `ClauseInfo`, marked when it is the
    default (`defaults`)."""
    readings = readings or {}
    file_bindings = Bindings.of_readings(readings)
    by_name: dict[str, n.Binding] = {binding.name: binding for binding, _ in file_bindings.table.values()}
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
        read = tuple((name, readings[name], (defaults or {}).get(name) == readings[name])
                     for name in parameters_read(clause, by_name) if name in readings)
        info = ClauseInfo(clause.id, clause.cite, clause.title, clause.quote, clause.severity, header.id,
                          header.version, str(clause.span) if clause.span else "", clause.note, read or None)
        guards = " and ".join(n.source_text(g) for g in clause.guards)
        reason = f"does not apply: `{guards}` is false"
        compiled.append(CompiledClause(
            clause, header, visible,
            tuple(compile_condition(g, scope) for g in clause.guards),
            tuple(compile_condition(r, scope) for r in clause.requires),
            message, max(starts, default=None), min(untils, default=None),
            info, ClauseResult(info, Outcome.NOT_APPLICABLE, reason, reason), ClauseResult(info, Outcome.PASS),
            scope, {}, SolverCache(),
        ))
    return compiled


def check_constants(files: list[n.PolicyFile]) -> list[Diagnostic]:
    """A `const` must have a value: `1 / 0` is found when the policy loads."""
    problems = []
    defaults = {p.name: p.default for policy_file in files for p in policy_file.parameters}
    for policy_file in files:
        scope = Bindings.of_readings(defaults)  # `let`s that read a parameter are compiled too
        for binding in policy_file.bindings:
            try:
                scope.add(binding, compile_binding(binding, scope))
            except Undecided as undecided:
                problems.append(Diagnostic("bad_const", f"`{binding.name}` has no value: {undecided.reason}", binding.span))
                scope.add(binding, _raising(undecided))  # later constants that use it are reported too
    return problems


def _raising(undecided: Undecided):
    def closure(env):
        raise undecided

    return closure


def evaluate(compiled: CompiledClause, env: Env, doc: Document, as_of: dt.date | None, valid=None) -> ClauseResult:
    """One clause's result for one document: its window, its guards, then its requirements,
    with the compiled closures; a failed or undecided clause is explained when read."""
    env.locals.clear()
    if compiled.start is not None or compiled.until is not None:
        window = _window(compiled, as_of)
        if window is not None:
            outcome, reason = window
            return ClauseResult(compiled.info, outcome, reason, reason)
    undecided_guard = False
    for guard in compiled.guards:
        try:
            if not guard(env):
                return compiled.not_applicable
        except Undecided:
            undecided_guard = True
    if undecided_guard:
        return _explain(compiled, env, doc, Outcome.UNDECIDED, compiled.clause.guards)
    failed, undecided_require = False, False
    for requirement in compiled.requires:
        try:
            if not requirement(env):
                failed = True
        except Undecided:
            undecided_require = True
    if failed:
        return _explain(compiled, env, doc, Outcome.FAIL, compiled.clause.requires, valid)
    if undecided_require:
        return _explain(compiled, env, doc, Outcome.UNDECIDED, compiled.clause.requires)
    return compiled.passed


def decided(compiled: CompiledClause, code: int, doc: Document | dict, data: dict, as_of: dt.date | None,
            sources: dict | None = None, valid=None) -> ClauseResult:
    """The result of a clause the generated code (`codegen`) found failed (code FAIL),
    undecided (UNDECIDED_GUARD, UNDECIDED_REQUIRE) or outside its dates (OUTSIDE_DATES);
    failed and undecided ones are explained when read, as `evaluate`'s are (`sources`: the
    file each reference-data set came from, for the explanation); a failed one gets its fix
    when read (`valid`: the kind's schema, as for `evaluate`)."""
    if code == OUTSIDE_DATES:  # the same result for every document of that date: made once
        known = compiled.outside.get(as_of)
        if known is None:
            outcome, reason = _window(compiled, as_of)
            if len(compiled.outside) >= 4096:
                compiled.outside.clear()
            known = compiled.outside[as_of] = ClauseResult(compiled.info, outcome, reason, reason)
        return known
    if code == FAIL:
        outcome, conditions = _FAILED, compiled.clause.requires
    else:
        conditions = compiled.clause.guards if code == UNDECIDED_GUARD else compiled.clause.requires
        outcome = _UNDECIDED

    # one tuple (worker, *arguments) for the explanation and the fix, not closures: made for every
    # failed clause, it costs a tenth as much (and one object fewer for the garbage collector)
    return clause_result(compiled.info, outcome, "", "", NOWHERE, None,
                         (_EXPLAINED, compiled, doc, data, sources, outcome, conditions, valid), None,
                         FIX_FROM_DEFERRED if outcome is _FAILED else None, ())


class _Explained:
    """`decided`'s explanation and fix, when read: the Document and the closures' Env are
    made only then."""

    __slots__ = ()

    def __call__(self, compiled: CompiledClause, doc: Document | dict, data: dict, sources, outcome: Outcome,
                 conditions, valid):
        document = _document(doc)
        return _trace(compiled, Env(document.value, data, sources), document, outcome, conditions)

    def fix(self, compiled: CompiledClause, doc: Document | dict, data: dict, sources, outcome: Outcome,
            conditions, valid):
        document = _document(doc)
        return _fix(compiled, Env(document.value, data, sources), document, valid)


def _document(doc: Document | dict) -> Document:
    return doc if isinstance(doc, Document) else Document(doc)


_EXPLAINED = _Explained()


def evaluate_traced(compiled: CompiledClause, env: Env, doc: Document, as_of: dt.date | None,
                    valid=None) -> ClauseResult:
    """Like `evaluate`, but every condition is decided by the tracer."""
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
        return _explain(compiled, env, doc, Outcome.FAIL, compiled.clause.requires, valid)
    if None in requires:
        return _explain(compiled, env, doc, Outcome.UNDECIDED, compiled.clause.requires)
    return compiled.passed


def _traced_truths(compiled: CompiledClause, env: Env, conditions) -> list[bool | None]:
    from .explain import Tracer

    tracer = Tracer(env.doc, env.data, compiled.bindings, env.sources, compiled.scope.defined)
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


def _explain(compiled: CompiledClause, env: Env, doc: Document, outcome: Outcome, conditions,
             valid=None) -> ClauseResult:
    """A failed or undecided result, explained by the tracer when first read; a failed one
    also gets its fix (headroom) when first read. `valid(value)` is the kind's schema."""
    find_fix = (lambda: _fix(compiled, env, doc, valid)) if outcome is Outcome.FAIL else None
    return ClauseResult(compiled.info, outcome, deferred=lambda: _trace(compiled, env, doc, outcome, conditions),
                        find_fix=find_fix)


def _fix(compiled: CompiledClause, env: Env, doc: Document, valid):
    """The fix (headroom) of a failed clause, with the edit of its one scalar in the document's text."""
    from .headroom import headroom

    clause = compiled.clause
    fix = headroom(clause.requires, clause.guards, env.doc, env.data, compiled.bindings, clause.note, valid,
                   compiled.scope, compiled.solving)
    return fix.with_replacement(doc) if fix is not None else None


def _trace(compiled: CompiledClause, env: Env, doc: Document, outcome: Outcome, conditions):
    """Re-run the deciding conditions with the tracer: (message, explanation, location, and
    for an undecided result the distinct facts it lacks)."""
    from .explain import Tracer

    tracer = Tracer(env.doc, env.data, compiled.bindings, env.sources, compiled.scope.defined)
    failed, undecided, location_path = [], [], None  # (condition, traced text) and (condition, Undecided)
    for condition in conditions:
        tracer.reads.clear()
        try:
            traced = tracer.condition(condition)
        except Undecided as reason:
            undecided.append((condition, reason.kept()))  # see `values.Undecided`
            if outcome is Outcome.UNDECIDED:
                location_path = location_path or reason.path
            continue
        if outcome is Outcome.FAIL and traced.value is False:
            failed.append(traced.text)
            location_path = location_path or (tracer.reads[0] if tracer.reads else None)
    reasons = [reason.why_missing or reason.reason for _, reason in undecided]
    if outcome is Outcome.FAIL:  # a failed clause is explained by what failed, not by what could not be decided
        lines = failed
    else:
        lines = [f"could not decide `{n.source_text(condition)}`: {_reason(reason)}" for condition, reason in undecided]
    lines.extend(f"where {note}" for note in tracer.notes)
    explanation = "\n".join(lines)
    missing = ()
    if outcome is Outcome.UNDECIDED:
        message = reasons[0] if reasons else "could not be decided"
        facts = [fact for _, r in undecided for fact in (r.fact, *r.others) if fact is not None]
        missing = tuple({fact.key: fact for fact in facts}.values())
    else:
        message = _message(compiled, env) or compiled.clause.title
    return message, explanation, _location(doc, location_path), missing


def _reason(undecided) -> str:
    """Why a condition was undecided: what was missing and, when the tracer found it, why."""
    if undecided.why_missing:
        return f"{undecided.reason}, as {undecided.why_missing}"
    return undecided.reason


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
            parts.append(f"<{n.source_text(node)}: undecided>")
    return "".join(parts)


def _location(doc: Document, path: str | None) -> Location:
    if path is None:
        return NOWHERE
    position = doc.position(path)
    return Location(path, *(position or (None, None)))
