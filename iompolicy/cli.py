"""The `iompolicy` command. Exit status: 0 nothing failed at the --fail-on level,
1 a clause failed, 2 the run itself could not be done."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys

import click

from . import __version__
from .render import FORMATS
from .limits import DEFAULT_LIMITS, Limits

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class RunError(Exception):
    """The run cannot go on; its lines are printed to stderr and the exit status is 2."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        super().__init__("\n".join(lines))


def _fail(lines: list[str]) -> None:
    for line in lines:
        click.echo(line, err=True)
    sys.exit(EXIT_USAGE)


def _load_policies(folders):
    """The policy set of a folder, of several folders side by side, or (None) the
    settings' folder or else the shipped one. `shipped` names the shipped folder."""
    from .engine import PolicySet
    from .resources import shipped_policies
    from .schema import SchemaError
    from .source import PolicyError

    if folders is None or isinstance(folders, (str, os.PathLike)):
        folders = [_policy_folder(folders) or shipped_policies()]
    folders = [shipped_policies() if str(f) == "shipped" else f for f in folders]
    try:
        return PolicySet.load(folders if len(folders) > 1 else folders[0])
    except PolicyError as error:
        raise RunError([error.render()]) from None
    except (SchemaError, FileNotFoundError) as error:
        raise RunError([str(error)]) from None


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"`{value}` is not a date (YYYY-MM-DD)") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
    _DEBUG[0] = debug


_DEBUG = [False]  # --debug: let run() show the traceback


def _config():
    """The repository's settings (`--config FILE`, or found from the current folder), or None."""
    from .config import ConfigError, resolve

    root = click.get_current_context().find_root()
    if "iompolicy.config" not in root.meta:
        try:
            root.meta["iompolicy.config"] = resolve(root.params.get("config_file"))
        except ConfigError as error:
            raise RunError(error.lines) from None
    return root.meta["iompolicy.config"]


def _policy_folder(folder: str | None) -> str | None:
    """DIR given on the command line, else the settings' `policies`, else None (the shipped ones)."""
    from .config import shown

    if folder is None and (config := _config()) is not None and config.policies:
        return shown(config.policies)
    return folder


@main.command()
@click.argument("paths", nargs=-1)
@click.option("--data", "data_files", multiple=True, metavar="FILE",
              help="Reference data (member_states, funded_projects); repeatable.")
@click.option("--policies", "policy_dirs", multiple=True, metavar="DIR",
              help="Use the policies in DIR instead of the shipped ones; repeat it to judge under several "
                   "regimes side by side (`shipped` names the shipped policies).")
@click.option("--as-of", callback=_date, metavar="DATE", help="Judge every document as of DATE, not its own date.")
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="Report format.  [default: text, or the settings' `format`]")
@click.option("--output", "-o", metavar="FILE", help="Write the report to FILE instead of stdout.")
@click.option("--fail-on", type=click.Choice(["error", "warning"]),
              help="Lowest severity that makes the exit status 1.  [default: error, or the settings' `fail_on`]")
@click.option("--only", multiple=True, metavar="CLAUSE|CITE", help="Only these clauses (id, or citation prefix like III.5).")
@click.option("--skip", multiple=True, metavar="CLAUSE|CITE", help="Skip these clauses (id, or citation prefix).")
@click.option("--waivers", "waivers_file", metavar="FILE",
              help="Waivers to apply.  [default: the settings' `waivers`]")
@click.option("--no-waivers", is_flag=True, help="Show the verdicts without any waiver.")
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=1, show_default=True,
              help="Check with N processes (for big audits).")
@click.option("--verbose", "-v", is_flag=True, help="List passing and not-applicable clauses too.")
@click.option("--max-bytes", type=click.IntRange(1), default=DEFAULT_LIMITS.max_bytes, show_default=True,
              metavar="N", help="Refuse an input file (or stdin) larger than N bytes.")
@click.option("--max-depth", type=click.IntRange(1, 10_000), default=DEFAULT_LIMITS.max_depth, show_default=True,
              metavar="N", help="Refuse lists and mappings nested more than N deep.")
@click.option("--max-aliases", type=click.IntRange(0), default=DEFAULT_LIMITS.max_aliases, show_default=True,
              metavar="N", help="Refuse a YAML document with more than N aliases (*name).")
@click.option("--max-nodes", type=click.IntRange(1), default=DEFAULT_LIMITS.max_nodes, show_default=True,
              metavar="N", help="Refuse a document of more than N keys and values, counting what aliases repeat.")
