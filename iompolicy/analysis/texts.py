"""Text as integer ids, so that the solver reasons with integers instead of z3's
(far slower) string theory.

Every string the policies write, and every value a schema enumerates, has an id
from 0 up. Other text is an id below 0, in the block of its *class*: one class per
`pattern` of the schemas, and a class of free text. A witness writes the n-th id of
a class as the n-th string of that class's language that the policies do not
write, so two ids are equal exactly when their texts are. The policy language only
compares text for equality and membership (`==`, `in`), which ids model exactly,
and takes its length (`len`), an uninterpreted function of the id that is exact
for written text and bounded by the pattern for made-up text; ordering text is
reported as not analysed.
"""

from __future__ import annotations

import itertools
import re

import z3

from ..language import syntax as n
from .symbolic import Unsupported, any_of

BLOCK = 1_000_000  # ids per class of made-up text
LONGEST = 10_000  # the longest made-up text
# Made-up texts per class: far more than the text terms of any analysis (a few hundred);
# a witness gives each made-up id its own text, so ids only need to be distinct.
MADE_UP = 2_000


class Pattern:
    """The anchored patterns schemas use: literal characters and one-range classes,
    each with {n}, {n,m}, ?, * or + (repetition capped at 8 for made-up text)."""

    _ATOM = re.compile(r"(\[([^\]\\^]+)\]|[A-Za-z0-9 _:-])(\{(\d+)(?:,(\d+))?\}|[?*+])?")

    def __init__(self, pattern: str):
        self.pattern = pattern
        if not (pattern.startswith("^") and pattern.endswith("$")):
            raise Unsupported(f"the unanchored pattern `{pattern}`")
        body, self.atoms, position = pattern[1:-1], [], 0
        while position < len(body):
            match = self._ATOM.match(body, position)
            if match is None:
                raise Unsupported(f"the pattern `{pattern}`")
            chars = _characters(match[2]) if match[2] else match[1]
            low, high = _repetition(match[3], match[4], match[5])
            self.atoms.append((chars, low, high))
            position = match.end()
        self.regex = re.compile(pattern)

    def lengths(self) -> tuple[int, int]:
        return sum(low for _, low, _ in self.atoms), sum(high for _, _, high in self.atoms)

    def strings(self):
        """The language in order of length, then of characters."""
        counts = [range(low, high + 1) for _, low, high in self.atoms]
        for reps in sorted(itertools.product(*counts), key=sum):
            pools = [chars for (chars, _, _), r in zip(self.atoms, reps) for _ in range(r)]
            for combination in itertools.product(*pools):
                yield "".join(combination)

    def size(self) -> int:
        total = 0
        for reps in itertools.product(*[range(low, high + 1) for _, low, high in self.atoms]):
            count = 1
            for (chars, _, _), r in zip(self.atoms, reps):
                count *= len(chars) ** r
            total += count
            if total >= BLOCK:
                return BLOCK
        return total


def _characters(inside: str) -> str:
    """The characters of a class such as `0-9a-f` or `A-Z_`, in order."""
    chars, position = [], 0
    while position < len(inside):
        if position + 2 < len(inside) and inside[position + 1] == "-":
            chars += [chr(c) for c in range(ord(inside[position]), ord(inside[position + 2]) + 1)]
            position += 3
        else:
            chars.append(inside[position])
            position += 1
    return "".join(sorted(set(chars)))


def _repetition(mark, low, high) -> tuple[int, int]:
    if mark is None:
        return 1, 1
    if mark == "?":
        return 0, 1
    if mark == "*":
        return 0, 8
    if mark == "+":
        return 1, 8
    return int(low), int(high if high is not None else low)


