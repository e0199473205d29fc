"""`iompolicy diff`: which documents a change of rules would flip, and the money at stake."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
from pathlib import Path

import click

from .common import EXIT_FAILED, EXIT_OK, RunError, fail, load_policies, parse_date, policy_folder


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--base", "base_rev", metavar="REV",
              help="Judge first under the policy files as they were at git revision REV (the same folder(s) as "
                   "--policies, read with `git show`).")
@click.option("--base-policies", "base_dirs", multiple=True, metavar="DIR",
              help="Judge first under the policies in DIR (repeatable; `shipped` names the shipped ones).")
@click.option("--policies", "head_dirs", multiple=True, metavar="DIR",
              help="The policies to judge under next (repeatable).  [default: the settings' `policies`, "
                   "else the shipped ones]")
@click.option("--reading", "readings", multiple=True, metavar="NAME=VALUE",
              help="Judge next with this reading of a policy parameter (repeatable; over the settings' `readings`).")
@click.option("--base-reading", "base_readings", multiple=True, metavar="NAME=VALUE",
              help="Judge first with this reading of a policy parameter (repeatable; over the settings' `readings`).")
@click.option("--data", "data_files", multiple=True, metavar="FILE", help="Reference data; repeatable.")
@click.option("--as-of", callback=parse_date, metavar="DATE", help="Judge every document as of DATE.")
@click.option("--fail-on", type=click.Choice(["error", "warning"]), default="error", show_default=True,
              help="Lowest severity that makes a document refused.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown", "html"]), default="text",
              show_default=True, help="Report format.")
@click.option("--output", "-o", metavar="FILE", help="Write the report to FILE instead of stdout.")
def diff(paths, base_rev, base_dirs, head_dirs, readings, base_readings, data_files, as_of, fail_on, fmt, output):
    """Judge the documents in PATHS under two policy sets, or one set under two readings
    of its parameters, and show what flips.

    The base is --base-policies DIR, or the head's policy folder(s) at git
    revision --base REV, or (with neither) the head's policies under the
    --base-reading readings. Lists each document whose outcome changes, with the
    clauses that flip and their direction, the flips counted by clause, and the
    money at stake. Exit status: 0 nothing flips, 1 something flips, 2 the run
    could not be done. Waivers are not applied: the verdicts are the rules'.

    \b
    Examples:
      iompolicy diff examples/ --base-policies shipped --policies shipped --policies examples/policies-idf-2020
      iompolicy diff proposals/ --base origin/main --format markdown
      iompolicy diff examples/budgets/ --reading cap_lines=line2_only
    """
    from ..impact import compare
    from ..render.impact import render
    from ..run import Run, discover

    try:
        if base_rev and base_dirs:
            raise RunError(["give the base as --base REV or as --base-policies DIR (one of them)"])
        if not (base_rev or base_dirs or readings or base_readings):
            raise RunError(["give the base as --base REV or --base-policies DIR, or compare two readings "
                            "with --reading and --base-reading NAME=VALUE"])
        head_folders = list(head_dirs) or [policy_folder(None) or "shipped"]
        with contextlib.ExitStack() as stack:
            if base_rev:
                base_folders = [stack.enter_context(_at_revision(folder, base_rev)) for folder in head_folders]
                base_label = f"{' + '.join(head_folders)} at {base_rev}"
            elif base_dirs:
                base_folders, base_label = list(base_dirs), " + ".join(base_dirs)
            else:
                base_folders, base_label = head_folders, " + ".join(head_folders)
            base = load_policies(base_folders, base_readings, "--base-reading")
            head = load_policies(head_folders, readings)
            base_label += _readings_label(base)
            head_label = " + ".join(head_folders) + _readings_label(head)
            run = Run(head)
            for name in data_files:
                run.add_data_file(name)
            names, missing = discover(list(paths))
            run.problems.extend(missing)
            run.add_inputs(names)
            if run.problems:
                raise RunError([str(p) for p in run.problems])
            documents = list(run.documents())
            if run.problems:
                raise RunError([str(p) for p in run.problems])
            if not documents:
                raise RunError(["no documents to judge were found in " + " ".join(paths)])
            impact = compare(base, head, documents, run.data, as_of, fail_on, base_label, head_label)
        text = render(impact, fmt)
        if output:
            Path(output).write_text(text, encoding="utf-8")
        else:
            click.echo(text, nl=False)
    except RunError as error:
        fail(error.lines)
    sys.exit(EXIT_FAILED if impact.flips or impact.changed else EXIT_OK)


def _readings_label(policies) -> str:
    """` (cap_lines=line2_only)`: the readings a side is judged under, when any was chosen."""
    chosen = ", ".join(f"{name}={value}" for name, value in policies.chosen.items())
    return f" ({chosen})" if chosen else ""


@contextlib.contextmanager
def _at_revision(folder: str, revision: str):
    """A temporary copy of the policy files (`*.iom`, `provisions.yaml`) of `folder` as they
    were at git `revision` of the repository holding the folder."""
    from ..resources import shipped_policies

    folder = str(shipped_policies()) if folder == "shipped" else folder
    where = Path(folder).resolve()
    top = Path(_git(where, "rev-parse", "--show-toplevel").strip()).resolve()
    inside = where.relative_to(top).as_posix() if where != top else ""
    listed = _git(top, "ls-tree", "-r", "--name-only", revision, "--", inside or ".").splitlines()
    wanted = [p for p in listed if p.endswith(".iom") or p.endswith("/provisions.yaml") or p == "provisions.yaml"]
    if not any(p.endswith(".iom") for p in wanted):
        raise RunError([f"{folder}: no policy files (*.iom) at git revision `{revision}`"])
    with tempfile.TemporaryDirectory(prefix="iompolicy-base-") as temporary:
        for path in wanted:
            target = Path(temporary) / Path(path).relative_to(inside) if inside else Path(temporary) / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(_git(top, "show", f"{revision}:{path}"), encoding="utf-8")
        yield temporary


def _git(where: Path, *arguments: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(where), *arguments], capture_output=True, text=True, check=False)
    except OSError as error:
        raise RunError([f"git: cannot run it ({error.strerror}); --base needs git"]) from None
    if done.returncode != 0:
        message = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise RunError([f"{where}: git {arguments[0]}: {message}"])
    return done.stdout
