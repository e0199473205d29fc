"""Documents: loaded exactly and safely from YAML or JSON, with a table of positions.

Numbers are never binary floats: YAML and JSON decimals become `Decimal`,
integers stay `int`. YAML dates become ISO text, as in JSON, so a document
means the same in either format. Positions (line and column of every JSON
path) are worked out only when a result needs them.

Every input is treated as hostile until it has loaded:

- YAML is read with the safe constructors only, and only the tags of plain
  data are accepted (text, numbers, booleans, null, dates, lists, mappings);
  `!!python/object`, `!!binary`, `!!set` and any local tag are refused with
  their line.
- The YAML reader is our own (`_Reader`): it builds values straight from the
  parser's events, without PyYAML's node graph and without recursion, and
  counts nesting depth, aliases and values (after alias expansion) as it goes,
  stopping at the first limit passed (`Limits`). A "billion laughs" document,
  a recursive alias or one nested a million deep is refused in milliseconds,
  before anything big is built. JSON nesting is measured before `json.loads`
  runs. The same reader, reading a second time, makes the table of positions.
- A mapping key written twice is an error naming both lines; keys must be text.
- YAML 1.1 readings that surprise (`010` is the octal 8, `1:30` the base-60
  90) are refused; others (`NO` read as false, `1e3` read as text) are
  remembered and explained when the document does not match its schema
  (`reading_hint`); dates written without quotes are remembered by path
  (`Document.dates`) so that validation can refuse one where text is wanted.
- NaN, infinities, numbers of more than 100 digits or beyond 10^100, text
  that is not UTF-8, control characters (escape sequences a terminal would act
  on) and halves of surrogate pairs, an empty input and a second YAML document
  are refused with one line naming the file and the place.

SECURITY.md states the threat model and the limits.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import accumulate
from pathlib import Path

import yaml
from yaml.events import (AliasEvent, MappingEndEvent, MappingStartEvent, ScalarEvent, SequenceEndEvent,
                         SequenceStartEvent, StreamEndEvent)
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .limits import DEFAULT_LIMITS, MAX_NUMBER_DIGITS, Limits

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# ---- problems -----------------------------------------------------------------------------------

class DocumentError(Exception):
    """An input that cannot be checked: unreadable, not YAML/JSON, or not of its kind's schema.

    `problems` holds one `Problem` per thing wrong, each with its location.
    """

    def __init__(self, problems: list["Problem"]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, as `file:line:col: message`."""

    file: str
    message: str
    line: int | None = None
    column: int | None = None
    path: str | None = None
    hint: str | None = None
    code: str | None = None  # a stable name of what is wrong (`too_deep`, `duplicate_key`...), when known

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        text = f"{where}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text


class _Refused(Exception):
    """Raised inside the loader: a message, the mark of the place, and a hint."""

    def __init__(self, code: str, message: str, mark=None, hint: str | None = None, line: int | None = None,
                 column: int | None = None):
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint
        self.line, self.column = (mark.line + 1, mark.column + 1) if mark is not None else (line, column)

    def problem(self, name: str) -> Problem:
        return Problem(name, self.message, self.line, self.column, hint=self.hint, code=self.code)


# ---- the YAML loader ------------------------------------------------------------------------------

_TAG = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp", "value")}  # of a scalar
_OCTAL = re.compile(r"[-+]?0[0-7_]+")


class _ExactLoader(_BaseLoader):
    """PyYAML's safe loader, but decimals are Decimal and dates are ISO text."""


def _number_problem(value, written: str) -> str | None:
    """Why a number read from a document is refused, or None."""
    if type(value) is int:
        if value.bit_length() > 333:  # 2**333 > 10**100
            return f"`{_short(written)}` has more than {MAX_NUMBER_DIGITS} digits"
        return None
    if not value.is_finite():
        return f"`{_short(written)}` is not a finite number"
    digits, magnitude = len(value.as_tuple().digits), value.adjusted()
    if digits > MAX_NUMBER_DIGITS or not -MAX_NUMBER_DIGITS <= magnitude < MAX_NUMBER_DIGITS:
        return f"`{_short(written)}` has more than {MAX_NUMBER_DIGITS} digits or lies beyond 10^{MAX_NUMBER_DIGITS}"
    return None


