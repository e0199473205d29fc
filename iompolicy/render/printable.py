"""Text from documents and file names made safe for each kind of output.

The loaders refuse control characters in files and on stdin, but a document built in
Python (the API) or a file name given on the command line reaches the reports as it
is. A file name that is not UTF-8 reaches Python with each undecodable byte as a
lone surrogate (U+DC80 to U+DCFF, "surrogateescape"), which no UTF-8 writer can
encode. Each output escapes what it cannot carry:
- `printable`: a line for a terminal (text, Markdown, one-line errors);
- `json_safe`: JSON text (JSON, JSON Lines, SARIF), which must be valid UTF-8;
- `xml_safe`: XML 1.0 text (JUnit), which cannot hold most C0 controls even as references.
An undecodable byte of a file name is written `\\xff` everywhere, other escapes `\\u001b`.
"""

from __future__ import annotations

from ..patterns import LazyPattern

_UNPRINTABLE = (
    range(0x00, 0x09), range(0x0A, 0x20), range(0x7F, 0xA0),  # C0 but tab, DEL, C1 (0x9B is CSI)
    range(0x202A, 0x202F), range(0x2066, 0x206A),  # bidirectional overrides and isolates ("Trojan Source")
    range(0xD800, 0xE000),  # halves of surrogate pairs: not characters, and no encoding can write them
)
_SURROGATES = (range(0xD800, 0xE000),)
# XML 1.0 allows tab, line feed, carriage return, U+0020-U+D7FF, U+E000-U+FFFD and beyond.
_NOT_XML = (range(0x00, 0x09), range(0x0B, 0x0D), range(0x0E, 0x20), range(0xD800, 0xE000), range(0xFFFE, 0x10000))


def _escape(code: int) -> str:
    """`\\xff` for a byte that was not UTF-8 (surrogateescape), else `\\u001b`."""
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def _any_of(ranges) -> LazyPattern:
    """A pattern matching a character of any of `ranges`."""
    return LazyPattern("[" + "".join(f"\\U{span.start:08x}-\\U{span.stop - 1:08x}" for span in ranges) + "]")


# Found by a regular expression (one search in C for a line that holds none, as most do),
# and each one found escaped.
_UNPRINTABLE_CHARACTER = _any_of(_UNPRINTABLE)
_SURROGATE = _any_of(_SURROGATES)
_NOT_XML_CHARACTER = _any_of(_NOT_XML)


def _escaped(found) -> str:
    return _escape(ord(found.group()))


def _escape_all(pattern: LazyPattern, text: str, escaped=_escaped) -> str:
    if text.isascii() and text.isprintable():  # U+0020 to U+007E: none of the patterns' characters, and
        return text  # no pattern compiled (1.5 ms at a cold start, for the usual report)
    # a search first: three times faster than `sub` on text that holds none, as most does
    return pattern.sub(escaped, text) if pattern.search(text) else text


def _escaped_in_json(found) -> str:  # in JSON text a surrogate stands inside a string: `\\` there
    return _escape(ord(found.group())).replace("\\", "\\\\")


def printable(line: str) -> str:
    """One report line with each unprintable character as `\\u001b`. A line break is
    escaped too: text meant to span lines is split (and indented) by the caller first."""
    return _escape_all(_UNPRINTABLE_CHARACTER, line)


def json_safe(json_text: str) -> str:
    """JSON text (as `json.dumps(..., ensure_ascii=False)` writes it) that is valid UTF-8:
    a lone surrogate, which only a string can hold, becomes the escaped text `\\xff`."""
    return json_text if json_text.isascii() else _escape_all(_SURROGATE, json_text, _escaped_in_json)


def xml_safe(xml_text: str) -> str:
    """XML text whose characters are all allowed in XML 1.0 (control characters and
    surrogates, which only text and attribute values can hold, become escaped text)."""
    return _escape_all(_NOT_XML_CHARACTER, xml_text)
