"""Text from documents made safe to print on a terminal.

The loaders refuse control characters in files and on stdin, but a document built in
Python (the API) or a file name given on the command line reaches the reports as it
is. A report line is printed with every character a terminal would act on, or that
would make the line read differently from what it holds, written as an escape.
"""

from __future__ import annotations

_UNPRINTABLE = [
    *range(0x00, 0x09), *range(0x0A, 0x20), 0x7F, *range(0x80, 0xA0),  # C0 but tab, DEL, C1 (0x9B is CSI)
    *range(0x202A, 0x202F), *range(0x2066, 0x206A),  # bidirectional overrides and isolates ("Trojan Source")
    *range(0xD800, 0xE000),  # halves of surrogate pairs: not characters, and no encoding can write them
]
_ESCAPES = {code: f"\\u{code:04x}" for code in _UNPRINTABLE}


def printable(line: str) -> str:
    """One report line with each unprintable character as `\\u001b`. A line break is
    escaped too: text meant to span lines is split (and indented) by the caller first."""
    return line.translate(_ESCAPES)
