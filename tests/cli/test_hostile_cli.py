"""Hostile and broken inputs through the real `iompolicy check`: the cases of
tests/hostile/cases.yaml, and what a run must never do (show a traceback,
write to what it checks, replace a report when it fails).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time

import pytest
import yaml
from click.testing import CliRunner

from conftest import ROOT
from iompolicy import cli
from iompolicy.cli import main

HOSTILE = ROOT / "tests" / "hostile"
CASES = yaml.safe_load((HOSTILE / "cases.yaml").read_text(encoding="utf-8"))
DATA = ["--data", str(ROOT / "examples" / "data" / "member-states.yaml"),
        "--data", str(ROOT / "examples" / "data" / "funded-projects.yaml")]


def _args(case: dict) -> list[str]:
    args = []
    for arg in case.get("args", []):
        args.extend(DATA if arg == "{data}" else [str(arg)])
    return args


def _digests() -> dict[str, str]:
    return {str(p.relative_to(HOSTILE)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(HOSTILE.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def test_the_manifest_names_every_file_and_only_files_that_exist():
    named = {c["file"] for c in CASES} | {c["stdin"] for c in CASES if "stdin" in c} | {
        a for c in CASES for a in c.get("args", []) if isinstance(a, str) and (HOSTILE / a).exists()}
    present = {p.name for p in HOSTILE.iterdir() if p.name not in ("cases.yaml", "__pycache__")}
    assert present <= named, f"files with no case: {sorted(present - named)}"
    assert len({c["name"] for c in CASES}) == len(CASES), "case names must be unique"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_hostile_case(case, monkeypatch):
    monkeypatch.chdir(HOSTILE)
    before = _digests()
    stdin = (HOSTILE / case["stdin"]).read_bytes() if "stdin" in case else None
    started = time.monotonic()
    result = CliRunner().invoke(main, ["check", case["file"], *_args(case)], input=stdin)
    elapsed = time.monotonic() - started
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # an exception that escaped the command: the bug this suite is for
    shown = f"exit {result.exit_code}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    assert result.exit_code == case["exit"], shown
    for text in case.get("stderr", []):
        assert text in result.stderr, shown
    for text in case.get("stdout", []):
        assert text in result.stdout, shown
    for text in case.get("absent", []):
        assert text not in result.output, shown
    assert "Traceback" not in result.output, shown
    if case["exit"] == 2:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == case.get("lines", 1), shown
    assert elapsed < 10, f"took {elapsed:.1f} s"
    assert _digests() == before, "a checked file was changed"


def test_the_whole_folder_at_once(monkeypatch):
    monkeypatch.chdir(HOSTILE)
    before = _digests()
    result = CliRunner().invoke(main, ["check", ".", *DATA])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    files = {p.name for p in HOSTILE.iterdir()}
    for line in result.stderr.splitlines():  # each line names a file of the folder and where in it
        assert line.split(":")[0] in files, line
    assert _digests() == before


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path, monkeypatch):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as stream:
        stream.truncate(11 * 1024 * 1024)  # 11 MiB (sparse: costs no disk)
    started = time.monotonic()
    result = CliRunner().invoke(main, ["check", str(big)])
    assert result.exit_code == 2
    assert f"{big}: larger than 10 MiB: refused unread" in result.stderr
    assert time.monotonic() - started < 5


# ---- the real entry point -------------------------------------------------------------------

@pytest.mark.parametrize("name", ["python-object.yaml", "billion-laughs.yaml", "deep.json", "duplicate-key.yaml"])
def test_real_command_shows_one_line_and_no_traceback(name):
    process = subprocess.run([sys.executable, "-m", "iompolicy", "check", name], cwd=HOSTILE, capture_output=True,
                             text=True, timeout=60, env={**os.environ, "IOMPOLICY_DEBUG": ""})
    assert process.returncode == 2, process.stderr
    assert "Traceback" not in process.stderr + process.stdout
    assert [line for line in process.stderr.splitlines() if line.strip()][0].startswith(name + ":")


def _crash(*args, **kwargs):
    raise RuntimeError("boom")


def test_an_internal_error_is_one_line_unless_debugging(monkeypatch, capsys):
    from iompolicy import run as run_module

    monkeypatch.setattr(run_module.Run, "reports", _crash)
    monkeypatch.delenv("IOMPOLICY_DEBUG", raising=False)
    compliant = str(HOSTILE / "compliant.yaml")
    monkeypatch.setattr(sys, "argv", ["iompolicy", "check", compliant, *DATA])
    with pytest.raises(SystemExit) as exited:
        cli.run()
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        "iompolicy: internal error: RuntimeError: boom (set IOMPOLICY_DEBUG=1 to see the traceback)"]
    monkeypatch.setattr(sys, "argv", ["iompolicy", "--debug", "check", compliant, *DATA])
    with pytest.raises(RuntimeError, match="boom"):  # the traceback is shown
        cli.run()


# ---- what a run writes ----------------------------------------------------------------------

def test_an_existing_report_survives_a_run_that_could_not_start(tmp_path):
    report = tmp_path / "report.json"
    report.write_text("the previous report\n")
    missing_data = ["--data", str(tmp_path / "no-such-register.yaml")]
    result = CliRunner().invoke(main, ["check", str(HOSTILE / "compliant.yaml"), *missing_data,
                                       "--format", "json", "--output", str(report)])
    assert result.exit_code == 2, result.output
    assert report.read_text() == "the previous report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary file left behind


def test_a_bad_input_replaces_an_older_report_with_one_that_names_it(tmp_path):
    """An older report must not stay in place looking current (issue 19)."""
    report = tmp_path / "report.json"
    report.write_text("the previous report\n")
    for inputs in (["python-object.yaml"], ["compliant.yaml", "python-object.yaml"]):
        result = CliRunner().invoke(main, ["check", *[str(HOSTILE / i) for i in inputs], *DATA,
                                           "--format", "json", "--output", str(report)])
        assert result.exit_code == 2, result.output
        documents = json.loads(report.read_text())["documents"]
        assert [d["outcome"] for d in documents][-1] == "invalid", inputs
        assert len(documents) == len(inputs)
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary file left behind


def test_output_never_overwrites_an_input(tmp_path):
    document = tmp_path / "proposal.yaml"
    document.write_bytes((HOSTILE / "compliant.yaml").read_bytes())
    result = CliRunner().invoke(main, ["check", str(document), *DATA, "--output", str(document)])
    assert result.exit_code == 2
    assert "--output names a file this run reads" in result.stderr
    assert document.read_bytes() == (HOSTILE / "compliant.yaml").read_bytes()


def test_checked_files_are_byte_identical_after_a_run(tmp_path):
    before = {p: p.read_bytes() for p in (ROOT / "examples").rglob("*") if p.is_file()}
    stamps = {p: p.stat().st_mtime_ns for p in before}
    result = CliRunner().invoke(main, ["check", str(ROOT / "examples"), "--output", str(tmp_path / "r.txt")])
    assert result.exit_code == 1  # some examples break the Strategy on purpose
    assert {p: p.read_bytes() for p in before} == before
    assert {p: p.stat().st_mtime_ns for p in before} == stamps


# ---- a reader that goes away ------------------------------------------------------------------

@pytest.mark.parametrize("command", [["list"], ["check", "many", "--format", "json"], ["check", "many"]])
def test_a_broken_pipe_ends_quietly_with_a_fixed_status(tmp_path, command):
    """`iompolicy list | head`: before, exit 1 (click's own handler: a pass/fail status) or 120 with
    "Exception ignored ... BrokenPipeError" on stderr, depending on when the reader left."""
    many = tmp_path / "many"
    many.mkdir()
    text = (HOSTILE / "compliant.yaml").read_text(encoding="utf-8")
    for number in range(150):  # a report well over a pipe's buffer
        (many / f"p{number:03}.yaml").write_text(text.replace("IDF-2016-BOL-01", f"IDF-2016-BOL-{number:03}"))
    for _ in range(3):
        process = subprocess.Popen([sys.executable, "-m", "iompolicy", *command], cwd=tmp_path,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   env={**os.environ, "IOMPOLICY_DEBUG": ""})
        process.stdout.close()  # the reader is gone before the first line is written
        stderr = process.stderr.read()
        process.stderr.close()
        assert process.wait(timeout=60) == 141 and stderr == b"", stderr
