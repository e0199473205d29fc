"""Placeholders left in a document written from a template (`iompolicy new`).

A template is a valid document whose every value still to be written carries a
`# FILL IN: what to write` comment on its line. Until each comment is gone, the
document is not judged: each marked line is a problem at its field, with the words
of the comment, so that `iompolicy check` lists what is left to fill in.
"""

from __future__ import annotations

from .problems import Problem

MARK = "# FILL IN"


def placeholders(document) -> list[Problem]:
    """A problem per line of a YAML document marked `# FILL IN`; none when no line is."""
    text = document.text
    if document.format != "yaml" or not text or MARK not in text:
        return []
    fields = _fields_by_line(document)
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        at = _mark(line)
        if at < 0:
            continue
        what = line[at + len(MARK):].lstrip(":").strip()
        path, column = fields.get(number, (None, at + 1))
        field = f"`{path[2:]}`" if path and path != "$" else "this line"
        message = f"fill in {field}" + (f": {what}" if what else "")
        found.append(Problem(document.name, message, number, column, path,
                             hint=f"then delete the `{MARK}` comment", code="placeholder"))
    return found


def _mark(line: str) -> int:
    """Where the `# FILL IN` comment of a line starts (-1 if it has none): at the start of
    the line or after a space, as YAML starts a comment, and not inside quotes. (Text of
    a block scalar, `|` or `>`, is not told from a comment: such a line is refused, never
    passed over.)"""
    quote, at = None, 0
    while at < len(line):
        char = line[at]
        if quote == '"' and char == "\\":
            at += 1  # an escaped character
        elif quote == "'" and line.startswith("''", at):
            at += 1  # a quote written twice
        elif quote is not None:
            quote = None if char == quote else quote
        elif char in "\"'" and (at == 0 or line[at - 1] in " \t:[{,-"):
            quote = char
        elif char == "#" and (at == 0 or line[at - 1].isspace()):
            return at if line.startswith(MARK, at) else -1
        at += 1
    return -1


def _fields_by_line(document) -> dict[int, tuple[str, int]]:
    """Line -> (JSON path, column) of the first field written on it."""
    positions, _ = document._tables()
    by_line: dict[int, tuple[str, int]] = {}
    for path, (line, column) in positions.items():
        if line not in by_line or (column, len(path)) < (by_line[line][1], len(by_line[line][0])):
            by_line[line] = (path, column)
    return by_line
