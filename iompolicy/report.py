"""Results: one `ClauseResult` per clause considered, gathered in a `Report`."""

from __future__ import annotations

from enum import Enum

from .records import Record

_new_object = object.__new__


class Outcome(str, Enum):
    """What a clause came to for one document. Never folded into one another."""

    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"
    UNDECIDED = "error"  # could not be decided; "error" on the wire, which other systems key on
    WAIVED = "waived"  # failed, but a valid waiver covers it
    INVALID = "invalid"  # a document's outcome only: it could not be read, or does not match its schema

    def __str__(self) -> str:
        return self._value_


class Location(Record, fields="path line column", defaults=(None, None, None)):
    """Where in the input a result points: a JSON path and, when known, line and column."""

    __slots__ = ()

    def to_dict(self) -> dict:
        return {"path": self.path, "line": self.line, "column": self.column}


NOWHERE = Location()

CLAUSE_OUTCOMES = tuple(o for o in Outcome if o is not Outcome.INVALID)  # what a clause can come to
# Where a report is built, outcomes are these constants, and `_value_` is read rather than
# `value`: in Python 3.11 an Enum's member read from its class, and its `value`, each run Python code.
_PASS, _FAIL, _NOT_APPLICABLE = Outcome.PASS, Outcome.FAIL, Outcome.NOT_APPLICABLE
_UNDECIDED, _WAIVED, _INVALID = Outcome.UNDECIDED, Outcome.WAIVED, Outcome.INVALID


class ClauseInfo(Record, fields="clause cite title quote severity policy policy_version "
                 "clause_source note readings", defaults=(None,)):
    """What a result says about its clause; one shared object per clause. `severity` is
    "error" or "warning"; `clause_source` is the clause's `file:line:col` in its policy
    file; `policy_version` and `note` may be None. `readings` is None, or for a clause
    that reads parameters a tuple of (parameter, reading, whether it is the default)."""

    __slots__ = ()


class WaiverNote(Record, fields="id reason approved_by decision granted expires applied"):
    """The waiver that covered a failed clause (`applied`), or one that matched but could
    not (`applied` False: expired, or not yet granted). Dates are ISO text."""

    __slots__ = ()

    def to_dict(self) -> dict:
        return self._asdict()

    def describe(self) -> str:
        state = "waived" if self.applied else f"waiver {self.id} does not apply: in force {self.granted} to {self.expires}"
        if self.applied:
            return (f"waived by {self.id} until {self.expires}: {self.reason} "
                    f"(approved by {self.approved_by}, {self.decision})")
        return state


