"""A kind's generated function as the policy cache keeps it, and put back from there.

Writing and compiling the function of a kind's clauses (`codegen.generate`) takes about
as long as checking a few hundred documents: 9 ms for the eight rules of the benchmark,
35 ms for the shipped proposal clauses. A run that reached the warm-up keeps what it
wrote, so the next run over the same policies puts it back instead (under 1 ms).

What is kept is the function's compiled code, the source (for `compiled_source`), and
what each name of its namespace stands for: one of the clauses' own objects (by clause
and role), a built-in function (by name), or a value written in the policies (a number,
a text, a date, a list of them). A namespace holding anything else is not kept: that
function is written again on each run, as before. A kept function is put back only for
the same clauses (by id, in order) under the same readings of the parameters.

The code comes from the policy cache, which is read only from a folder that is its
owner's alone (see `iompolicy.cache`): the same trust as its pickles, whose classes
are code too.
"""

from __future__ import annotations

import datetime as dt
import marshal
from binascii import crc32
from decimal import Decimal
from functools import lru_cache
from types import FunctionType

from . import codegen
from .clause import FAIL, OUTSIDE_DATES, UNDECIDED_GUARD, UNDECIDED_REQUIRE
from .codegen import HELPERS, Program
from .functions import FUNCTIONS

# The names bound to a clause's own objects: `C3` is clause 3, `P3` its passed result, ...
_ROLES = {"C": None, "P": "passed", "N": "not_applicable", "O": "outside"}
_KEPT_VALUES = (str, int, bool, type(None), Decimal, dt.date)


@lru_cache(maxsize=1)
def generator() -> str:
    """A checksum of the code generator's source and of the outcome codes it spells into the
    functions it writes (`clause.decided`'s), for the name of a kept function's entry: a
    function written by another generator (a development checkout, edited) is not put back."""
    spelled = repr((FAIL, OUTSIDE_DATES, UNDECIDED_GUARD, UNDECIDED_REQUIRE)).encode()
    try:
        with open(codegen.__file__, "rb") as stream:
            return f"{crc32(stream.read() + spelled):08x}"
    except OSError:  # no source beside the package (a zip, say): its version and the cache format decide
        return f"nosource-{crc32(spelled):08x}"


def stored_form(program: Program, clauses, readings: dict) -> tuple | None:
    """What the cache keeps of `program`, written for `clauses` (`CompiledClause`s, in
    order) under `readings`; None when a name stands for something that cannot be kept."""
    judge = program.judge
    builtin_names = {id(function): name for name, function in FUNCTIONS.items()}  # both live as long as the process
    bound = {}
    for name, value in judge.__globals__.items():
        if name == "__builtins__" or name == judge.__name__ or (name in HELPERS and HELPERS[name] is value):
            continue
        role = _clause_role(name, value, clauses)
        if role is not None:
            bound[name] = ("clause", role)
        elif id(value) in builtin_names:
            bound[name] = ("builtin", builtin_names[id(value)])
        elif _keepable(value):
            bound[name] = ("value", value)
        else:
            return None
    return (tuple(c.clause.id for c in clauses), tuple(sorted(readings.items())), judge.__name__,
            marshal.dumps(judge.__code__), judge.__defaults__, program.source, dict(program.names), bound)


def restored(form, clauses, readings: dict) -> Program | None:
    """The Program kept as `form`, its names bound again to `clauses`' own objects; None
    when it was written for other clauses or other readings (or is not a form at all)."""
    try:
        ids, kept_readings, name, code, defaults, source, names, bound = form
    except (TypeError, ValueError):
        return None
    if ids != tuple(c.clause.id for c in clauses) or kept_readings != tuple(sorted(readings.items())):
        return None
    namespace = dict(HELPERS)
    try:
        for key, (how, what) in bound.items():
            if how == "clause":
                stem, index = what
                compiled = clauses[index]
                namespace[key] = compiled if _ROLES[stem] is None else getattr(compiled, _ROLES[stem])
            elif how == "builtin":
                namespace[key] = FUNCTIONS[what]
            else:
                namespace[key] = what
        return Program(source, names, FunctionType(marshal.loads(code), namespace, name, defaults))
    except Exception:  # a damaged entry, as the cache's others: ignored, and the function written again
        return None


def _clause_role(name: str, value, clauses) -> tuple[str, int] | None:
    """(`C`, 3) when `name` is `C3` and stands for clause 3 itself (`P3` its passed result, ...)."""
    stem, number = name[:1], name[1:]
    if stem not in _ROLES or not number.isdigit() or int(number) >= len(clauses):
        return None
    compiled = clauses[int(number)]
    expected = compiled if _ROLES[stem] is None else getattr(compiled, _ROLES[stem])
    return (stem, int(number)) if value is expected else None


def _keepable(value) -> bool:
    """A value the cache can keep and give back equal: a scalar, or a list or tuple of them
    (a policy's list literal). Not `MISSING` and the like, whose identity is their meaning."""
    if type(value) in (list, tuple, frozenset):
        return all(_keepable(item) for item in value)
    return type(value) in _KEPT_VALUES
