"""The hot path as generated Python: a kind's clauses decided by one straight-line function.

The compiler's closures call closures, a Python call per node. This module writes, for the
clauses of one kind of document, the source of one function that decides them all, with a
local variable for each value read, compiles it once, and keeps it with the policy set.

What keeps it safe: the source is built from the checked syntax tree only. A value written
in a policy (a number, a text, a field's name, the text shown in messages) is never spelled
into the source; it is bound to a name of the function's namespace (`K1`, `F_funding`,
`W3`), and a name of the language becomes a Python name only after it matched an
identifier's pattern (`let_lead`). The one exception is a comparison with `true` or
`false`, written as Python's `True` or `False`: a keyword chosen by the value's class.
Documents are read only when the function runs.

What keeps it right: the semantics are those of `compiler`. The code takes a fast path
only where the compiler does (two numbers or two texts compared directly, a sum of two
ints, a field of a dict) and otherwise calls the very functions of `operations` and
`functions`. A condition comes to True, False or None (undecided), and `and`/`or` follow
the three-valued table; a `let` is computed where it is first read and kept for the
document. Each clause's outcome is a small int, turned into its result at the end: a
pass or a "does not apply" is the clause's one shared result, a failed or undecided
clause is explained later by the tracer (see `clause.decided`). The conformance suite
runs every case through this, the closures and the tracer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from decimal import Decimal

from ..language import syntax as n
from ..language.parameters import PREFIX
from ..language.unparse import unparse
from ..stopping import Stopped
from ..values import MISSING, Undecided, json_text
from . import operations as op
from .clause import FAIL, OUTSIDE_DATES, UNDECIDED_GUARD, UNDECIDED_REQUIRE, decided
from .compiler import Env
from .functions import FUNCTIONS, finish_aggregate


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,40}\Z")
_OPERATORS = {"==": "OP_EQ", "!=": "OP_NE", "<": "OP_LT", "<=": "OP_LE", ">": "OP_GT", ">=": "OP_GE"}
_ARITHMETIC = {"+": "OP_ADD", "-": "OP_SUB", "*": "OP_MUL", "/": "OP_DIV"}
# The compiler's fast path of `_compare`: pairs of these classes compare directly.
_SAME_KIND = {int: 1, Decimal: 1, str: 2}
_EQUALITY_KIND = {**_SAME_KIND, bool: 3, type(None): 4}
_LOOPING = frozenset({"sum", "max", "min"})  # built-ins that read every item of a list
_BOOLEAN = (n.Compare, n.Membership, n.Presence, n.And, n.Or, n.Not, n.Quantified)


class Program:
    """One kind's clauses as a generated function: `source` (readable Python), `names` (what
    each name of its namespace stands for, as shown by `listing`), and `judge`."""

    __slots__ = ("source", "names", "judge")

    def __init__(self, source: str, names: dict, judge):
        self.source = source
        self.names = names
        self.judge = judge  # (doc value, data, as_of, stop flag, Document or dict, data sources, schema check) -> ClauseResults

    def listing(self) -> str:
        """The source with the values its names stand for, for a reader (`iompolicy compiled`)."""
        shown = [f"# {name} = {_comment(text)}" for name, text in self.names.items()]
        return "\n".join(shown) + "\n\n" + self.source


def generate(clauses, kind: str) -> Program:
    """The Program deciding `clauses` (`CompiledClause`s of one kind, in policy order)."""
    # A first pass finds the fields read more than once (each is read once, first) and the
    # conditions written alike in more than one place (each is decided once, where first met).
    counting = Writer()
    counting.namespace.update(HELPERS)
    for index, compiled in enumerate(clauses):
        counting.clause(index, compiled)
    writer = Writer(frozenset(name for name, count in counting.reads.items() if count > 1),
                    frozenset(key for key, count in counting.conditions.items() if count > 1))
    writer.namespace.update(HELPERS)
    body = [writer.clause(index, compiled) for index, compiled in enumerate(clauses)]
    function = f"judge_{kind}" if _IDENTIFIER.match(kind) else "judge"
    head = [f"def {function}(doc, data, as_of, flag, document, sources, valid=None):",
            f'    """The {len(clauses)} clauses of one document, in policy order."""',
            "    if flag is not None and flag.is_set():",
            "        raise _Stopped"]
    head += [f"    {local} = doc.get({writer.field(name)}, MISSING)" for name, local in writer.hoisted.items()]
    head += [f"    {name} = _UNSET  # {_comment(written)}" for name, written in writer.lets.values()]
    # each clause's dates, tested once for the document: most clauses share them
    head += [f"    {name} = as_of is None or {test}" for test, name in writer.windows.items()]
    results = ", ".join(f"r{index}" for index in range(len(clauses)))
    source = "\n".join(head + [line for lines in body for line in lines] + [f"    return ({results}{',' if len(clauses) == 1 else ''})", ""])
    namespace = dict(writer.namespace)
    exec(compile(source, f"<iompolicy generated: {_comment(kind)}>", "exec"), namespace)  # noqa: S102 (see the module docstring)
    # taken out of its own namespace: a function held by its globals would be a cycle, freed
    # only by a pass of the collector when its policy set is dropped
    return Program(source, writer.shown, namespace.pop(function))


class _Unset:
    __slots__ = ()

    def __repr__(self) -> str:
        return "unset"


# A `let` not computed yet for this document. An Undecided (of that very class), so that one
# test of a let's class finds both what needs work (this, or an Undecided kept) and, far more
# often, that there is none.
_UNSET = Undecided("not computed yet")
_NOT_STATIC = _Unset()  # a node whose value depends on the document


def _no_data(name: str):
    raise Undecided(f"reference data `{name}` was not given")


# What every generated function reads besides its own names: the values and the functions
# of `operations` and `functions` that give the language its meaning (`program_store` binds
# a kept function to them again).
HELPERS = {
    "MISSING": MISSING, "Decimal": Decimal, "NoneType": type(None), "date": dt.date, "_Undecided": Undecided,
    "_Stopped": Stopped, "_UNSET": _UNSET, "_decided": decided, "_no_data": _no_data,
    "_attribute": op.attribute, "_index": op.index, "_compare": op.compare, "_arithmetic": op.arithmetic,
    "_negate": op.negate, "_member": op.member, "_present": op.present, "_as_date": op.as_date, "_DATE_TEXTS": op.DATE_TEXTS,
    "_truth": op.truth, "_elements": op.elements, "_finish": finish_aggregate,
    "_DIRECT_ORDER": frozenset(_SAME_KIND), "_DIRECT_EQUALITY": frozenset(_EQUALITY_KIND),
}
HELPERS.update({name: symbol for symbol, name in {**_OPERATORS, **_ARITHMETIC}.items()})


def _comment(text: str) -> str:
    """Text safe inside a one-line comment: nothing that could end the line."""
    return "".join(c if c.isprintable() else "?" for c in str(text))[:160]


class _Scope:
    """What a name means where an expression is: the bindings (name -> (n.Binding, closure))
    and the quantifier variables in force (name -> Python local)."""

    __slots__ = ("table", "each")

    def __init__(self, table: dict, each: dict):
        self.table = table
        self.each = each


class Writer:
    """Writes the statements of one function, and the namespace they read (one `on_<node
    class>` method per kind of expression, as the checker and the tracer have)."""

    def __init__(self, hoisted: frozenset = frozenset(), shared: frozenset | None = None):
        # the document's fields read at the start (a dict look-up each), by field -> Python local
        self.hoisted = {name: f"field_{name}" if _IDENTIFIER.match(name) else f"field_{number}"
                        for number, name in enumerate(sorted(hoisted))}
        self.reads: dict[str, int] = {}  # field -> the places that read it
        self.shared = shared  # the keys (`shared_key`) of conditions decided once per document; None: counting them
        self.conditions: dict[tuple, int] = {}  # key -> the places that decide it
        self.lines: list[str] = []
        self.depth = 1
        self.namespace: dict = {}
        self.shown: dict[str, str] = {}  # name -> what it stands for (for `Program.listing`)
        self.by_value: dict = {}
        self.count = 0
        self.lets: dict = {}  # id(binding) or a shared condition's key -> (Python name, what it holds)
        self.ensured: set[str] = set()  # lets and shared conditions computed on every path to the current line
        self.scopes: dict[int, dict] = {}  # id(binding) -> the bindings it was compiled among
        self.windows: dict[str, str] = {}  # a test of the date judged as of -> the local holding it

    # ---- output ------------------------------------------------------------------------
    def line(self, text: str) -> None:
        self.lines.append("    " * self.depth + text)

    @contextlib.contextmanager
    def block(self, header: str):
        """An indented block; what it computes is not known to be computed after it."""
        self.line(header)
        self.depth += 1
        saved = set(self.ensured)
        try:
            yield
        finally:
            self.depth -= 1
            self.ensured = saved

    def temp(self, stem: str = "t") -> str:
        self.count += 1
        return f"{stem}{self.count}"

    def name_for(self, value, stem: str, shown: str | None = None, share: bool = True) -> str:
        """A namespace name bound to `value` (a policy's value never enters the source). A
        one-letter stem is numbered (`K1`); a longer one is used as it is while it is free."""
        key = (type(value), repr(value), stem)
        if share and key in self.by_value:
            return self.by_value[key]
        name = stem if len(stem) > 1 and _IDENTIFIER.match(stem) and stem not in self.namespace else None
        while name is None or name in self.namespace:
            self.count += 1
            name = f"{stem if _IDENTIFIER.match(stem) else 'K'}{'' if len(stem) == 1 else '_'}{self.count}"
        self.namespace[name] = value
        self.shown[name] = shown if shown is not None else repr(value)
        if share:
            self.by_value[key] = name
        return name

    def what(self, node) -> str:
        """The name of a node's source text (for the reasons `operations` give)."""
        text = unparse(node)
        return self.name_for(text, "W", json_text(text))

    # ---- a clause ------------------------------------------------------------------------
    def clause(self, index: int, compiled) -> list[str]:
        """A clause's statements, ending with its result in `r<index>`: out of its dates, then
        its guards (a false one: does not apply; else an undecided one: undecided), then its
        requirements (a false one: failed; else an undecided one: undecided), as `evaluate`."""
        self.lines, self.ensured = [], set()
        clause = compiled.clause
        for stem, value in (("C", compiled), ("P", compiled.passed), ("N", compiled.not_applicable)):
            self.namespace[f"{stem}{index}"] = value
        self.shown[f"C{index}"] = f"clause {_comment(clause.id)}"
        self.scopes.update(compiled.scope.defined)
        scope = _Scope(compiled.scope.table, {})
        self.line(f"# clause {_comment(clause.id)} ({_comment(clause.span or 'no source')})")
        if _loops(compiled):  # a clause without loops takes no time: the check at the start covers it
            with self.block("if flag is not None and flag.is_set():"):
                self.line("raise _Stopped")
        result = f"r{index}"

        def decided(code: int) -> str:
            return f"{result} = _decided(C{index}, {code}, document, data, as_of, sources, valid)"

        def requirements(position: int, undecided: str | None) -> None:
            truth = self.truth(clause.requires[position], scope, "require")
            last = position == len(clause.requires) - 1
            if last and undecided is None:
                self.line(f"{result} = P{index} if {truth} is True else _decided(C{index}, "
                          f"{FAIL} if {truth} is False else {UNDECIDED_REQUIRE}, document, data, as_of, sources, valid)")
                return
            with self.block(f"if {truth} is False:"):
                self.line(decided(FAIL))
            with self.block("else:"):
                seen = self.temp("undecided") if undecided is None else undecided
                self.line(f"{seen} = {truth} is None" if undecided is None else f"{seen} = {seen} or {truth} is None")
                if last:
                    self.line(f"{result} = _decided(C{index}, {UNDECIDED_REQUIRE}, document, data, as_of, sources, valid) "
                              f"if {seen} else P{index}")
                else:
                    requirements(position + 1, seen)

        def guards(position: int, undecided: str | None) -> None:
            if position == len(clause.guards):
                if undecided is not None:
                    with self.block(f"if {undecided}:"):
                        self.line(decided(UNDECIDED_GUARD))
                    context = self.block("else:")
                else:
                    context = contextlib.nullcontext()
                with context:
                    if clause.requires:
                        requirements(0, None)
                    else:
                        self.line(f"{result} = P{index}")
                return
            truth = self.truth(clause.guards[position], scope, "when")
            with self.block(f"if {truth} is False:"):
                self.line(f"{result} = N{index}")
            if undecided is None and position == len(clause.guards) - 1:  # the only guard
                with self.block(f"elif {truth} is None:"):
                    self.line(decided(UNDECIDED_GUARD))
                with self.block("else:"):
                    guards(position + 1, None)
                return
            with self.block("else:"):
                seen = self.temp("undecided")
                self.line(f"{seen} = {truth} is None" if undecided is None else f"{seen} = {undecided} or {truth} is None")
                guards(position + 1, seen)

        bounds = []
        if compiled.start is not None:
            bounds.append(f"as_of < {self.name_for(compiled.start, 'FROM', str(compiled.start))}")
        if compiled.until is not None:
            bounds.append(f"as_of > {self.name_for(compiled.until, 'UNTIL', str(compiled.until))}")
        if bounds:
            self.namespace[f"O{index}"] = compiled.outside  # its results outside its dates, by date
            test = " or ".join(bounds)
            outside = self.windows.setdefault(test, f"outside_{len(self.windows) + 1}")
            with self.block(f"if {outside}:  # as_of is None or {test}"):
                # the result made for the first document of that date, else made now
                self.line(f"{result} = O{index}.get(as_of) or _decided(C{index}, {OUTSIDE_DATES}, document, data, "
                          "as_of, sources, valid)")
            with self.block("else:"):
                guards(0, None)
        else:
            guards(0, None)
        return self.lines

    def truth(self, node, scope: _Scope, word: str) -> str:
        """A local holding the condition's truth: True, False, or None when undecided."""
        result = self.temp("c")
        self.line(f"# {word} {_comment(unparse(node))}")
        with self.block("try:"):
            self.line(f"{result} = {self.condition(node, scope)}")
        with self.block("except _Undecided:"):
            self.line(f"{result} = None")
        return result

    # ---- expressions: each returns Python text for its value (raising Undecided) -------------
    def condition(self, node, scope: _Scope) -> str:
        """A condition's value, which must be True or False (else Undecided is raised)."""
        value = self.expr(node, scope)
        if isinstance(node, _BOOLEAN) or (isinstance(node, n.Literal) and type(node.value) is bool):
            return value
        value = self.atom(value)
        with self.block(f"if {value} is not True and {value} is not False:"):
            self.line(f"_truth({value}, {self.what(node)})")
        return value

    def atom(self, text: str) -> str:
        """A local (or a namespace name) holding the value of `text`, evaluated once."""
        if text.isidentifier():
            return text
        name = self.temp()
        self.line(f"{name} = {text}")
        return name

    def expr(self, node, scope: _Scope) -> str:
        if type(node) in _SHAREABLE:
            key = shared_key(node, scope)
            if key is not None:
                seen = self.conditions.get(key, 0)
                self.conditions[key] = seen + 1
                if self.shared is None and seen:  # counting: met again, it will be decided once, so
                    return "shared"  # what it reads is not counted as read again
                if self.shared is not None and key in self.shared:
                    return self.once(key, "shared", f"shared: {unparse(node)}", node, scope)
        return getattr(self, "on_" + type(node).__name__)(node, scope)

    def static(self, node, scope: _Scope):
        """The value of a node known before any document is read (a literal, a `const`, a
        reading of a parameter), or _NOT_STATIC: the fast paths test only the other side."""
        if isinstance(node, n.Literal):
            return node.value
        found = None
        if isinstance(node, n.Name) and node.name not in scope.each:
            found = scope.table.get(node.name)
        elif isinstance(node, n.ParamRef):
            found = scope.table.get(PREFIX + node.name)
        if found is not None and found[0].is_const:
            return found[1](Env({}, {}))
        return _NOT_STATIC

    def on_Literal(self, node: n.Literal, scope: _Scope) -> str:
        return self.name_for(node.value, "K", node.text)

    def on_Name(self, node: n.Name, scope: _Scope) -> str:
        local = scope.each.get(node.name)
        if local is not None:
            return local
        found = scope.table.get(node.name)
        if found is not None:
            return self.binding(*found)
        self.reads[node.name] = self.reads.get(node.name, 0) + 1
        local = self.hoisted.get(node.name)
        return local if local is not None else f"doc.get({self.field(node.name)}, MISSING)"

    def field(self, name: str) -> str:
        return self.name_for(name, f"F_{name}" if _IDENTIFIER.match(name) else "F", json_text(name))

    def binding(self, binding: n.Binding, closure) -> str:
        """A `const` is its value; a `let` is computed where it is first read, once per document."""
        if binding.is_const:
            return self.name_for(closure(Env({}, {})), "K", f"{_comment(binding.name)} = {_comment(unparse(binding.expr))}")
        stem = f"let_{binding.name}" if _IDENTIFIER.match(binding.name) else "let"
        inner = _Scope(self.scopes[id(binding)], {})  # a let sees no quantifier variables
        # lets written alike (the same text, reading the same bindings) in several clauses are one value
        key = ("let", *(shared_key(binding.expr, inner, loops=True) or (id(binding),)))
        return self.once(key, stem, f"let {binding.name} = {unparse(binding.expr)}", binding.expr, inner)

    def once(self, key, stem: str, held: str, node, scope: _Scope) -> str:
        """A local holding `node`'s value (or the Undecided it raised), computed where it is first
        read and kept for the document: a `let`, or a condition written alike in several places."""
        known = self.lets.get(key)
        if known is None:
            python = stem
            taken = {name for name, _ in self.lets.values()}
            while python in taken:
                self.count += 1
                python = f"{stem}_{self.count}"
            known = self.lets[key] = (python, held)
        python = known[0]
        if python in self.ensured:
            return python
        # One test where it was computed before and decided, the usual case: _UNSET is an Undecided
        with self.block(f"if {python}.__class__ is _Undecided:"):
            with self.block(f"if {python} is _UNSET:"):
                self.line(f"# {_comment(known[1])}")
                with self.block("try:"):
                    self.line(f"{python} = {getattr(self, 'on_' + type(node).__name__)(node, scope)}")
                with self.block("except _Undecided as undecided:"):
                    self.line(f"{python} = undecided.kept()")  # see `values.Undecided`
            with self.block(f"if {python}.__class__ is _Undecided:"):  # undecided now, or before
                self.line(f"raise {python}.again()")
        self.ensured.add(python)
        return python

    def on_DataRef(self, node: n.DataRef, scope: _Scope) -> str:
        name = self.name_for(node.name, f"D_{node.name}" if _IDENTIFIER.match(node.name) else "D", json_text(node.name))
        return f"(data[{name}] if {name} in data else _no_data({name}))"

    def on_ParamRef(self, node: n.ParamRef, scope: _Scope) -> str:
        found = scope.table.get(PREFIX + node.name)
        if found is None:  # the checker refuses an undeclared parameter, and every declared one has a reading
            raise LookupError(f"no reading of parameter `{node.name}` was compiled")
        return self.binding(*found)

    def on_Attribute(self, node: n.Attribute, scope: _Scope) -> str:
        obj = self.atom(self.expr(node.obj, scope))
        name = self.field(node.name)
        return f"({obj}.get({name}, MISSING) if {obj}.__class__ is dict else _attribute({obj}, {name}, {self.what(node.obj)}))"

    def on_Index(self, node: n.Index, scope: _Scope) -> str:
        obj = self.atom(self.expr(node.obj, scope))
        key = self.atom(self.expr(node.index, scope))
        exact = f"_index({obj}, {key}, {self.what(node.obj)}, {self.what(node.index)})"
        written = self.static(node.index, scope)
        if type(written) is int and written >= 0:  # a position: a list's item, when it has one
            return f"({obj}[{key}] if {obj}.__class__ is list and {key} < len({obj}) else {exact})"
        if type(written) is str:
            return f"({obj}.get({key}, MISSING) if {obj}.__class__ is dict else {exact})"
        return f"({obj}.get({key}, MISSING) if {obj}.__class__ is dict and {key}.__class__ is str else {exact})"

    def on_ListLiteral(self, node: n.ListLiteral, scope: _Scope) -> str:
        if all(isinstance(item, n.Literal) for item in node.items):  # never missing: one list, built now
            return self.name_for([item.value for item in node.items], "K", unparse(node), share=False)
        items = [f"_present({self.atom(self.expr(item, scope))}, {self.what(item)})" for item in node.items]
        return "[" + ", ".join(items) + "]"

    def on_Call(self, node: n.Call, scope: _Scope) -> str:
        args = [self.atom(self.expr(arg, scope)) for arg in node.args]
        if node.func == "year" and len(args) == 1:  # functions._year without its list and two calls
            value = args[0]  # a date, or a text read as a date before (`as_date`'s memo), else `as_date`
            return (f"({value}.year if {value}.__class__ is date else ({value}.__class__ is str and "
                    f"_DATE_TEXTS.get({value}) or _as_date({value}, {self.what(node.args[0])})).year)")
        if node.func == "len" and len(args) == 1:  # functions._len, for the usual classes
            value = args[0]
            return (f"(len({value}) if {value}.__class__ is list or {value}.__class__ is str or {value}.__class__ is dict "
                    f"else {self.function('len')}([{value}], {self.what(node.args[0])}))")
        if node.func == "default" and len(args) == 2:  # functions._default: both values were computed above
            return f"({args[1]} if {args[0]} is MISSING or {args[0]} is None else {args[0]})"
        body = self.function(node.func)
        whats = self.name_for([unparse(arg) for arg in node.args], "W", share=False,
                              shown=json_text([unparse(arg) for arg in node.args]))
        call = f"{body}([{', '.join(args)}], {whats})"
        if node.func == "count" and len(args) == 1:  # functions._count, for a list
            return f"(len({args[0]}) if {args[0]}.__class__ is list else {call})"
        return call

    def function(self, func: str) -> str:
        return self.name_for(FUNCTIONS[func], f"fn_{func}", f"the built-in `{_comment(func)}`")

    def each(self, node, scope: _Scope) -> tuple[str, str, _Scope]:
        """The list a quantifier or aggregate ranges over, its variable and the inner scope."""
        items = self.temp("items")  # a local of its own: it is replaced below when not a list
        self.line(f"{items} = {self.expr(node.source, scope)}")
        with self.block(f"if {items}.__class__ is not list:"):
            self.line(f"{items} = _elements({items}, {self.what(node.source)})")
        variable = self.temp(f"each_{node.var}_" if _IDENTIFIER.match(node.var) else "each")
        return items, variable, _Scope(scope.table, {**scope.each, node.var: variable})

    def on_Aggregate(self, node: n.Aggregate, scope: _Scope) -> str:
        items, variable, inner = self.each(node, scope)
        chosen = self.temp("chosen")
        self.line(f"{chosen} = []")
        with self.block(f"for {variable} in {items}:"):
            context = self.block(f"if {self.condition(node.where, inner)}:") if node.where is not None \
                else contextlib.nullcontext()
            with context:
                value = "None" if node.func == "count" else self.expr(node.value, inner)
                self.line(f"{chosen}.append({value})")
        func = self.name_for(node.func, f"AGG_{node.func}", json_text(node.func))
        return f"_finish({func}, {chosen}, {self.what(node.value)}, {self.what(node.source)})"

    def on_Quantified(self, node: n.Quantified, scope: _Scope) -> str:
        items, variable, inner = self.each(node, scope)
        result, undecided = self.temp("holds"), self.temp("undecided")
        decisive = node.quantifier != "all"  # all: stop at the first false; any/none: at the first true
        self.line(f"{result} = {node.quantifier != 'any'}")
        self.line(f"{undecided} = None")
        with self.block(f"for {variable} in {items}:"):
            with self.block("try:"):
                if node.where is not None:
                    with self.block(f"if not {self.condition(node.where, inner)}:"):
                        self.line("continue")
                with self.block(f"if {self.condition(node.body, inner)} is {decisive}:"):
                    self.line(f"{result} = {node.quantifier == 'any'}")
                    self.line("break")
            with self.block("except _Undecided as reason:"):
                with self.block(f"if {undecided} is None:"):
                    self.line(f"{undecided} = reason.kept()")
        with self.block("else:"):
            with self.block(f"if {undecided} is not None:"):
                self.line(f"raise {undecided}.again()")
        return result

    def on_Conditional(self, node: n.Conditional, scope: _Scope) -> str:
        result = self.temp()
        with self.block(f"if {self.condition(node.condition, scope)}:"):
            self.line(f"{result} = {self.expr(node.then, scope)}")
        with self.block("else:"):
            self.line(f"{result} = {self.expr(node.otherwise, scope)}")
        return result

    def on_Arithmetic(self, node: n.Arithmetic, scope: _Scope) -> str:
        left = self.atom(self.expr(node.left, scope))
        right = self.atom(self.expr(node.right, scope))
        exact = f"_arithmetic({_ARITHMETIC[node.op]}, {left}, {right}, {self.what(node.left)}, {self.what(node.right)})"
        if node.op == "/":
            return exact
        ints = " and ".join(f"{side}.__class__ is int" for side, written in ((left, node.left), (right, node.right))
                            if type(self.static(written, scope)) is not int)
        fast = f"{left} {node.op} {right}"  # the operator is one of + - * (the table above), never policy text
        return f"({fast} if {ints} else {exact})" if ints else fast

    def on_Negate(self, node: n.Negate, scope: _Scope) -> str:
        return f"_negate({self.atom(self.expr(node.operand, scope))}, {self.what(node.operand)})"

    def on_Compare(self, node: n.Compare, scope: _Scope) -> str:
        left = self.atom(self.expr(node.left, scope))
        right = self.atom(self.expr(node.right, scope))
        operator = _OPERATORS[node.op]
        exact = f"_compare({operator}, {left}, {right}, {self.what(node.left)}, {self.what(node.right)})"
        kinds = _EQUALITY_KIND if node.op in ("==", "!=") else _SAME_KIND
        direct = f"{left} {node.op} {right}"  # one of == != < <= > >= (the table above)
        for known, other in ((node.right, left), (node.left, right)):
            value = self.static(known, scope)
            if type(value) is bool and node.op in ("==", "!="):  # `x == true`: two identity tests decide a bool
                winner = value if node.op == "==" else not value
                return f"({other} is {winner} or ({other} is not {not winner} and {exact}))"
            if value is not _NOT_STATIC and type(value) in kinds:
                kind = kinds[type(value)]
                classes = [c for c, k in kinds.items() if k == kind]
                test = " or ".join(f"{other}.__class__ is {_CLASS_NAMES[c]}" for c in classes)
                return f"({direct} if {test} else {exact})"
        direct_classes = "_DIRECT_EQUALITY" if kinds is _EQUALITY_KIND else "_DIRECT_ORDER"
        # two values of one class of the table compare directly; any other pair (an int and a
        # Decimal among them) is left to `operations.compare`, which gives the same answer
        return (f"({direct} if {left}.__class__ is {right}.__class__ and {left}.__class__ in {direct_classes} "
                f"else {exact})")

    def on_Membership(self, node: n.Membership, scope: _Scope) -> str:
        item = self.atom(self.expr(node.item, scope))
        container = self.atom(self.expr(node.container, scope))
        exact = f"_member({item}, {container}, {self.what(node.item)}, {self.what(node.container)})"
        in_map = f"({item} in {container} if {container}.__class__ is dict and {item}.__class__ is str else {exact})"
        written = self.static(node.item, scope)
        if _found_by_in(written):  # `in` finds what `member` finds: a list's items, a map's keys
            test = f"{container}.__class__ is list" + (f" or {container}.__class__ is dict" if type(written) is str else "")
            fast = f"({item} in {container} if {test} else {exact})"
        elif written is _NOT_STATIC:  # a text found in a list by `in` is found by `member` (it equals only texts)
            fast = (f"(True if {item}.__class__ is str and {container}.__class__ is list and {item} in {container} "
                    f"else {in_map})")
        else:
            fast = in_map
        return f"(not {fast})" if node.negated else fast

    def on_Presence(self, node: n.Presence, scope: _Scope) -> str:
        operand = self.atom(self.expr(node.operand, scope))
        if node.test == "exists":
            return f"({operand} is not MISSING)"
        if node.test == "missing":
            return f"({operand} is MISSING)"
        with self.block(f"if {operand} is MISSING:"):
            self.line(f"_present({operand}, {self.what(node.operand)})")
        return f"({operand} is {'' if node.test == 'null' else 'not '}None)"

    def on_And(self, node: n.And, scope: _Scope) -> str:
        return self.logic(node, scope, stop=False)

    def on_Or(self, node: n.Or, scope: _Scope) -> str:
        return self.logic(node, scope, stop=True)

    def logic(self, node, scope: _Scope, stop: bool) -> str:
        """`and` stops at false, `or` at true; an undecided side loses only to the stopping value."""
        left, reason, result = self.temp("left"), self.temp("reason"), self.temp()
        with self.block("try:"):
            self.line(f"{left} = {self.condition(node.left, scope)}")
        with self.block("except _Undecided as undecided:"):
            self.line(f"{left}, {reason} = None, undecided.kept()")  # see `values.Undecided`
        with self.block(f"if {left} is {stop}:"):
            self.line(f"{result} = {stop}")
        with self.block("else:"):
            self.line(f"{result} = {self.condition(node.right, scope)}")
            with self.block(f"if {left} is None and {result} is not {stop}:"):
                self.line(f"raise {reason}.again()")
        return result

    def on_Not(self, node: n.Not, scope: _Scope) -> str:
        return f"(not {self.condition(node.operand, scope)})"


def _found_by_in(written) -> bool:
    """Whether Python's `in` over a list finds a value written in a policy exactly when
    `operations.member` does. For a number: not 0 or 1, which equal false and true in
    Python. For a text: not one that reads as a date, which `member` finds as a date too."""
    if type(written) is int or type(written) is Decimal:
        return written != 0 and written != 1
    if type(written) is str:
        try:
            dt.date.fromisoformat(written)
        except ValueError:
            return True
    return False


_SHAREABLE = (n.Compare, n.Membership, n.And, n.Or)  # conditions worth deciding once when several clauses write them


def shared_key(node, scope: _Scope, loops: bool = False) -> tuple | None:
    """What makes two conditions the same, or None if one cannot be shared: its text, and the
    binding each name in it reads (a `let` or `const` of one clause is not another's). One
    that reads a quantifier's variable, or loops itself (unless `loops`: a let's value, worked
    out once either way), is decided where it is."""
    bindings = []
    for item in n.descendants(node):
        if (isinstance(item, (n.Quantified, n.Aggregate)) and not loops) or \
                (isinstance(item, n.Name) and item.name in scope.each):
            return None
        if isinstance(item, (n.Name, n.ParamRef)):
            found = scope.table.get(item.name if isinstance(item, n.Name) else PREFIX + item.name)
            bindings.append(None if found is None else id(found[0]))
    return (unparse(node), tuple(bindings))


def _loops(compiled) -> bool:
    """Whether a clause (or a binding it can read) loops over a list: a quantifier, an
    aggregate or a built-in function that reads every item."""
    pending = [*compiled.clause.guards, *compiled.clause.requires, *(b.expr for b in compiled.bindings.values())]
    while pending:
        node = pending.pop()
        if isinstance(node, (n.Quantified, n.Aggregate)) or (isinstance(node, n.Call) and node.func in _LOOPING):
            return True
        if isinstance(node, n.Node):
            pending.extend(node._values())
        elif isinstance(node, tuple):
            pending.extend(node)
    return False


_CLASS_NAMES = {int: "int", Decimal: "Decimal", str: "str", bool: "bool", type(None): "NoneType"}
