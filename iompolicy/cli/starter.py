"""`iompolicy init`, `iompolicy new` and `iompolicy schema`: what a new user starts from.

`init` sets up a repository of proposals: the settings, a pre-commit hook, a registers
folder, the schemas (for editors) and a template of each document kind. `new` writes
one template. A template is a valid document whose every value still to be written is
marked `# FILL IN` (see `iompolicy.documents.placeholders`), so `check` lists what is
left to fill in. `schema` prints a kind's JSON Schema.
"""

from __future__ import annotations

import os
import sys
from importlib.resources import files
from pathlib import Path

import click

from .common import EXIT_OK, fail

TEMPLATE_KINDS = ("proposal", "facility_budget", "governance_calendar", "member_states", "funded_projects")
DOCUMENT_FOLDERS = {"proposal": "proposals", "facility_budget": "budgets", "governance_calendar": "governance"}
REGISTERS = {"member_states": "registers/member-states.yaml", "funded_projects": "registers/funded-projects.yaml"}
SCHEMAS = "schemas"  # the folder `init` writes each kind's schema to, which the templates name

SETTINGS = """\
# iompolicy settings of this repository, written by `iompolicy init`. Paths are relative
# to this file. `iompolicy check` with no paths checks `paths`, with the reference data
# of `data`; options on the command line override these. Other settings (policies,
# fail_on, format, only, skip, waivers, exclude, outputs, readings): iompolicy's README.
paths: [proposals/, budgets/, governance/]
data:
  - registers/member-states.yaml
  - registers/funded-projects.yaml
exclude: [templates, schemas]  # so that `iompolicy check .` leaves them out too
"""

PRE_COMMIT = """\
# pre-commit runs iompolicy on the documents and registers of each commit (written by
# `iompolicy init`; run `pre-commit install` once). It uses the iompolicy installed
# where git runs, with the settings of .iompolicy.yaml.
repos:
  - repo: local
    hooks:
      - id: iompolicy
        name: iompolicy
        entry: iompolicy check
        language: system
        types_or: [yaml, json]
        files: ^(proposals|budgets|governance|registers)/
        require_serial: true
"""

REGISTERS_README = """\
# Registers

Reference data that the clauses read: `member-states.yaml` (kind `member_states`)
and `funded-projects.yaml` (kind `funded_projects`). `.iompolicy.yaml` names them
under `data:`. Each file's comments describe its format;
`iompolicy schema member_states` and `iompolicy schema funded_projects` print every
field. Replace each `# FILL IN` placeholder with the real facts, from IOM's list of
Member States, the Facility's list of eligible Member States, the Administration's
statement of outstanding contributions, and the Facility's list of funded projects.
"""


def template(kind: str, schema_ref: str) -> str:
    """The template of `kind`, its editor line naming the schema at `schema_ref`."""
    text = files("iompolicy.cli").joinpath("templates", f"{kind}.yaml").read_text(encoding="utf-8")
    return text.replace("{schema}", schema_ref, 1)


def schema_text(kind: str) -> str:
    """A kind's JSON Schema, as shipped."""
    from ..resources import shipped_schemas

    return (shipped_schemas() / f"{kind}.schema.json").read_text(encoding="utf-8")


def _kind(kind: str, known) -> str:
    """`kind`, or a usage error naming the known kinds and the nearest one."""
    if kind in known:
        return kind
    from ..language.source import suggest

    near = suggest(kind, known)
    fail([f"unknown document kind `{kind}`; known: {', '.join(known)}" + (f" (hint: {near})" if near else "")])


def _schema_ref(kind: str, target: Path) -> str:
    """How the template at `target` names its kind's schema: the repository's copy that
    `init` wrote (relative to the template), else the installed one (a file URL)."""
    from ..config import find

    settings = find(target.parent)
    if settings is not None:
        copy = settings.parent / SCHEMAS / f"{kind}.schema.json"
        if copy.is_file():
            return Path(os.path.relpath(copy, target.parent.resolve())).as_posix()
    from ..resources import shipped_schemas

    return (shipped_schemas() / f"{kind}.schema.json").resolve().as_uri()


