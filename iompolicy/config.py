"""A repository's iompolicy settings: `.iompolicy.yaml`, or `[tool.iompolicy]` in pyproject.toml.

The settings file sits at the root of a repository of proposals. It is found by
looking in the current folder and its parents, stopping at the folder that holds
`.git`, or it is named with `iompolicy --config FILE`. Paths in it are relative to
the folder of the settings file. Command-line options override its values.

    paths: [proposals/, budgets/]      # what `iompolicy check` checks when given no PATHS
    data: [registers/member-states.yaml, registers/funded-projects.yaml]
    policies: policies/                # instead of the shipped policies
    fail_on: warning                   # error | warning
    format: text                       # text | json | jsonl | sarif | junit | markdown | html | github
    only: [III]                        # clause ids or citation prefixes
    skip: [III.5.2]
    waivers: waivers.yaml              # governed exceptions
    exclude: [drafts, "*.draft.yaml"]  # files and folders left out of `paths` (see iompolicy.globs)
    outputs: [sarif=audit.sarif, html=audit.html]   # reports written by one run (FORMAT=PATH)
    readings: {cap_lines: line2_only}  # a reading of a policy parameter (see `param` in docs/language.md)
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

from .patterns import LazyPattern
from .records import Record
from .render import FORMATS, split_output  # one list of report formats, shared with the command line

YAML_NAME = ".iompolicy.yaml"
PYPROJECT_NAME = "pyproject.toml"
FAIL_ON = ("error", "warning")

_LISTS = ("paths", "data", "only", "skip", "exclude", "outputs")
_PATH_LISTS = ("paths", "data")
_PATHS = ("policies", "waivers")
_KEYS = ("paths", "data", "policies", "fail_on", "format", "only", "skip", "waivers", "exclude", "outputs",
         "readings")


class ConfigError(Exception):
    """A settings file that cannot be used; one `file:line:col: message` per problem."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        super().__init__("\n".join(lines))


class Config(Record, fields="source paths data policies fail_on format only skip waivers lines exclude outputs "
             "readings", defaults=(None, (), None, None, None, (), (), None, None, (), (), None)):
    """The settings of one repository, read from the file at `source` (a Path). Paths are
    resolved against that file's folder; `None` (or an empty tuple) means "not set".
    `paths`, `data`, `only`, `skip` and `exclude` are tuples of text (`exclude` holds
    patterns, matched from that folder); `outputs` a tuple of (format, path); `readings`
    maps policy parameters to the reading chosen (checked against the policies when they
    load); `lines` maps each setting to the (line, column) of its key in the file (and
    `readings.NAME` to the place of each reading, `paths[i]` to that of a list's item)."""

    __slots__ = ()

    @property
    def folder(self) -> Path:
        return self.source.parent

    def where(self, key: str) -> str:
        """`file:line:col` of a setting (of its list or mapping, or of the settings' table, when
        the item itself has no place), or the file alone."""
        return located(shown(self.source), self.lines or {}, key)


def located(name: str, lines: dict, key: str) -> str:
    """`name:line:col` of `key` in `lines` ((line, column) by setting), else of the setting
    that holds it (`paths` for `paths[2]`, `readings` for `readings.cap`), else of `$`."""
    place = lines.get(key) or lines.get(key.split("[")[0]) or lines.get(key.split(".")[0]) or lines.get("$")
    return f"{name}:{place[0]}:{place[1]}" if place else name


def shown(path: str | Path) -> str:
    """A path as the user should read it: relative to the current folder when it can be."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)


def find(start: Path | None = None) -> Path | None:
    """The settings file for `start` (default: the current folder): `.iompolicy.yaml`, or a
    pyproject.toml with a `[tool.iompolicy]` table, in `start` or its parents, up to the
    folder holding `.git`."""
    from .documents import special_file

    folder = (start or Path.cwd()).resolve()
    while True:
        for settings_name in (YAML_NAME, PYPROJECT_NAME):  # passed over, its settings would be lost
            special = special_file(folder / settings_name)
            if special is not None:
                raise ConfigError([_special_refusal(shown(folder / settings_name), special)])
        candidates = [folder / YAML_NAME] if (folder / YAML_NAME).is_file() else []
        pyproject = folder / PYPROJECT_NAME
        if pyproject.is_file() and _has_tool_table(pyproject):
            candidates.append(pyproject)
        if len(candidates) > 1:
            raise ConfigError([f"{shown(candidates[0])}: iompolicy settings are also in {shown(pyproject)} "
                               "[tool.iompolicy]; keep them in one file"])
        if candidates:
            return candidates[0]
        if (folder / ".git").exists() or folder.parent == folder:
            return None
        folder = folder.parent


def load(path: str | Path) -> Config:
    """Read and check a settings file: YAML, or a TOML file's `[tool.iompolicy]` table."""
    path = Path(path)
    name = shown(path)
    text = _read_text(path, name)
    if path.suffix == ".toml":
        values, lines = _read_toml(text, name)
    else:
        values, lines = _read_yaml(text, name)
    return _build(path.resolve(), values, lines, name)


