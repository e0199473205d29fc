"""`iompolicy check`: judge documents and write the report as the run goes."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import click

from ..limits import DEFAULT_LIMITS, Limits
from ..render import FORMATS
from .common import EXIT_FAILED, EXIT_OK, RunError, fail, load_policies, parse_date, policy_folders, repository_settings


class _Jobs(click.ParamType):
    """A number of processes from 1 to 256, or `auto`: as many as the machine has cores."""

    name = "jobs"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        if value == "auto":
            return max(1, min(256, os.cpu_count() or 1))
        try:
            number = int(value)
        except ValueError:
            self.fail(f"`{value}` is not a number of processes or `auto`", param, ctx)
        if not 1 <= number <= 256:
            self.fail(f"{number} is not in the range 1 to 256", param, ctx)
        return number


JOBS = _Jobs()


@click.command()
@click.argument("paths", nargs=-1)
@click.option("--data", "data_files", multiple=True, metavar="FILE",
              help="Reference data (member_states, funded_projects); repeatable.")
@click.option("--policies", "policy_dirs", multiple=True, metavar="DIR",
              help="Use the policies in DIR instead of the shipped ones; repeat it to judge under several "
                   "regimes side by side (`shipped` names the shipped policies).")
@click.option("--as-of", callback=parse_date, metavar="DATE", help="Judge every document as of DATE, not its own date.")
@click.option("--reading", "readings", multiple=True, metavar="NAME=VALUE",
              help="Read a policy parameter this way (repeatable; e.g. cap_lines=line2_only).  "
                   "[default: the settings' `readings`, else each parameter's default]")
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="Report format.  [default: text, or the settings' `format`]")
@click.option("--output", "-o", "outputs", multiple=True, metavar="[FORMAT=]FILE",
              help="Write the report to FILE instead of stdout; FORMAT=FILE writes that format (repeat it to "
                   "write several reports in one run; FILE `-` is stdout).  [default: the settings' `outputs`]")
@click.option("--fail-on", type=click.Choice(["error", "warning"]),
              help="Lowest severity that makes the exit status 1.  [default: error, or the settings' `fail_on`]")
@click.option("--only", multiple=True, metavar="CLAUSE|CITE", help="Only these clauses (id, or citation prefix like III.5).")
@click.option("--skip", multiple=True, metavar="CLAUSE|CITE", help="Skip these clauses (id, or citation prefix).")
@click.option("--exclude", multiple=True, metavar="GLOB",
              help="Leave out files and folders matching GLOB (`*` does not cross `/`); repeatable.  "
                   "[default: the settings' `exclude`]")
@click.option("--waivers", "waivers_file", metavar="FILE",
              help="Waivers to apply.  [default: the settings' `waivers`]")
@click.option("--no-waivers", is_flag=True, help="Show the verdicts without any waiver.")
@click.option("--verify", "verify_report", metavar="REPORT.json",
              help="Check again what a saved JSON report checked, with the policies, data, waivers and dates its "
                   "provenance names, and say what differs now (exit 0: nothing; 1: something).")
@click.option("--jobs", "-j", type=JOBS, default="1", show_default=True, metavar="N|auto",
              help="Check with N processes (for big audits); `auto`: one per core of the machine.")
@click.option("--verbose", "-v", is_flag=True, help="List passing and not-applicable clauses too.")
@click.option("--quiet/--no-quiet", "-q", default=None,
              help="text: list only the documents with something failed, undecided or invalid, then the summary.  "
                   "[default: quiet on a terminal for more than 50 documents]")
@click.option("--color", "--colour", "color", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="Colour the text report: `auto` on a terminal, unless NO_COLOR is set "
                                      "(FORCE_COLOR, set, colours it anywhere).")
@click.option("--max-bytes", type=click.IntRange(1), default=DEFAULT_LIMITS.max_bytes, show_default=True,
              metavar="N", help="Refuse an input file (or stdin) larger than N bytes.")
@click.option("--max-depth", type=click.IntRange(1, 10_000), default=DEFAULT_LIMITS.max_depth, show_default=True,
              metavar="N", help="Refuse lists and mappings nested more than N deep.")
@click.option("--max-aliases", type=click.IntRange(0), default=DEFAULT_LIMITS.max_aliases, show_default=True,
              metavar="N", help="Refuse a YAML document with more than N aliases (*name).")
@click.option("--max-nodes", type=click.IntRange(1), default=DEFAULT_LIMITS.max_nodes, show_default=True,
              metavar="N", help="Refuse a document of more than N keys and values, counting what aliases repeat.")
def check(paths, data_files, policy_dirs, as_of, readings, fmt, outputs, fail_on, only, skip, exclude, waivers_file, no_waivers,
          jobs, verbose, quiet=None, color="auto", verify_report=None, max_bytes=DEFAULT_LIMITS.max_bytes, max_depth=DEFAULT_LIMITS.max_depth,
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
      iompolicy check proposals/ -o sarif=audit.sarif -o html=audit.html -o markdown=summary.md
      iompolicy check proposals/ --policies shipped --policies later-rules/
      iompolicy check budgets/ --reading cap_lines=line2_only
      iompolicy check archive/ --format jsonl --jobs 4 > audit.jsonl
      cat proposal.json | iompolicy check - --data member-states.yaml
    """
    from ..config import ConfigError, with_settings
    from ..run import Run, discover

    from ..provenance import started_at

    if verify_report is not None:
        _verify(verify_report, Limits(max_bytes, max_depth, max_aliases, max_nodes))
    started = started_at()
    check_only, check_skip = only, skip  # as given on the command line (else from the settings)
    try:
        settings = with_settings(repository_settings(), paths=paths, data=data_files, policies=policy_dirs or None,
                                 format=fmt, fail_on=fail_on, only=only, skip=skip, exclude=exclude)
        paths, data_files, fmt, fail_on, only, skip = (settings[k] for k in ("paths", "data", "format", "fail_on",
                                                                              "only", "skip"))
        policies = load_policies(settings["policies"], readings)
        settings["only"], settings["skip"] = _selection(policies, only, skip, given_only=bool(check_only),
                                                         given_skip=bool(check_skip))
        run = Run(policies, limits=Limits(max_bytes, max_depth, max_aliases, max_nodes))
        run.settings_data = _settings_data()
        for name in data_files:
            run.add_data_file(name)
        waivers_file = None if no_waivers else waivers_file or _settings_waivers()
        if waivers_file:
            run.use_waivers(waivers_file)
        left_out: list[str] = []  # files and folders that --exclude (or `exclude:`) leaves unread
        names, missing = discover(list(paths), _exclusion(settings["exclude"], settings["exclude_base"]), left_out)
        run.problems.extend(missing)
        # A data file also named among PATHS (pre-commit passes every staged file) is data once.
        data_paths = {_file_id(name) for name in [*data_files, *([waivers_file] if waivers_file else [])]} - {None}
        if data_paths:
            names = [name for name in names if name == "-" or _file_id(name) not in data_paths]
        targets = _targets(outputs, settings)
        if sys.stdout is None and any(path in (None, "-") for _, path in targets):  # started with `>&-`
            raise RunError(["<stdout>: standard output is closed, so the report has nowhere to go "
                            "(hint: write it to a file with --output FILE)"])
        files = [path for _, path in targets if path not in (None, "-")]
        if files:
            from .output import guard

            read = _run_files([*names, *data_files, *([waivers_file] if waivers_file else [])], settings["policies"])
            for number, path in enumerate(files):
                if os.path.realpath(path) in map(os.path.realpath, files[:number]):
                    raise RunError([f"{path}: --output names this file twice; give each report its own file"])
                guard(path, read)
        run.add_inputs(names, stdin_text=lambda: _read_stdin(run.limits))
        if run.problems:
            run.check_queued_schemas()  # fix every file after one run, not one file per run
            raise RunError([str(p) for p in run.problems])
        if not run.pending:
            if all(path != "-" and os.path.isfile(path) for path in paths):
                # Only reference data was given (a commit that changes a register): nothing to judge.
                why = "reference data or excluded" if left_out else "reference data"
                click.echo(f"no documents to check among the given files (all of them are {why})", err=True)
                sys.exit(EXIT_OK)
            raise RunError(["no documents to check were found in " + " ".join(paths)])
        if left_out:  # said in every report: a file left out is never silently missing
            shown = ", ".join(left_out[:5]) + (f" and {len(left_out) - 5} more" if len(left_out) > 5 else "")
            run.notices.append(f"{len(left_out)} file(s) or folder(s) left out by `exclude` patterns: {shown}")
        from ..provenance import build
        from .common import policy_folders

        provenance = build(run, policy_folders(settings["policies"]), as_of, waivers_file, started,
                           settings["only"], settings["skip"])
        summary = _report(run, settings, as_of, targets, fail_on, jobs, verbose, provenance, _Display(color, quiet))
        if files:
            click.echo(summary.line(), err=True)  # the report went to a file: the outcome still shows
        if run.problems:  # inputs that could not be checked: in the report, and each located here
            raise RunError([str(p) for p in run.problems])
    except (RunError, ConfigError) as error:
        fail(error.lines)
    sys.exit(EXIT_FAILED if summary.failing else EXIT_OK)


