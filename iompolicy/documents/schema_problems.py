"""Schema errors (jsonschema's) as problems a writer of YAML can act on: each at the
line of what is wrong, with a hint where a usual mistake explains it.

- An unknown field is reported at its own key, with a did-you-mean from the field
  names the schema allows there; the "required" error of the field it was meant to
  be is then left out (one mistake, one message).
- Text where a number is wanted (`"150,000"`, `$150000`, `150 000`) is told to be
  written with digits only.
- Text where a date is wanted (`10/04/2018`) is told to be written `YYYY-MM-DD`.
- A whole number written with a decimal point (JSON `2.0`) where an integer is wanted
  is told to be written without it. That is a decision: JSON Schema counts 2.0 as an
  integer, but the reader keeps it a decimal (a count or a year written with a
  fraction's precision is worth a word, and dates are built from years).
"""

from __future__ import annotations

import difflib
import json
import re
from decimal import Decimal

from .document import Document, Problem

_PLAIN_AMOUNT = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_CURRENCY_PREFIXES = ("US$", "USD", "$")
_SLASHED_DATE = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def schema_problems(document: Document, errors: list) -> list[Problem]:
    """One problem per thing wrong, in the order of `errors` (jsonschema's, sorted by path)."""
    problems: list[Problem] = []
    meant: set[tuple[str, str]] = set()  # (object path, field name) a misspelt key was meant to be
    for error in errors:
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            for key, suggestion in _unknown_keys(error):
                path = _child(error.json_path, key)
                if suggestion is not None:
                    meant.add((error.json_path, suggestion))
                    hint = f"did you mean `{suggestion}`?"
                else:
                    hint = "the fields allowed here: " + ", ".join(f"`{name}`" for name in _allowed(error.schema))
                problems.append(_problem(document, f"{path}: unknown field `{key}`", path, hint, key=True))
            continue
        if error.validator == "required" and (error.json_path, _required_name(error)) in meant:
            continue
        problems.append(_problem(document, _describe(error), error.json_path,
                                 _hint(error) or document.reading_hint(error.json_path) or _alias_hint(error)))
    return problems


def _unknown_keys(error):
    """(key, the allowed field it is closest to, or None) for each key the schema does not allow."""
    allowed = _allowed(error.schema)
    patterns = [re.compile(p) for p in error.schema.get("patternProperties", {})]
    for key in error.instance:
        if key in error.schema.get("properties", {}) or any(p.search(str(key)) for p in patterns):
            continue
        missing = [name for name in allowed if name not in error.instance]
        close = difflib.get_close_matches(str(key), missing, n=1, cutoff=0.75) or \
            difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.75)
        yield key, close[0] if close else None


def _allowed(schema: dict) -> list[str]:
    """The fields to suggest: `$schema`, which only editors read, is allowed but not suggested."""
    return [name for name in schema.get("properties", {}) if not name.startswith("$")]


def _required_name(error) -> str | None:
    match = re.match(r"'(.*)' is a required property$", error.message)
    return match.group(1) if match else None


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(key)) else f"{path}[{json.dumps(key)}]"


def _describe(error) -> str:
    """jsonschema's message, with a value written as JSON writes it (null, false)."""
    where = error.json_path
    message = error.message
    if error.validator == "type" and (error.instance is None or isinstance(error.instance, (bool, int, Decimal))):
        shown = json.dumps(error.instance) if not isinstance(error.instance, Decimal) else str(error.instance)
        message = f"{shown} is not of type {error.validator_value!r}"
    return f"{where}: {message}" if where != "$" else message


def _hint(error) -> str | None:
    """What to write instead, for text standing where a number or a date is wanted, or a
    whole number written with a decimal point where an integer is wanted."""
    value = error.instance
    if error.validator == "type" and error.validator_value == "integer" and isinstance(value, Decimal) \
            and value.is_finite() and value == value.to_integral_value():
        return f"`{value}` is written with a decimal point; write {int(value)} for a whole number"
    if not isinstance(value, str):
        return None
    if error.validator == "type" and error.validator_value in ("number", "integer"):
        digits = _digits(value)
        if digits is not None:
            return f"write the amount with digits only, without quotes, commas or a currency sign: `{digits}`"
    if error.validator == "format" and error.validator_value == "date":
        return _date_hint(value)
    return None


def _alias_hint(error) -> str | None:
    """For a value outside a closed list: the listed value it names, by the schema's
    `x-iompolicy-aliases` (alias -> value) or by the spelling of a listed value."""
    if error.validator != "enum" or not isinstance(error.instance, str) or not isinstance(error.schema, dict):
        return None
    aliases = {**{value: value for value in error.validator_value if isinstance(value, str)},
               **error.schema.get("x-iompolicy-aliases", {})}
    wanted = _spelling(error.instance)
    for alias, value in aliases.items():
        if _spelling(alias) == wanted:
            return f"write `{value}`, the listed name for `{error.instance}`"
    if "x-iompolicy-aliases" not in error.schema:
        return None
    return "write one of: " + ", ".join(f"`{value}`" for value in error.validator_value)


def _spelling(text: str) -> str:
    """Text compared without case, spaces or punctuation (`Sub-Committee` is `subcommittee`)."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _digits(text: str) -> str | None:
    """`150000` for `150,000`, `$150000`, `USD 150 000` (currency and thousands separators
    taken off); None when what is left is not a plain amount."""
    core = text.strip()
    for prefix in _CURRENCY_PREFIXES:
        if core.startswith(prefix):
            core = core[len(prefix):].lstrip()
            break
    core = core.removesuffix("USD").rstrip()
    if not core[:1].isdigit():
        return None
    digits = core.translate(_SEPARATORS)
    return digits if _PLAIN_AMOUNT.fullmatch(digits) else None


_SEPARATORS = str.maketrans("", "", ",' _")


def _date_hint(text: str) -> str:
    match = _SLASHED_DATE.match(text)
    readings = []
    if match:
        first, second, year = (int(g) for g in match.groups())
        for day, month in dict.fromkeys(((first, second), (second, first))):
            if 1 <= month <= 12 and 1 <= day <= 31:
                readings.append(f"`{year:04d}-{month:02d}-{day:02d}` for {day} {_MONTHS[month - 1]} {year}")
    if not readings:
        return "write the date as YYYY-MM-DD (year, month, day), for example `2016-03-15`"
    return "write the date as YYYY-MM-DD (year, month, day): " + ", or ".join(readings)


def _problem(document: Document, message: str, path: str, hint: str | None = None, key: bool = False) -> Problem:
    position = document.position(path)
    line, column = position if position else (None, None)
    return Problem(document.name, message, line, column, path, hint, "unknown_field" if key else None)
