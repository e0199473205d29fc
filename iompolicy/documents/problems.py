"""What can be wrong with an input: `Problem`, `DocumentError`, and the loaders' own refusal."""

from __future__ import annotations

from ..records import Record


class DocumentError(Exception):
    """An input that cannot be checked: unreadable, not YAML/JSON, or not of its kind's schema.

    `problems` holds one `Problem` per thing wrong, each with its location.
    """

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class Problem(Record, fields="file message line column path hint code",
              defaults=(None, None, None, None, None)):
    """One thing wrong with an input, as `file:line:col: message`: its file and message; line,
    column and JSON path when known; a hint; and `code`, a stable name of what is wrong
    (`too_deep`, `duplicate_key`...) when known."""

    __slots__ = ()

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        text = f"{where}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text


class Refused(Exception):
    """Raised inside the loader: a message, the mark of the place, and a hint; `first_line`
    is the line a duplicate key was first written on (the JSON reader reports both)."""

    def __init__(self, code: str, message: str, mark=None, hint: str | None = None, line: int | None = None,
                 column: int | None = None, first_line: int | None = None):
        super().__init__(message)
        self.code, self.message, self.hint, self.first_line = code, message, hint, first_line
        self.line, self.column = (mark.line + 1, mark.column + 1) if mark is not None else (line, column)

    def problem(self, name: str) -> Problem:
        """The refusal as a located `Problem` of the file `name`."""
        return Problem(name, self.message, self.line, self.column, hint=self.hint, code=self.code)


def line_col(text: str, offset: int | None) -> tuple[int | None, int | None]:
    """The 1-based line and column of a character offset in `text` (None, None if unknown)."""
    if offset is None or offset < 0:
        return None, None
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def shorten(text: str, limit: int = 40) -> str:
    """`text` cut to `limit` characters with "..." when longer: a value quoted in a message."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def escape_quotes(text: str) -> str:
    """`text` as it is written between double quotes (a hint that says "write it quoted")."""
    return text.replace("\\", "\\\\").replace('"', '\\"')