class ClauseResult:
    """The verdict of one clause on one document, with everything that explains it.

    Immutable. Results are built for every clause of every document, so they are
    cheap: the clause's own facts are shared (`info`, reached through the
    properties below), and a failed clause's explanation, message and location
    are worked out by the tracer the first time one of them is read (`deferred`),
    so a caller that only counts outcomes does not pay for explanations.
    """

    __slots__ = ("info", "outcome", "waiver", "_message", "_explanation", "_location", "_deferred", "_fix",
                 "_find_fix", "_missing")

    def __new__(cls, info: ClauseInfo, outcome: Outcome, message: str = "", explanation: str = "",
                location: Location = NOWHERE, waiver: WaiverNote | None = None, deferred=None, fix=None,
                find_fix=None, missing: tuple = ()):
        # `deferred`: () -> (message, explanation, location, missing), worked out when first read;
        # `find_fix`: () -> Fix | None, for a failed clause. Either may be a tuple (function,
        # *arguments) instead: cheaper to make than a closure, for the code that makes one
        # for every failed clause. `find_fix` may be FIX_FROM_DEFERRED: `deferred` is then a
        # tuple whose function has a `fix` method taking the same arguments (one tuple, not two).
        return clause_result(info, outcome, message, explanation, location, waiver, deferred, fix, find_fix, missing)

    def __setattr__(self, name, value):
        raise AttributeError("ClauseResult is immutable")

    def _resolve(self) -> None:
        deferred = self._deferred
        if deferred is not None:
            message, explanation, location, missing = _call(deferred)
            object.__setattr__(self, "_missing", missing)
            object.__setattr__(self, "_message", message)
            object.__setattr__(self, "_explanation", explanation)
            object.__setattr__(self, "_location", location)
            if self._find_fix is FIX_FROM_DEFERRED:  # the fix, not read yet, still needs the arguments
                object.__setattr__(self, "_find_fix", _fix_of(deferred))
            object.__setattr__(self, "_deferred", None)

    @property
    def message(self) -> str:
        """A one-line message: the clause's template with values, or why it was undecided."""
        self._resolve()
        return self._message

    @property
    def explanation(self) -> str:
        """The conditions that decided the result, with their values (may span lines)."""
        self._resolve()
        return self._explanation

    @property
    def location(self) -> Location:
        """The JSON path (and line and column) of the field that decided the result."""
        self._resolve()
        return self._location

    @property
    def missing(self) -> tuple:
        """For an undecided result: the distinct facts it lacks (`evaluation.missing.MissingFact`:
        a field of the document, or an entry of reference data), in the order met; else ()."""
        self._resolve()
        return self._missing

    @property
    def fix(self):
        """What would make a failed clause pass (`iompolicy.evaluation.headroom.Fix`), or None."""
        find = self._find_fix
        if find is FIX_FROM_DEFERRED:
            deferred = self._deferred
            # None: another thread's `_resolve` cleared it, having put the fix's own work first
            find = _fix_of(deferred) if deferred is not None else self._find_fix
        if find is not None:  # (None: another thread found the fix meanwhile)
            object.__setattr__(self, "_fix", _call(find))
            object.__setattr__(self, "_find_fix", None)
        return self._fix

    def replace(self, **changes) -> "ClauseResult":
        """A copy with some fields changed."""
        values = {"info": self.info, "outcome": self.outcome, "message": self.message,
                  "explanation": self.explanation, "location": self.location, "waiver": self.waiver,
                  "fix": self.fix, "missing": self.missing}
        values.update(changes)
        return ClauseResult(**values)

    def _values(self) -> tuple:
        return (self.info, self.outcome, self.message, self.explanation, self.location, self.waiver)

    def __eq__(self, other) -> bool:
        return isinstance(other, ClauseResult) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        return f"ClauseResult({self.info.clause!r}, {self.outcome.value!r}, message={self.message!r})"

    def __reduce__(self):
        return (_rebuild_result, (*self._values(), self.fix, self.missing))

    clause = property(lambda self: self.info.clause, doc="The clause id.")
    cite = property(lambda self: self.info.cite, doc="The provision of the Strategy the clause encodes.")
    title = property(lambda self: self.info.title, doc="The clause's title.")
    quote = property(lambda self: self.info.quote, doc="The sentence of the Strategy it encodes.")
    severity = property(lambda self: self.info.severity, doc="`error` (must) or `warning` (should).")
    policy = property(lambda self: self.info.policy, doc="The id of the policy holding the clause.")
    policy_version = property(lambda self: self.info.policy_version, doc="That policy's version.")
    clause_source = property(lambda self: self.info.clause_source, doc="file:line:col of the clause.")
    note = property(lambda self: self.info.note, doc="How an ambiguous sentence was read.")

    @property
    def readings(self) -> dict[str, str] | None:
        """The reading of each parameter the clause reads (`{name: value}`), or None when it reads none."""
        found = self.info.readings
        return {name: value for name, value, _ in found} if found else None

    def to_dict(self) -> dict:
        """The JSON shape of a result (the names are a contract; see schemas/report.schema.json)."""
        info = self.info
        return {
            "clause": info.clause,
            "cite": info.cite,
            "title": info.title,
            "severity": info.severity,
            "outcome": self.outcome._value_,
            "message": self.message,
            "explanation": self.explanation,
            "location": self.location.to_dict(),
            "quote": info.quote,
            "note": info.note,
            "policy": info.policy,
            "policy_version": info.policy_version,
            "clause_source": info.clause_source,
            "waiver": self.waiver.to_dict() if self.waiver else None,
            "fix": self.fix.to_dict() if self.fix else None,
            **({"missing": [fact.to_dict() for fact in self.missing]} if self.outcome is _UNDECIDED else {}),
            **({"readings": self.readings} if self.info.readings else {}),
        }


def readings_line(results) -> str | None:
    """`cap_lines = both_lines (default), ...`: the readings that judged these results
    (those of clauses that applied), or None when no such clause reads a parameter."""
    found: dict[str, tuple[str, bool]] = {}
    for result in results:
        if result.info.readings and result.outcome is not _NOT_APPLICABLE:
            for name, value, default in result.info.readings:
                found.setdefault(name, (value, default))
    if not found:
        return None
    return ", ".join(f"{name} = {value}" + (" (default)" if default else " (chosen)")
                     for name, (value, default) in found.items())


class _Writable(ClauseResult):
    """The same slots, assignable: a ClauseResult while `clause_result` fills it in."""

    __slots__ = ()
    __setattr__ = object.__setattr__


