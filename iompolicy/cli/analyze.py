"""`iompolicy analyze`: what an SMT solver can prove about the policies (needs the
`analysis` extra)."""

from __future__ import annotations

import click

from .common import EXIT_FAILED, EXIT_OK, RunError, fail, load_policies, policy_folder


@click.command()
@click.option("--policies", "policy_dirs", multiple=True, metavar="DIR",
              help="Analyse the policies in DIR instead of the shipped ones (repeat: one regime of several "
                   "folders; `shipped` names the shipped folder).")
@click.option("--compare", nargs=2, metavar="A B",
              help="Compare two regimes: folders (several joined with `,`). Says, per document kind, whether "
                   "they give the same verdicts on every document, else writes a small witness.")
@click.option("--reading", "readings", multiple=True, metavar="NAME=VALUE",
              help="Analyse the policies under this reading of a parameter (repeatable; with --compare, the "
                   "second regime's).")
@click.option("--base-reading", "base_readings", multiple=True, metavar="NAME=VALUE",
              help="With --compare: the first regime's reading of a parameter (repeatable).")
@click.option("--max-items", type=click.IntRange(0, 8), default=3, show_default=True,
              help="Lists hold at most this many items: the bound within which every result holds.")
@click.option("--assumptions", "assumptions_file", metavar="FILE",
              help="Domain assumptions (default: assumptions.yaml beside the policies).")
@click.option("--generate-tests", "tests_dir", metavar="DIR",
              help="Write a policy test case for each clause outcome the policy tests do not cover.")
@click.option("--witnesses", "witness_dir", metavar="DIR",
              help="Write each finding's witness document (and the reference data it needs) as YAML files in "
                   "DIR, for `iompolicy check`; each finding names its file and the command.")
@click.option("--fail-on", type=click.Choice(["error", "warning"]), default="error", show_default=True,
              help="Lowest severity that makes the exit status 1 (`warning`: conditional conflicts, redundant "
                   "clauses, undecided results and, with --compare, differences fail too).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text", show_default=True)
@click.option("--output", "-o", metavar="FILE", help="Write the report to FILE instead of stdout.")
@click.option("-v", "--verbose", is_flag=True, help="Show the witness document of every finding.")
def analyze(policy_dirs, compare, readings, base_readings, max_items, assumptions_file, tests_dir, witness_dir, fail_on,
            fmt, output, verbose):
    """Prove things about the policies: clauses that can never fail, apply or pass;
    clauses undecided on schema-valid documents; must clauses in conflict (always,
    or under a condition, with its range); redundant clauses. Every witness document
    is checked by running the evaluator on it.

    Exit status: 1 when a conflict, a vacuous must clause or an inconsistency is
    found (with --fail-on warning, any warning too), 0 otherwise, 2 when the run
    cannot be done. A conditional conflict (no document passes both clauses over a
    range of the inputs) is a warning.

    \b
    Examples:
      iompolicy analyze
      iompolicy analyze --format json --output analysis.json
      iompolicy analyze --compare shipped shipped,examples/policies-idf-2020
      iompolicy analyze --reading cap_lines=line2_only
      iompolicy analyze --compare shipped shipped --reading cap_lines=line2_only
      iompolicy analyze --generate-tests generated-tests/
      iompolicy analyze --compare shipped shipped --reading cap_lines=line2_only --witnesses witnesses/
    """
    from ..analysis import AnalysisUnavailable, require_z3

    try:
        require_z3()
    except AnalysisUnavailable as error:
        fail([f"iompolicy analyze: {error}"])
    try:
        if compare:
            analysis = _compare(compare, max_items, assumptions_file, base_readings, readings)
        else:
            if base_readings:
                raise RunError(["--base-reading names the first regime of --compare A B; without --compare, "
                                "use --reading"])
            analysis = _analyze(policy_dirs, max_items, assumptions_file, tests_dir, readings)
        if witness_dir:
            regimes = ([_selecting(label.split(","), chosen) for label, chosen in zip(compare, (base_readings, readings))]
                       if compare else [_selecting(policy_dirs, readings)])
            analysis.notes.append(_witnesses(analysis, witness_dir, regimes))
        _write(analysis, fmt, output, verbose)
    except RunError as error:
        fail(error.lines)
    raise SystemExit(EXIT_FAILED if analysis.fails_at(fail_on) else EXIT_OK)


def _selecting(policy_dirs, readings) -> list[str]:
    """The options of `iompolicy check` that judge by these policies under these readings."""
    from ..resources import shipped_policies

    folders = _folders(policy_dirs)
    options = [] if folders == [str(shipped_policies())] else [a for f in folders for a in ("--policies", f)]
    return options + [a for r in readings for a in ("--reading", r)]


def _witnesses(analysis, folder, regimes) -> str:
    from ..analysis.witness import write_witnesses

    try:
        written = write_witnesses(analysis.findings, folder, regimes)
    except OSError as error:
        raise RunError([f"--witnesses {folder}: cannot write there ({error.strerror or error})"]) from None
    if not written:
        return f"--witnesses: no finding has a witness; nothing written in {folder}"
    return f"--witnesses: wrote {written} witness document(s) in {folder}; each finding names its file"


def _folders(policy_dirs) -> list[str]:
    from ..resources import shipped_policies

    folders = list(policy_dirs) or [policy_folder(None) or str(shipped_policies())]
    return [str(shipped_policies()) if f == "shipped" else f for f in folders]


def _assumptions(assumptions_file, folders, schemas):
    from ..analysis.assumptions import Assumptions, AssumptionsError

    try:
        if assumptions_file:
            return Assumptions.load(assumptions_file, schemas)
        return Assumptions.beside(folders, schemas)
    except AssumptionsError as error:
        raise RunError([str(error)]) from None


def _analyze(policy_dirs, max_items, assumptions_file, tests_dir, readings=()):
    from ..analysis.analyzer import analyze

    folders = _folders(policy_dirs)
    policies = load_policies(folders, readings)
    assumptions = _assumptions(assumptions_file, folders, policies.schemas)
    analysis = analyze(policies, max_items, assumptions)
    if tests_dir:
        from ..analysis.testgen import generate_tests

        written = generate_tests(policies, folders, tests_dir, max_items, assumptions)
        analysis.notes.append(f"--generate-tests: {written}")
    return analysis


def _compare(compare, max_items, assumptions_file, base_readings=(), readings=()):
    from ..analysis.compare import compare_regimes

    regimes = [(label, _folders(label.split(","))) for label in compare]
    loaded = [(label, load_policies(folders, chosen, option))
              for (label, folders), chosen, option in zip(regimes, (base_readings, readings),
                                                           ("--base-reading", "--reading"))]
    loaded = [(label + _chosen(policies), policies) for label, policies in loaded]
    if loaded[0][0] == loaded[1][0]:  # the same folders under the same readings: say which is which
        loaded = [(f"{label} (first)" if i == 0 else f"{label} (second)", p) for i, (label, p) in enumerate(loaded)]
    assumptions = _assumptions(assumptions_file, regimes[0][1], loaded[0][1].schemas)
    return compare_regimes(loaded, max_items, assumptions)


def _chosen(policies) -> str:
    chosen = ", ".join(f"{name}={value}" for name, value in policies.chosen.items())
    return f" ({chosen})" if chosen else ""


def _write(analysis, fmt, output, verbose) -> None:
    from ..analysis import report
    from .check import report_stream

    rendered = {"text": lambda: report.text(analysis, verbose), "json": lambda: report.as_json(analysis),
                "sarif": lambda: report.sarif(analysis)}[fmt]()
    with report_stream(output) as out:
        out.write(rendered)
