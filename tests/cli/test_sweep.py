"""`iompolicy explain CLAUSE --sweep FIELD=LOW..HIGH`: the formula and the cap over a range.

The figures are checked against the Strategy's arithmetic worked out here, apart from
the policy: 25% of discretionary income less security above USD 20.5 million (III.1),
and what miscellaneous income leaves once Line 1 is counted, under each reading of
`cap_lines` (III.2).
"""

from __future__ import annotations

import json
from decimal import Decimal

import jsonschema
import pytest
from click.testing import CliRunner

from conftest import ROOT
from iompolicy.cli import main

BUDGET = ROOT / "examples" / "budgets" / "facility-budget-2009-synthetic.yaml"
SCHEMA = json.loads((ROOT / "schemas" / "sweep.schema.json").read_text())
SWEEP = "discretionary_income.total_usd=21000000..41000000"


def run(*args):
    return CliRunner().invoke(main, ["explain", *[str(a) for a in args]])


def expected(total: Decimal, reading: str) -> tuple[Decimal, Decimal, Decimal]:
    """(25% formula, most the cap leaves for Line 2, the lesser) for the 2009 synthetic budget:
    security USD 2,000,000; miscellaneous income USD 3,800,000; Line 1 USD 1,400,000."""
    formula = max(Decimal(0), Decimal("0.25") * (total - 2_000_000 - 20_500_000))
    cap = Decimal(3_800_000) - (1_400_000 if reading == "both_lines" else 0)
    return formula, cap, min(formula, cap)


def test_the_formula_and_the_cap_under_both_readings_of_the_cap():
    result = run("III.1", "--sweep", SWEEP, "--steps", 10, "--document", BUDGET, "--each-reading", "cap_lines",
                 "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    jsonschema.validate(report, SCHEMA)
    assert [c["clause"] for c in report["clauses"]] == ["part3.line2_allocation_formula"]
    figures = [(f["name"], f["reading"]) for f in report["figures"]]
    assert figures == [("excess_income", None), ("formula_allocation", None),
                       ("most_the_cap_allows", "both_lines"), ("most_the_cap_allows", "line2_only"),
                       ("expected_allocation", "both_lines"), ("expected_allocation", "line2_only")]
    assert [row["input"] for row in report["rows"]] == [str(21_000_000 + 2_000_000 * i) for i in range(11)]
    for row in report["rows"]:
        total = Decimal(row["input"])
        values = dict(zip(figures, (Decimal(v) for v in row["figures"])))
        for reading in ("both_lines", "line2_only"):
            formula, cap, allowed = expected(total, reading)
            assert values[("formula_allocation", None)] == formula
            assert values[("most_the_cap_allows", reading)] == cap
            assert values[("expected_allocation", reading)] == allowed
        # The budget gives Line 2 USD 2,125,000: the clause passes only where that is what is allowed.
        outcomes = {o["reading"]: o["outcome"] for o in row["outcomes"]}
        assert outcomes == {reading: "pass" if expected(total, reading)[2] == 2_125_000 else "fail"
                            for reading in ("both_lines", "line2_only")}
    assert sum(o["outcome"] == "pass" for row in report["rows"] for o in row["outcomes"]) == 2  # at USD 31 million


def test_the_text_table_names_the_clause_the_range_and_the_reading():
    result = run("III.1", "--sweep", SWEEP, "--steps", 2, "--document", BUDGET)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == ("part3.line2_allocation_formula [III.1]: Line 2 receives 25% of discretionary income "
                        "(excluding security) above USD 20.5 million")
    assert lines[1].startswith("discretionary_income.total_usd from USD 21,000,000 to USD 41,000,000 in 2 steps, on ")
    assert lines[2] == "reading: cap_lines = both_lines, cap_recovered_funds = counted"
    assert lines[4].split() == ["discretionary_income.total_usd", "excess_income", "formula_allocation",
                                "most_the_cap_allows", "expected_allocation", "outcome"]
    assert lines[7].split() == ["USD", "31,000,000", "8,500,000", "2,125,000", "2,400,000", "2,125,000", "pass"]
    assert len(lines) == 9


def test_the_html_page_draws_each_figure_as_a_line_and_fetches_nothing():
    html5lib = pytest.importorskip("html5lib")
    result = run("III.1", "--sweep", SWEEP, "--steps", 4, "--document", BUDGET, "--each-reading", "cap_lines",
                 "--format", "html")
    assert result.exit_code == 0, result.output
    html5lib.HTMLParser(strict=True).parse(result.output)
    assert "default-src 'none'" in result.output and "http" not in result.output.replace(
        "http://www.w3.org/2000/svg", "").replace("http-equiv", "")
    # One line per figure, but the excess over the baseline (on another scale) is in the table only.
    assert result.output.count("<polyline") == 5
    assert result.output.count("<circle") == 5 * 5  # one point per figure drawn and value
    assert "<p>In the table only (on another scale): excess_income.</p>" in result.output
    assert "<title>formula_allocation: USD 2,125,000 at discretionary_income.total_usd USD 31,000,000</title>" \
        in result.output


def test_markdown_is_a_table_of_the_same_rows():
    result = run("III.1", "--sweep", SWEEP, "--steps", 2, "--document", BUDGET, "--format", "markdown")
    rows = [line for line in result.output.splitlines() if line.startswith("| ")]
    assert rows[0] == ("| `discretionary_income.total_usd` | `excess_income` | `formula_allocation` | "
                       "`most_the_cap_allows` | `expected_allocation` | `outcome` |")
    assert rows[2] == "| USD 31,000,000 | 8,500,000 | 2,125,000 | 2,400,000 | 2,125,000 | pass |"


def test_without_a_document_the_first_shipped_example_decided_by_the_clause_is_swept():
    result = run("III.1", "--sweep", SWEEP, "--steps", 1)
    assert result.exit_code == 0, result.output
    assert " on examples/budgets/facility-budget-2009-synthetic.yaml " in result.output or \
        "facility-budget-2009-synthetic.yaml (its other fields as they are)" in result.output


@pytest.mark.parametrize("args, message", [
    (["--sweep", "discretionary_income.total_usd=60..20"], "the range must go from a lower number to a higher one"),
    (["--sweep", "discretionary_income.total_usd=a..b"], "is not a range of numbers"),
    (["--sweep", "discretionary_income.total_usd"], "write FIELD=LOW..HIGH"),
    (["--sweep", "funding.requested_usd=1..2"], "no clause chosen reads that field"),
    (["--sweep", SWEEP, "--each-reading", "cap_line"], "no policy declares that parameter"),
    (["--format", "json"], "--format: only with --sweep FIELD=LOW..HIGH"),
])
def test_a_sweep_that_cannot_run_is_one_line_and_exit_2(args, message):
    result = run("III.1", *args)
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1 and message in result.output, result.output


def test_a_hostile_file_name_is_text_in_the_markdown_report(tmp_path):
    """The document swept is named in the Markdown report as itself, not as a link or markup."""
    from markdown_it import MarkdownIt

    hostile = tmp_path / "[click](https:evil.example) _x_.yaml"
    hostile.write_bytes(BUDGET.read_bytes())
    result = run("III.1", "--sweep", SWEEP, "--steps", 2, "--document", hostile, "--format", "markdown")
    assert result.exit_code == 0, result.output
    html = MarkdownIt("commonmark").enable("table").render(result.output)
    assert "<a " not in html and "<em>" not in html
    assert "[click](https:evil.example) _x_.yaml" in html