def _read_text(path: Path, name: str) -> str:
    """The settings file's text: UTF-8, with the place of a byte that is not."""
    data = _read_bytes(path, name)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError([_not_utf8(name, data, error)]) from None
    return text.removeprefix("\ufeff")


def _read_bytes(path: Path, name: str) -> bytes:
    """A settings file's bytes, read no further than a document's are (`--config` naming a
    10 GiB file was read whole), from a regular file only: a FIFO would block the run, a
    device (`/dev/zero`) might never end."""
    from .documents import read_at_most, special_file
    from .limits import DEFAULT_LIMITS

    special = special_file(path)
    if special is not None:
        raise ConfigError([_special_refusal(name, special)])
    limit = DEFAULT_LIMITS.max_bytes
    try:
        with open(path, "rb") as stream:
            data = read_at_most(stream, limit + 1)
    except FileNotFoundError:
        raise ConfigError([f"{name}: no such settings file"]) from None
    except IsADirectoryError:
        raise ConfigError([f"{name}: is a folder, not a settings file"]) from None
    except OSError as error:
        raise ConfigError([f"{name}: cannot read the settings file: {error.strerror or error}"]) from None
    if len(data) > limit:
        raise ConfigError([f"{name}: larger than {limit // (1024 * 1024)} MiB: refused unread "
                           "(a settings file has the size limit of a document)"])
    return data


def _special_refusal(name: str, what: str) -> str:
    return (f"{name}: is {what}, not a settings file: refused unread "
            "(hint: settings are read from a regular file: .iompolicy.yaml or pyproject.toml)")


def resolve(explicit: str | Path | None = None, start: Path | None = None) -> Config | None:
    """The settings named by `--config`, else the ones found from `start`, else None."""
    if explicit is not None:
        return load(explicit)
    found = find(start)
    return load(found) if found else None


def with_settings(config: Config | None, **given) -> dict:
    """The options of `iompolicy check`: each one given on the command line (not None, not
    empty), else the settings' value, else the default. Paths are shown relative to the
    current folder."""
    config = config or Config(source=Path(YAML_NAME))
    merged = {
        "paths": given.get("paths") or [shown(p) for p in config.paths or ()],
        "data": given.get("data") or [shown(p) for p in config.data],
        "policies": given.get("policies") or (shown(config.policies) if config.policies else None),
        "format": given.get("format") or config.format or "text",
        "fail_on": given.get("fail_on") or config.fail_on or "error",
        "only": given.get("only") or config.only,
        "skip": given.get("skip") or config.skip,
        # patterns given on the command line are matched from the current folder, the settings' from theirs
        "exclude": given.get("exclude") or config.exclude,
        "exclude_base": os.curdir if given.get("exclude") else str(config.folder),
        "outputs": given.get("outputs") or [(fmt, path if path == "-" else shown(path))
                                            for fmt, path in config.outputs],
    }
    if not merged["paths"]:
        where = f"in {shown(config.source)}" if config.source.is_file() else \
            f"in {YAML_NAME} (or [tool.iompolicy] in {PYPROJECT_NAME})"
        raise ConfigError([f"nothing to check: give PATHS, or list them as `paths` {where}"])
    return merged


# -- reading ------------------------------------------------------------------

# `[ \t]*`, not `\s*`, after `^`: `\s` crosses line breaks, and from the start of each of
# a million empty lines the scan ran over all the lines after it.
_TOOL_TABLE = LazyPattern(r"tool\s*\.\s*iompolicy|^[ \t]*\[[ \t]*tool[ \t]*\]", re.MULTILINE)
_TOML_PLACE = LazyPattern(r"\(at line (\d+), column (\d+)\)$")
# Matched at the start of one line (`^` says so: searched from every position instead, a
# pattern that starts with `\s*` would scan a run of spaces again from each of them).
_TOML_TOOL_HEADER = LazyPattern(r"^\s*\[\s*tool\s*\.\s*iompolicy\s*\]")
_TOML_HEADER = LazyPattern(r"^\s*\[")
_TOML_TOOL_VALUE = LazyPattern(r"^[ \t]*((?:tool[ \t]*\.[ \t]*)?iompolicy)[ \t]*=")
_TOML_KEY = LazyPattern(r"^\s*([A-Za-z0-9_-]+|\"[^\"]*\")\s*=")
# Brackets outside strings and comments (a closing quote is optional, so that an unterminated
# string is one match to the end of its line, not a scan from every quote after it).
_TOML_BRACKETS = LazyPattern(r'"(?:[^"\\\n]|\\.)*"?|\'[^\'\n]*\'?|#[^\n]*|[\[\]{}]')