def _write_new(path: Path, text: str) -> None:
    """Write a file that must not exist yet (never overwrite a user's work)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "x", encoding="utf-8", newline="\n") as out:
            out.write(text)
    except FileExistsError:
        fail([f"{path}: already exists; iompolicy does not overwrite it (hint: choose another path, or delete it)"])
    except OSError as error:
        fail([f"{path}: cannot be written: {error.strerror or error}"])


@click.command("new")
@click.argument("kind")
@click.argument("path", required=False)
def new(kind, path):
    """Write a template of a document KIND (proposal, facility_budget,
    governance_calendar, member_states, funded_projects) to PATH (default:
    KIND.yaml here; `-` prints it). Its `# FILL IN` lines are what to write.

    \b
    Examples:
      iompolicy new proposal proposals/bolivia-climate.yaml
      iompolicy new facility_budget budgets/2026.yaml
    """
    kind = _kind(kind, TEMPLATE_KINDS)
    if path == "-":
        click.echo(template(kind, _schema_ref(kind, Path.cwd() / f"{kind}.yaml")), nl=False)
        sys.exit(EXIT_OK)
    target = Path(path or f"{kind}.yaml")
    _write_new(target, template(kind, _schema_ref(kind, target.absolute())))
    click.echo(f"wrote {target}: fill in each line marked `# FILL IN`, then run `iompolicy check {target}`")


@click.command("schema")
@click.argument("kind")
def schema(kind):
    """Print the JSON Schema of a document KIND (for editors and other tools).

    \b
    Examples:
      iompolicy schema proposal
      iompolicy schema member_states > member_states.schema.json
    """
    from ..resources import shipped_schemas

    known = sorted(p.name.removesuffix(".schema.json") for p in shipped_schemas().glob("*.schema.json"))
    click.echo(schema_text(_kind(kind, known)), nl=False)


@click.command("init")
@click.argument("folder", default=".")
def init(folder):
    """Set up FOLDER (default: here) as a repository of proposals: .iompolicy.yaml,
    a pre-commit hook, registers to fill in, the schemas for editors and a template
    of each document kind. Existing files are left as they are.

    \b
    Then:
      iompolicy new proposal proposals/my-proposal.yaml
      iompolicy check
    """
    root = Path(folder)
    written, kept = [], []

    def put(name: str, text: str) -> None:
        path = root / name
        if path.exists():
            kept.append(name)
            return
        _write_new(path, text)
        written.append(name)

    put(".iompolicy.yaml", SETTINGS)
    put(".pre-commit-config.yaml", PRE_COMMIT)
    for kind in TEMPLATE_KINDS:
        put(f"{SCHEMAS}/{kind}.schema.json", _with_newline(schema_text(kind)))
    put("registers/README.md", REGISTERS_README)
    for kind, name in REGISTERS.items():
        put(name, template(kind, f"../{SCHEMAS}/{kind}.schema.json"))
    for kind, documents in DOCUMENT_FOLDERS.items():
        (root / documents).mkdir(parents=True, exist_ok=True)
        put(f"templates/{kind}.yaml", template(kind, f"../{SCHEMAS}/{kind}.schema.json"))
    for name in written:
        click.echo(f"wrote {root / name}" if folder != "." else f"wrote {name}")
    for name in kept:
        click.echo(f"kept {root / name}: it exists already" if folder != "." else f"kept {name}: it exists already")
    click.echo("next: fill in the `# FILL IN` lines of the registers, write a document with "
               "`iompolicy new proposal proposals/NAME.yaml`, then run `iompolicy check`; "
               "`pre-commit install` checks each commit")


def _with_newline(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"