class Texts:
    """The ids of text for one analysis: the policies' strings and the schemas' patterns."""

    def __init__(self, literals, patterns):
        self.table = sorted(set(literals) | {""})
        self.ids = {text: i for i, text in enumerate(self.table)}
        self.classes = [None]  # class 0: free text
        self.unsupported = {}  # pattern -> why: a field with it is not analysed, the rest still is
        for pattern in sorted(set(patterns)):
            try:
                self.classes.append(Pattern(pattern))
            except Unsupported as reason:
                self.unsupported[pattern] = str(reason)
        self.length = z3.Function("text-length", z3.IntSort(), z3.IntSort())
        # names of the flags of dated facts that cover no date (a witness writes them as [])
        self.uncovered: set[str] = set()
        self._measured: list = []  # the terms whose length a clause reads
        self._given: dict[int, str] = {}  # made-up text of the witness being written, by id

    @classmethod
    def of(cls, policy_sets, schemas, extra_nodes=()) -> "Texts":
        """The strings written in the policy sets (and `extra_nodes`) and every schema's
        enumerations and patterns."""
        literals, patterns = set(), set()
        for policies in policy_sets:
            for policy_file in policies.files:
                _strings(policy_file, literals)
        _strings(tuple(extra_nodes), literals)
        for kind in schemas.kinds.values():
            _schema_texts(kind.schema, literals, patterns)
        return cls(literals, patterns)

    def literal(self, text: str):
        if text not in self.ids:
            raise Unsupported(f"the text {text!r}, which is not written in the policies")
        return z3.IntVal(self.ids[text])

    def allowed(self, term, schema: dict):
        """The condition that the text with id `term` is valid for `schema`."""
        if "enum" in schema:
            return any_of(*(term == self.literal(v) for v in schema["enum"] if isinstance(v, str)))
        pattern = schema.get("pattern")
        if pattern in self.unsupported:
            raise Unsupported(self.unsupported[pattern])
        low, high = schema.get("minLength", 0), schema.get("maxLength")
        regex = re.compile(pattern) if pattern else None
        fits = lambda text: (regex is None or regex.search(text) is not None) and _length_ok(text, low, high)  # noqa: E731
        options = [_between(term, first, last) for first, last in _runs([i for i, t in enumerate(self.table) if fits(t)])]
        for index, made in enumerate(self.classes):
            if pattern is not None and (made is None or made.pattern != pattern):
                continue
            inside = self._class(term, index)
            if inside is None:
                continue
            if made is None and (low > 1 or high is not None):  # free text of a bounded length
                inside = z3.And(inside, self.length(term) >= low, *([self.length(term) <= high] if high else []))
            options.append(inside)
        return any_of(*options)

    def _class(self, term, index: int):
        """The condition that `term` is made-up text of class `index` (None: the class is empty)."""
        made = self.classes[index]
        capacity = MADE_UP if made is None else min(MADE_UP, made.size() - sum(1 for t in self.table if made.regex.fullmatch(t)))
        if capacity <= 0:
            return None
        return z3.And(term <= -(index * BLOCK + 1), term >= -(index * BLOCK + capacity))

    def length_of(self, term, constraints: list):
        """The length of the text with id `term` (an integer term); what it must satisfy
        is added to `constraints` (each universe is given the written texts' lengths once)."""
        self._measured.append(term)
        constraints.append(z3.Or(*[z3.And(term == i, self.length(term) == len(t)) for i, t in enumerate(self.table)],
                                 *[self._made_length(term, index) for index in range(len(self.classes))
                                   if self._class(term, index) is not None]))
        return self.length(term)

    def _made_length(self, term, index: int):
        made = self.classes[index]
        shortest, longest = made.lengths() if made else (1, LONGEST)
        return z3.And(self._class(term, index), self.length(term) >= shortest, self.length(term) <= longest)

    def begin(self) -> None:
        """Start a new witness: made-up texts are given afresh."""
        self._given = {}

    def text(self, identifier: int, model=None) -> str:
        """The text of an id: written text, or made-up text distinct from every other text
        of the witness (of the length the model gives it, when a clause reads its length)."""
        if identifier >= 0:
            return self.table[identifier]
        if identifier not in self._given:
            index = (-identifier - 1) // BLOCK
            wanted = self._wanted_length(identifier, model)
            taken = set(self._given.values()) | set(self.ids)
            self._given[identifier] = next(t for t in self._candidates(index, wanted) if t not in taken)
        return self._given[identifier]

    def _wanted_length(self, identifier: int, model):
        if model is None:
            return None
        for term in self._measured:
            if model.eval(term, model_completion=True).as_long() == identifier:
                return model.eval(self.length(z3.IntVal(identifier)), model_completion=True).as_long()
        return None

    def _candidates(self, index: int, length):
        made = self.classes[index]
        if made is not None:
            return (t for t in made.strings() if length is None or len(t) == length)
        if length is None:
            return (f"text-{k:06d}" for k in itertools.count(1))
        if length >= 11:
            return (f"text-{k:06d}".ljust(length, "x") for k in itertools.count(1))
        return ("".join(letters) for letters in itertools.product("abcdefghijklmnopqrstuvwxyz", repeat=length))


def _runs(ids: list[int]):
    """Consecutive ids as (first, last) runs: a few ranges instead of one equation per id."""
    for _, group in itertools.groupby(enumerate(ids), key=lambda pair: pair[1] - pair[0]):
        group = [i for _, i in group]
        yield group[0], group[-1]


def _between(term, first: int, last: int):
    return term == first if first == last else z3.And(term >= first, term <= last)


def _length_ok(text: str, low: int, high) -> bool:
    return len(text) >= low and (high is None or len(text) <= high)


def _strings(node, found: set) -> None:
    found.update(d.value for d in n.descendants(node) if isinstance(d, n.Literal) and isinstance(d.value, str))
    found.update(value for d in n.descendants(node) if isinstance(d, n.Parameter) for value in d.allowed)


def _schema_texts(schema, literals: set, patterns: set) -> None:
    if isinstance(schema, dict):
        for value in schema.get("enum", ()):
            if isinstance(value, str):
                literals.add(value)
        if isinstance(schema.get("const"), str):
            literals.add(schema["const"])
        if isinstance(schema.get("pattern"), str):
            patterns.add(schema["pattern"])
        for value in schema.values():
            _schema_texts(value, literals, patterns)
    elif isinstance(schema, list):
        for value in schema:
            _schema_texts(value, literals, patterns)
