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


class _Escapes(dict):
    """A `str.translate` table of the characters in `ranges`, each escaped by `escape`,
    filled as characters are met: writing out all 2,000-odd at import took 6 ms of every
    start, and a report's text seldom holds one of them."""

    def __init__(self, ranges, escape):
        super().__init__()
        self.ranges, self.escape = ranges, escape

    def __missing__(self, code: int) -> str:
        # every character met is kept, the ones left alone as themselves: one look-up each after
        escaped = self[code] = self.escape(code) if any(code in span for span in self.ranges) else chr(code)
        return escaped


def _any_of(ranges) -> LazyPattern:
    """A pattern matching a character of any of `ranges`."""
    return LazyPattern("[" + "".join(f"\\U{span.start:08x}-\\U{span.stop - 1:08x}" for span in ranges) + "]")


_HAS_UNPRINTABLE = _any_of(_UNPRINTABLE)
_HAS_NOT_XML = _any_of(_NOT_XML)
_ESCAPES = _Escapes(_UNPRINTABLE, _escape)
# In JSON text a surrogate can only stand inside a string, where a backslash is written `\\`.
_JSON_ESCAPES = _Escapes(_SURROGATES, lambda code: _escape(code).replace("\\", "\\\\"))
_XML_ESCAPES = _Escapes(_NOT_XML, _escape)


def printable(line: str) -> str:
    """One report line with each unprintable character as `\\u001b`. A line break is
    escaped too: text meant to span lines is split (and indented) by the caller first."""
    # Most lines hold none: one search in C, instead of a table look-up per character
    return line.translate(_ESCAPES) if _HAS_UNPRINTABLE.search(line) else line


def _encodable(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def json_safe(json_text: str) -> str:
    """JSON text (as `json.dumps(..., ensure_ascii=False)` writes it) that is valid UTF-8:
    a lone surrogate, which only a string can hold, becomes the escaped text `\\xff`."""
    return json_text if _encodable(json_text) else json_text.translate(_JSON_ESCAPES)


def xml_safe(xml_text: str) -> str:
    """XML text whose characters are all allowed in XML 1.0 (control characters and
    surrogates, which only text and attribute values can hold, become escaped text)."""
    # a JUnit report of 2,000 documents took a second to translate character by character
    return xml_text.translate(_XML_ESCAPES) if _HAS_NOT_XML.search(xml_text) else xml_text