def _exclusion(patterns, base: str):
    """The predicate of `--exclude` (or the settings' `exclude`) on paths, or None."""
    if not patterns:
        return None
    from ..globs import excluded

    return lambda path: excluded(path, patterns, base)


def _selection(policies, only, skip, given_only: bool, given_skip: bool):
    """--only and --skip (or the settings' `only` and `skip`), comma lists split, each entry
    checked to name a clause of `policies`: a selector that names nothing is a usage error,
    and so is one that leaves no clause (every document would pass as not applicable)."""
    from ..selection import SelectionError, refuse_empty, resolve

    def where(key: str, given: bool) -> str:
        config = repository_settings()
        if given or config is None:
            return f"--{key}"
        return f"{config.where(key)}: `{key}`"

    clauses = [compiled.clause for compiled in policies.clauses()]
    try:
        only = resolve(only, clauses, where("only", given_only))
        skip = resolve(skip, clauses, where("skip", given_skip))
        refuse_empty(only, skip, clauses)
    except SelectionError as error:
        raise RunError(error.lines) from None
    return only, skip


def _read_stdin(limits: Limits) -> bytes:
    """The bytes of standard input (`-`), up to the size limit; a closed stdin is a problem of that input."""
    from ..documents import DocumentError, Problem, read_limited

    if sys.stdin is None:  # started with stdin closed (`<&-`)
        raise DocumentError([Problem("<stdin>", "standard input is closed, so there is nothing to read",
                                     hint="name the document's file instead of `-`, or pipe it in",
                                     code="unreadable")])
    return read_limited(sys.stdin.buffer, limits)