def _has_tool_table(path: Path) -> bool:
    data = _read_bytes(path, shown(path))  # one that cannot be read might hold the settings: refused, never passed over
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        # Not valid TOML, and maybe iompolicy's settings: refused, never passed over (which
        # would drop them, `fail_on: warning` with them, and let the run go green).
        if _TOOL_TABLE.search(data.decode("utf-8", errors="replace")):
            raise ConfigError([_not_utf8(shown(path), data, error)]) from None
        return False
    if not _TOOL_TABLE.search(text):  # most pyproject.toml files have no such table: skip parsing them
        return False
    values, _ = _read_toml(text, shown(path))
    return values is not None


def _not_utf8(name: str, data: bytes, error: UnicodeDecodeError) -> str:
    line = data.count(b"\n", 0, error.start) + 1
    column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
    return (f"{name}:{line}:{column}: not UTF-8 text (byte 0x{data[error.start]:02x}): the settings cannot be read "
            "(hint: save the file as UTF-8)")


def _too_deep_at(text: str) -> str:
    """`line:col` of the first bracket nested more than a document may be (settings have
    no positions from tomllib)."""
    from .limits import DEFAULT_LIMITS

    depth = 0
    for match in _TOML_BRACKETS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > DEFAULT_LIMITS.max_depth:
                offset = match.start()
                return f"{text.count(chr(10), 0, offset) + 1}:{offset - (text.rfind(chr(10), 0, offset) + 1) + 1}"
        elif token in "]}":
            depth -= 1
    return "1:1"


def _read_toml(text: str, name: str) -> tuple[dict | None, dict[str, int]]:
    """The `[tool.iompolicy]` table (None if there is none) and the line of each of its keys."""
    import tomllib

    try:
        document = tomllib.loads(text)
    except RecursionError:  # tomllib recurses once per level of nesting
        raise ConfigError([f"{name}:{_too_deep_at(text)}: lists and tables are nested too deeply to read "
                           "(hint: a setting is a list of text at most)"]) from None
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        found = _TOML_PLACE.search(message)
        where = f"{name}:{found.group(1)}:{found.group(2)}" if found else name
        message = message[:found.start()].rstrip() if found else message
        raise ConfigError([f"{where}: not valid TOML: {message}"]) from None
    tool = document.get("tool")
    table = tool.get("iompolicy") if isinstance(tool, dict) else None
    if table is None:
        return None, {}
    # tomllib gives no positions: find the table's header, then each key under it.
    lines: dict[str, tuple[int, int]] = {}
    source = text.splitlines()
    header = next((n for n, line in enumerate(source, 1)
                   if _TOML_TOOL_HEADER.match(line)), None)
    if header is not None:
        lines["$"] = (header, source[header - 1].index("[") + 1)
        for number in range(header, len(source)):
            line = source[number]
            if _TOML_HEADER.match(line):
                break
            key = _TOML_KEY.match(line)
            if key:
                lines.setdefault(key.group(1).strip('"'), (number + 1, key.start(1) + 1))
    if not isinstance(table, dict):  # `iompolicy = 3` under [tool], or `tool.iompolicy = 3`
        place = next(((n, found.start(1) + 1) for n, line in enumerate(source, 1)
                      if (found := _TOML_TOOL_VALUE.match(line))), (1, 1))
        raise ConfigError([f"{name}:{place[0]}:{place[1]}: `tool.iompolicy` must be a table"])
    return table, lines


def _read_yaml(text: str, name: str) -> tuple[dict, dict[str, tuple[int, int]]]:
    """The mapping and the (line, column) of each top-level key (and of each list item, as
    `key[i]`, and each key of a mapping, as `key.sub`).

    Read by the document loader, under its limits: nesting, aliases, tags, merge keys
    and keys written twice are refused as they are in documents, with their place."""
    from .documents import DocumentError, load_text

    try:
        document = load_text(text, name, "yaml")
    except DocumentError as error:
        (problem,) = error.problems[:1]
        if problem.code == "empty":
            return {}, {}
        if problem.code == "not_a_mapping":
            raise ConfigError([f"{name}:{problem.line}:{problem.column}: the settings must be a mapping of keys "
                               f"({', '.join(_KEYS)})"]) from None
        raise ConfigError([str(p) for p in error.problems]) from None
    values = document.value
    lines: dict[str, tuple[int, int]] = {}
    for key, value in values.items():
        lines[key] = document.position(f"$.{key}")
        if isinstance(value, list):
            for position in range(len(value)):
                lines[f"{key}[{position}]"] = document.position(f"$.{key}[{position}]")
        elif isinstance(value, dict):
            for sub in value:
                position = document.position(f"$.{key}.{sub}")
                if position:
                    lines[f"{key}.{sub}"] = position
    return values, lines


