"""The one Lark parser of the policy language, and syntax errors in words."""

from __future__ import annotations

import functools
import re
from importlib import resources

from .source import Diagnostic, SourceFile, Span

# How terminals are named to people; Lark's own names (RBRACE, __ANON_3) never are.
_TERMINAL_WORDS = {
    "NAME": "a name",
    "IDENT": "an identifier",
    "STRING": "a string",
    "NUMBER": "a number",
    "PERCENT": "a percentage",
    "DATE": "a date",
    "CURRENCY": "`USD`",
    "COMPARE": "a comparison (`==`, `<=`, ...)",
    "ADD_OP": "`+` or `-`",
    "MUL_OP": "`*` or `/`",
    "DATA": "`data`",
    "PARAM": "`param`",
    "$END": "end of file",
}
_EXPRESSION_STARTS = {"NAME", "NUMBER", "STRING", "DATE", "PERCENT", "LPAR", "LSQB"}
_MAX_LISTED = 8


@functools.lru_cache(maxsize=1)
def get_parser():
    """The LALR parser, built once per process (Lark caches its tables on disk)."""
    from lark import Lark

    grammar = resources.files("iompolicy.language").joinpath("grammar.lark").read_text(encoding="utf-8")
    return Lark(
        grammar,
        parser="lalr",
        start=["start", "expr"],
        propagate_positions=True,
        maybe_placeholders=True,
        cache=True,
    )


class PolicySyntaxError(Exception):
    """Text that is not in the policy language; carries one diagnostic."""

    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic
        super().__init__(diagnostic.headline())


def parse(source: SourceFile, start: str = "start", offset: int = 0, text: str | None = None,
          end_word: str | None = None):
    """Parse a whole file (or, with `start="expr"`, one expression at `offset`).

    `end_word` names what the end of `text` is to the reader (default: end of file).
    """
    from lark.exceptions import UnexpectedInput

    parser = get_parser()
    body = source.text if text is None else text
    try:
        return parser.parse(body, start=start)
    except UnexpectedInput as error:
        raise PolicySyntaxError(_describe(error, source, offset, body, end_word)) from None


def _describe(error, source: SourceFile, offset: int, body: str, end_word: str | None = None) -> Diagnostic:
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    position = getattr(error, "pos_in_stream", None)
    if position is None:
        position = len(body)
    if isinstance(error, UnexpectedCharacters):
        char = body[position:position + 1]
        span = Span.of(source, offset + position, offset + position + 1)
        hint = "strings are written in double quotes" if char == "'" else None
        return Diagnostic("syntax", f"unexpected character `{char}`", span, hint)
    if isinstance(error, UnexpectedEOF) or (
        isinstance(error, UnexpectedToken) and error.token.type == "$END"
    ):
        span = Span.of(source, offset + len(body), offset + len(body))
        expected = _words(getattr(error, "expected", ()), end_word)
        return Diagnostic("syntax", f"unexpected {end_word or 'end of file'}, expected {expected}", span)
    assert isinstance(error, UnexpectedToken)
    token = error.token
    start = token.start_pos if token.start_pos is not None else position
    span = Span.of(source, offset + start, offset + (token.end_pos or start + len(str(token))))
    expected = _words(error.expected or {"$END"}, end_word)
    hint = None
    if token.type == "STRING" and {"RBRACE"} <= set(error.expected):
        hint = "a long text is written as several strings one after another"
    elif re.search(r"\b(all|any|none)\s+$", body[:start]):
        hint = "a quantifier after `and`, `or` or `not` goes in parentheses: `(all x in xs: ...)`"
    return Diagnostic("syntax", f"unexpected `{token}`, expected {expected}", span, hint)


_CLOSERS = ("`}`", "`)`", "`]`")
_OPERATORS = {"COMPARE", "ADD_OP", "MUL_OP", "DOT", "LSQB", "LPAR", "AND", "OR", "IN", "NOT", "IS", "EXISTS"}


def _words(expected, end_word: str | None = None) -> str:
    """The expected terminals in words: closing brackets first (they are the
    usual fix), then `an expression`, then the rest in order."""
    names = set(expected)
    words = []
    if len(names & _EXPRESSION_STARTS) >= 3:
        words.append("an expression")
        names -= _EXPRESSION_STARTS | {"MINUS", "NOT", "IF", "ALL", "ANY", "NONE", "TRUE", "FALSE", "NULL", "DATA"}
    if len(names & _OPERATORS) >= 3:  # after a complete operand: name the operators as one
        words.append("an operator")
        names -= _OPERATORS
    parser = get_parser()
    for name in sorted(names):
        if name == "$END" and end_word:
            words.append(end_word)
        elif name in _TERMINAL_WORDS:
            words.append(_TERMINAL_WORDS[name])
            continue
        try:
            pattern = parser.get_terminal(name).pattern
        except KeyError:
            continue
        if pattern.type == "str":
            words.append(f"`{pattern.value}`")
    words = sorted(set(words), key=lambda w: (w not in _CLOSERS, w in ("an expression", "an operator"), w))
    if not words:
        return "something else"
    if len(words) > _MAX_LISTED:
        words = words[:_MAX_LISTED] + ["..."]
    return words[0] if len(words) == 1 else "one of " + ", ".join(words)
