"""The YAML reader: values built straight from PyYAML's parser events, with no
recursion, counting nesting, aliases and values as it goes (see documents.py for
what it refuses and why)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import yaml
from yaml.events import (AliasEvent, MappingEndEvent, MappingStartEvent, ScalarEvent, SequenceEndEvent,
                         SequenceStartEvent, StreamEndEvent)
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from ..limits import MAX_NUMBER_DIGITS, Limits
from ..patterns import LazyPattern

from .problems import DocumentError, Problem, _Refused, _escape, _line_col, _short

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_TAG = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp", "value")}  # of a scalar
_OCTAL = LazyPattern(r"[-+]?0[0-7_]+")


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
    return _in_range(value, written, node)


def _construct_int(loader, node):
    try:
        value = yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)
    except ValueError:  # more digits than Python converts
        raise _refusal("number_out_of_range", f"`{_short(node.value)}` has more than {MAX_NUMBER_DIGITS} digits",
                       node) from None
    return _in_range(value, node.value, node)


def _in_range(value, written: str, node):
    """The number, unless it is too big or too precise to be exact (`_number_problem`)."""
    problem = _number_problem(value, written)
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