# -- checking -----------------------------------------------------------------

def _build(source: Path, values: dict | None, lines: dict[str, tuple[int, int]], name: str) -> Config:
    if values is None:
        raise ConfigError([f"{name}: has no [tool.iompolicy] table"])
    problems: list[str] = []

    def problem(key: str, message: str) -> None:
        problems.append(f"{located(name, lines, key)}: {message}")

    settings: dict[str, object] = {}
    for key, value in values.items():
        key = str(key)
        if key not in _KEYS:
            near = _near(key)
            problem(key, f"unknown setting `{key}`" + (f" (did you mean `{near}`?)" if near else "")
                    + f"; settings: {', '.join(_KEYS)}")
            continue
        if key in _LISTS:
            if not isinstance(value, list):
                example = f" (`{key}: [{value}]`)" if isinstance(value, str) else ""
                problem(key, f"`{key}` must be a list of text{example}, not {_type(value)}")
                continue
            bad = [(i, item) for i, item in enumerate(value) if not isinstance(item, str) or not item.strip()]
            for position, item in bad:
                problem(f"{key}[{position}]", f"`{key}` item {position + 1} must be non-empty text, not {_type(item)}")
            if bad:
                continue
            if key in _PATH_LISTS:
                bad = [i for i, item in enumerate(value) if "\0" in item]
                for position in bad:
                    problem(f"{key}[{position}]", f"`{key}` item {position + 1} holds a NUL character, which no path "
                            "can hold")
                if bad:
                    continue
                value = [_resolve(source.parent, item) for item in value]
            if key == "outputs":
                value = [split_output(item) for item in value]
                for position, (fmt, item) in enumerate(value):
                    if fmt is None:
                        problem(f"{key}[{position}]", f"`outputs` item {position + 1} must be FORMAT=PATH "
                                                      f"(FORMAT one of {', '.join(FORMATS)}), not `{item}`")
                value = [(fmt, item if item == "-" else _resolve(source.parent, item)) for fmt, item in value]
            settings[key] = tuple(value)
        elif key == "readings":
            if not isinstance(value, dict):
                problem(key, f"`readings` must be a mapping of parameter names to readings "
                             f"(`readings: {{cap_lines: line2_only}}`), not {_type(value)}")
                continue
            bad = [parameter for parameter, reading in value.items()
                   if not isinstance(reading, str) or not reading.strip()]
            for parameter in bad:  # not `name`: that is the settings file's, for every message after this one
                problem(f"readings.{parameter}",
                        f"the reading of `{parameter}` must be non-empty text, not {_type(value[parameter])}")
            if bad:
                continue
            settings[key] = {str(parameter): reading.strip() for parameter, reading in value.items()}
        elif key in ("fail_on", "format"):
            allowed = FAIL_ON if key == "fail_on" else FORMATS
            if value not in allowed:
                problem(key, f"`{key}` must be one of {', '.join(allowed)}, not {_shown_value(value)}")
                continue
            settings[key] = value
        else:  # a single path
            if not isinstance(value, str) or not value.strip():
                problem(key, f"`{key}` must be a path (text), not {_type(value)}")
                continue
            if "\0" in value:
                problem(key, f"`{key}` holds a NUL character, which no path can hold")
                continue
            settings[key] = _resolve(source.parent, value)
    if problems:
        raise ConfigError(problems)
    return Config(source=source, lines=lines, **settings)


def _resolve(folder: Path, value: str) -> str:
    return os.path.normpath(folder / os.path.expanduser(value))


def _type(value) -> str:
    if value is None:
        return "nothing"
    from decimal import Decimal

    return {bool: "true/false", int: "a number", float: "a number", Decimal: "a number", str: "text",
            list: "a list", dict: "a mapping", dt.date: "a date", dt.datetime: "a date and time",
            dt.time: "a time"}.get(type(value), type(value).__name__)


def _shown_value(value) -> str:
    return f"`{value}`" if isinstance(value, str) else _type(value)


def _near(key: str) -> str | None:
    import difflib

    close = difflib.get_close_matches(key.replace("-", "_"), _KEYS, n=1, cutoff=0.6)
    return close[0] if close else None