def _refusal(code: str, message: str, node) -> yaml.constructor.ConstructorError:
    error = yaml.constructor.ConstructorError(None, None, message, node.start_mark)
    error.iompolicy_code = code
    return error


def _construct_decimal(loader, node):
    written = loader.construct_scalar(node)
    text = written.replace("_", "").lower()
    if text.lstrip("+-") in (".inf", ".nan"):
        raise _refusal("not_finite", f"`{node.value}` is not a finite number", node)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _refusal("not_a_number", f"`{_short(node.value)}` is not a number", node) from None
    problem = _number_problem(value, written)
    if problem:
        raise _refusal("number_out_of_range", problem, node)
    return value


def _construct_int(loader, node):
    try:
        value = yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)
    except ValueError:  # more digits than Python converts
        raise _refusal("number_out_of_range", f"`{_short(node.value)}` has more than {MAX_NUMBER_DIGITS} digits",
                       node) from None
    problem = _number_problem(value, node.value)
    if problem:
        raise _refusal("number_out_of_range", problem, node)
    return value


def _construct_date_text(loader, node):
    try:
        value = yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        raise _refusal("invalid_date", f"`{node.value}` is not a calendar date", node) from None
    return value.isoformat()


_ExactLoader.add_constructor(_TAG + "float", _construct_decimal)
_ExactLoader.add_constructor(_TAG + "int", _construct_int)
_ExactLoader.add_constructor(_TAG + "timestamp", _construct_date_text)
_ExactLoader.add_constructor(_TAG + "value", yaml.constructor.SafeConstructor.construct_yaml_str)


_MERGE = object()  # the key `<<`


class _Frame:
    """A list or mapping being read."""

    __slots__ = ("is_map", "value", "path", "key", "key_mark", "keys", "size", "merged", "merges", "anchor",
                 "order", "start", "count")

    def __init__(self, is_map: bool, value, path: str, merged: bool, anchor: str | None, order: int, start: int):
        self.is_map, self.value, self.path, self.merged = is_map, value, path, merged
        self.key = None  # a mapping's key waiting for its value: text, or _MERGE
        self.key_mark = None
        self.keys: dict[str, int] = {}  # a mapping's keys so far -> line of each
        self.size = 1  # keys and values in it, itself included, counting what aliases repeat
        self.merges: list | None = None  # the values given to `<<`, in order
        self.anchor, self.order = anchor, order
        self.start = start  # where its entries begin in the table (positions only)
        self.count = 0  # items of a list so far

    def merging(self) -> bool:
        """True when the next value is merged into a mapping (`<<: *base`) rather than placed in it."""
        return self.key is _MERGE if self.is_map else self.merged

    def child_path(self) -> str:
        if self.merging() or (self.is_map and self.key is None):
            return self.path
        if not self.is_map:
            return f"{self.path}[{self.count}]"
        return f"{self.path}.{self.key}"


