"""The YAML reader: values built straight from PyYAML's parser events, with no
recursion, counting nesting, aliases and values as it goes (see documents.py for
what it refuses and why)."""

from __future__ import annotations

import sys
from decimal import Decimal, InvalidOperation

import yaml
from yaml.events import (AliasEvent, MappingEndEvent, MappingStartEvent, ScalarEvent, SequenceEndEvent,
                         SequenceStartEvent, StreamEndEvent)
from yaml.nodes import ScalarNode

from ..limits import MAX_NUMBER_DIGITS, Limits
from ..patterns import LazyPattern
from ..records import Record
from ..stopping import Stopped, stop_flag

from .problems import DocumentError, Problem, Refused, escape_quotes, line_col, shorten

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when installed: the same reading, faster
PureLoader = yaml.SafeLoader


YAML_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP, _VALUE, _MERGE_TAG, _MAP, _SEQ = (
    YAML_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp", "value", "merge", "map", "seq"))
_RESOLVED: dict[type, dict[str, str]] = {}  # loader class -> plain scalar text -> the tag the resolver gives it
_OCTAL = LazyPattern(r"[-+]?0[0-7_]+")
_INT_LIMIT = 10 ** MAX_NUMBER_DIGITS  # a number lies within ±10^100
NOTED_AT_MOST = 10_000  # entries of the table of positions noted while reading values (a proposal has some 50)


def number_problem(value, written: str) -> str | None:
    """Why a number read from a document is refused, or None."""
    if type(value) is int:
        if abs(value) >= _INT_LIMIT:
            return f"`{shorten(written)}` has more than {MAX_NUMBER_DIGITS} digits"
        return None
    if not value.is_finite():
        return f"`{shorten(written)}` is not a finite number"
    digits, magnitude = len(value.as_tuple().digits), value.adjusted()
    if digits > MAX_NUMBER_DIGITS or not -MAX_NUMBER_DIGITS <= magnitude < MAX_NUMBER_DIGITS:
        return f"`{shorten(written)}` has more than {MAX_NUMBER_DIGITS} digits or lies beyond 10^{MAX_NUMBER_DIGITS}"
    return None


def _in_range(value, written: str, mark):
    """The number, unless it is too big or too precise to be exact (`number_problem`)."""
    problem = number_problem(value, written)
    if problem:
        raise Refused("number_out_of_range", problem, mark)
    return value


def _construct_decimal(loader, text: str, mark):
    if text.lstrip("+-").lower() in (".inf", ".nan"):
        raise Refused("not_finite", f"`{text}` is not a finite number", mark)
    try:
        value = Decimal(text)
    except InvalidOperation:  # an exponent beyond what Decimal holds
        raise Refused("number_out_of_range", f"`{shorten(text)}` has more than {MAX_NUMBER_DIGITS} digits or lies "
                       f"beyond 10^{MAX_NUMBER_DIGITS}", mark) from None
    return _in_range(value, text, mark)


def _construct_int(loader, text: str, mark):
    # Only decimal integers get here (_check_plain refuses the other notations), and the
    # length is checked before int() converts: Python refuses more than 4,300 digits.
    if len(text.lstrip("+-").lstrip("0")) > MAX_NUMBER_DIGITS:
        raise Refused("number_out_of_range", f"`{shorten(text)}` has more than {MAX_NUMBER_DIGITS} digits", mark)
    return _in_range(int(text, 10), text, mark)


def _construct_date_text(loader, text: str, mark):
    node = ScalarNode(_TIMESTAMP, text, mark, mark)
    try:
        value = yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        raise Refused("invalid_date", f"`{text}` is not a calendar date", mark) from None
    return value.isoformat()


_CONSTRUCTORS = {  # how a plain scalar is read, by the tag the YAML 1.1 resolver gives it
    _INT: _construct_int,
    _FLOAT: _construct_decimal,
    _TIMESTAMP: _construct_date_text,
    _BOOL: lambda loader, text, mark: yaml.constructor.SafeConstructor.bool_values[text.lower()],
    _NULL: lambda loader, text, mark: None,
}


class _Frame:
    """A list or mapping being read."""

    __slots__ = ("is_map", "value", "path", "key", "key_mark", "keys", "size", "anchor", "order", "start", "count",
                 "flow", "indent", "mark")

    def __init__(self, is_map: bool, value, path: str, anchor: str | None, order: int, start: int, flow: bool = False,
                 indent: int = -1, mark=None):
        self.is_map, self.value, self.path = is_map, value, path
        self.flow = flow  # written in flow style: `[...]` or `{...}`
        self.indent = indent  # a flow collection: the column its later lines must reach (-1: any)
        self.mark = mark  # where it starts
        self.key = None  # a mapping's key waiting for its value
        self.key_mark = None
        self.keys: dict[str, int] = {}  # a mapping's keys so far -> line of each
        self.size = 1  # keys and values in it, itself included, counting what aliases repeat
        self.anchor, self.order = anchor, order
        self.start = start  # where its entries begin in the table (positions only)
        self.count = 0  # items of a list so far


class _Anchor(Record, fields="value size path order entries written key"):
    """What an anchor names, once complete: its value, its size in keys and values, its path
    ("" for a key), its order of definition, the slice of the table it covers, how a plain
    scalar was written, and the text it gives as a mapping key (None unless it is text)."""

    __slots__ = ()


class EventReader:
    """Reads a YAML event stream into values and a table of positions (with `table`, into
    the table alone), one event at a time: no node graph, no recursion, every limit
    checked as it goes.

    With `strict`, tags, merge keys, keys that are not text, duplicates, surprising
    numbers and a second document are refused; `limits` (None: none) bound depth,
    aliases and nodes.
    """

    def __init__(self, loader, limits: Limits | None, strict: bool = True, table: bool = False,
                 text: str | None = None):
        self.loader, self.limits, self.strict, self.table = loader, limits, strict, table
        # The table is noted while the values are read: a second reading of a failing document
        # for its positions cost more than noting them the first time. Reading values, it
        # stops (the table is then None, and made by a second reading if asked for) at
        # the first alias or past NOTED_AT_MOST entries: aliases repeat entries, and a
        # table of a million entries would be kept for every document, failing or not.
        self.noting = True
        self.stack: list[_Frame] = []
        # With the text, what PyYAML's parsers read otherwise than YAML is refused (`_Quirks`).
        self.quirks = _Quirks(text, self.stack) if text is not None and strict else None
        self.resolved = _RESOLVED.setdefault(type(loader), {})  # the tags of plain scalars seen (`scalar_tag`)
        self.anchors: dict[str, _Anchor] = {}  # name -> what it names, once complete
        self.latest: dict[str, int] = {}  # name -> order of its latest definition, complete or not
        self.dates: dict[str, str] = {}  # path -> text of each date written without quotes
        self.total = self.aliases = self.order = 0
        # The limit on keys and values (no limit: one no count reaches): the hot paths test
        # it themselves, as a call of `count` for each key and value cost some 3% of reading.
        self.max_nodes = limits.max_nodes if limits is not None else sys.maxsize
        self.max_depth = limits.max_depth if limits is not None else sys.maxsize
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
        stop = stop_flag()  # read once: a call per event would cost the command line for nothing
        get_event, key, scalar, values = loader.get_event, self.key, self.scalar, not self.table
        while True:
            if stop is not None and stop.is_set():
                raise Stopped
            event = get_event()
            kind = type(event)
            if kind is ScalarEvent:
                frame = stack[-1] if stack else None
                if frame is not None and frame.is_map and frame.key is None:
                    key(frame, event)
                    continue
                value, size = scalar(event, frame), 1
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                self.start(event, kind is MappingStartEvent)
                continue
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                value, size = self.end()
            elif kind is AliasEvent:
                if stack and stack[-1].is_map and stack[-1].key is None:
                    self.alias_key(stack[-1], event)
                    continue
                value, size = self.alias(event)
            else:
                raise Refused("invalid_yaml", f"unexpected {kind.__name__}", getattr(event, "start_mark", None))
            if not stack:
                break
            frame = stack[-1]  # the value goes into it (written out: a call for each value cost more)
            frame.size += size
            if frame.is_map:
                if values:
                    frame.value[frame.key] = value
                frame.key = None
            else:
                if values:
                    frame.value.append(value)
                frame.count += 1
        loader.get_event()  # document end
        if self.quirks is not None:
            self.quirks.finish()
        if self.strict and not loader.check_event(StreamEndEvent):
            raise Refused("several_documents", "a second YAML document starts here; a file holds one document",
                           loader.peek_event().start_mark, "split the file, one document per file")
        return value

    # ---- where a value goes ---------------------------------------------------------------
    def here(self, mark) -> tuple[str, object]:
        """The path of the value starting at `mark`, and the mark its position is shown at."""
        if not self.stack:
            return "$", mark
        frame = self.stack[-1]
        if not frame.is_map:
            return f"{frame.path}[{frame.count}]", mark
        return (frame.path if frame.key is None else f"{frame.path}.{frame.key}"), frame.key_mark

    def record(self, path: str, mark, written: tuple | None) -> None:
        if not self.noting:
            return
        position = (mark.line + 1, mark.column + 1)
        if self.anchored:
            self.entries.append((path, position, written))
        self.put(path, position, written)
        if not self.table and len(self.positions) > NOTED_AT_MOST:
            self.stop_noting()

    def stop_noting(self) -> None:
        self.noting = False
        self.positions, self.written, self.entries = {}, {}, []

    def tables(self) -> tuple[dict, dict] | None:
        """(JSON path -> (line, column), JSON path -> (tag, text as written) of each plain
        scalar), or None when the reader stopped noting them."""
        return (self.positions, self.written) if self.noting else None

    def put(self, path: str, position, written) -> None:
        self.positions[path] = position
        if written is not None:
            self.written[path] = written
        else:
            self.written.pop(path, None)

    def count(self, size: int, mark) -> None:
        self.total += size
        if self.total > self.max_nodes:
            self.too_many_values(mark)

    def too_many_values(self, mark):  # raises; no `NoReturn`: importing typing costs every start 5 ms
        raise Refused("too_many_values", f"more than {self.max_nodes:,} keys and values (counting what aliases "
                       "repeat)", mark, "raise --max-nodes if the document is genuine")

    def define(self, name: str) -> int:
        """Note that the anchor `name` is (being) defined again; the order of this definition."""
        self.order += 1
        self.latest[name] = self.order
        return self.order

    # ---- events ---------------------------------------------------------------------------
    def key(self, frame: _Frame, event) -> None:
        """A scalar written as a key of the mapping `frame` (as in `scalar`, the common steps
        are written out)."""
        text, mark = event.value, event.start_mark
        tag = self.resolved.get(text) if event.tag is None and event.implicit[0] else None
        if tag is None:  # not a plain scalar seen before (their tags are looked up here: a call costs more)
            tag = self.scalar_tag(event)
        quirks = self.quirks
        if quirks is not None and (quirks.every_node or event.style or event.anchor is not None or frame.flow):
            quirks.scalar(event)  # only where a quirk can be (`_Quirks`)
        self.total += 1
        if self.total > self.max_nodes:
            self.too_many_values(mark)
        frame.size += 1
        if tag != _STR and self.strict:  # most keys are text
            if tag == _MERGE_TAG:
                raise Refused("merge_key", "`<<` merges other mappings into this one, and YAML readers disagree on "
                               "what that gives; a document does not use merge keys", mark,
                               'write the keys out in full, or "<<" in quotes for a key named <<')
            if tag != _VALUE:
                node = ScalarNode(tag, text, mark, event.end_mark)
                raise Refused("key_not_text", f"a mapping key must be text, but `{shorten(text)}` is read as "
                               f"{yaml11_words(node)}", mark, f'write "{escape_quotes(text)}" in quotes')
        self.take_key(frame, text, mark)
        if event.anchor is not None:  # `&name key: value` names the key, not the value
            end = len(self.entries)
            written = (tag, text) if event.tag is None and not event.style else None
            self.anchors[event.anchor] = _Anchor(text, 1, "", self.define(event.anchor), (end, end), written, text)

    def take_key(self, frame: _Frame, text: str, mark) -> None:
        """`text` is the key of the value to come (a key written twice is refused)."""
        if self.strict:
            if text in frame.keys:
                self.duplicate_key(frame, text, mark)
            frame.keys[text] = mark.line + 1
        frame.key, frame.key_mark = text, mark

    @staticmethod
    def duplicate_key(frame: _Frame, text: str, mark):  # raises (see too_many_values)
        first = frame.keys[text]
        raise Refused("duplicate_key", f"the key `{shorten(text)}` is written twice in this mapping (lines {first} "
                       f"and {mark.line + 1})", mark, "keep one of them: a document must not depend on which one a "
                       "reader keeps", first_line=first)

    def scalar_tag(self, event) -> str:
        """The tag a scalar is read with. In strict mode a tag written on a scalar is refused,
        except `!!str`; so is `!` (text, in YAML) on what would otherwise not be text."""
        tag = event.tag
        if tag is None:
            if not event.implicit[0]:  # quoted: text, as the resolver would say
                return self.loader.resolve(ScalarNode, event.value, event.implicit)
            # A plain scalar's tag depends on its text alone: documents repeat their keys and
            # many values, and the resolver tries a regular expression or more for each one.
            known = self.resolved.get(event.value)
            if known is None:
                if len(self.resolved) >= 4096:
                    self.resolved.clear()
                known = self.resolved[event.value] = self.loader.resolve(ScalarNode, event.value, event.implicit)
            return known
        if tag == "!":  # the non-specific tag: text, which PyYAML reads as if no tag were written
            implied = self.loader.resolve(ScalarNode, event.value, (True, False)) if not event.style else _STR
            if self.strict and implied != _STR:
                raise Refused("explicit_tag", f"`! {shorten(event.value)}` is text in YAML, but PyYAML reads it as "
                               f"{yaml11_words(ScalarNode(implied, event.value))}", event.start_mark,
                               f'write "{escape_quotes(event.value)}" in quotes for text, or leave out the `!`')
            return _STR
        if self.strict and tag != _STR:
            if tag in _CONSTRUCTORS or tag in (_VALUE, _MERGE_TAG):
                raise Refused("explicit_tag", f"the tag `{_short_tag(tag)}` is not allowed: a value is read from "
                               "how it is written, never from a tag", event.start_mark,
                               "leave out the tag: write a number in decimal, a date as YYYY-MM-DD, text in quotes")
            raise _refused_tag(tag, event.start_mark)
        if self.strict and event.value == "" and not event.style:
            raise Refused("explicit_tag", "the tag `!!str` stands on nothing: PyYAML's two parsers disagree on what "
                           "that is", event.start_mark, 'write "" for empty text')
        return tag

    def scalar(self, event, frame: _Frame | None):
        """The value of a scalar that is not a mapping's key; `frame` holds it (None: at the top).
        A document is mostly scalars, and a call costs about as much as the tests before
        `_check_plain` and `record`: those are made here."""
        text, mark = event.value, event.start_mark
        plain = event.tag is None and not event.style
        tag = self.resolved.get(text) if event.tag is None and event.implicit[0] else None
        if tag is None:  # not a plain scalar seen before (as in `key`)
            tag = self.scalar_tag(event)
        quirks = self.quirks
        if quirks is not None and (quirks.every_node or event.style or event.anchor is not None
                                   or (frame is not None and frame.flow)):
            quirks.scalar(event)  # only where a quirk can be (`_Quirks`)
        self.total += 1
        if self.total > self.max_nodes:
            self.too_many_values(mark)
        path, shown = self.here(mark)
        if plain and tag != _STR and self.strict:  # plain text has no other reading to refuse
            _check_plain(tag, event, path, self.dates)
        written = (tag, text) if plain else None
        self.record(path, shown, written)
        if self.table:
            value = None
        elif tag in (_STR, _VALUE, _MERGE_TAG):  # `=` and `<<` as values are text, as in YAML 1.2
            value = text
        else:
            constructor = _CONSTRUCTORS.get(tag)
            if constructor is None:
                raise _refused_tag(tag, mark)
            value = constructor(self.loader, text, mark)
        if event.anchor is not None:
            end = len(self.entries)
            self.anchors[event.anchor] = _Anchor(value, 1, path, self.define(event.anchor), (end, end), written,
                                                 text if tag == _STR else None)
        return value

    def start(self, event, is_map: bool) -> None:
        stack = self.stack
        if len(stack) >= self.max_depth:
            raise Refused("too_deep", f"lists and mappings are nested more than {self.max_depth} levels deep",
                           event.start_mark, "raise --max-depth if the document is genuine")
        tag = event.tag  # none, or `!`, is the collection's own tag; strict mode refuses any other
        if tag is not None and tag != "!" and self.strict and tag not in (_MAP, _SEQ):
            raise _refused_tag(tag, event.start_mark)
        if stack and stack[-1].is_map and stack[-1].key is None:
            raise Refused("key_not_text", "a mapping key must be text, not a list or a mapping", event.start_mark)
        self.total += 1
        if self.total > self.max_nodes:
            self.too_many_values(event.start_mark)
        path, mark = self.here(event.start_mark)
        self.record(path, mark, None)
        if self.quirks is not None and (self.quirks.every_node or event.anchor is not None
                                        or (stack and stack[-1].flow)):
            self.quirks.node(event)  # only where a quirk can be (`_Quirks`)
        order = 0 if event.anchor is None else self.define(event.anchor)
        value = None if self.table else {} if is_map else []
        flow = bool(event.flow_style)
        indent = -1
        if flow and stack:
            indent = stack[-1].indent if stack[-1].flow else block_indent(stack) + 1
        stack.append(_Frame(is_map, value, path, event.anchor, order, len(self.entries), flow, indent,
                            event.start_mark))
        if event.anchor is not None:
            self.anchored += 1

    def end(self):
        frame = self.stack.pop()
        if frame.anchor is not None:
            self.anchored -= 1
            if self.latest[frame.anchor] == frame.order:
                self.anchors[frame.anchor] = _Anchor(frame.value, frame.size, frame.path, frame.order,
                                                     (frame.start, len(self.entries)), None, None)
        return frame.value, frame.size

    def named(self, event) -> _Anchor:
        """What an alias names (refused past the alias limit, undefined, or inside its own node)."""
        self.aliases += 1
        if self.limits is not None and self.aliases > self.limits.max_aliases:
            raise Refused("too_many_aliases", f"more than {self.limits.max_aliases} aliases (`*name`): refused as a "
                           "possible alias bomb", event.start_mark, "raise --max-aliases if the document is genuine")
        name = event.anchor
        if name not in self.latest:
            raise Refused("undefined_alias", f"the alias `*{name}` has no anchor `&{name}` before it",
                           event.start_mark)
        if name not in self.anchors or self.anchors[name].order != self.latest[name]:
            raise Refused("recursive_value", f"the alias `*{name}` is inside the node it refers to (a recursive "
                           "structure)", event.start_mark)
        return self.anchors[name]

    def alias_key(self, frame: _Frame, event) -> None:
        """An alias written as a mapping key (`*name : value`): it must name text."""
        if self.quirks is not None:
            self.quirks.node(event)
        anchor = self.named(event)
        if anchor.key is None and self.strict:
            raise Refused("key_not_text", f"a mapping key must be text, but `*{event.anchor}` names something "
                           "else", event.start_mark)
        self.count(1, event.start_mark)
        frame.size += 1
        self.take_key(frame, anchor.key or "", event.start_mark)

    def alias(self, event):
        if self.quirks is not None:
            self.quirks.node(event)
        anchor = self.named(event)
        self.count(anchor.size, event.start_mark)
        target, mark = self.here(event.start_mark)
        if self.dates and anchor.path:
            _copy_dates(self.dates, anchor.path, target)
        if not self.table:
            self.stop_noting()
        # the alias repeats the positions of what it names, under its own path
        self.record(target, mark, anchor.written)
        first, end = anchor.entries if self.noting else (0, 0)
        for path, position, written in self.entries[first:end]:
            new = target + path[len(anchor.path):]
            if self.anchored:
                self.entries.append((new, position, written))
            self.put(new, position, written)
        return anchor.value, anchor.size


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(YAML_TAG):] if tag.startswith(YAML_TAG) else tag


