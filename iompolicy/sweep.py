"""Sensitivity of a clause to one input: the figures its formula gives over a range.

`sweep` sets one field of a document to each value of a range in turn and works out,
at each, the clause's figures (the numeric `let`s its requirements read, and the
`let`s those read directly: for III.1, the excess over the baseline, the 25%
allocation, what the III.2 cap leaves for Line 2, and the lesser of the two) and the
clause's outcome. The figures are the policy's own `let`s evaluated by the tracer,
never a second copy of the formula, so any clause of the policy language can be
swept. Under several readings of a parameter, each reading gives its own figures;
a figure that is the same under every reading is shown once.

Nothing here prints: `iompolicy explain --sweep` renders a `Sweep` (render/sweep.py).
"""

from __future__ import annotations

import copy
from decimal import Decimal, InvalidOperation

from .documents import as_document
from .evaluation.explain import Tracer
from .language import syntax as n
from .records import Record
from .values import MISSING, Undecided, is_number

MAX_STEPS = 1000


class SweepError(ValueError):
    """A sweep that cannot be run (a bad range, a field the document cannot have)."""


class Range(Record, fields="field low high steps"):
    """`field=LOW..HIGH` in `steps` equal steps (so `steps + 1` values, both ends included)."""

    __slots__ = ()

    @classmethod
    def parse(cls, text: str, steps: int) -> "Range":
        field, equals, bounds = text.partition("=")
        low, dots, high = bounds.partition("..")
        if not equals or not dots or not field.strip():
            raise SweepError(f"--sweep `{text}`: write FIELD=LOW..HIGH, such as "
                             "`discretionary_income.total_usd=20000000..60000000`")
        try:
            low_value, high_value = Decimal(low.strip().replace("_", "")), Decimal(high.strip().replace("_", ""))
        except InvalidOperation:
            raise SweepError(f"--sweep `{text}`: `{low.strip()}..{high.strip()}` is not a range of numbers") from None
        if not (low_value.is_finite() and high_value.is_finite()) or low_value >= high_value:
            raise SweepError(f"--sweep `{text}`: the range must go from a lower number to a higher one")
        if not 1 <= steps <= MAX_STEPS:
            raise SweepError(f"--steps {steps}: give between 1 and {MAX_STEPS} steps")
        return cls(field.strip(), low_value, high_value, steps)

    def values(self) -> list:
        """Every value, exact; a whole number as an int (as a document writes it)."""
        width = (self.high - self.low) / self.steps
        found = []
        for step in range(self.steps + 1):
            value = self.high if step == self.steps else self.low + width * step
            found.append(int(value) if value == value.to_integral_value() else value)
        return found


class Sweep(Record, fields="clauses range readings figures rows document"):
    """The figures at each value: `clauses` (CompiledClause of each clause swept), `readings`
    (label -> {parameter: reading}), `figures` ((let name, reading label or None when the
    same under every reading)), `rows` ((input value, {(figure, label): value or None},
    {(clause id, label): outcome})) and the `document`'s name."""

    __slots__ = ()

    def to_dict(self) -> dict:
        """The JSON shape (schemas/sweep.schema.json): money as exact text."""
        labels = list(self.readings)
        return {
            "clauses": [{"clause": c.id, "cite": c.clause.cite, "title": c.clause.title} for c in self.clauses],
            "field": self.range.field, "from": _text(self.range.low), "to": _text(self.range.high),
            "steps": self.range.steps, "document": self.document,
            "readings": [{"label": label, "readings": dict(self.readings[label])} for label in labels],
            "figures": [{"name": name, "reading": label} for name, label in self.figures],
            "rows": [{"input": _text(value),
                      "figures": [_text(found[key]) for key in self.figures],
                      "outcomes": [{"clause": c.id, "reading": label, "outcome": outcomes[(c.id, label)]}
                                   for c in self.clauses for label in labels]}
                     for value, found, outcomes in self.rows],
        }