def check(paths, data_files, policy_dirs, as_of, fmt, output, fail_on, only, skip, waivers_file, no_waivers,
          jobs, verbose, max_bytes=DEFAULT_LIMITS.max_bytes, max_depth=DEFAULT_LIMITS.max_depth,
          max_aliases=DEFAULT_LIMITS.max_aliases, max_nodes=DEFAULT_LIMITS.max_nodes):
    """Check documents (files, folders, or - for stdin) against the policies.

    Reference-data documents met among PATHS are used as data, not checked.
    With no PATHS, checks the `paths` of the settings file (.iompolicy.yaml or
    [tool.iompolicy] in pyproject.toml); options given here override its values.

    \b
    Examples:
      iompolicy check examples/
      iompolicy check
      iompolicy check proposals/ --data registers/member-states.yaml --fail-on warning
      iompolicy check proposal.yaml --format sarif --output iompolicy.sarif
      iompolicy check proposals/ --policies shipped --policies later-rules/
      iompolicy check archive/ --format jsonl --jobs 4 > audit.jsonl
      cat proposal.json | iompolicy check - --data member-states.yaml
    """
    from .config import ConfigError, with_settings
    from .documents import read_limited
    from .run import Run, discover

    try:
        settings = with_settings(_config(), paths=paths, data=data_files, policies=policy_dirs or None,
                                 format=fmt, fail_on=fail_on, only=only, skip=skip)
        paths, data_files, fmt, fail_on, only, skip = (settings[k] for k in ("paths", "data", "format", "fail_on",
                                                                              "only", "skip"))
        policies = _load_policies(settings["policies"])
        run = Run(policies, limits=Limits(max_bytes, max_depth, max_aliases, max_nodes))
        for name in data_files:
            run.add_data_file(name)
        waivers_file = None if no_waivers else waivers_file or _settings_waivers()
        if waivers_file:
            run.use_waivers(waivers_file)
        names, missing = discover(list(paths))
        run.problems.extend(missing)
        # A data file also named among PATHS (pre-commit passes every staged file) is data once.
        data_paths = {os.path.realpath(name) for name in data_files}
        if waivers_file:
            data_paths.add(os.path.realpath(waivers_file))
        names = [name for name in names if name == "-" or os.path.realpath(name) not in data_paths]
        _refuse_output_over_input(output, [*names, *data_files, *([waivers_file] if waivers_file else [])])
        run.add_inputs(names, stdin_text=lambda: read_limited(sys.stdin.buffer, run.limits))
        if run.problems:
            raise RunError([str(p) for p in run.problems])
        if not run.pending:
            if all(path != "-" and os.path.isfile(path) for path in paths):
                # Only reference data was given (a commit that changes a register): nothing to judge.
                click.echo("no documents to check among the given files (all of them are reference data)", err=True)
                sys.exit(EXIT_OK)
            raise RunError(["no documents to check were found in " + " ".join(paths)])
        summary = _report(run, settings, as_of, fmt, output, fail_on, jobs, verbose)
        if run.problems:  # documents that could not be checked, found while streaming
            raise RunError([str(p) for p in run.problems])
    except (RunError, ConfigError) as error:
        _fail(error.lines)
    sys.exit(EXIT_FAILED if summary.failing else EXIT_OK)


def _refuse_output_over_input(output: str | None, inputs: list[str]) -> None:
    """iompolicy never writes to what it checks: an --output naming an input is refused."""
    if output is None or not os.path.exists(output):
        return
    for name in inputs:
        with contextlib.suppress(OSError):
            if name != "-" and os.path.samefile(output, name):
                raise RunError([f"{output}: --output names a file being checked; refused, to leave it as it is"])


def _settings_waivers() -> str | None:
    from .config import shown

    config = _config()
    return shown(config.waivers) if config is not None and config.waivers else None


def _report(run, settings, as_of, fmt, output, fail_on, jobs, verbose):
    """Check every pending document and write the report as the run goes."""
    from .render import Summary, writer
    from .selection import selector

    select = selector(settings["only"], settings["skip"])
    summary = Summary(fail_on=fail_on)
    if jobs > 1:
        from .parallel import parallel_reports

        reports = parallel_reports(run, jobs, as_of, settings)
    else:
        reports = run.reports(as_of=as_of, select=select)
    colour = output is None and fmt == "text" and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    options = {"colour": colour, "verbose": verbose, "policies": run.policies}
    with _output(output) as out, _progress(reports, len(run.pending)) as shown:
        writer(fmt)(run.then_notices(shown, summary, stale=True), summary, options, out)
        if run.problems and output is not None:  # a failed run leaves an existing --output file as it was
            raise RunError([str(p) for p in run.problems])
    return summary


PROGRESS_AFTER = 50  # documents; a bigger audit shows a progress bar on a terminal


def _progress(items, count: int):
    """A progress bar on stderr over `items`, only for a big audit and only when stderr is a terminal."""
    if count <= PROGRESS_AFTER or not sys.stderr.isatty():
        return contextlib.nullcontext(items)
    return click.progressbar(items, length=count, file=sys.stderr, label="checking")


