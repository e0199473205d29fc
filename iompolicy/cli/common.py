"""What the commands share: exit statuses, the one-line failure, the settings of the
run and the policy set to use."""

from __future__ import annotations

import datetime as dt
import os
import sys

import click

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

DEBUG = [False]  # --debug: let run() show the traceback


class RunError(Exception):
    """The run cannot go on; its lines are printed to stderr and the exit status is 2."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        super().__init__("\n".join(lines))


def fail(lines: list[str]) -> None:
    """Print the lines to stderr and exit 2. Each line is one line on stderr: a line break
    in it (a file name may hold anything) is escaped, so no part of a name can pass for
    a line of its own. A line about a path the settings name says where they name it."""
    from ..render.printable import printable

    places = _settings_places()
    for line in lines:
        click.echo(printable(_with_settings_place(line, places)), err=True)
    sys.exit(EXIT_USAGE)


def _settings_places() -> list[tuple[str, str]]:
    """(path as shown, `file:line:col` of the setting) for each path the settings name and
    the command line does not (a path given there is the user's own), longest first; none
    when no settings were read."""
    from ..config import shown

    context = click.get_current_context(silent=True)
    config = context.find_root().meta.get("iompolicy.config") if context is not None else None
    if config is None:
        return []
    given = {_real(value) for value in _texts(context.params.values())}
    named = [(f"paths[{i}]", p) for i, p in enumerate(config.paths or ())]
    named += [(f"data[{i}]", p) for i, p in enumerate(config.data or ())]
    named += [(f"outputs[{i}]", p) for i, (_, p) in enumerate(config.outputs or ()) if p != "-"]
    named += [(key, getattr(config, key)) for key in ("policies", "waivers") if getattr(config, key)]
    places = [(form, config.where(key)) for key, path in named if _real(path) not in given
              for form in {str(path), shown(path)}]
    return sorted(places, key=lambda place: -len(place[0]))


def _real(path) -> str:
    try:
        return os.path.realpath(path)
    except (ValueError, OSError):  # a NUL in the text: no file has that name
        return str(path)


def _texts(values):
    """Every text among a command's parameters (tuples of them included)."""
    for value in values:
        if isinstance(value, str):
            yield value
        elif isinstance(value, (tuple, list)):
            yield from _texts(value)


def _with_settings_place(line: str, places: list[tuple[str, str]]) -> str:
    for path, where in places:
        if line.startswith(path + ":"):
            return f"{line} (named at {where})"
    return line


def policy_folders(folders) -> list:
    """The folders to load: those given, or (None) the settings' folder or else the
    shipped one; `shipped` names the shipped folder."""
    from ..resources import shipped_policies

    if folders is None or isinstance(folders, (str, os.PathLike)):
        folders = [policy_folder(folders) or shipped_policies()]
    return [shipped_policies() if str(f) == "shipped" else f for f in folders]


def load_policies(folders, readings: tuple[str, ...] = (), option: str = "--reading"):
    """The policy set of `policy_folders(folders)` (one folder, or several side by side),
    under the settings' `readings` and then those given as NAME=VALUE with `option`."""
    from ..engine import PolicySet
    from ..language.schemas import SchemaError
    from ..language.source import PolicyError

    folders = policy_folders(folders)
    try:
        policies = PolicySet.load(folders if len(folders) > 1 else folders[0])
    except PolicyError as error:
        raise RunError(error.render().split("\n")) from None  # the diagnostic, its source line and caret
    except (SchemaError, FileNotFoundError) as error:
        raise RunError([str(error)]) from None
    return with_readings(policies, readings, option)


def parse_readings(given, option: str = "--reading") -> dict[str, str]:
    """`NAME=VALUE` texts as {NAME: VALUE}; a text without `=` is a usage error."""
    readings = {}
    for text in given:
        name, equals, value = text.partition("=")
        if not equals or not name.strip() or not value.strip():
            raise RunError([f"{option} `{text}`: write NAME=VALUE, such as `{option} cap_lines=line2_only`"])
        readings[name.strip()] = value.strip()
    return readings


def with_readings(policies, given=(), option: str = "--reading"):
    """`policies` under the settings' `readings`, then the NAME=VALUE readings `given` with
    `option` (which win); a parameter no policy declares, or a value it does not allow, is
    a usage error located where it was written, with the nearest name or value."""
    from ..language.parameters import resolve_readings

    config = repository_settings()
    settings = dict(config.readings) if config is not None and config.readings else {}
    chosen = parse_readings(given, option)
    problems = []
    for source, readings in (("settings", settings), ("command line", chosen)):
        for name, value in readings.items():
            found = resolve_readings(policies.declared, {name: value})[1]
            if not found:
                continue
            diagnostic = found[0]
            if source == "settings":
                where = f"{config.where(f'readings.{name}')}: `readings`"
            else:
                where = f"{option} {name}={value}"
            declared = f" (declared at {diagnostic.span})" if diagnostic.span else ""
            problems.append(f"{where}: {diagnostic.message}{declared}" + (f" (hint: {diagnostic.hint})"
                                                                          if diagnostic.hint else ""))
    if problems:
        raise RunError(problems)
    readings = {**settings, **chosen}
    return policies.with_readings(readings) if readings else policies


def policies_or_exit(folders):
    """`load_policies`, or its lines on stderr and exit 2: for the commands that only read policies."""
    try:
        return load_policies(folders)
    except RunError as error:
        fail(error.lines)


def parse_date(ctx, param, value):
    """click callback of a date option (YYYY-MM-DD)."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"`{value}` is not a date (YYYY-MM-DD)") from None


def repository_settings():
    """The repository's settings (`--config FILE`, or found from the current folder), or None."""
    from ..config import ConfigError, resolve

    root = click.get_current_context().find_root()
    if "iompolicy.config" not in root.meta:
        try:
            root.meta["iompolicy.config"] = resolve(root.params.get("config_file"))
        except ConfigError as error:
            raise RunError(error.lines) from None
    return root.meta["iompolicy.config"]


def policy_folder(folder: str | None) -> str | None:
    """DIR given on the command line, else the settings' `policies`, else None (the shipped ones)."""
    from ..config import shown

    if folder is None and (config := repository_settings()) is not None and config.policies:
        return shown(config.policies)
    return folder
