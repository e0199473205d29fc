"""Documents: loaded exactly from YAML or JSON, with a table of positions.

Numbers are never binary floats: YAML and JSON decimals become `Decimal`,
integers stay `int`. YAML dates become ISO text, as in JSON, so a document
means the same in either format. Positions (line and column of every JSON
path) are worked out only when a result needs them.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DocumentError(Exception):
    """An input that cannot be checked: unreadable, not YAML/JSON, or not of its kind's schema.

    `problems` holds one `Problem` per thing wrong, each with its location.
    """

    def __init__(self, problems: list["Problem"]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, as `file:line:col: message`."""

    file: str
    message: str
    line: int | None = None
    column: int | None = None
    path: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        text = f"{where}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text


class _ExactLoader(_BaseLoader):
    """PyYAML's safe loader, but decimals are Decimal and dates are ISO text."""


def _construct_decimal(loader, node):
    text = loader.construct_scalar(node).replace("_", "").lower()
    if text.lstrip("+-") in (".inf", ".nan"):
        raise yaml.constructor.ConstructorError(None, None, f"`{node.value}` is not a finite number", node.start_mark)
    try:
        return Decimal(text)
    except InvalidOperation:
        raise yaml.constructor.ConstructorError(None, None, f"`{node.value}` is not a number", node.start_mark) from None


def _construct_date_text(loader, node):
    value = yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    return value.isoformat()


_ExactLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
_ExactLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_date_text)


@dataclass
class Document:
    """A loaded document: its value, where it came from and (lazily) positions."""

    value: object
    name: str = "<document>"
    text: str | None = None
    format: str | None = None  # "yaml" | "json" | None for a value built in Python
    _positions: dict | None = field(default=None, repr=False)

    @property
    def kind(self) -> str | None:
        return self.value.get("kind") if isinstance(self.value, dict) else None

    @property
    def id(self) -> str | None:
        if isinstance(self.value, dict):
            for key in ("id", "document"):
                if isinstance(self.value.get(key), str):
                    return self.value[key]
        return None

    def position(self, path: str | None) -> tuple[int, int] | None:
        """Line and column of a JSON path, or of its nearest ancestor that is there."""
        if path is None or self.text is None:
            return None
        if self._positions is None:
            self._positions = _positions(self.text)
        while path:
            if path in self._positions:
                return self._positions[path]
            cut = max(path.rfind("."), path.rfind("["))
            if cut <= 0:
                break
            path = path[:cut]
        return self._positions.get("$")


def load_text(text: str, name: str = "<stdin>", format: str | None = None) -> Document:
    """Parse YAML or JSON text (JSON when `format` says so or the name ends in .json)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    fmt = format or ("json" if name.endswith(".json") else "yaml")
    if fmt == "json":
        try:
            value = json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
        except json.JSONDecodeError as error:
            raise DocumentError([Problem(name, f"not valid JSON: {error.msg}", error.lineno, error.colno)]) from None
        except ValueError as error:
            raise DocumentError([Problem(name, str(error))]) from None
    else:
        try:
            value = yaml.load(text, Loader=_ExactLoader)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            message = error.problem or error.context or "not valid YAML"
            line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
            raise DocumentError([Problem(name, f"not valid YAML: {message}", line, column)]) from None
        except yaml.YAMLError as error:
            raise DocumentError([Problem(name, f"not valid YAML: {error}")]) from None
    if value is None:
        raise DocumentError([Problem(name, "the document is empty")])
    if not isinstance(value, dict):
        raise DocumentError([Problem(name, "a document must be a mapping with a `kind` field", 1, 1)])
    return Document(value, name, text, fmt)


def load_file(path: str | Path) -> Document:
    """Read and parse one YAML or JSON file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DocumentError([Problem(str(path), "no such file")]) from None
    except OSError as error:
        raise DocumentError([Problem(str(path), f"cannot read: {error.strerror}")]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DocumentError([Problem(str(path), f"not UTF-8 text (byte {error.start})")]) from None
    return load_text(text, str(path), "json" if path.suffix == ".json" else "yaml")


def as_document(value, name: str = "<document>") -> Document:
    """A `Document` from a Document, a dict, or a path."""
    if isinstance(value, Document):
        return value
    if isinstance(value, dict):
        return Document(value, name)
    if isinstance(value, (str, Path)):
        return load_file(value)
    raise TypeError(f"cannot check a {type(value).__name__}; pass a dict, a path or a Document")


def _refuse_constant(name: str):
    raise ValueError(f"`{name}` is not a finite number")


def _positions(text: str) -> dict[str, tuple[int, int]]:
    """JSON path -> (line, column) for every node, from PyYAML's composed marks."""
    try:
        root = yaml.compose(text, Loader=_BaseLoader)
    except yaml.YAMLError:
        return {}
    table: dict[str, tuple[int, int]] = {}
    stack = [("$", root, root.start_mark if root else None)]
    while stack:
        path, node, mark = stack.pop()
        if node is None:
            continue
        table[path] = (mark.line + 1, mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append((f"{path}.{key.value}", value, key.start_mark))
        elif isinstance(node, yaml.SequenceNode):
            for position, item in enumerate(node.value):
                stack.append((f"{path}[{position}]", item, item.start_mark))
    return table


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