@contextlib.contextmanager
def _output(output: str | None):
    """stdout, or a temporary file renamed over FILE once the report is whole:
    an interrupted run leaves the old file or the new one, never half of one."""
    if output is None:
        yield sys.stdout
        return
    import tempfile

    folder = os.path.dirname(os.path.abspath(output))
    try:
        handle, temporary = tempfile.mkstemp(prefix=".iompolicy-", dir=folder)
    except OSError as error:
        raise RunError([f"{output}: cannot write the report: {error.strerror}"]) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            yield stream
        os.replace(temporary, output)
    except OSError as error:
        raise RunError([f"{output}: cannot write the report: {error.strerror}"]) from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


@main.command(name="list")
@click.option("--policies", "policy_dir", metavar="DIR", help="Use the policies in DIR instead of the shipped ones.")
def list_clauses(policy_dir):
    """List every clause: id, citation, document kind, severity and title
    (one per line, separated by tabs).

    \b
    Examples:
      iompolicy list
      iompolicy list | grep III.5
      iompolicy list --policies my-policies/
    """
    try:
        policies = _load_policies(policy_dir)
    except RunError as error:
        _fail(error.lines)
    for compiled in policies.clauses():
        clause = compiled.clause
        click.echo(f"{clause.id}\t{clause.cite}\t{compiled.header.kind}\t{clause.severity}\t{clause.title}")


@main.command()
@click.argument("what")
@click.option("--policies", "policy_dir", metavar="DIR", help="Use the policies in DIR instead of the shipped ones.")
def explain(what, policy_dir):
    """Show the clause(s) with id WHAT, or citing WHAT (and what is under it).

    \b
    Examples:
      iompolicy explain III.5.2
      iompolicy explain III.5
    """
    from .clause_info import explain_lines
    from .selection import selector

    try:
        policies = _load_policies(policy_dir)
    except RunError as error:
        _fail(error.lines)
    select = selector((what,), ())
    chosen = [c for c in policies.clauses() if select(c.clause)]
    if not chosen:
        _fail([f"no clause has the id or citation `{what}`",
               "hint: `iompolicy list` shows every clause"])
    for number, compiled in enumerate(chosen):
        if number:
            click.echo()
        for line in explain_lines(compiled):
            click.echo(line)


@main.command(name="test")
@click.argument("folder", required=False)
@click.option("--policies", "policy_dir", metavar="DIR", help="Use the policies in DIR instead of the shipped ones.")
@click.option("--min-coverage", type=click.FloatRange(0, 100), default=100.0, show_default=True,
              help="Fail unless this percentage of clauses is seen both passing and failing.")
def test_command(folder, policy_dir, min_coverage):
    """Run policy test cases (FOLDER, default: the policy folder's tests/).

    Each case is a document with the outcome expected of named clauses. Reports
    every mismatch, the clauses never seen passing or never seen failing, and
    fails below the coverage threshold.

    \b
    Examples:
      iompolicy test
      iompolicy test my-policies/tests --policies my-policies --min-coverage 90
    """
    from pathlib import Path

    from .policytests import run_case_files
    from .resources import shipped_policies

    try:
        policies = _load_policies(policy_dir)
    except RunError as error:
        _fail(error.lines)
    folder = Path(folder) if folder else Path(_policy_folder(policy_dir) or shipped_policies()) / "tests"
    paths = sorted(folder.rglob("*.yaml")) if folder.is_dir() else []
    if not paths:
        _fail([f"{folder}: no policy test cases (*.yaml) found"])
    result = run_case_files(policies, paths)
    if result.problems:
        _fail(result.problems)
    for m in result.mismatches:
        click.echo(f"{m.file}: case `{m.case}`: {m.clause} expected {m.expected}, got {m.actual}")
        for line in m.explanation.splitlines():
            click.echo(f"    {line}")
    clause_ids = [c.id for c in policies.clauses()]
    never_pass, never_fail = result.never(clause_ids, "pass"), result.never(clause_ids, "fail")
    if never_pass:
        click.echo("never seen passing: " + ", ".join(never_pass))
    if never_fail:
        click.echo("never seen failing: " + ", ".join(never_fail))
    covered = result.coverage(clause_ids)
    click.echo(f"{result.cases} cases, {len(result.mismatches)} mismatches; "
               f"{covered:.1f}% of {len(clause_ids)} clauses seen both passing and failing (minimum {min_coverage:g}%)")
    sys.exit(EXIT_FAILED if result.mismatches or covered < min_coverage else EXIT_OK)


@main.command(name="trace")
@click.option("--policies", "policy_dir", metavar="DIR", help="Use the policies in DIR instead of the shipped ones.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True,
              help="Output format.")
