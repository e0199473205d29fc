"""Hostile settings files and closed standard streams (issue 19, "Refused, located, fast"):
each is refused with `file:line:col: message`, exit status 2, never an internal error."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from conftest import ROOT
from iompolicy.cli import main

COMPLIANT = str(ROOT / "tests" / "hostile" / "compliant.yaml")


def _check(tmp_path, settings_name: str, text: str | bytes):
    settings = tmp_path / settings_name
    settings.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    result = CliRunner().invoke(main, ["--config", str(settings), "check", COMPLIANT])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


@pytest.mark.parametrize("name, text, expected", [
    # tomllib and yaml.safe_load recursed once per level: RecursionError, an internal error
    (".iompolicy.yaml", "paths: " + "[" * 10_000 + "]" * 10_000 + "\n",
     "lists and mappings are nested more than 64 levels deep"),
    ("pyproject.toml", "[tool.iompolicy]\npaths = " + "[" * 10_000 + "]" * 10_000 + "\n",
     "pyproject.toml:2:73: lists and tables are nested too deeply to read"),
    # a NUL byte in a path reached open(): ValueError, an internal error
    ("pyproject.toml", '[tool.iompolicy]\ndata = ["a\\u0000b"]\n',
     "pyproject.toml:2:1: `data` item 1 holds a NUL character, which no path can hold"),
    ("pyproject.toml", '[tool.iompolicy]\nwaivers = "a\\u0000b"\n',
     "pyproject.toml:2:1: `waivers` holds a NUL character, which no path can hold"),
    (".iompolicy.yaml", 'paths: [x]\npolicies: "a\\0b"\n',
     ".iompolicy.yaml:2:1: $.policies: the text holds the control character U+0000 (NUL)"),
    (".iompolicy.yaml", b"paths: [x]\nfail_on: \xff\n", ".iompolicy.yaml:2:10: not UTF-8 text (byte 0xff)"),
    (".iompolicy.yaml", "paths: [x]\nbase: &b {fail_on: error}\n<<: *b\n",
     ".iompolicy.yaml:3:1: `<<` merges other mappings into this one"),
])
def test_hostile_settings_are_refused_with_their_place(tmp_path, name, text, expected):
    result = _check(tmp_path, name, text)
    assert result.exit_code == 2, result.output
    assert expected in result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.output
    assert result.stderr.splitlines()[0].startswith(os.path.relpath(tmp_path / name) + ":")


def test_a_settings_file_has_the_size_limit_of_a_document(tmp_path, monkeypatch):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as stream:
        stream.truncate(11 * 1024 * 1024)  # sparse: no disk used
    result = CliRunner().invoke(main, ["--config", str(big), "check", COMPLIANT])
    assert result.exit_code == 2 and "big.yaml: larger than 10 MiB: refused unread" in result.stderr
    # a pyproject.toml met on the way up was read whole, whatever its size
    (tmp_path / ".git").mkdir()
    with open(tmp_path / "pyproject.toml", "wb") as stream:
        stream.truncate(11 * 1024 * 1024)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", COMPLIANT])
    assert result.exit_code == 2
    assert result.stderr == ("pyproject.toml: larger than 10 MiB: refused unread (a settings file has the size "
                             "limit of a document)\n")


@pytest.mark.parametrize("make, what", [(os.mkfifo, "a named pipe (FIFO)"),
                                        (lambda path: os.symlink("/dev/zero", path), "a device")])
@pytest.mark.parametrize("how", ["--config", ".iompolicy.yaml", "pyproject.toml"])
def test_a_settings_file_that_is_a_fifo_or_a_device_is_refused_unread(tmp_path, make, what, how):
    """`--config /dev/zero` was read without end, and `--config FIFO` blocked until a writer
    came; a FIFO named .iompolicy.yaml was passed over as if there were no settings. Run
    in a process with a time limit: a hang fails the test rather than the suite."""
    (tmp_path / ".git").mkdir()
    name = "settings.yaml" if how == "--config" else how
    make(str(tmp_path / name))
    args = ["--config", name] if how == "--config" else []
    process = _real(*args, "check", COMPLIANT, cwd=tmp_path)
    assert process.returncode == 2, process.stderr
    assert process.stderr == (f"{name}: is {what}, not a settings file: refused unread (hint: settings are read "
                              "from a regular file: .iompolicy.yaml or pyproject.toml)\n")
    assert process.stdout == ""


def _real(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from iompolicy.cli import run; run()", *args], text=True,
                          capture_output=True, timeout=60, env={**os.environ, "IOMPOLICY_DEBUG": ""}, **kwargs)


def test_closed_stdin_is_a_problem_of_that_input():
    process = _real("check", "-", stdin=subprocess.DEVNULL, preexec_fn=lambda: os.close(0))
    assert process.returncode == 2, process.stderr
    assert process.stderr.strip() == ("<stdin>: standard input is closed, so there is nothing to read "
                                      "(hint: name the document's file instead of `-`, or pipe it in)")


def test_closed_stdout_is_refused_unless_the_report_goes_to_a_file(tmp_path):
    code = f"import os, sys; os.close(1); sys.stdout = None; sys.argv[1:] = {['check', COMPLIANT]!r}; " \
           "from iompolicy.cli import run; run()"
    process = subprocess.run([sys.executable, "-c", code], text=True, stderr=subprocess.PIPE, timeout=60,
                             env={**os.environ, "IOMPOLICY_DEBUG": ""})
    assert process.returncode == 2, process.stderr
    assert process.stderr.strip() == ("<stdout>: standard output is closed, so the report has nowhere to go "
                                      "(hint: write it to a file with --output FILE)")
    report = tmp_path / "report.txt"
    data = [str(ROOT / "examples" / "data" / name) for name in ("member-states.yaml", "funded-projects.yaml")]
    code = code.replace("'check', ", f"'check', '-o', {str(report)!r}, '--data', {data[0]!r}, '--data', {data[1]!r}, ")
    process = subprocess.run([sys.executable, "-c", code], text=True, stderr=subprocess.PIPE, timeout=60)
    assert process.returncode == 0, process.stderr
    assert "1 document:" in report.read_text()
