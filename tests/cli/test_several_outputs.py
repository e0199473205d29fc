"""Several reports from one run (issue 15): `--output FORMAT=PATH`, repeatable, and
`outputs:` in the settings; each report is the one a run of that format alone writes."""

from __future__ import annotations

import os
import shutil

import pytest
from click.testing import CliRunner

from conftest import ROOT
from iompolicy.cli import main

FORMATS = ["sarif", "html", "markdown", "json", "junit", "text", "github", "jsonl"]


@pytest.fixture()
def in_root(monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1213574400")  # the date line of Markdown and HTML
    monkeypatch.setenv("NO_COLOR", "1")


def invoke(*args):
    return CliRunner().invoke(main, list(args))


def test_one_run_writes_each_format_as_a_run_of_it_alone_would(in_root, tmp_path):
    result = invoke("check", "examples/", *[a for f in FORMATS for a in ("--output", f"{f}={tmp_path / f}")])
    assert result.exit_code == 1, result.output
    assert result.stdout == "" and "17 documents:" in result.stderr
    for fmt in FORMATS:
        alone = invoke("check", "examples/", "--format", fmt)
        assert (tmp_path / fmt).read_text(encoding="utf-8") == alone.stdout, fmt


def test_a_plain_output_keeps_the_format_option_and_dash_is_stdout(in_root, tmp_path):
    result = invoke("check", "examples/", "--format", "json", "-o", str(tmp_path / "a.json"), "-o", "github=-")
    assert result.exit_code == 1
    assert (tmp_path / "a.json").read_text().startswith('{\n  "version"')
    assert result.stdout.startswith("::error file=examples/")


def test_the_settings_list_outputs_and_the_command_line_replaces_them(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    (tmp_path / ".iompolicy.yaml").write_text("paths: [examples/]\noutputs: [sarif=reports/audit.sarif, "
                                              "markdown=reports/summary.md]\n")
    (tmp_path / "reports").mkdir()
    monkeypatch.chdir(tmp_path / "examples")  # paths in the settings are relative to the settings file
    assert invoke("check").exit_code == 1
    assert sorted(os.listdir(tmp_path / "reports")) == ["audit.sarif", "summary.md"]
    assert invoke("check", "-o", f"html={tmp_path / 'one.html'}").exit_code == 1
    assert (tmp_path / "one.html").is_file()
    assert (tmp_path / "reports" / "audit.sarif").stat().st_mtime_ns <= (tmp_path / "one.html").stat().st_mtime_ns


@pytest.mark.parametrize("setting, message", [
    ("outputs: [pdf=a.pdf]", ".iompolicy.yaml:1:11: `outputs` item 1 must be FORMAT=PATH"),
    ("outputs: sarif=a.sarif", ".iompolicy.yaml:1:1: `outputs` must be a list of text"),
])
def test_a_bad_outputs_setting_is_refused_with_its_line(tmp_path, monkeypatch, setting, message):
    (tmp_path / ".iompolicy.yaml").write_text(f"{setting}\n")
    monkeypatch.chdir(tmp_path)
    result = invoke("check", str(ROOT / "examples"))
    assert result.exit_code == 2 and message in result.stderr


def test_the_same_file_twice_is_refused(in_root, tmp_path):
    result = invoke("check", "examples/", "-o", f"json={tmp_path / 'a'}", "-o", f"sarif={tmp_path}/../{tmp_path.name}/a")
    assert result.exit_code == 2
    assert "--output names this file twice" in result.stderr and not (tmp_path / "a").exists()


def test_a_report_that_cannot_be_written_leaves_every_old_report(in_root, tmp_path):
    (tmp_path / "a.sarif").write_text("old sarif")
    result = invoke("check", "examples/", "-o", f"sarif={tmp_path / 'a.sarif'}",
                    "-o", f"markdown={tmp_path / 'missing-folder' / 'b.md'}")
    assert result.exit_code == 2 and "cannot write the report" in result.stderr
    assert (tmp_path / "a.sarif").read_text() == "old sarif"
    assert sorted(os.listdir(tmp_path)) == ["a.sarif"]  # and no temporary file


def test_each_output_is_guarded(in_root, tmp_path):
    waivers = tmp_path / "waivers.yaml"
    shutil.copy(ROOT / "examples" / "waivers.yaml", waivers)
    result = invoke("check", "examples/", "--waivers", str(waivers), "-o", f"json={tmp_path / 'a.json'}",
                    "-o", f"html={waivers}")
    assert result.exit_code == 2 and "--output names a file this run reads" in result.stderr
    assert waivers.read_text() == (ROOT / "examples" / "waivers.yaml").read_text()