def _run_files(inputs: list[str], policy_dirs) -> list[str]:
    """Every file the run reads, which --output must never replace: inputs, reference data,
    waivers, the policy folders' files and the settings file."""
    from .common import policy_folders

    files = list(inputs)
    for folder in policy_folders(policy_dirs):
        files += [str(p) for p in Path(folder).rglob("*") if p.suffix in (".iom", ".yaml")]
    config = repository_settings()
    if config is not None and config.source.is_file():
        files.append(str(config.source))
    return files


def _settings_data() -> list[str]:
    from ..config import shown

    config = repository_settings()
    return [shown(p) for p in config.data] if config is not None else []


def _settings_waivers() -> str | None:
    from ..config import shown

    config = repository_settings()
    return shown(config.waivers) if config is not None and config.waivers else None


def _file_id(path: str) -> tuple | None:
    """The file a path names, as (device, inode): one file, however a path spells it (a link,
    `./`, `..`); one `stat`, where `realpath` makes one per folder on the way. A file system
    that gives no inode (0) has the file known by its real path. None: missing or unreadable
    (reading it says so)."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return (info.st_dev, info.st_ino) if info.st_ino else ("path", os.path.realpath(path))


def _targets(outputs, settings) -> list[tuple[str, str | None]]:
    """Each report to write, as (format, path): --output entries (FORMAT=FILE, or FILE in the
    run's format), else the settings' `outputs`, else the run's format on stdout (None)."""
    from ..render import split_output

    if outputs:
        return [(fmt or settings["format"], path) for fmt, path in map(split_output, outputs)]
    return list(settings["outputs"]) or [(settings["format"], None)]


class _Display:
    """--color and --quiet, and what they come to for one report: colour (`auto`: a terminal,
    unless NO_COLOR is set; FORCE_COLOR set colours it anywhere; NO_COLOR wins over it)
    and quiet (unset: quiet for a big audit on a terminal, where a line per passing
    document would bury the failures)."""

    def __init__(self, color: str = "auto", quiet: bool | None = None):
        self.color, self.quiet = color, quiet

    def options(self, options, fmt: str, path: str | None, documents: int):
        on_terminal = path in (None, "-") and sys.stdout is not None and sys.stdout.isatty()
        if fmt != "text":
            return options._replace(colour=False, quiet=False)
        if self.color == "auto":
            colour = not os.environ.get("NO_COLOR") and (bool(os.environ.get("FORCE_COLOR")) or on_terminal)
        else:
            colour = self.color == "always"
        quiet = self.quiet
        if quiet is None:
            quiet = on_terminal and documents > PROGRESS_AFTER and not options.verbose
        return options._replace(colour=colour, quiet=quiet)


def _report(run, settings, as_of, targets, fail_on, jobs, verbose, provenance, display=None):
    """Check every pending document and write the report(s): one report as the run goes;
    several from one pass over the documents, kept in memory, each then written in turn."""
    from ..render import RenderOptions, Summary, writer
    from ..selection import selector

    from ..provenance import DocumentDigests

    select = selector(settings["only"], settings["skip"])
    digests = DocumentDigests()
    finder = _fact_finder(run) if any(fmt == "html" for fmt, _ in targets) else None
    if jobs > 1:
        from ..parallel import parallel_reports

        reports = parallel_reports(run, jobs, as_of, settings, policy_folders(settings["policies"]),
                                   run.policies.chosen, observers=tuple(o for o in (digests, finder) if o is not None))
    else:
        reports = run.reports(as_of=as_of, select=select, observe=_observers(digests, finder))
    options = RenderOptions.for_policies(run.policies, verbose=verbose, facts=finder, provenance=provenance,
                                         digests=digests)
    summary = Summary(fail_on=fail_on)
    display = display or _Display()
    documents = len(run.pending)
    if len(targets) == 1:
        ((fmt, path),) = targets
        with report_stream(path) as out, _progress(reports, documents) as shown:
            writer(fmt)(run.then_notices(shown, summary, stale=True), summary,
                        display.options(options, fmt, path, documents), out)
        return summary
    with _progress(reports, len(run.pending)) as shown:
        checked = list(summary.counting(run.then_notices(shown, summary, stale=True)))

    def write(fmt, path, out):
        writer(fmt)(iter(checked), Summary(fail_on, notices=list(summary.notices)),
                    display.options(options, fmt, path, documents), out)

    with contextlib.ExitStack() as files:  # every file renamed into place only once all are written
        for fmt, path in targets:
            if path not in (None, "-"):
                write(fmt, path, files.enter_context(report_stream(path)))
    for fmt, path in targets:  # then stdout, whose reader may go away without costing the files
        if path in (None, "-"):
            write(fmt, path, sys.stdout)
    return summary


def _verify(report: str, limits) -> None:
    """--verify: print each difference and exit 1, or say that nothing differs and exit 0."""
    from ..render.printable import printable
    from .verify import verify

    try:
        found = verify(report, limits)
    except RunError as error:
        fail(error.lines)
    for line in found:
        click.echo(printable(line))
    click.echo(f"{report}: " + (f"{len(found)} difference(s) from the saved report" if found else
                                "verified: the documents, policies, data, waivers and verdicts are as saved"))
    sys.exit(EXIT_FAILED if found else EXIT_OK)


def _observers(*observers):
    """One `observe(document, report)` calling each observer given (None ones left out)."""
    chosen = [observer.observe for observer in observers if observer is not None]
    return lambda document, report: [observe(document, report) for observe in chosen]


def _fact_finder(run):
    """What the HTML report draws beyond the results (applicants, budget figures)."""
    from ..render.facts import FactFinder

    return FactFinder(run.policies, run.data)


PROGRESS_AFTER = 50  # documents; a bigger audit shows a progress bar on a terminal


def _progress(items, count: int):
    """A progress bar on stderr over `items`, only for a big audit and only when stderr is a terminal."""
    if count <= PROGRESS_AFTER or not sys.stderr.isatty():
        return contextlib.nullcontext(items)
    return click.progressbar(items, length=count, file=sys.stderr, label="checking")


def report_stream(output: str | None):
    """stdout, or the --output file (written atomically where it can be: see cli/output.py)."""
    if output in (None, "-"):
        return contextlib.nullcontext(sys.stdout)
    from .output import report_file

    return report_file(output)
