"""The commands about the policies themselves: `list`, `explain`, `test`, `trace` and `lint`."""

from __future__ import annotations

import sys

import click

from ..render.printable import printable
from ..sweep import figure_names, reads_field
from .common import EXIT_FAILED, EXIT_OK, RunError, fail, policies_or_exit, policy_folder
from .sweep import run_sweep, sweep_options


@click.command(name="list")
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
    policies = policies_or_exit(policy_dir)
    for compiled in policies.clauses():
        clause = compiled.clause
        click.echo(f"{clause.id}\t{clause.cite}\t{compiled.header.kind}\t{clause.severity}\t{clause.title}")


@click.command()
@click.argument("what")
@click.option("--policies", "policy_dir", metavar="DIR", help="Use the policies in DIR instead of the shipped ones.")
@click.option("--compiled", is_flag=True,
              help="WHAT is a document kind: print the Python generated from its clauses (what checks decide with).")
@sweep_options
def explain(what, policy_dir, compiled, sweep_range, steps, document_file, readings, each_reading, data_files, fmt,
            output):
    """Show the clause(s) with id WHAT, or citing WHAT (and what is under it).

    With --sweep FIELD=LOW..HIGH, tabulate instead what the clause's formula gives
    (its figures: the `let`s its requirements read) and its outcome, with FIELD of
    a document set to each value of the range, under the reading(s) chosen.

    \b
    Examples:
      iompolicy explain III.5.2
      iompolicy explain III.5
      iompolicy explain --compiled proposal
      iompolicy explain III.1 --sweep discretionary_income.total_usd=20000000..60000000 --each-reading cap_lines
    """
    from ..traceability.catalog import explain_lines
    from ..selection import did_you_mean, selector

    policies = policies_or_exit(policy_dir)
    if compiled:
        kinds = sorted(policies.by_kind)
        if what not in policies.by_kind:
            fail([f"no clause applies to `{what}` documents",
                  f"hint: the kinds with clauses are {', '.join(kinds)}"])
        click.echo(policies.compiled_source(what), nl=False)
        return
    select = selector((what,), ())
    chosen = [c for c in policies.clauses() if select(c.clause)]
    if not chosen:
        fail([f"no clause has the id or citation `{what}`" + did_you_mean(what, [c.clause for c in policies.clauses()]),
               "hint: `iompolicy list` shows every clause"])
    if sweep_range:
        field = sweep_range.partition("=")[0].strip()
        chosen = [c for c in chosen if figure_names([c]) and reads_field(c, field)]  # III.1 cites three clauses
        try:
            run_sweep(chosen or [], policy_dir, sweep_range, steps, document_file, readings, each_reading, data_files,
                      fmt, output)
        except RunError as error:
            fail(error.lines)
        return
    used = [name for name, given in (("--reading", readings), ("--each-reading", each_reading),
                                     ("--document", document_file), ("--data", data_files), ("--output", output))
            if given] + (["--format"] if fmt != "text" else [])
    if used:
        fail([f"{', '.join(used)}: only with --sweep FIELD=LOW..HIGH"])
    for number, compiled in enumerate(chosen):
        if number:
            click.echo()
        for line in explain_lines(compiled):
            click.echo(line)


@click.command(name="test")
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

    from ..policytests import run_case_files
    from ..resources import shipped_policies

    policies = policies_or_exit(policy_dir)
    folder = Path(folder) if folder else Path(policy_folder(policy_dir) or shipped_policies()) / "tests"
    paths = sorted(folder.rglob("*.yaml")) if folder.is_dir() else []
    if not paths:
        fail([f"{folder}: no policy test cases (*.yaml) found"])
    result = run_case_files(policies, paths)
    if result.problems:
        fail(result.problems)
    for m in result.mismatches:
        click.echo(printable(f"{m.file}: case `{m.case}`: {m.clause} expected {m.expected}, got {m.actual}"))
        for line in m.explanation.splitlines():
            click.echo(printable(f"    {line}"))
    clause_ids = [c.id for c in policies.clauses()]
    never_pass, never_fail = result.never(clause_ids, "pass"), result.never(clause_ids, "fail")
    if never_pass:
        click.echo("never seen passing: " + ", ".join(never_pass))
    if never_fail:
        click.echo("never seen failing: " + ", ".join(never_fail))
    unverified = result.fix_unverified(clause_ids)
    if unverified:
        click.echo("fix never verified (made, and the clause passed): " + ", ".join(unverified))
    verified = sum(1 for c in clause_ids if "verified" in result.fixes.get(c, ()))
    click.echo(f"fixes: made and verified for {verified} of {len(clause_ids)} clauses; "
               f"{sum(1 for c in clause_ids if result.fixes.get(c) == {'reference data'})} fail only on reference data")
    covered = result.coverage(clause_ids)
    click.echo(f"{result.cases} cases, {len(result.mismatches)} mismatches; "
               f"{covered:.1f}% of {len(clause_ids)} clauses seen both passing and failing (minimum {min_coverage:g}%)")
    sys.exit(EXIT_FAILED if result.mismatches or covered < min_coverage else EXIT_OK)


@click.command(name="trace")
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
    from ..traceability.coverage import coverage, problems, render_markdown, trace

    policies = policies_or_exit(policy_dir)
    if policies.provisions is None:
        fail(["the policy folder has no provisions.yaml: there is nothing to trace against"])
    rows = trace(policies.files, policies.provisions)
    if fmt == "markdown":
        readers = [c.info for c in policies.clauses() if c.info.readings]
        click.echo(render_markdown(rows, policies.provisions.source, policies.parameters(), readers), nl=False)
    else:
        for row in rows:
            detail = ", ".join(c[0] for c in row.clauses) or row.reason
            click.echo(f"{row.label:<12} {row.status:<22} {detail}")
        encoded, unchecked, outside, total = coverage(rows)
        click.echo(f"coverage: {encoded} of {total} sentences encoded, {unchecked} not machine-checkable, "
                   f"{outside} out of scope")
    found = problems(rows)
    for problem in found:
        click.echo(problem, err=True)
    sys.exit(EXIT_FAILED if found else EXIT_OK)


@click.command()
@click.argument("folder", required=False)
def lint(folder):
    """Check a folder of policies (default: the settings' `policies`, else the
    shipped ones) without checking documents: syntax, names, types, citations.

    \b
    Examples:
      iompolicy lint
      iompolicy lint my-policies/
    """
    policies = policies_or_exit(folder)
    count = len(policies.clauses())
    click.echo(f"{len(policies.files)} policy files, {count} clauses: no problems found")
