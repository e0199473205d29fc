"""The `iompolicy` command. Exit status: 0 nothing failed at the --fail-on level,
1 a clause failed, 2 the run itself could not be done.

Each command lives in its own module, imported only when that command runs (or
when help lists them): building every command's options costs a one-file check
about a millisecond it does not need."""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import sys

import click

from .. import __version__
from .common import DEBUG, EXIT_USAGE

# name -> "module:function" of each command (help lists them in alphabetical order)
COMMANDS = {
    "analyze": "analyze:analyze",
    "check": "check:check",
    "diff": "diff:diff",
    "explain": "policy_tools:explain",
    "init": "starter:init",
    "lint": "policy_tools:lint",
    "list": "policy_tools:list_clauses",
    "new": "starter:new",
    "schema": "starter:schema",
    "serve": "serve:serve",
    "test": "policy_tools:test_command",
    "trace": "policy_tools:trace_command",
}


class LazyGroup(click.Group):
    """A group whose commands are imported when first asked for (click's documented
    way to load subcommands lazily: override list_commands and get_command)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *super().list_commands(ctx)})  # with any added by add_command

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BrokenPipeError:  # before click's own handler, which exits 1 (a pass/fail status)
            quiet_broken_pipe()

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return super().get_command(ctx, name)
        module, attribute = COMMANDS[name].split(":")
        return getattr(importlib.import_module(f".{module}", __name__), attribute)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="iompolicy")
@click.option("--debug", is_flag=True,
              help="Show the traceback when iompolicy itself fails (as IOMPOLICY_DEBUG=1 does).")
@click.option("--config", "config_file", metavar="FILE",
              help="Settings file (default: .iompolicy.yaml, or [tool.iompolicy] in pyproject.toml, "
                   "in this folder or a parent up to the repository root).")
def main(config_file, debug=False):
    """Check proposals, facility budgets and governance documents against the
    IOM Strategy (Council Resolution No. 1150 (XCIII) of 7 June 2007).

    \b
    Examples:
      iompolicy check examples/
      iompolicy check proposal.yaml --data member-states.yaml --format json
      iompolicy --config ci/iompolicy.yaml check
      iompolicy explain III.5.2
    """
    DEBUG[0] = debug
    resume_collection()  # click calls this after importing the command, before reading its arguments


_PAUSED = [False]  # the entry point paused the collector for the start (`iompolicy.__main__.main`)


def resume_collection() -> None:
    """The command is chosen and imported: the garbage collector resumes, if the entry point
    paused it, and the objects the start built (modules, classes, click's commands: they
    live until the process ends) are frozen, never scanned again (`gc.freeze`)."""
    if _PAUSED[0]:
        _PAUSED[0] = False
        gc.freeze()
        gc.enable()


EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a program stopped by a closed pipe


def quiet_broken_pipe() -> None:
    """The reader of stdout went away (`iompolicy list | head`): stop, say nothing, and
    exit with one fixed status. What is still buffered goes to /dev/null, so the
    interpreter's last flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    sys.exit(EXIT_BROKEN_PIPE)


def run(paused_collector: bool = False) -> None:
    """Entry point that never shows a traceback unless IOMPOLICY_DEBUG is set.
    `paused_collector`: the caller paused the garbage collector, to be resumed once the
    command is chosen (`resume_collection`; however the run ends, it is resumed)."""
    _PAUSED[0] = paused_collector
    try:
        try:
            main(standalone_mode=True)
        finally:
            resume_collection()
            if sys.stdout is not None:
                sys.stdout.flush()  # here, not at interpreter exit, where a broken pipe is a message and status 120
    except BrokenPipeError:
        quiet_broken_pipe()
    except Exception as error:  # the last line of defence: one line, exit 2
        if os.environ.get("IOMPOLICY_DEBUG") or DEBUG[0]:
            raise
        from ..render.printable import printable

        click.echo(printable(f"iompolicy: internal error: {type(error).__name__}: {error} "
                             "(set IOMPOLICY_DEBUG=1 to see the traceback)"), err=True)
        sys.exit(EXIT_USAGE)
