"""Everyday command-line habits (issue 14): the summary line counts documents apart from
clause results; --color, NO_COLOR and FORCE_COLOR; warnings not red; --quiet, and quiet by
default for a big audit on a terminal."""

from __future__ import annotations

import io
import re

import pytest
from click.testing import CliRunner

from conftest import ROOT
from iompolicy.cli import main

EXAMPLES = ROOT / "examples"
DATA = ["--data", EXAMPLES / "data" / "member-states.yaml", "--data", EXAMPLES / "data" / "funded-projects.yaml"]
RED, YELLOW, MAGENTA = "\x1b[31m", "\x1b[33m", "\x1b[35m"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def test_the_summary_line_counts_documents_apart_from_clause_results():
    result = run("check", EXAMPLES / "proposals", *DATA)
    assert result.output.splitlines()[-1] == (
        "11 documents: 6 passed, 5 failed; 209 clause results: 103 passed, 6 failed, 0 undecided, "
        "100 not applicable (5 failing at --fail-on error)")


def test_the_summary_line_says_the_other_document_outcomes_when_there_are_any():
    from iompolicy.render.summary import Summary

    summary = Summary()
    summary.documents = 16
    summary.documents_by_outcome.update({"pass": 10, "fail": 4, "error": 1, "invalid": 1})
    summary.results.update({"pass": 250, "fail": 12, "error": 3, "not_applicable": 47})
    summary.failing = 14
    assert summary.line() == ("16 documents: 10 passed, 4 failed, 1 undecided, 1 invalid, not judged; "
                              "312 clause results: 250 passed, 12 failed, 3 undecided, 47 not applicable "
                              "(14 failing at --fail-on error)")
    one = Summary()
    one.documents = 1
    one.documents_by_outcome["waived"] = 1
    one.results.update({"pass": 1, "waived": 1})
    assert one.line() == ("1 document: 0 passed, 0 failed, 1 waived; 2 clause results: 1 passed, 0 failed, 1 waived, "
                          "0 undecided, 0 not applicable (0 failing at --fail-on error)")


@pytest.mark.parametrize("args, env, coloured", [
    ((), {}, False),  # auto, and the test's stdout is not a terminal
    (("--color", "always"), {}, True),
    (("--color", "always"), {"NO_COLOR": "1"}, True),  # the option is asked for by name: it wins
    (("--color", "never"), {"FORCE_COLOR": "1"}, False),
    ((), {"FORCE_COLOR": "1"}, True),
    ((), {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),  # NO_COLOR wins over FORCE_COLOR
    ((), {"FORCE_COLOR": ""}, False),  # set but empty: not set
    (("--colour", "always", "--format", "json"), {}, False),  # colour is for text only
])
def test_colour_follows_the_option_then_no_color_then_force_color(args, env, coloured):
    env = {"NO_COLOR": None, "FORCE_COLOR": None, **env}
    result = run("check", EXAMPLES / "governance", *args, env=env)
    assert result.exit_code == 1
    assert ("\x1b[" in result.output) is coloured


def test_warnings_are_yellow_and_errors_red():
    same_start = {"SOURCE_DATE_EPOCH": "1213574400"}  # the provenance line's time: two runs a second apart differed
    result = run("check", EXAMPLES / "governance", "--color", "always", env=same_start)
    lines = result.output.splitlines()
    warning = next(line for line in lines if "warning part2.scpf_meets_twice_a_year" in line)
    error = next(line for line in lines if "error part2.subcommittee_abolished" in line)
    assert warning.startswith(YELLOW) and error.startswith(RED)
    plain = run("check", EXAMPLES / "governance", env=same_start).output.splitlines()
    assert [ANSI.sub("", line) for line in lines] == plain


def test_a_document_failing_only_warnings_is_yellow(tmp_path):
    text = (EXAMPLES / "governance" / "calendar-2008.yaml").read_text(encoding="utf-8")
    # without its May session the SCPF meets once: a warning (the Council still reports on the November one)
    start = text.index("  - body: SCPF\n    session: 2nd session")
    end = text.index("  - body:", start + 1)
    (tmp_path / "c.yaml").write_text(text[:start] + text[end:], encoding="utf-8")
    result = run("check", tmp_path / "c.yaml", "--color", "always")
    assert result.output.startswith(YELLOW + "\x1b[1m" + f"{tmp_path / 'c.yaml'} (governance_calendar")
    assert "warning part2.scpf_meets_twice_a_year" in result.output and "error part2" not in result.output


def _blocks(output: str) -> list[list[str]]:
    """The output in blocks: a document's lines (its name, then indented lines), or one line."""
    blocks = []
    for line in output.splitlines():
        if line.startswith(" ") and blocks:
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return blocks


def test_quiet_lists_only_what_failed_then_the_summary(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795942800")  # one start time in the provenance line of each run
    full = _blocks(run("check", EXAMPLES / "proposals", *DATA).output)
    quiet = _blocks(run("check", EXAMPLES / "proposals", *DATA, "--quiet").output)
    passing = [block for block in full if block[0].endswith("): pass")]
    assert len(passing) == 6
    note = ["6 documents with nothing failed or undecided not listed (--no-quiet lists them)"]
    kept = [block for block in full if block not in passing]
    assert quiet == kept[:-2] + [note] + kept[-2:]  # the note, then the provenance and summary lines
    assert _blocks(run("check", EXAMPLES / "proposals", *DATA, "-q").output) == quiet


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("documents, path, quiet, verbose, expected", [
    (51, None, None, False, True),   # a big audit on a terminal: quiet unless asked otherwise
    (50, None, None, False, False),
    (51, "report.txt", None, False, False),
    (51, None, False, False, False),  # --no-quiet
    (51, None, None, True, False),  # -v asks for more, not less
    (2, None, True, False, True),  # --quiet
])
def test_quiet_by_default_for_a_big_audit_on_a_terminal(monkeypatch, documents, path, quiet, verbose, expected):
    from iompolicy.cli.check import _Display
    from iompolicy.render import RenderOptions

    monkeypatch.setattr("sys.stdout", _Terminal())
    options = _Display("auto", quiet).options(RenderOptions(verbose=verbose), "text", path, documents)
    assert options.quiet is expected
