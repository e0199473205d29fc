"""Documents: loaded exactly and safely from YAML or JSON, with a table of positions.

Numbers are never binary floats: YAML and JSON decimals become `Decimal`,
integers stay `int`. YAML dates become ISO text, as in JSON, so a document
means the same in either format. Positions (line and column of every JSON
path) are noted as a YAML document is read; a JSON document's are worked out
only when a result needs them.

Every input is treated as hostile until it has loaded:

- YAML is read with the safe constructors only, and only the tags of plain
  data are accepted (text, numbers, booleans, null, dates, lists, mappings);
  `!!python/object`, `!!binary`, `!!set` and any local tag are refused with
  their line.
- The YAML reader is our own (`yaml_reader.py`): it builds values straight from the
  parser's events, without PyYAML's node graph and without recursion, and
  counts nesting depth, aliases and values (after alias expansion) as it goes,
  stopping at the first limit passed (`Limits`). A "billion laughs" document,
  a recursive alias or one nested a million deep is refused in milliseconds,
  before anything big is built. JSON nesting is measured before `json.loads`
  runs. The same reader notes the table of positions as it reads (for JSON, it reads
  the text a second time when a position is first asked for).
- A mapping key written twice is an error naming both lines; keys must be text.
- YAML 1.1 readings that surprise (`010` is the octal 8, `1:30` the base-60
  90, `1_000`, `0b101`, `0x1F`), tags on values other than `!!str` (`!!int
  0600000`, `! 12`) and merge keys (`<<`) are refused; others (`NO` read as
  false, `1e3` read as text) are remembered and explained when the document
  does not match its schema
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
import os
from pathlib import Path

import yaml
from yaml.nodes import ScalarNode

from ..limits import DEFAULT_LIMITS, Limits
from ..patterns import LazyPattern
from .problems import DocumentError, Problem, Refused, escape_quotes, line_col
from .yaml_reader import SafeLoader, EventReader, YAML_TAG, parse_yaml, yaml11_words


_UNWANTED = LazyPattern("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_UNWANTED_ESCAPE = LazyPattern(r"\\(?:u(?:[dD][89a-fA-F]|00[01]|007[fF]|00[89])[0-9a-fA-F]|x[01][0-9a-fA-F]|"
                                 r"x7[fF]|x[89][0-9a-fA-F]|[0abevfN])")
_CONTROL_NAMES = {0x00: "NUL", 0x07: "bell", 0x08: "backspace", 0x1B: "escape", 0x7F: "delete", 0x9B: "CSI"}


def _escape_position(text: str) -> tuple[int | None, int | None]:
    """Where the first escape of an unwanted character is written, when the text has no positions."""
    found = _UNWANTED_ESCAPE.search(text)
    return line_col(text, found.start()) if found else (None, None)


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

class Document:
    """A loaded document: its value, where it came from and (lazily) positions.

    `format` is "yaml", "json", or None for a value built in Python. `dates` maps
    the JSON path of each YAML date written without quotes to its text (the value
    holds the date as ISO text, as JSON would).
    """

    __slots__ = ("value", "name", "text", "format", "dates", "_positions", "_written")

    def __init__(self, value: object, name: str = "<document>", text: str | None = None,
                 format: str | None = None, dates: dict | None = None, tables: tuple | None = None):
        self.value = value
        self.name = name
        self.text = text
        self.format = format
        self.dates = {} if dates is None else dates
        # JSON path -> (line, column), and JSON path -> (YAML tag, text as written): noted by the
        # YAML reader, else worked out from the text when first asked
        self._positions, self._written = tables if tables is not None else (None, None)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Document):
            return NotImplemented
        return (self.value, self.name, self.text, self.format, self.dates) == \
            (other.value, other.name, other.text, other.format, other.dates)

    __hash__ = None  # its value is a dict

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, format={self.format!r}, kind={self.kind!r})"

    @property
    def kind(self) -> str | None:
        return self.value.get("kind") if isinstance(self.value, dict) else None

    @property
    def id(self) -> str | None:
        return document_id(self.value)

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

    def scalar_span(self, path: str) -> tuple[int, int, int, str] | None:
        """Where the scalar at `path` is written on its line: (line, first column, column
        after it, the quote character or ""), or None when it cannot be told for sure
        (no text, a value over several lines, or written more than once on the line)."""
        if self.text is None:
            return None
        positions, written = self._tables()
        if path not in positions or path not in written:
            return None
        line, column = positions[path]
        text = self.text.splitlines()[line - 1]
        start = column - 1
        if not path.endswith("]"):  # a mapping entry: the value comes after the key's colon
            colon = text.find(":", start)
            if colon < 0:
                return None
            start = colon + 1
        shown = written[path][1]
        found = text.find(shown, start)
        if found < 0 or text.find(shown, found + 1) >= 0 and shown:
            return None
        quote = text[found - 1] if found > 0 and text[found - 1] in "\"'" else ""
        if quote and text[found + len(shown):found + len(shown) + 1] != quote:
            return None
        return line, found + 1 - len(quote), found + 1 + len(shown) + len(quote), quote

    def reading_hint(self, path: str | None) -> str | None:
        """What a YAML scalar at `path` was read as when that may not be what was meant
        (`NO` the boolean false, `1e3` text, an empty value null); None otherwise."""
        if path is None or self.text is None or self.format != "yaml":
            return None
        _, written = self._tables()
        found = written.get(path)
        return _hint(*found) if found else None


# Digits before the dot and digits after it are matched by separate branches: written as
# `(?:\d[\d_]*)?\.?\d*`, a run of digits could be split between the two in every way, and
# `111...1x` (20 KB) took 13 s to fail (issue 19).
_NUMBER_LIKE = LazyPattern(r"[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d*)?(?:[eE][-+]?\d+)?|[-+]?0[oO][0-7]+")
_LEADING_ZERO = LazyPattern(r"[-+]?0[0-9_]+")


def _hint(tag: str, text: str) -> str | None:
    quoted = f'write "{escape_quotes(text)}" in quotes if you meant text'
    if tag == YAML_TAG + "bool":
        return f"`{text}` was read as {yaml11_words(ScalarNode(tag, text))}; {quoted}"
    if tag == YAML_TAG + "null":
        if text == "":
            return "nothing is written here, which YAML reads as null"
        return f"`{text}` was read as null; {quoted}"
    if tag in (YAML_TAG + "int", YAML_TAG + "float"):
        return f"`{text}` was read as a number; {quoted}"
    if tag == YAML_TAG + "timestamp":
        return f"`{text}` was read as a date{' and time' if len(text) > 10 else ''}; {quoted}"
    if tag == YAML_TAG + "str" and any(c.isdigit() for c in text) and _NUMBER_LIKE.fullmatch(text):
        if _LEADING_ZERO.fullmatch(text):
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
    tables = None
    if fmt == "json":
        from .json_reader import parse_json  # here: a run over YAML files never needs it

        value = parse_json(text, name, limits)
    else:
        value, dates, tables = parse_yaml(text, name, limits)
    if value is None:
        raise DocumentError([Problem(name, "the document is empty", code="empty")])
    if not isinstance(value, dict):
        raise DocumentError([Problem(name, "a document must be a mapping with a `kind` field", 1, 1,
                                     code="not_a_mapping")])
    document = Document(value, name, text, fmt, dates, tables)
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


def load_file(path: str | Path, limits: Limits | None = None, data: bytes | None = None) -> Document:
    """Read and parse one YAML or JSON file, reading no more than `limits.max_bytes`
    (`data`: its bytes, when `read_file` has read them already)."""
    path = Path(path)
    if data is None:
        data = read_file(path, limits)
    return load_bytes(data, str(path), "json" if path.suffix == ".json" else "yaml", limits)


def read_file(path: str | Path, limits: Limits | None = None) -> bytes:
    """The bytes of a file to load (at most `limits.max_bytes + 1` of them), or a DocumentError.
    Only a regular file is opened: a FIFO would block, a device might never end."""
    limits = limits or DEFAULT_LIMITS
    path = Path(path)
    special = not_a_regular_file(path)
    if special is not None:
        raise DocumentError([special])
    try:
        with open(path, "rb") as stream:
            return read_at_most(stream, limits.max_bytes + 1)
    except FileNotFoundError:
        raise DocumentError([Problem(str(path), "no such file", code="no_such_file")]) from None
    except IsADirectoryError:
        raise DocumentError([Problem(str(path), "is a folder, not a file", code="unreadable")]) from None
    except OSError as error:
        raise DocumentError([Problem(str(path), f"cannot read: {error.strerror or error}",
                                     code="unreadable")]) from None


def not_a_regular_file(path: str | Path) -> Problem | None:
    """The refusal of a path that exists and is a FIFO, a device or a socket (None otherwise):
    iompolicy never opens one, so it cannot block on it or read it without end."""
    what = special_file(path)
    if what is None:
        return None
    return Problem(str(path), f"is {what}, not a file or folder: refused unread", code="not_a_file",
                   hint="give the document as a file, or pipe it to `iompolicy check -`")


def special_file(path: str | Path) -> str | None:
    """What a path is when it exists and is neither a regular file nor a folder (`a named
    pipe (FIFO)`, `a device`, `a socket`), following links; None otherwise."""
    import stat

    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):  # missing or unreadable: opening it says so (ValueError: a NUL in the path)
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")


def read_limited(stream, limits: Limits | None = None) -> bytes:
    """At most `max_bytes + 1` bytes of a binary stream (enough to tell it is too big)."""
    limits = limits or DEFAULT_LIMITS
    return read_at_most(stream, limits.max_bytes + 1)


_STEP = 1 << 16


def read_at_most(stream, limit: int) -> bytes:
    """At most `limit` bytes of a binary stream, read 64 KiB at a time: one `read(limit)` first
    makes a buffer of `limit` bytes (10 MiB by default), which took 50 to 100 µs for each
    file of a few hundred bytes, a fifth of what reading one costs in all."""
    chunks, total = [], 0
    while total < limit:
        chunk = stream.read(min(_STEP, limit - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if not chunks:
        return b""
    return chunks[0] if len(chunks) == 1 else chunks[0][:0].join(chunks)  # bytes (or text, from a text stream)


def document_id(value) -> str | None:
    """A document's id: its `id` field, else its `document` field (text only), else None."""
    if not isinstance(value, dict):
        return None
    found = value.get("id")  # no loop over the two keys: this runs for every document checked
    if not isinstance(found, str):
        found = value.get("document")
    return found if isinstance(found, str) else None


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
    loader = SafeLoader(text)
    reader = EventReader(loader, None, strict=False, table=True)
    try:
        reader.read()
    except (yaml.YAMLError, Refused):
        return {}, {}
    finally:
        loader.dispose()
    return reader.positions, reader.written


def _positions(text: str | None) -> dict[str, tuple[int, int]]:
    return _tables(text)[0]


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
