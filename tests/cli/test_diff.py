"""`iompolicy diff`: the same documents under two policy sets; what flips, and the money at stake."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from conftest import ROOT
from iompolicy import PolicySet, load_file
from iompolicy.cli import main

EXAMPLES = ROOT / "examples"
IDF_2020 = EXAMPLES / "policies-idf-2020"
DIFF_SCHEMA = json.loads((ROOT / "schemas" / "diff.schema.json").read_text())
sys.path.insert(0, str(ROOT / "benchmarks"))
import diff_ceiling  # noqa: E402


def run(*args):
    return CliRunner().invoke(main, ["diff", *[str(a) for a in args]])


def as_json(result) -> dict:
    report = json.loads(result.output)
    jsonschema.validate(report, DIFF_SCHEMA)
    return report


def test_the_2007_strategy_against_the_2020_fund_rules_over_the_examples():
    result = run(EXAMPLES, "--base-policies", "shipped", "--policies", IDF_2020, "--format", "json")
    assert result.exit_code == 1, result.output
    report = as_json(result)
    changed = {Path(d["path"]).name: d for d in report["documents"]}
    over = changed["04-tajikistan-border-over-ceiling.yaml"]
    assert (over["before"], over["after"], over["amount"]) == ("refused", "allowed", "235000")
    assert {"clause": "part3.line2_national_ceiling", "cite": "III.5.2", "before": "fail", "after": "absent"} \
        in over["flips"]
    # A clause that did not apply and one that is not there are no flip.
    assert not any(f["before"] == "not_applicable" and f["after"] == "absent" for f in over["flips"])
    # The money at stake is what the proposals refused under 2007 asked for, worked out apart here.
    shipped = PolicySet.load(ROOT / "policies")
    data = [load_file(p) for p in sorted((EXAMPLES / "data").glob("*.yaml"))]
    refused = [load_file(p).value for p in sorted((EXAMPLES / "proposals").glob("*.yaml"))
               if shipped.check(load_file(p), data=data).failed("error")]
    allowed = report["money"]["newly_allowed"]
    assert allowed == {"documents": len(refused), "amount": str(sum(p["funding"]["requested_usd"] for p in refused))}
    assert report["money"]["newly_refused"] == {"documents": 0, "amount": "0"}
    # The budget whose allocation the 2020 rules do not work out says so.
    assert changed["facility-budget-2010-over-cap.yaml"]["allocation"] == ["1075000", None]


def test_adding_the_2020_rules_beside_the_strategy_flips_only_their_clause():
    result = run(EXAMPLES / "proposals", EXAMPLES / "data", "--base-policies", "shipped", "--policies", "shipped",
                 "--policies", IDF_2020, "--as-of", "2020-06-01")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "  idf2020.staff_and_office_share [IDF-2020.budget]: absent -> pass" in lines
    assert "flips by clause:" in lines
    assert lines[-1] == ("11 documents judged under shipped and shipped + "
                         f"{IDF_2020}: 11 change (0 between allowed and refused), 11 clause outcome(s) flip")


def test_nothing_flips_under_the_same_rules_and_the_exit_status_is_0():
    result = run(EXAMPLES, "--base-policies", "shipped", "--policies", "shipped")
    assert result.exit_code == 0, result.output
    assert result.output.endswith("16 change (0 between allowed and refused), 0 clause outcome(s) flip\n".replace(
        "16 change", "0 change"))


def test_raising_the_national_ceiling_over_a_generated_corpus(tmp_path):
    corpus, policies = tmp_path / "proposals", tmp_path / "policies"
    corpus.mkdir()
    expected = diff_ceiling.generate(corpus, 200)
    diff_ceiling.raised_ceiling(policies)
    assert expected["flip"] > 10
    result = run(corpus, EXAMPLES / "data", "--base-policies", ROOT / "policies", "--policies", policies,
                 "--format", "json")
    assert result.exit_code == 1
    report = as_json(result)
    assert report["money"]["newly_allowed"] == {"documents": expected["flip"], "amount": str(expected["amount"])}
    assert report["by_clause"] == [{"clause": "part3.line2_national_ceiling", "cite": "III.5.2", "before": "fail",
                                    "after": "pass", "documents": expected["flip"]}]
    markdown = run(corpus, EXAMPLES / "data", "--base-policies", ROOT / "policies", "--policies", policies,
                   "--format", "markdown").output
    assert f"| `part3.line2_national_ceiling` | III.5.2 | fail | pass | {expected['flip']} |" in markdown
    assert f"- money at stake: USD 0 asked by 0 document(s) now refused; USD {Decimal(expected['amount']):,} " \
           f"asked by {expected['flip']} document(s) now allowed" in markdown


def git(folder, *args):
    subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t", "PATH": "/usr/bin:/bin"})


@pytest.fixture
def repository(tmp_path):
    """A repository of proposals with its own policies, committed once."""
    shutil.copytree(ROOT / "policies", tmp_path / "policies", ignore=shutil.ignore_patterns("tests"))
    (tmp_path / "proposals").mkdir()
    diff_ceiling.generate(tmp_path / "proposals", 40)
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "policies")
    return tmp_path


def test_base_reads_the_policy_files_at_a_git_revision(repository):
    args = [repository / "proposals", EXAMPLES / "data", "--base", "HEAD", "--policies", repository / "policies"]
    assert run(*args).exit_code == 0  # the working tree is the commit: nothing flips
    rules = repository / "policies" / "part3-proposals.iom"
    rules.write_text(rules.read_text().replace("USD 200_000", "USD 250_000"))
    result = run(*args, "--format", "json")
    assert result.exit_code == 1
    report = as_json(result)
    assert report["base"] == f"{repository / 'policies'} at HEAD"
    assert {r["clause"] for r in report["by_clause"]} == {"part3.line2_national_ceiling"}
    assert report["money"]["newly_allowed"]["documents"] > 0


def test_a_bad_revision_or_no_base_is_one_line_and_exit_2(repository):
    result = run(repository / "proposals", "--base", "no-such-rev", "--policies", repository / "policies")
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and "no-such-rev" in result.output
    assert "Traceback" not in result.output
    result = run(repository / "proposals")
    assert result.exit_code == 2
    assert result.output.strip() == ("give the base as --base REV or --base-policies DIR, or compare two readings "
                                     "with --reading and --base-reading NAME=VALUE")
    result = run(repository / "proposals", "--base", "HEAD", "--base-policies", "shipped")
    assert result.exit_code == 2
    assert result.output.strip() == "give the base as --base REV or as --base-policies DIR (one of them)"


def test_the_html_report_draws_the_flips_by_clause_and_lists_each_document(tmp_path):
    html5lib = pytest.importorskip("html5lib")
    corpus, policies = tmp_path / "proposals", tmp_path / "policies"
    corpus.mkdir()
    expected = diff_ceiling.generate(corpus, 60)
    diff_ceiling.raised_ceiling(policies)
    result = run(corpus, EXAMPLES / "data", "--base-policies", ROOT / "policies", "--policies", policies,
                 "--format", "html")
    assert result.exit_code == 1
    page = result.output
    html5lib.HTMLParser(strict=True).parse(page)
    assert "default-src 'none'" in page and "<script" not in page
    # One bar for the one clause that flips, titled with its count; a row per document that changes.
    assert f"<title>part3.line2_national_ceiling (III.5.2): {expected['flip']} fail -&gt; pass</title>" in page
    assert page.count("<tr><td>") == 1 + expected["flip"]  # the count by clause, then the documents
    assert f"USD {Decimal(expected['amount']):,} asked by {expected['flip']} document(s) now allowed" in page


def test_a_hostile_file_name_is_text_in_the_markdown_report(tmp_path):
    """The Markdown report is meant for a pull request: a document's file name is shown as
    itself, not as a link or markup (as in check's Markdown report)."""
    from markdown_it import MarkdownIt

    folder = tmp_path / "docs"
    folder.mkdir()
    hostile = folder / "[click](https:evil.example) _x_.yaml"
    hostile.write_bytes((EXAMPLES / "proposals" / "04-tajikistan-border-over-ceiling.yaml").read_bytes())
    result = run(folder, EXAMPLES / "data", "--base-policies", "shipped", "--policies", "shipped",
                 "--policies", IDF_2020, "--as-of", "2020-06-01", "--format", "markdown")
    assert result.exit_code == 1, result.output
    html = MarkdownIt("commonmark").enable("table").render(result.output)
    assert "<a " not in html and "<em>" not in html
    assert "[click](https:evil.example) _x_.yaml" in html
