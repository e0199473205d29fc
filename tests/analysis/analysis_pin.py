"""Pinning a symbolic document to a real one, to test the encoding against the evaluator:
with every field fixed to a document's values, the solver's outcome of each clause must
be the evaluator's."""

from __future__ import annotations

import datetime as dt
import re

import z3

from iompolicy.analysis.symbolic import BOOLEAN, DATE, LIST, MAP, NULL, NUMBER, OBJECT, STRING
from iompolicy.analysis.texts import BLOCK


class TooBig(Exception):
    """The document has a list longer than the bound: outside what the analysis covers."""


class Pins:
    """Equations fixing the terms of a universe to the values of one document and its data."""

    def __init__(self, universe):
        self.universe = universe
        self.texts = universe.texts
        self.equations: list = []
        self._made: dict[str, int] = {}
        self._counts: dict[int, int] = {}

    def text_id(self, text: str) -> int:
        """A literal's id, or a made-up id of the first class whose pattern the text matches."""
        if text in self.texts.ids:
            return self.texts.ids[text]
        if text not in self._made:
            index = next((i for i, made in enumerate(self.texts.classes)
                          if made is not None and re.fullmatch(made.pattern[1:-1], text)), 0)
            self._counts[index] = self._counts.get(index, 0) + 1
            self._made[text] = -(index * BLOCK + self._counts[index])
            self.equations.append(self.texts.length(z3.IntVal(self._made[text])) == len(text))
        return self._made[text]

    def pin(self, sym, value) -> None:
        add = self.equations.append
        if not z3.is_false(sym.null) and not isinstance(sym.null, bool):
            add(sym.null == (value is None))
        if value is None or sym.type == NULL:
            return
        if sym.type == OBJECT:
            for name, child in sym.value.items():
                if name in value:
                    if not z3.is_false(child.missing):
                        add(z3.Not(child.missing))
                    self.pin(child, value[name])
                elif not z3.is_false(child.missing):
                    add(child.missing)
        elif sym.type == LIST:
            if len(value) > len(sym.value.items):
                raise TooBig(f"{len(value)} items")
            add(sym.value.length == len(value))
            for item, element in zip(sym.value.items, value):
                self.pin(item, element)
        elif sym.type == MAP:
            self.pin_map(sym.value, value)
        elif sym.type == NUMBER:
            add(sym.value == z3.RealVal(str(value)))
        elif sym.type == BOOLEAN:
            add(sym.value == z3.BoolVal(value))
        elif sym.type == DATE:
            day = (value if isinstance(value, dt.date) else dt.date.fromisoformat(value)).toordinal()
            add(sym.value == day)
        elif sym.type == STRING:
            add(sym.value == self.text_id(value))

    def pin_map(self, symbolic_map, entries: dict) -> None:
        """At every key the clauses look up: whether the register has it, and its entry."""
        ids = {key: self.text_id(key) for key in entries}
        for key_term, entry in symbolic_map.lookups.values():
            self.equations.append(symbolic_map.has(key_term) == z3.Or(False, *[key_term == i for i in ids.values()]))
            for key, identifier in ids.items():
                pins = Pins.__new__(Pins)
                pins.__dict__.update(self.__dict__)
                pins.equations = []
                pins.pin(entry, entries[key])
                self.equations += [z3.Implies(key_term == identifier, e) for e in pins.equations]
