"""`iompolicy explain CLAUSE --sweep FIELD=LOW..HIGH`: a clause's figures over a range of one input."""

from __future__ import annotations

from pathlib import Path

import click

from .common import RunError, load_policies, parse_readings


def sweep_options(command):
    """The options of `explain` that run a sweep."""
    options = [
        click.option("--sweep", "sweep_range", metavar="FIELD=LOW..HIGH",
                     help="Tabulate the clause's figures with FIELD of a document set to each value from LOW to "
                          "HIGH (e.g. discretionary_income.total_usd=20000000..60000000)."),
        click.option("--steps", type=click.IntRange(1, 1000), default=8, show_default=True,
                     help="With --sweep: the number of equal steps (steps + 1 rows)."),
        click.option("--document", "document_file", metavar="FILE",
                     help="With --sweep: the document whose field is swept  [default: the first shipped example "
                          "the clause applies to]."),
        click.option("--reading", "readings", multiple=True, metavar="NAME=VALUE",
                     help="With --sweep: judge under this reading of a policy parameter (repeatable)."),
        click.option("--each-reading", "each_reading", metavar="NAME",
                     help="With --sweep: tabulate under every reading of the parameter NAME, side by side."),
        click.option("--data", "data_files", multiple=True, metavar="FILE", help="With --sweep: reference data."),
        click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown", "html"]), default="text",
                     show_default=True, help="With --sweep: the format of the table."),
        click.option("--output", "-o", metavar="FILE", help="With --sweep: write it to FILE instead of stdout."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def run_sweep(chosen, policy_dir, sweep_range, steps, document_file, readings, each_reading, data_files, fmt,
              output) -> None:
    """Sweep the clauses `chosen` (CompiledClause, of the loaded policies) and write the table."""
    from ..documents import DocumentError, load_file
    from ..render.sweep import render
    from ..sweep import Range, SweepError, sweep

    try:
        if not chosen:
            raise RunError([f"--sweep `{sweep_range}`: no clause chosen reads that field through a figure "
                            "(a `let` of a number) to tabulate"])
        the_range = Range.parse(sweep_range, steps)
        base = load_policies(policy_dir, readings)
        kinds = {c.header.kind for c in chosen}
        if len(kinds) > 1:
            raise RunError([f"the clauses chosen judge {' and '.join(sorted(kinds))} documents: "
                            "choose one kind's (by clause id)"])
        kind = kinds.pop()
        data = {}
        for name in data_files:
            loaded = load_file(name)
            data[loaded.kind] = loaded.value
        document = load_file(document_file) if document_file else _example(base, chosen, kind, data)
        if document.kind != kind:
            raise RunError([f"{document.name}: a `{document.kind}` document; the clause judges `{kind}` documents"])
        sets = _policy_sets(base, readings, each_reading)
        text = render(sweep(sets, [c.id for c in chosen], document, data, the_range), fmt)
    except DocumentError as error:
        raise RunError([str(problem) for problem in error.problems]) from None
    except SweepError as error:
        raise RunError([str(error)]) from None
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


def _policy_sets(base, readings, each_reading) -> dict:
    """Reading label -> (PolicySet, the readings chosen): one, or one per reading of `each_reading`."""
    chosen = parse_readings(readings)
    if not each_reading:
        return {"": (base, dict(base.readings))}
    parameter = base.declared.get(each_reading)
    if parameter is None:
        known = ", ".join(f"`{name}`" for name in base.declared) or "none"
        raise RunError([f"--each-reading `{each_reading}`: no policy declares that parameter (declared: {known})"])
    sets = {}
    for value in parameter.allowed:
        judging = base.with_readings({**chosen, each_reading: value})
        sets[value] = (judging, dict(judging.readings))
    return sets


def _example(policies, chosen, kind: str, data: dict):
    """The first shipped example of `kind` that every chosen clause applies to and decides."""
    from ..documents import load_file
    from ..resources import shipped_examples

    ids = {c.id for c in chosen}
    for path in sorted(Path(shipped_examples()).rglob("*.yaml")):
        try:
            document = load_file(path)
        except Exception:  # noqa: BLE001  (not every example file is a document of this kind)
            continue
        if document.kind != kind:
            continue
        results = [r for r in policies.check(document, data=data).results if r.clause in ids]
        if results and all(r.outcome.value in ("pass", "fail") for r in results):
            return document
    raise RunError([f"no shipped example of `{kind}` is decided by the clause: give one with --document FILE"])