def trace_command(policy_dir, fmt):
    """Show every provision of the Strategy with the clauses that encode it,
    or the reason it is not machine-checkable, and the coverage.

    Exits 1 if a provision is neither encoded nor explained.

    \b
    Examples:
      iompolicy trace
      iompolicy trace --format markdown > docs/traceability.md
    """
    from .traceability import coverage, problems, render_markdown, trace

    try:
        policies = _load_policies(policy_dir)
    except RunError as error:
        _fail(error.lines)
    if policies.provisions is None:
        _fail(["the policy folder has no provisions.yaml: there is nothing to trace against"])
    rows = trace(policies.files, policies.provisions)
    if fmt == "markdown":
        click.echo(render_markdown(rows, policies.provisions.source), nl=False)
    else:
        for row in rows:
            detail = ", ".join(c[0] for c in row.clauses) or row.provision.not_checkable
            click.echo(f"{row.provision.cite:<8} {row.status:<22} {detail}")
        encoded, unchecked, total = coverage(rows)
        click.echo(f"coverage: {encoded} of {total} provisions encoded, {unchecked} not machine-checkable")
    found = problems(rows)
    for problem in found:
        click.echo(problem, err=True)
    sys.exit(EXIT_FAILED if found else EXIT_OK)


@main.command()
@click.argument("folder", required=False)
def lint(folder):
    """Check a folder of policies (default: the settings' `policies`, else the
    shipped ones) without checking documents: syntax, names, types, citations.

    \b
    Examples:
      iompolicy lint
      iompolicy lint my-policies/
    """
    try:
        policies = _load_policies(folder)
    except RunError as error:
        _fail(error.lines)
    count = len(policies.clauses())
    click.echo(f"{len(policies.files)} policy files, {count} clauses: no problems found")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option("--policies", "policy_dir", metavar="DIR", help="Use the policies in DIR instead of the shipped ones.")
@click.option("--data", "data_files", multiple=True, metavar="FILE",
              help="Reference data (member_states, funded_projects); repeatable.")
@click.option("--max-body", type=click.IntRange(1), default=1024 * 1024, show_default=True, metavar="BYTES",
              help="Largest request body accepted.")
@click.option("--max-batch", type=click.IntRange(1), default=100, show_default=True, metavar="N",
              help="Most documents in one POST /v1/check/batch.")
@click.option("--access-log/--no-access-log", default=True, show_default=True, help="Log every request.")
@click.option("--waivers", "waivers_file", metavar="FILE", help="Waivers to apply.  [default: the settings' `waivers`]")
@click.option("--no-waivers", is_flag=True, help="Answer without any waiver.")
def serve(host, port, policy_dir, data_files, max_body, max_batch, access_log, waivers_file, no_waivers):
    """Serve checks over HTTP (needs `pip install "iompolicy[server]"`).

    Policies, data and waivers are loaded once, from the options or else from
    the settings file (.iompolicy.yaml or [tool.iompolicy]); POST /v1/reload or
    SIGHUP reloads them (a set that does not load is refused and the old one
    kept). GET /openapi.json describes the API.

    \b
    Examples:
      iompolicy serve --data examples/data/member-states.yaml --data examples/data/funded-projects.yaml
      curl -s -H 'Content-Type: application/yaml' --data-binary @proposal.yaml localhost:8000/v1/check
    """
    from .resources import shipped_policies

    try:
        from .server import serve as run_server
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in ("starlette", "uvicorn", "anyio", "h11"):
            raise
        _fail([f'iompolicy serve needs the server extra: pip install "iompolicy[server]" (no module {error.name})'])
    from .config import ConfigError, shown

    try:
        config = _config()
    except (RunError, ConfigError) as error:
        _fail(error.lines)
    if config is not None:
        data_files = data_files or tuple(shown(p) for p in config.data)
        waivers_file = waivers_file or (shown(config.waivers) if config.waivers else None)
    sys.exit(run_server(_policy_folder(policy_dir) or shipped_policies(), data_files, host=host, port=port,
                        max_body=max_body, max_batch=max_batch, access_log=access_log,
                        waivers_file=None if no_waivers else waivers_file))


def run() -> None:
    """Entry point that never shows a traceback unless IOMPOLICY_DEBUG is set."""
    try:
        main(standalone_mode=True)
    except Exception as error:  # the last line of defence: one line, exit 2
        if os.environ.get("IOMPOLICY_DEBUG") or _DEBUG[0]:
            raise
        click.echo(f"iompolicy: internal error: {type(error).__name__}: {error} "
                   "(set IOMPOLICY_DEBUG=1 to see the traceback)", err=True)
        sys.exit(EXIT_USAGE)