def sweep(policy_sets: dict, clause_ids: list[str], document, data: dict, the_range: Range) -> Sweep:
    """Sweep `the_range` over `document` (a Document or dict) for the clauses `clause_ids`,
    under each of `policy_sets` (reading label -> (PolicySet, {parameter: reading}))."""
    base = as_document(document)
    if not isinstance(base.value, dict):
        raise SweepError("the document to sweep is not a mapping")
    first = next(iter(policy_sets.values()))[0]
    clauses = [c for c in first.clauses() if c.id in clause_ids]
    names = figure_names(clauses)
    if not names:
        raise SweepError("the clause reads no figure (a `let` of a number) to tabulate: nothing to sweep")
    _check_field(first, base, the_range.field)
    rows = []
    for value in the_range.values():
        changed = _with_field(base.value, the_range.field, value)
        found, outcomes = {}, {}
        for label, (policies, _) in policy_sets.items():
            report = policies.check(as_document(changed, base.name), data=data, validate=False)
            by_id = {r.clause: r.outcome.value for r in report.results}
            swept = {c.id: c for c in policies.clauses() if c.id in clause_ids}
            for compiled in clauses:
                outcomes[(compiled.id, label)] = by_id.get(compiled.id, "absent")
            for name in names:
                found[(name, label)] = _figure(swept, name, changed, policies.dated.as_of(data, None))
        rows.append((value, found, outcomes))
    labels = list(policy_sets)
    names = [name for name in names if any(found[(name, label)] is not None  # never a number: not a figure
                                           for _, found, _ in rows for label in labels)]
    figures = []
    for name in names:
        same = all(len({_text(found[(name, label)]) for label in labels}) == 1 for _, found, _ in rows)
        figures += [(name, None)] if same or len(labels) == 1 else [(name, label) for label in labels]
    rows = [(value, {(name, label): found[(name, label or labels[0])] for name, label in figures}, outcomes)
            for value, found, outcomes in rows]
    return Sweep(clauses, the_range, {label: readings for label, (_, readings) in policy_sets.items()},
                 figures, rows, _shown_name(base.name))


def _shown_name(name: str) -> str:
    """A file under the current folder by its relative path, as the user would type it."""
    import os

    try:
        relative = os.path.relpath(name)
    except ValueError:
        return name
    return relative if not relative.startswith("..") else name


def direct_figures(clauses) -> set[str]:
    """The `let`s the clauses' requirements read themselves (III.1: the 25% allocation and
    the lesser of it and the cap), as against those read through them."""
    return {name for compiled in clauses for node in compiled.clause.requires for name in _names(node)
            if name in compiled.bindings and not compiled.bindings[name].is_const}


def figure_names(clauses) -> list[str]:
    """The `let`s of numbers the clauses' requirements read, and the `let`s those read
    directly, in the order the policy declares them."""
    wanted: list[str] = []
    for compiled in clauses:
        bindings = compiled.bindings
        direct = [name for node in compiled.clause.requires for name in _names(node) if name in bindings]
        for name in direct:
            for found in (name, *(m for m in _names(bindings[name].expr) if m in bindings)):
                if not bindings[found].is_const and found not in wanted:
                    wanted.append(found)
    order = {name: number for number, name in enumerate(clauses[0].bindings)} if clauses else {}
    return sorted(wanted, key=lambda name: order.get(name, len(order)))


def reads_field(compiled, field: str) -> bool:
    """Does the clause read the document's `field` (dotted), in its requirements or any `let`
    they read, however deep?"""
    from .language.unparse import unparse

    bindings, seen, todo = compiled.bindings, set(), list(compiled.clause.requires)
    while todo:
        node = todo.pop()
        for found in n.descendants(node):
            if isinstance(found, (n.Name, n.Attribute)) and unparse(found) == field:
                return True
            if isinstance(found, n.Name) and found.name in bindings and found.name not in seen:
                seen.add(found.name)
                todo.append(bindings[found.name].expr)
    return False


def _figure(clauses: dict, name: str, value: dict, data: dict):
    """A `let`'s value on the document, if it is a number (None when it cannot be worked out);
    `clauses`: the compiled clauses that may read it, by id."""
    for compiled in clauses.values():
        if name in compiled.bindings:
            try:
                found = Tracer(value, data, compiled.bindings, scopes=compiled.scope.defined).binding(
                    compiled.bindings[name]).value
            except Undecided:
                return None
            return found if is_number(found) else None
    return None


def _names(node) -> list[str]:
    """The names a node reads, in order."""
    return list(dict.fromkeys(found.name for found in n.descendants(node) if isinstance(found, n.Name)))


def _check_field(policies, document, field: str) -> None:
    """The field must be one the document's schema allows, so the sweep changes what the rules read."""
    probe = _with_field(document.value, field, 0)
    try:
        policies.validator.validate(as_document(probe, document.name))
    except Exception as error:  # DocumentError: the schema refuses the field or the value
        problems = getattr(error, "problems", None)
        said = problems[0].message if problems else str(error)
        raise SweepError(f"--sweep `{field}`: the document cannot have a number there ({said})") from None


def _with_field(value: dict, field: str, number) -> dict:
    """A copy of the document with `field` (dotted) set to `number`, creating what is missing."""
    changed = copy.deepcopy(value)
    here = changed
    parts = field.split(".")
    for part in parts[:-1]:
        if not isinstance(here.get(part, MISSING), dict):
            here[part] = {}
        here = here[part]
    here[parts[-1]] = number
    return changed


def _text(value):
    return None if value is None else str(value)


__all__ = ["Range", "Sweep", "SweepError", "direct_figures", "figure_names", "reads_field", "sweep"]