class _Reader:
    """Reads a YAML event stream into values (or, with `table`, into a table of positions),
    one event at a time: no node graph, no recursion, every limit checked as it goes.

    With `strict`, tags, keys, duplicates, surprising numbers and a second document are
    refused; `limits` (None: none) bound depth, aliases and nodes.
    """

    def __init__(self, loader, limits: Limits | None, strict: bool = True, table: bool = False):
        self.loader, self.limits, self.strict, self.table = loader, limits, strict, table
        self.constructors = loader.yaml_constructors
        self.anchors: dict[str, tuple] = {}  # name -> (value, size, path, order, entries, written) once complete
        self.latest: dict[str, int] = {}  # name -> order of its latest definition, complete or not
        self.dates: dict[str, str] = {}  # path -> text of each date written without quotes
        self.stack: list[_Frame] = []
        self.total = self.aliases = self.order = 0
        self.positions: dict[str, tuple[int, int]] = {}
        self.written: dict[str, tuple[str, str]] = {}
        self.entries: list[tuple] = []  # (path, position, written) inside anchored nodes: what an alias repeats
        self.anchored = 0  # anchored lists and mappings open

    def read(self):
        """The document's value (None for an empty stream)."""
        loader = self.loader
        loader.get_event()  # stream start
        if loader.check_event(StreamEndEvent):
            return None
        loader.get_event()  # document start
        stack = self.stack
        while True:
            event = loader.get_event()
            kind = type(event)
            if kind is ScalarEvent:
                if stack and stack[-1].is_map and stack[-1].key is None:
                    self.key(stack[-1], event)
                    continue
                value, size = self.scalar(event), 1
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                self.start(event, kind is MappingStartEvent)
                continue
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                value, size = self.end(event)
            elif kind is AliasEvent:
                value, size = self.alias(event)
            else:
                raise _Refused("invalid_yaml", f"unexpected {kind.__name__}", getattr(event, "start_mark", None))
            if not stack:
                break
            self.add(stack[-1], value, size)
        loader.get_event()  # document end
        if self.strict and not loader.check_event(StreamEndEvent):
            raise _Refused("several_documents", "a second YAML document starts here; a file holds one document",
                           loader.peek_event().start_mark, "split the file, one document per file")
        return value

    # ---- where a value goes ---------------------------------------------------------------
    def here(self, mark) -> tuple[str, object]:
        """The path of the value starting at `mark`, and the mark its position is shown at."""
        if not self.stack:
            return "$", mark
        frame = self.stack[-1]
        return frame.child_path(), (frame.key_mark if frame.is_map and not frame.merging() else mark)

    def record(self, path: str, mark, written: tuple | None) -> None:
        position = (mark.line + 1, mark.column + 1)
        if self.anchored:
            self.entries.append((path, position, written))
        self.put(path, position, written, any(f.merging() for f in self.stack))

    def put(self, path: str, position, written, merged: bool) -> None:
        if merged and path in self.positions:
            return  # what a merge brings never replaces what is written in the mapping itself
        self.positions[path] = position
        if written is not None:
            self.written[path] = written
        else:
            self.written.pop(path, None)

    def count(self, size: int, mark) -> None:
        self.total += size
        if self.limits is not None and self.total > self.limits.max_nodes:
            raise _Refused("too_many_values", f"more than {self.limits.max_nodes:,} keys and values (counting what "
                           "aliases repeat)", mark, "raise --max-nodes if the document is genuine")

    # ---- events ---------------------------------------------------------------------------
    def key(self, frame: _Frame, event) -> None:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(ScalarNode, event.value, event.implicit)
        self.count(1, event.start_mark)
        frame.size += 1
        frame.key_mark = event.start_mark
        if tag == _TAG + "merge":
            frame.key = _MERGE
            return
        if self.strict:
            if tag not in (_TAG + "str", _TAG + "value"):
                node = ScalarNode(tag, event.value, event.start_mark, event.end_mark)
                raise _Refused("key_not_text", f"a mapping key must be text, but `{_short(event.value)}` is read as "
                               f"{_reading(node)}", event.start_mark, f'write "{_escape(event.value)}" in quotes')
            first = frame.keys.get(event.value)
            if first is not None:
                raise _Refused("duplicate_key", f"the key `{_short(event.value)}` is written twice in this mapping "
                               f"(lines {first} and {event.start_mark.line + 1})", event.start_mark,
                               "keep one of them: a document must not depend on which one a reader keeps")
            frame.keys[event.value] = event.start_mark.line + 1
        frame.key = event.value

    def scalar(self, event):
        tag = event.tag
        explicit = tag is not None and tag != "!"
        if not explicit:
            tag = self.loader.resolve(ScalarNode, event.value, event.implicit)
        plain = not explicit and not event.style
        self.count(1, event.start_mark)
        path, mark = self.here(event.start_mark)
        if self.strict:
            if tag not in _ALLOWED_TAGS:
                raise _refused_tag(tag, event.start_mark)
            if plain:
                _check_plain(tag, event, path, self.dates)
        if event.anchor is not None:
            self.order += 1
            self.latest[event.anchor] = self.order
        written = (tag, event.value) if plain else None
        if self.table:
            self.record(path, mark, written)
            value = None
        elif tag == _TAG + "str":
            value = event.value
        else:
            constructor = self.constructors.get(tag)
            if constructor is None:
                raise _refused_tag(tag, event.start_mark)
            value = constructor(self.loader, ScalarNode(tag, event.value, event.start_mark, event.end_mark,
                                                        style=event.style or None))
        if event.anchor is not None:
            end = len(self.entries)
            self.anchors[event.anchor] = (value, 1, path, self.order, (end, end), written)
        return value

    def start(self, event, is_map: bool) -> None:
        stack = self.stack
        if self.limits is not None and len(stack) >= self.limits.max_depth:
            raise _Refused("too_deep", f"lists and mappings are nested more than {self.limits.max_depth} levels deep",
                           event.start_mark, "raise --max-depth if the document is genuine")
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(MappingNode if is_map else SequenceNode, None, event.implicit)
        if self.strict and tag not in (_TAG + "map", _TAG + "seq"):
            raise _refused_tag(tag, event.start_mark)
        if stack and stack[-1].is_map and stack[-1].key is None:
            raise _Refused("key_not_text", "a mapping key must be text, not a list or a mapping", event.start_mark)
        self.count(1, event.start_mark)
        path, mark = self.here(event.start_mark)
        merged = bool(stack) and not is_map and stack[-1].merging()
        if self.table and not (stack and stack[-1].merging()):
            self.record(path, mark, None)
        order = 0
        if event.anchor is not None:
            self.order += 1
            order = self.latest[event.anchor] = self.order
        value = None if self.table else {} if is_map else []
        stack.append(_Frame(is_map, value, path, merged, event.anchor, order, len(self.entries)))
        if event.anchor is not None:
            self.anchored += 1

    def end(self, event):
        frame = self.stack.pop()
        value = frame.value
        if frame.anchor is not None:
            self.anchored -= 1
        if frame.merges is not None and not self.table:
            value = _merged(frame, event)
        if frame.anchor is not None and self.latest[frame.anchor] == frame.order:
            self.anchors[frame.anchor] = (value, frame.size, frame.path, frame.order, (frame.start, len(self.entries)),
                                          None)
        return value, frame.size

    def alias(self, event):
        self.aliases += 1
        if self.limits is not None and self.aliases > self.limits.max_aliases:
            raise _Refused("too_many_aliases", f"more than {self.limits.max_aliases} aliases (`*name`): refused as a "
                           "possible alias bomb", event.start_mark, "raise --max-aliases if the document is genuine")
        name = event.anchor
        if name not in self.latest:
            raise _Refused("undefined_alias", f"the alias `*{name}` has no anchor `&{name}` before it",
                           event.start_mark)
        if name not in self.anchors or self.anchors[name][3] != self.latest[name]:
            raise _Refused("recursive_value", f"the alias `*{name}` is inside the node it refers to (a recursive "
                           "structure)", event.start_mark)
        if self.stack and self.stack[-1].is_map and self.stack[-1].key is None:
            raise _Refused("key_not_text", "a mapping key must be written, not an alias", event.start_mark)
        value, size, source, _, (first, end), written = self.anchors[name]
        self.count(size, event.start_mark)
        target, mark = self.here(event.start_mark)
        if self.dates:
            _copy_dates(self.dates, source, target)
        if self.table:  # the alias repeats the positions of what it names, under its own path
            merged = any(f.merging() for f in self.stack)
            if not merged:
                self.record(target, mark, written)
            for path, position, written in self.entries[first:end]:
                new = target + path[len(source):]
                if self.anchored:
                    self.entries.append((new, position, written))
                self.put(new, position, written, merged)
        return value, size

    def add(self, frame: _Frame, value, size: int) -> None:
        frame.size += size
        if not frame.is_map:
            if not self.table:
                frame.value.append(value)
            frame.count += 1
            return
        if frame.key is _MERGE:
            if frame.merges is None:
                frame.merges = []
            frame.merges.append((value, frame.key_mark))
        elif not self.table:
            frame.value[frame.key] = value
        frame.key = None