def clause_result(info: ClauseInfo, outcome: Outcome, message: str, explanation: str, location: Location,
                  waiver: WaiverNote | None, deferred, fix, find_fix, missing: tuple) -> ClauseResult:
    """`ClauseResult(...)` with every argument given by position: the way code that builds a
    result for every failed clause builds one (about half the cost of the class call)."""
    result = _new_object(_Writable)  # plain slot assignments, then immutable: ten `object.__setattr__` cost 3x
    result.info, result.outcome, result.waiver = info, outcome, waiver
    result._message, result._explanation, result._location = message, explanation, location
    result._deferred, result._find_fix = deferred, find_fix
    result._missing, result._fix = missing, fix
    result.__class__ = ClauseResult  # only ClauseResult itself is built (no subclass adds slots)
    return result


def _call(later):
    """Call a deferred piece of work: a function, or a tuple (function, *arguments)."""
    return later[0](*later[1:]) if type(later) is tuple else later()


class _FixFromDeferred:
    __slots__ = ()

    def __repr__(self) -> str:
        return "FIX_FROM_DEFERRED"


FIX_FROM_DEFERRED = _FixFromDeferred()  # a `find_fix`: the fix is `deferred`'s function's `fix`


def _fix_of(deferred: tuple) -> tuple:
    """The fix's work of a deferred tuple (worker, *arguments): (worker.fix, *arguments)."""
    return (deferred[0].fix, *deferred[1:])


def _rebuild_result(info, outcome, message, explanation, location, waiver, fix=None, missing=()) -> ClauseResult:
    return ClauseResult(info, outcome, message, explanation, location, waiver, fix=fix, missing=missing)


_WORST_FIRST = (_UNDECIDED, _FAIL, _WAIVED, _PASS, _NOT_APPLICABLE)
_CLAUSE_OUTCOME_TEXTS = tuple(o._value_ for o in CLAUSE_OUTCOMES)


class Report(Record, fields="path kind id as_of results notices problems", defaults=((), ())):
    """Every clause's result for one document, in policy order: the document's `path`
    and `id` (each None when it has none), its `kind`, the date it was judged `as_of`
    (None when it has no date), the tuple of `ClauseResult`s, and `notices` (text).

    An input that could not be checked (not readable, not YAML or JSON, no known
    kind, not of its kind's schema) has a report too, with no results and its
    `problems` (documents.Problem): every input is in every report."""

    __slots__ = ()

    @classmethod
    def invalid(cls, path: str, problems, kind: str | None = None, id: str | None = None) -> "Report":
        """The report of an input that could not be checked."""
        return cls(path, kind, id, None, (), (), tuple(problems))

    @property
    def outcome(self) -> Outcome:
        """`invalid` if the document could not be checked, else `error` if any clause
        erred, else `fail` if any failed, else `waived` if a failure was waived, else
        `pass` (a document no clause applied to is `not_applicable`)."""
        if self.problems:
            return _INVALID
        present = {r.outcome for r in self.results}
        for outcome in _WORST_FIRST:
            if outcome in present:
                return outcome
        return _NOT_APPLICABLE

    def counts(self) -> dict[str, int]:
        """How many results had each outcome."""
        totals = dict.fromkeys(_CLAUSE_OUTCOME_TEXTS, 0)
        for result in self.results:
            totals[result.outcome._value_] += 1
        return totals

    def failed(self, level: str = "error") -> list[ClauseResult]:
        """Results that fail the run at `level` (`error`: must-clauses only;
        `warning`: should-clauses too). An `error` outcome counts as a failure."""
        severities = failing_severities(level)
        return [r for r in self.results
                if (r.outcome is _FAIL or r.outcome is _UNDECIDED) and r.severity in severities]

    def to_dict(self, results: bool = True) -> dict:
        """The JSON shape of a document's report (`results=False`: None in place of the list
        of results, for a writer that writes their text itself)."""
        return {
            "path": self.path,
            "kind": self.kind,
            "id": self.id,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "outcome": self.outcome._value_,
            "counts": self.counts(),
            "notices": list(self.notices),
            "results": [r.to_dict() for r in self.results] if results else None,
            "problems": [problem_dict(p) for p in self.problems],
        }


def failing_severities(level: str) -> frozenset:
    """The severities whose failed (or undecided) results fail a run at `level` (--fail-on)."""
    return _MUST_ONLY if level == "error" else _MUST_AND_SHOULD


_MUST_ONLY, _MUST_AND_SHOULD = frozenset({"error"}), frozenset({"error", "warning"})


def problem_dict(problem) -> dict:
    """The JSON shape of a documents.Problem (what is wrong with an input, and where)."""
    return {"file": problem.file, "line": problem.line, "column": problem.column, "path": problem.path,
            "message": problem.message, "hint": problem.hint, "code": problem.code}
