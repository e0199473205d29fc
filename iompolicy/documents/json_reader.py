"""The JSON reader: exact numbers, duplicate keys, NaN and nesting refused (see
documents.py)."""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from itertools import accumulate

import yaml

from ..limits import MAX_NUMBER_DIGITS, Limits
from ..patterns import LazyPattern
from ..stopping import checkpoint
from .problems import DocumentError, Problem, Refused, line_col, shorten
from .yaml_reader import SafeLoader, EventReader, number_problem


# A string's closing quote is optional: an unterminated string then runs to the end of the
# text in one match. Required, every quote of an unterminated run of `\"` started a scan
# to the end of the text, and a 40 KB document took 10 s (issue 19).
_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"?'
_JSON_TOKENS = LazyPattern(_STRING + r"|[\[\]{}]", re.DOTALL)
_JSON_STRING = LazyPattern(_STRING, re.DOTALL)
_NOT_BRACKET = LazyPattern(r"[^\[\]{}]+")
_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_JSON_CONSTANT = LazyPattern(_STRING + r"|(-?Infinity|NaN)", re.DOTALL)


class _JsonRefused(Exception):
    def __init__(self, code: str, message: str, token: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.code, self.message, self.token, self.hint = code, message, token, hint


def _json_depth_problem(text: str, limits: Limits) -> Refused | None:
    """Nesting deeper than allowed, found before `json.loads` recurses into it."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    if not brackets or max(accumulate(map(_BRACKET_STEP.get, brackets))) <= limits.max_depth:
        return None
    depth = 0
    for match in _JSON_TOKENS.finditer(text):  # only now, find where
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limits.max_depth:
                line, column = line_col(text, match.start())
                return Refused("too_deep", f"lists and objects are nested more than {limits.max_depth} levels deep",
                                line=line, column=column, hint="raise --max-depth if the document is genuine")
        elif token in "]}":
            depth -= 1
    return Refused("too_deep", f"lists and objects are nested more than {limits.max_depth} levels deep")


def _json_object(pairs: list) -> dict:
    checkpoint()  # once per object: a service request told to stop stops inside a long body
    value = dict(pairs)
    if len(value) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise _JsonRefused("duplicate_key", f"the key `{shorten(key)}` is written twice in one object",
                                   json.dumps(key),
                                   "keep one of them: a document must not depend on which one a reader keeps")
            seen.add(key)
    return value


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise _JsonRefused("number_out_of_range", f"`{shorten(text)}` has more than {MAX_NUMBER_DIGITS} digits", text)
    return int(text)


def _json_decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:  # an exponent beyond what Decimal holds (1e999999999999999999999999)
        raise _JsonRefused("number_out_of_range", f"`{shorten(text)}` lies beyond 10^{MAX_NUMBER_DIGITS}", text) from None
    problem = number_problem(value, text)
    if problem:
        raise _JsonRefused("number_out_of_range", problem, text)
    return value


def _json_constant(name: str):
    raise _JsonRefused("not_finite", f"`{name}` is not a finite number", name)


def parse_json(text: str, name: str, limits: Limits):
    """The value of a JSON text (exact Decimals; dates stay text), or a DocumentError."""
    deep = _json_depth_problem(text, limits)
    if deep is not None:
        raise DocumentError([deep.problem(name)])
    try:
        value = json.loads(text, parse_float=_json_decimal, parse_int=_json_int, parse_constant=_json_constant,
                           object_pairs_hook=_json_object)
    except json.JSONDecodeError as error:
        raise DocumentError([Problem(name, f"not valid JSON: {error.msg}", error.lineno, error.colno,
                                     code="invalid_json")]) from None
    except _JsonRefused as refused:
        line, column = _json_locate(text, refused)
        if refused.token and refused.token.startswith('"'):  # a duplicate key: name both lines
            lines = _duplicate_lines(text)
            if lines:
                line, column, first = lines
                refused.message += f" (lines {first} and {line})"
        raise DocumentError([Problem(name, refused.message, line, column, hint=refused.hint,
                                     code=refused.code)]) from None
    except RecursionError:  # only if --max-depth was raised beyond what Python can recurse
        raise DocumentError([Problem(name, "lists and objects are nested too deeply to read",
                                     code="too_deep")]) from None
    return value


def _json_locate(text: str, refused: _JsonRefused) -> tuple[int | None, int | None]:
    """Where the token a JSON hook refused is written (its first occurrence outside strings)."""
    token = refused.token
    if not token:
        return None, None
    if token in ("NaN", "Infinity", "-Infinity"):
        for match in _JSON_CONSTANT.finditer(text):
            if match.group(1) == token:
                return line_col(text, match.start(1))
        return None, None
    position = text.find(token)
    return line_col(text, position) if position >= 0 else (None, None)


def _duplicate_lines(text: str) -> tuple[int, int, int] | None:
    """(line, column, first line) of a duplicate key, found by composing the JSON as YAML."""
    loader = SafeLoader(text)
    try:
        EventReader(loader, None, table=True).read()
    except Refused as refused:
        if refused.first_line is not None and refused.line is not None:
            return refused.line, refused.column, refused.first_line
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    return None

