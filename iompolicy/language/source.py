"""Source text, spans and diagnostics that point into it."""

from __future__ import annotations

from ..records import Record


class SourceFile:
    """A policy file's name and text, with a table of line starts for positions."""

    __slots__ = ("name", "text", "_line_starts")

    def __init__(self, name: str, text: str):
        self.name = name
        self.text = text
        starts = [0]
        starts.extend(i + 1 for i, ch in enumerate(text) if ch == "\n")
        self._line_starts = tuple(starts)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SourceFile):
            return NotImplemented
        return (self.name, self.text) == (other.name, other.text)

    def __hash__(self) -> int:
        return hash((self.name, self.text))

    def __repr__(self) -> str:
        return f"SourceFile(name={self.name!r}, text=<{len(self.text)} characters>)"

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a character offset."""
        from bisect import bisect_right  # here: a check from the policy cache reads no position (nor loads `_bisect`)

        line = bisect_right(self._line_starts, offset) - 1
        return line + 1, offset - self._line_starts[line] + 1

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its newline."""
        start = self._line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start:] if end < 0 else self.text[start:end]


class Span(Record, fields="file start end line column"):
    """A range of characters in a policy file: offsets `start` and `end` (0-based, end
    exclusive), and the 1-based `line` and `column` of the start.

    A record (a tuple with named fields): every node has one, and the policy cache
    unpickles them all on every run, which a frozen dataclass makes several times slower.
    """

    __slots__ = ()

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    @classmethod
    def of(cls, source: SourceFile, start: int, end: int) -> Span:
        line, column = source.line_col(start)
        return cls(source.name, start, max(end, start), line, column)


class Diagnostic(Record, fields="code message span hint severity", defaults=(None, "error")):
    """One problem found in a policy: a stable `code` (snake_case, as a document `Problem`'s),
    the message, the `span` it points at (or None), an optional `hint` line, and `severity`
    "error" or "warning"."""

    __slots__ = ()

    def headline(self) -> str:
        where = f"{self.span}: " if self.span else ""
        return f"{where}{self.severity}[{self.code}]: {self.message}"

    def render(self, sources: dict[str, SourceFile] | None = None) -> str:
        """The headline, the source line with a caret under the span, and the hint."""
        lines = [self.headline()]
        source = (sources or {}).get(self.span.file) if self.span else None
        if source is not None and self.span is not None:
            text = source.line_text(self.span.line)
            end_line, _ = source.line_col(max(self.span.end - 1, self.span.start))
            width = self.span.end - self.span.start if end_line == self.span.line else len(text) - self.span.column + 1
            gutter = f"{self.span.line:>4} | "
            lines.append(gutter + text)
            lines.append(" " * (len(gutter) + self.span.column - 1) + "^" * max(1, width))
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)

    def underlined(self, sources: dict[str, SourceFile]) -> str:
        """The source text the span covers (what a test asserts on)."""
        if self.span is None or self.span.file not in sources:
            return ""
        return sources[self.span.file].text[self.span.start:self.span.end]


def suggest(name: str, candidates) -> str | None:
    """`did you mean `X`?` for the candidate nearest to `name`, or None."""
    import difflib

    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None


class PolicyError(Exception):
    """A policy set could not be loaded: carries every diagnostic found."""

    def __init__(self, diagnostics: list[Diagnostic], sources: dict[str, SourceFile] | None = None):
        self.diagnostics = sorted(diagnostics, key=_position_key)
        self.sources = sources or {}
        super().__init__("\n".join(d.headline() for d in self.diagnostics))

    def render(self) -> str:
        """Every diagnostic, each with its source excerpt."""
        return "\n\n".join(d.render(self.sources) for d in self.diagnostics)


def _position_key(diagnostic: Diagnostic) -> tuple:
    span = diagnostic.span
    return (span.file, span.start) if span else ("", -1)