def _base60(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    value = 0
    for part in text.lstrip("+-").replace("_", "").split(":"):
        value = value * 60 + int(part)
    return sign * value


def _in_decimal(text: str, value) -> str:
    return f'write {value} in decimal, or "{text}" in quotes for text'


def _check_plain(tag: str, event, path: str, dates: dict) -> None:
    """Refuse the YAML 1.1 readings of plain text that YAML 1.2 and JSON do not share; remember dates."""
    text, mark = event.value, event.start_mark
    if tag == _INT:
        digits = text.lstrip("+-")
        if digits[:1] == "0" and len(digits) > 1 and _OCTAL.fullmatch(text):  # the pattern compiled only if needed
            digits = digits.replace("_", "")
            if int(digits, 8) != int(digits, 10):
                raise Refused("yaml11_number", f"`{text}` is read by YAML 1.1 as the octal number "
                               f"{int(digits, 8)}, not {int(digits, 10)}", mark,
                               f'write {int(digits, 10)} without the leading zero, or "{text}" in quotes for text')
        if ":" in text:
            raise Refused("yaml11_number", f"`{text}` is read by YAML 1.1 as the base-60 number {_base60(text)}",
                           mark, f'write the number in decimal, or "{text}" in quotes for text')
        if digits[:2] in ("0b", "0x"):
            value = int(text.replace("_", ""), 0)
            base = "binary" if digits[1] == "b" else "hexadecimal"
            raise Refused("yaml11_number", f"`{text}` is read by YAML 1.1 as the {base} number {value}", mark,
                           _in_decimal(text, value))
    elif tag == _FLOAT and ":" in text:
        raise Refused("yaml11_number", f"`{text}` is read by YAML 1.1 as a base-60 number", mark,
                       f'write the number in decimal, or "{text}" in quotes for text')
    elif tag == _TIMESTAMP:
        dates[path] = text
    if tag in (_INT, _FLOAT) and "_" in text:
        raise Refused("yaml11_number", f"`{text}` is read by YAML 1.1 as the number {text.replace('_', '')}, "
                       "but YAML 1.2 and JSON read it as text", mark, _in_decimal(text, text.replace("_", "")))


def _copy_dates(dates: dict, source: str, target: str) -> None:
    """An alias repeats the dates of its anchor's node at another path."""
    for path, text in list(dates.items()):
        if path == source or path.startswith(source + ".") or path.startswith(source + "["):
            dates[target + path[len(source):]] = text


def _refused_tag(tag: str, mark) -> Refused:
    return Refused("unsupported_tag", f"the tag `{_short_tag(tag)}` is not allowed: a document holds only text, "
                    "numbers, booleans, null, dates, lists and mappings", mark)


def yaml11_words(node) -> str:
    """How YAML 1.1 reads a plain scalar, in words."""
    tag, text = node.tag, node.value
    if tag == _BOOL:
        return f"the boolean {'true' if text.lower() in ('yes', 'true', 'on') else 'false'}"
    if tag == _NULL:
        return "null"
    if tag in (_INT, _FLOAT):
        return "a number"
    if tag == _TIMESTAMP:
        return "a date"
    return "text"


_HASH_AFTER_TEXT = LazyPattern(r"\S#")
_BLOCK_HEADER = LazyPattern(r"[|>]([-+0-9]*)(.?)")
_AFTER_NAME = " \t\r\n,[]{}"  # what may follow an anchor's or an alias's name


def _line_starting(text: str, prefix: str) -> int:
    """Where the first line that begins with `prefix` starts, or -1: what `^prefix` finds in
    multiline mode, by two plain searches (the regular expression tried every position of
    every document, about 3% of reading one)."""
    if text.startswith(prefix):
        return 0
    found = text.find("\n" + prefix)
    return found + 1 if found >= 0 else -1


def _before_parsing(text: str) -> str:
    """The text to parse, or a refusal of what the two parsers of PyYAML read differently
    (a tab, a directive); a last line of spaces gets the line break that PyYAML needs to
    read the block scalar before it as YAML does."""
    tab = text.find("\t")
    if tab >= 0:
        line, column = line_col(text, tab)
        if not text[text.rfind("\n", 0, tab) + 1:tab].strip(" \t"):  # the tab is in the line's indentation
            raise Refused("tab_indent", "not valid YAML: this line is indented with a tab", line=line, column=1,
                           hint="YAML indents with spaces only: replace the tab with spaces")
        raise Refused("tab", "a tab character: YAML forbids tabs as indentation, and PyYAML's parsers disagree on "
                       "them elsewhere", hint="use spaces (inside double quotes, write \\t for a tab in text)",
                       line=line, column=column)
    directive = _line_starting(text, "%")
    if directive >= 0:
        start = _line_starting(text, "---")
        if start < 0 or start > directive:
            line, column = line_col(text, directive)
            raise Refused("directive", "a directive (`%YAML`, `%TAG`...): a document does not use them", line=line,
                           column=column, hint="remove the line")
    last = text.rfind("\n") + 1
    if last < len(text) and not text[last:].strip(" "):
        text += "\n"
    return text


class _Quirks:
    """Refuses, as the reader meets them, the texts that PyYAML's parsers read otherwise
    than YAML does, or accept though YAML does not (the YAML test suite found them):
    an anchor name cut at `:`, `?` and `-` in flow collections, a comment without a
    space before it, lines of a flow collection or of a quoted scalar not indented
    under their key, and a block scalar whose first lines have more spaces than its
    text.

    Most nodes are plain, unanchored, in block collections, in a text with no `#` right
    after other text: none of these checks can refuse them, and the reader calls `scalar`
    and `node` only for the others, or for every node when `every_node` says so (calling
    them for every node cost some 10% of reading). A new check for plain block nodes must
    set `every_node` or widen the reader's tests; a test holds the reader shown every
    node to the same readings."""

    def __init__(self, text: str, stack: list):
        # The reader's stack, not the reader: a reader and its quirks referring to each other
        # made a cycle, which kept each file's reader, loader and libyaml's buffers until the
        # garbage collector's next pass (`check --format json` over 1,000 files, run side by side with
        # the code before: 0.641 s with the cycle, 0.593 s without it).
        self.text, self.stack = text, stack
        # `#` right after other text: inside a scalar it is text, elsewhere a comment YAML refuses
        self.hashes = [m.start() + 1 for m in _HASH_AFTER_TEXT.finditer(text)] if "#" in text else []
        self.next_hash = 0
        self.every_node = bool(self.hashes)  # each `#` after text is checked against the scalars around it

    def refuse(self, message: str, mark, hint: str | None = None):
        raise Refused("yaml_quirk", message, mark, hint)

    def node(self, event) -> None:
        """Any node: its anchor's name, and its place in a flow collection."""
        text, mark = self.text, event.start_mark
        if event.anchor is not None:
            sign = "*" if type(event) is AliasEvent else "&"
            at = text.find(sign + event.anchor, mark.index)
            after = at + 1 + len(event.anchor)
            if at >= 0 and after < len(text) and text[after] not in _AFTER_NAME:
                self.refuse(f"`{sign}{shorten(event.anchor)}` is followed by `{text[after]}`: YAML reads both as one "
                            "name, PyYAML stops before it", mark, "use letters, digits, `-` and `_` in anchor names")
        stack = self.stack
        if stack and stack[-1].flow and mark.line > stack[-1].mark.line and mark.column < stack[-1].indent:
            self.refuse(f"this line of a flow collection must be indented by at least {stack[-1].indent} spaces, "
                        "more than the key it belongs to", mark)

    def scalar(self, event) -> None:
        self.node(event)
        text, mark, value = self.text, event.start_mark, event.value
        stack = self.stack
        if self.hashes:
            self.comments_before(mark.index, event.end_mark.index)
        if stack and stack[-1].flow and not event.style and event.tag is None:
            before = text[mark.index - 1] if mark.index else ""
            if "?" in value or before == "?" or (value[:1] == "-" and value[1:2] in ("", " ")):
                self.refuse(f"`{shorten(value)}` in a flow collection: YAML and PyYAML's parsers read `?` and `-` "
                            "there differently", mark, f'write "{escape_quotes(value)}" in quotes')
            end = event.end_mark.index
            if text[end:end + 1] == ":" and text[end + 1:end + 2] in (",", "}", "]"):
                self.refuse(f"`{shorten(value)}:` with nothing after the colon: PyYAML's two parsers disagree on it",
                            event.end_mark, "write a space after the colon")
        if event.style in ("'", '"') and event.end_mark.line > mark.line and not (stack and stack[-1].flow):
            self.quoted_lines(event)
        if event.style in ("|", ">"):
            self.block_header(event)

    def quoted_lines(self, event) -> None:
        """Each later line of a quoted scalar in a block is indented more than its key."""
        indent = block_indent(self.stack)
        if indent < 0:
            return
        lines = self.text[event.start_mark.index:event.end_mark.index].split("\n")[1:]
        for number, line in enumerate(lines, event.start_mark.line + 2):
            if line.strip(" ") and len(line) - len(line.lstrip(" ")) <= indent:
                raise Refused("yaml_quirk", f"this line of a quoted text must be indented more than its key "
                               f"(at least {indent + 1} spaces)", line=number, column=1)

    def block_header(self, event) -> None:
        """`|#` or `>#`: a comment needs a space before it; and the first lines of a block scalar
        may not hold more spaces than its first line of text."""
        text, start = self.text, event.start_mark.index
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        header = _BLOCK_HEADER.search(text, start, end)
        if header is None:
            return
        if header.group(2) == "#":
            self.refuse("a comment needs a space before it", event.start_mark)
        if any(c.isdigit() for c in header.group(1)):
            return  # an explicit indentation
        indent, widest, position = block_indent(self.stack), 0, end + 1
        while position < len(text):
            stop = text.find("\n", position)
            stop = len(text) if stop < 0 else stop
            line = text[position:stop]
            if line.strip(" "):
                spaces = len(line) - len(line.lstrip(" "))
                if spaces > indent and widest > spaces:
                    raise Refused("yaml_quirk", f"a first line of this block text holds {widest} spaces, more than "
                                   f"its text is indented ({spaces})", event.start_mark,
                                   "remove the spaces from the empty lines")
                return
            widest = max(widest, len(line))
            position = stop + 1

    def comments_before(self, start: int, end: int) -> None:
        """Every `#` right after other text before `end` lies inside a scalar, or is refused."""
        hashes = self.hashes
        while self.next_hash < len(hashes) and hashes[self.next_hash] < end:
            if hashes[self.next_hash] < start:
                line, column = line_col(self.text, hashes[self.next_hash])
                raise Refused("yaml_quirk", "a comment needs a space before it: YAML refuses `#` right after "
                               "other text, PyYAML reads a comment", line=line, column=column,
                               hint="put a space before the `#`")
            self.next_hash += 1

    def finish(self) -> None:
        if self.hashes:
            self.comments_before(len(self.text) + 1, len(self.text) + 1)


def block_indent(stack: list) -> int:
    """The column of the innermost block collection's entries (its keys, or its `-`); -1 at the top."""
    if not stack:
        return -1
    frame = stack[-1]
    if frame.flow:
        return frame.indent - 1
    if frame.is_map and frame.key_mark is not None:
        return frame.key_mark.column
    return frame.mark.column


def parse_yaml(text: str, name: str, limits: Limits, loader_class=None):
    """(value, dates, its table of positions or None) of a YAML text (`EventReader.tables`),
    or a DocumentError. `loader_class` picks PyYAML's parser (default: libyaml's when
    installed); the tests hold both to the same readings."""
    try:
        text = _before_parsing(text)
    except Refused as refused:
        raise DocumentError([refused.problem(name)]) from None
    loader = (loader_class or SafeLoader)(text)
    try:
        reader = EventReader(loader, limits, text=text)
        return reader.read(), reader.dates, reader.tables()
    except Refused as refused:
        raise DocumentError([refused.problem(name)]) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = error.problem or error.context or "not valid YAML"
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        if "nesting depth" in message:
            # PyYAML 6.0.4's parser has a depth limit of its own, and scans ahead far enough
            # to reach it before the reader sees the level that passes ours.
            code, message = "too_deep", f"lists and mappings are nested more than {limits.max_depth} levels deep"
        else:
            code, message = "invalid_yaml", f"not valid YAML: {message}"
        raise DocumentError([Problem(name, message, line, column, code=code)]) from None
    except yaml.reader.ReaderError as error:
        line, column = line_col(text, error.position)
        character = f"#x{error.character:04x}" if isinstance(error.character, int) else repr(error.character)
        raise DocumentError([Problem(name, f"not valid YAML: the character {character} is not allowed",
                                     line, column, code="invalid_yaml")]) from None
    except yaml.YAMLError as error:
        raise DocumentError([Problem(name, f"not valid YAML: {error}", code="invalid_yaml")]) from None
    finally:
        loader.dispose()