def _merged(frame: _Frame, event) -> dict:
    """A mapping with its `<<` merges: explicit keys win, then the earlier merged mapping (as PyYAML)."""
    result: dict = {}
    for value, mark in frame.merges:
        sources = value if isinstance(value, list) else [value]
        if not all(isinstance(source, dict) for source in sources):
            raise _Refused("invalid_yaml", "`<<` merges a mapping or a list of mappings, nothing else", mark)
        for source in reversed(sources):
            result.update(source)
    result.update(frame.value)
    return result


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG):] if tag.startswith(_TAG) else tag


def _base60(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    value = 0
    for part in text.lstrip("+-").replace("_", "").split(":"):
        value = value * 60 + int(part)
    return sign * value


def _check_plain(tag: str, event, path: str, dates: dict) -> None:
    """Refuse the YAML 1.1 readings of plain text that surprise; remember dates."""
    text = event.value
    if tag == _TAG + "int":
        if _OCTAL.fullmatch(text):
            digits = text.lstrip("+-").replace("_", "")
            if int(digits, 8) != int(digits, 10):
                raise _Refused("yaml11_number", f"`{text}` is read by YAML 1.1 as the octal number "
                               f"{int(digits, 8)}, not {int(digits, 10)}", event.start_mark,
                               f'write {int(digits, 10)} without the leading zero, or "{text}" in quotes for text')
        elif ":" in text:
            raise _Refused("yaml11_number", f"`{text}` is read by YAML 1.1 as the base-60 number {_base60(text)}",
                           event.start_mark, f'write the number in decimal, or "{text}" in quotes for text')
    elif tag == _TAG + "float" and ":" in text:
        raise _Refused("yaml11_number", f"`{text}` is read by YAML 1.1 as a base-60 number", event.start_mark,
                       f'write the number in decimal, or "{text}" in quotes for text')
    elif tag == _TAG + "timestamp":
        dates[path] = text


def _copy_dates(dates: dict, source: str, target: str) -> None:
    """An alias repeats the dates of its anchor's node at another path."""
    for path, text in list(dates.items()):
        if path == source or path.startswith(source + ".") or path.startswith(source + "["):
            dates[target + path[len(source):]] = text


def _refused_tag(tag: str, mark) -> _Refused:
    return _Refused("unsupported_tag", f"the tag `{_short_tag(tag)}` is not allowed: a document holds only text, "
                    "numbers, booleans, null, dates, lists and mappings", mark)


def _reading(node) -> str:
    """How YAML 1.1 reads a plain scalar, in words."""
    tag, text = node.tag, node.value
    if tag == _TAG + "bool":
        return f"the boolean {'true' if text.lower() in ('yes', 'true', 'on') else 'false'}"
    if tag == _TAG + "null":
        return "null"
    if tag in (_TAG + "int", _TAG + "float"):
        return "a number"
    if tag == _TAG + "timestamp":
        return "a date"
    return "text"


def _parse_yaml(text: str, name: str, limits: Limits):
    loader = _ExactLoader(text)
    try:
        reader = _Reader(loader, limits)
        return reader.read(), reader.dates
    except _Refused as refused:
        raise DocumentError([refused.problem(name)]) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = error.problem or error.context or "not valid YAML"
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        code = getattr(error, "iompolicy_code", None)
        if code is None and "nesting depth" in message:
            # PyYAML 6.0.4's parser has a depth limit of its own, and scans ahead far enough
            # to reach it before the reader sees the level that passes ours.
            code = "too_deep"
            message = f"lists and mappings are nested more than {limits.max_depth} levels deep"
        if code is None:
            code, message = "invalid_yaml", f"not valid YAML: {message}"
        raise DocumentError([Problem(name, message, line, column, code=code)]) from None
    except yaml.reader.ReaderError as error:
        line, column = _line_col(text, error.position)
        character = f"#x{error.character:04x}" if isinstance(error.character, int) else repr(error.character)
        raise DocumentError([Problem(name, f"not valid YAML: the character {character} is not allowed",
                                     line, column, code="invalid_yaml")]) from None
    except yaml.YAMLError as error:
        raise DocumentError([Problem(name, f"not valid YAML: {error}", code="invalid_yaml")]) from None
    finally:
        loader.dispose()


# ---- JSON -------------------------------------------------------------------------------------

_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_JSON_CONSTANT = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|(-?Infinity|NaN)')


class _JsonRefused(Exception):
    def __init__(self, code: str, message: str, token: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.code, self.message, self.token, self.hint = code, message, token, hint


def _json_depth_problem(text: str, limits: Limits) -> _Refused | None:
    """Nesting deeper than allowed, found before `json.loads` recurses into it."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    if not brackets or max(accumulate(map(_BRACKET_STEP.get, brackets))) <= limits.max_depth:
        return None
    depth = 0
    for match in _JSON_TOKENS.finditer(text):  # only now, find where
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limits.max_depth:
                line, column = _line_col(text, match.start())
                return _Refused("too_deep", f"lists and objects are nested more than {limits.max_depth} levels deep",
                                line=line, column=column, hint="raise --max-depth if the document is genuine")
        elif token in "]}":
            depth -= 1
    return _Refused("too_deep", f"lists and objects are nested more than {limits.max_depth} levels deep")


def _json_object(pairs: list) -> dict:
    value = dict(pairs)
    if len(value) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise _JsonRefused("duplicate_key", f"the key `{_short(key)}` is written twice in one object",
                                   json.dumps(key),
                                   "keep one of them: a document must not depend on which one a reader keeps")
            seen.add(key)
    return value


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise _JsonRefused("number_out_of_range", f"`{_short(text)}` has more than {MAX_NUMBER_DIGITS} digits", text)
    return int(text)


def _json_decimal(text: str) -> Decimal:
    value = Decimal(text)
    problem = _number_problem(value, text)
    if problem:
        raise _JsonRefused("number_out_of_range", problem, text)
    return value


def _json_constant(name: str):
    raise _JsonRefused("not_finite", f"`{name}` is not a finite number", name)


def _parse_json(text: str, name: str, limits: Limits):
    deep = _json_depth_problem(text, limits)
    if deep is not None:
        raise DocumentError([deep.problem(name)])
    try:
        value = json.loads(text, parse_float=_json_decimal, parse_int=_json_int, parse_constant=_json_constant,
                           object_pairs_hook=_json_object)
    except json.JSONDecodeError as error:
        raise DocumentError([Problem(name, f"not valid JSON: {error.msg}", error.lineno, error.colno,
                                     code="invalid_json")]) from None
    except _JsonRefused as refused:
        line, column = _json_locate(text, refused)
        if refused.token and refused.token.startswith('"'):  # a duplicate key: name both lines
            lines = _duplicate_lines(text)
            if lines:
                line, column, first = lines
                refused.message += f" (lines {first} and {line})"
        raise DocumentError([Problem(name, refused.message, line, column, hint=refused.hint,
                                     code=refused.code)]) from None
    except RecursionError:  # only if --max-depth was raised beyond what Python can recurse
        raise DocumentError([Problem(name, "lists and objects are nested too deeply to read",
                                     code="too_deep")]) from None
    return value


def _json_locate(text: str, refused: _JsonRefused) -> tuple[int | None, int | None]:
    """Where the token a JSON hook refused is written (its first occurrence outside strings)."""
    token = refused.token
    if not token:
        return None, None
    if token in ("NaN", "Infinity", "-Infinity"):
        for match in _JSON_CONSTANT.finditer(text):
            if match.group(1) == token:
                return _line_col(text, match.start(1))
        return None, None
    position = text.find(token)
    return _line_col(text, position) if position >= 0 else (None, None)


def _duplicate_lines(text: str) -> tuple[int, int, int] | None:
    """(line, column, first line) of a duplicate key, found by composing the JSON as YAML."""
    loader = _BaseLoader(text)
    try:
        _Reader(loader, None, table=True).read()
    except _Refused as refused:
        match = re.search(r"\(lines (\d+) and \d+\)", refused.message)
        if match and refused.line is not None:
            return refused.line, refused.column, int(match.group(1))
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    return None


_UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_UNWANTED_ESCAPE = re.compile(r"\\(?:u(?:[dD][89a-fA-F]|00[01]|007[fF]|00[89])[0-9a-fA-F]|x[01][0-9a-fA-F]|"
                              r"x7[fF]|x[89][0-9a-fA-F]|[0abevfN])")
_CONTROL_NAMES = {0x00: "NUL", 0x07: "bell", 0x08: "backspace", 0x1B: "escape", 0x7F: "delete", 0x9B: "CSI"}


def _escape_position(text: str) -> tuple[int | None, int | None]:
    """Where the first escape of an unwanted character is written, when the text has no positions."""
    found = _UNWANTED_ESCAPE.search(text)
    return _line_col(text, found.start()) if found else (None, None)


def _unwanted_characters(document: "Document") -> Problem | None:
    """A control character (a terminal would act on it: `\\e[2J`) or half a surrogate pair, in any
    key or text of the document. Both can only be written as escapes, so text with no backslash
    is not walked at all."""
    stack = [("$", document.value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                stack.append((f"a key of {path}", key))
                stack.append((f"{path}.{key}", value))
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", value) for i, value in enumerate(item))
        elif isinstance(item, str):
            found = _UNWANTED.search(item)
            if found is None:
                continue
            code = ord(found.group())
            line, column = document.position(path.removeprefix("a key of ")) or _escape_position(document.text)
            if 0xD800 <= code <= 0xDFFF:
                return Problem(document.name, f"{path}: `\\u{code:04x}` is half of a surrogate pair, not a character",
                               line, column, path, code="invalid_text")
            what = f"U+{code:04X}" + (f" ({_CONTROL_NAMES[code]})" if code in _CONTROL_NAMES else "")
            return Problem(document.name, f"{path}: the text holds the control character {what}, which a terminal "
                           "would act on", line, column, path, "remove it: only tab and line breaks are allowed",
                           code="control_character")
    return None


# ---- documents --------------------------------------------------------------------------------

@dataclass
class Document:
    """A loaded document: its value, where it came from and (lazily) positions.

    `dates` maps the JSON path of each YAML date written without quotes to its
    text (the value holds the date as ISO text, as JSON would).
    """

    value: object
    name: str = "<document>"
    text: str | None = None
    format: str | None = None  # "yaml" | "json" | None for a value built in Python
    dates: dict = field(default_factory=dict, repr=False)
    _positions: dict | None = field(default=None, repr=False)
    _written: dict | None = field(default=None, repr=False)

    @property
    def kind(self) -> str | None:
        return self.value.get("kind") if isinstance(self.value, dict) else None

    @property
    def id(self) -> str | None:
        if isinstance(self.value, dict):
            for key in ("id", "document"):
                if isinstance(self.value.get(key), str):
                    return self.value[key]
        return None

    def _tables(self) -> tuple[dict, dict]:
        if self._positions is None:
            self._positions, self._written = _tables(self.text)
        return self._positions, self._written

    def position(self, path: str | None) -> tuple[int, int] | None:
        """Line and column of a JSON path, or of its nearest ancestor that is there."""
        if path is None or self.text is None:
            return None
        positions, _ = self._tables()
        while path:
            if path in positions:
                return positions[path]
            cut = max(path.rfind("."), path.rfind("["))
            if cut <= 0:
                break
            path = path[:cut]
        return positions.get("$")

    def reading_hint(self, path: str | None) -> str | None:
        """What a YAML scalar at `path` was read as when that may not be what was meant
        (`NO` the boolean false, `1e3` text, an empty value null); None otherwise."""
        if path is None or self.text is None or self.format != "yaml":
            return None
        _, written = self._tables()
        found = written.get(path)
        return _hint(*found) if found else None


_NUMBER_LIKE = re.compile(r"[-+]?(?:\d[\d_]*)?\.?\d*(?:[eE][-+]?\d+)?|[-+]?0[oO][0-7]+")


def _hint(tag: str, text: str) -> str | None:
    quoted = f'write "{_escape(text)}" in quotes if you meant text'
    if tag == _TAG + "bool":
        return f"`{text}` was read as {_reading(ScalarNode(tag, text))}; {quoted}"
    if tag == _TAG + "null":
        if text == "":
            return "nothing is written here, which YAML reads as null"
        return f"`{text}` was read as null; {quoted}"
    if tag in (_TAG + "int", _TAG + "float"):
        return f"`{text}` was read as a number; {quoted}"
    if tag == _TAG + "timestamp":
        return f"`{text}` was read as a date{' and time' if len(text) > 10 else ''}; {quoted}"
    if tag == _TAG + "str" and any(c.isdigit() for c in text) and _NUMBER_LIKE.fullmatch(text):
        if re.fullmatch(r"[-+]?0[0-9_]+", text):
            return (f"`{text}` was read as text: in YAML 1.1 a leading zero makes a number octal, and "
                    f"{text.lstrip('+-')} is not one; write it without the leading zero")
        if "o" in text.lower():
            return f"`{text}` was read as text: YAML 1.1 has no 0o prefix; write the number in decimal"
        return (f"`{text}` was read as text: YAML 1.1 reads an exponent only after a dot and with a sign "
                "(1.0e+5); write the number in full, like 100000")
    return None


def load_text(text: str, name: str = "<stdin>", format: str | None = None, limits: Limits | None = None) -> Document:
    """Parse YAML or JSON text (JSON when `format` says so or the name ends in .json)."""
    limits = limits or DEFAULT_LIMITS
    if len(text) > limits.max_bytes or (len(text) * 4 > limits.max_bytes
                                        and len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes):
        raise DocumentError([_too_big(name, limits)])
    if text.startswith("\ufeff"):
        text = text[1:]
    fmt = format or ("json" if name.endswith(".json") else "yaml")
    dates: dict = {}
    if fmt == "json":
        value = _parse_json(text, name, limits)
    else:
        value, dates = _parse_yaml(text, name, limits)
    if value is None:
        raise DocumentError([Problem(name, "the document is empty", code="empty")])
    if not isinstance(value, dict):
        raise DocumentError([Problem(name, "a document must be a mapping with a `kind` field", 1, 1,
                                     code="not_a_mapping")])
    document = Document(value, name, text, fmt, dates)
    if "\\" in text:
        unwanted = _unwanted_characters(document)
        if unwanted is not None:
            raise DocumentError([unwanted])
    return document


def load_bytes(data: bytes, name: str = "<stdin>", format: str | None = None,
               limits: Limits | None = None) -> Document:
    """Decode UTF-8 (a byte-order mark is allowed) and parse."""
    limits = limits or DEFAULT_LIMITS
    if len(data) > limits.max_bytes:
        raise DocumentError([_too_big(name, limits)])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise DocumentError([Problem(name, f"not UTF-8 text (byte {error.start}: 0x{data[error.start]:02x})",
                                     line, column, hint="save the file as UTF-8", code="not_utf8")]) from None
    return load_text(text, name, format, limits)


def load_file(path: str | Path, limits: Limits | None = None) -> Document:
    """Read and parse one YAML or JSON file, reading no more than `limits.max_bytes`."""
    limits = limits or DEFAULT_LIMITS
    path = Path(path)
    try:
        with open(path, "rb") as stream:
            data = stream.read(limits.max_bytes + 1)
    except FileNotFoundError:
        raise DocumentError([Problem(str(path), "no such file", code="no_such_file")]) from None
    except IsADirectoryError:
        raise DocumentError([Problem(str(path), "is a folder, not a file", code="unreadable")]) from None
    except OSError as error:
        raise DocumentError([Problem(str(path), f"cannot read: {error.strerror or error}",
                                     code="unreadable")]) from None
    return load_bytes(data, str(path), "json" if path.suffix == ".json" else "yaml", limits)


def read_limited(stream, limits: Limits | None = None) -> bytes:
    """At most `max_bytes + 1` bytes of a binary stream (enough to tell it is too big)."""
    limits = limits or DEFAULT_LIMITS
    return stream.read(limits.max_bytes + 1)


def as_document(value, name: str = "<document>") -> Document:
    """A `Document` from a Document, a dict, or a path."""
    if isinstance(value, Document):
        return value
    if isinstance(value, dict):
        return Document(value, name)
    if isinstance(value, (str, Path)):
        return load_file(value)
    raise TypeError(f"cannot check a {type(value).__name__}; pass a dict, a path or a Document")


def _too_big(name: str, limits: Limits) -> Problem:
    return Problem(name, f"larger than {_size(limits.max_bytes)}: refused unread",
                   hint="raise --max-bytes if the document is genuine", code="too_big")


def _size(count: int) -> str:
    if count % (1024 * 1024) == 0:
        return f"{count // (1024 * 1024)} MiB"
    if count % 1024 == 0:
        return f"{count // 1024} KiB"
    return f"{count:,} bytes"


def _tables(text: str | None) -> tuple[dict[str, tuple[int, int]], dict[str, tuple[str, str]]]:
    """JSON path -> (line, column) of every node (a mapping value: its key's), and
    JSON path -> (tag, text) of every plain (unquoted) scalar value; empty if the
    text does not read. Limits were checked when the document loaded."""
    if text is None:
        return {}, {}
    loader = _BaseLoader(text)
    reader = _Reader(loader, None, strict=False, table=True)
    try:
        reader.read()
    except (yaml.YAMLError, _Refused):
        return {}, {}
    finally:
        loader.dispose()
    return reader.positions, reader.written


def _positions(text: str | None) -> dict[str, tuple[int, int]]:
    return _tables(text)[0]


def _line_col(text: str, offset: int | None) -> tuple[int | None, int | None]:
    if offset is None or offset < 0:
        return None, None
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def date_of(value) -> dt.date | None:
    """A date from a date or ISO text, else None."""
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None
