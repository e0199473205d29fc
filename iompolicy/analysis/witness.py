"""Witnesses: a z3 model turned back into a document (and its reference data),
written as YAML, read back as `iompolicy check` reads it, and judged by the real
evaluator. A finding is reported with its witness only when the evaluator gives
the outcomes the solver claimed; otherwise the disagreement itself is reported.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
from decimal import Decimal
from pathlib import Path

import z3

from ..records import Record
from .symbolic import DATE, LIST, MAP, NULL, OBJECT, STRING, Sym


class NotRepresentable(Exception):
    """A model value that no YAML document can hold (a rational that is not a decimal)."""


class Witness(Record, fields="document data claims"):
    """A document (dict), its reference data ({name: dict}) and the claims checked on it:
    (regime label or "", clause id or "verdict", expected outcome, the evaluator's
    outcome, the evaluator's message)."""

    __slots__ = ()

    @property
    def confirmed(self) -> bool:
        return all(expected == actual for _, _, expected, actual, _ in self.claims)

    def yaml(self) -> str:
        return to_yaml(self.document)

    def to_dict(self) -> dict:
        """The JSON shape: documents as YAML text, so amounts stay exact."""
        return {"document": self.yaml(), "data": {name: to_yaml(value) for name, value in self.data.items()},
                "confirmed": self.confirmed,
                "claims": [{"regime": r or None, "clause": c, "expected": e, "actual": a, "message": m}
                           for r, c, e, a, m in self.claims]}


def decimal_model(solver: z3.Solver, universe):
    """The solver's model, re-solved with amounts in cents when a value is not a decimal."""
    model = solver.model()
    if all(_is_decimal(model.eval(t, model_completion=True)) for t in universe.numbers):
        return model
    solver.push()
    try:
        solver.add(*[z3.IsInt(t * 100) for t in universe.numbers])
        if solver.check() != z3.sat:
            raise NotRepresentable("the only documents the solver finds have amounts that are not decimals")
        return solver.model()
    finally:
        solver.pop()


def smallest_model(solver: z3.Solver, universe):
    """A model with as few optional fields and list items as the formula allows
    (each one dropped while the rest still holds: minimal, not minimum)."""
    model = solver.model()  # before push(), which discards it
    solver.push()
    try:
        for absent in universe.optional:
            if z3.is_true(model.eval(absent, model_completion=True)):
                continue
            model = _try(solver, absent) or model
        for has in universe.entries():  # register entries the document does not need
            if z3.is_true(model.eval(has, model_completion=True)):
                model = _try(solver, z3.Not(has)) or model
        for length in universe.lengths:
            current = model.eval(length, model_completion=True).as_long()
            while current > 0 and (better := _try(solver, length < current)) is not None:
                model, current = better, better.eval(length, model_completion=True).as_long()
        solver.add(*[t == model.eval(t, model_completion=True) for t in universe.lengths + universe.optional])
        solver.check()
        return decimal_model(solver, universe)
    finally:
        solver.pop()


def _try(solver, constraint):
    solver.push()
    solver.add(constraint)
    if solver.check() == z3.sat:
        model = solver.model()
        solver.pop()
        solver.add(constraint)
        return model
    solver.pop()
    return None


def _uncovered(missing, model, texts) -> bool:
    """Whether a missing value is dated facts covering no date (rather than an absent field)."""
    names = texts.uncovered
    stack = [missing]
    while stack:
        term = stack.pop()
        if z3.is_app(term) and term.decl().name() in names and z3.is_true(model.eval(term, model_completion=True)):
            return True
        if z3.is_or(term):
            stack.extend(term.children())
    return False


def _is_decimal(value) -> bool:
    if not z3.is_rational_value(value):
        return z3.is_int_value(value)
    denominator = value.denominator_as_long()
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    return denominator == 1


def extract(sym: Sym, model, texts):
    """The plain value of a (present) symbolic value in a model."""
    value = lambda term: model.eval(term, model_completion=True)  # noqa: E731
    if sym.type == NULL or z3.is_true(value(sym.null)):
        return None
    if sym.type == OBJECT:
        fields = {}
        for name, child in sym.value.items():
            if not z3.is_true(value(child.missing)):
                fields[name] = extract(child, model, texts)
            elif _uncovered(child.missing, model, texts):
                fields[name] = []  # dated facts that cover no date: the evaluator reads them as missing
        return fields
    if sym.type == LIST:
        length = value(sym.value.length).as_long() if not isinstance(sym.value.length, int) else sym.value.length
        return [extract(item, model, texts) for item in sym.value.items[:length]]
    if sym.type == MAP:
        entries = {}
        for key, entry in sym.value.lookups.values():
            if z3.is_true(value(sym.value.has(key))):
                entries.setdefault(texts.text(value(key).as_long(), model), extract(entry, model, texts))
        return dict(sorted(entries.items()))
    term = value(sym.value)
    if sym.type == DATE:
        return dt.date.fromordinal(term.as_long())
    if z3.is_bool(term):
        return z3.is_true(term)
    if sym.type == STRING:
        return texts.text(term.as_long(), model)
    if not _is_decimal(term):
        raise NotRepresentable(f"{term} is not a decimal")
    number = Decimal(term.numerator_as_long()) / Decimal(term.denominator_as_long())
    return int(number) if number == number.to_integral_value() else number.normalize()


def build(universe, model, data_names) -> tuple[dict, dict]:
    """(document, {data name: document}) of a model."""
    universe.texts.begin()
    document = extract(universe.document, model, universe.texts)
    data = {name: extract(universe.data(name), model, universe.texts) for name in data_names}
    return document, data


def confirm(policy_sets: list, document: dict, data: dict, expected: list) -> Witness:
    """Run the evaluator of each (label, policy set) on the witness read back from YAML;
    `expected` is a list of (label, clause id or "verdict", outcome)."""
    from ..documents import load_text

    doc = load_text(to_yaml(document), "witness.yaml")
    data_docs = [load_text(to_yaml(value), f"{name}.yaml") for name, value in data.items()]
    actual = {}
    for label, policies in policy_sets:
        for data_doc in data_docs:
            policies.validator.validate(data_doc)
        report = policies.check(doc, data=data_docs)
        outcomes = {r.clause: (r.outcome.value, r.message) for r in report.results}
        outcomes["verdict"] = (report.outcome.value, "")
        actual[label] = outcomes
    claims = tuple((label, clause, outcome, *actual.get(label, {}).get(clause, ("absent", "")))
                   for label, clause, outcome in expected)
    return Witness(document, data, claims)


def write_witnesses(findings, folder, regimes=((),)) -> int:
    """Write the witness of each finding as DIR/NN-CODE-WHAT.yaml, and each reference data set
    it needs as DIR/NN-CODE-WHAT.NAME.yaml: files `iompolicy check` runs. `regimes` are the
    options that select each regime's policies (`--policies`, `--reading`). Each finding's
    details get `witness_file` and `check`: the command for each regime. Returns how many
    witnesses were written."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for finding in findings:
        if finding.witness is None:
            continue
        written += 1
        what = finding.details.get("compared") or (finding.clauses[0].id if finding.clauses else finding.kind)
        stem = f"{written:02d}-{finding.code}-{re.sub(r'[^A-Za-z0-9._-]+', '-', what)}"
        document = out / f"{stem}.yaml"
        document.write_text(finding.witness.yaml(), encoding="utf-8")
        command = ["iompolicy", "check", str(document)]
        for name, value in finding.witness.data.items():
            data = out / f"{stem}.{name}.yaml"
            data.write_text(to_yaml(value), encoding="utf-8")
            command += ["--data", str(data)]
        finding.details["witness_file"] = str(document)
        finding.details["check"] = [shlex.join(command + list(options)) for options in regimes]
    return written


def to_yaml(value, indent: str = "") -> str:
    """Block YAML for plain values: text double-quoted (dates too), numbers exact."""
    if isinstance(value, dict):
        if not value:
            return "{}\n" if not indent else "{}"
        lines = []
        for key, item in value.items():
            head = f"{indent}{_key(key)}:"
            lines.append(head + _nested(item, indent))
        return "\n".join(lines) + ("\n" if not indent else "")
    return _scalar(value)


def _nested(item, indent: str) -> str:
    inner = indent + "  "
    if isinstance(item, dict) and item:
        return "\n" + to_yaml(item, inner).rstrip("\n")
    if isinstance(item, list) and item:
        rows = []
        for element in item:
            if isinstance(element, dict) and element:
                body = to_yaml(element, inner + "  ").rstrip("\n")
                rows.append(f"{inner}- " + body[len(inner) + 2:])
            else:
                rows.append(f"{inner}- {_scalar(element)}")
        return "\n" + "\n".join(rows)
    return " " + _scalar(item)


def _key(key: str) -> str:
    return key if key.replace("_", "").isalnum() and key.isascii() and not key[0].isdigit() else json.dumps(key)


def _scalar(value) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.date):
        return json.dumps(value.isoformat())
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)}: {_scalar(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)
