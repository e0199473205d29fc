"""`--output` damages nothing (issue 19, "Nothing damaged"): it replaces only a regular
file or makes a new one, atomically and with the mode the file had; it writes straight
to a device or a named pipe; it never replaces a file the run reads; and an interrupted
run leaves no temporary file."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time

import pytest
from click.testing import CliRunner

from audit_corpus import write_audit
from conftest import ROOT
from iompolicy.cli import main

OVER_CEILING = str(ROOT / "examples" / "proposals" / "04-tajikistan-border-over-ceiling.yaml")
DATA = [str(ROOT / "examples" / "data" / name) for name in ("member-states.yaml", "funded-projects.yaml")]


def check(*args: str):
    data = [arg for name in DATA for arg in ("--data", name)]
    return CliRunner().invoke(main, ["check", OVER_CEILING, *data, "--format", "json", *args])


def written_report(path) -> dict:
    report = json.loads(open(path, encoding="utf-8").read())
    assert report["documents"][0]["id"] == "IDF-2015-TJK-02"
    return report


def test_an_existing_file_keeps_its_mode(tmp_path):
    target = tmp_path / "audit.json"
    target.write_text("old")
    target.chmod(0o640)
    result = check("--output", str(target))
    assert result.exit_code == 1, result.output
    written_report(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # was always 0600 (mkstemp's mode)


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_takes_the_mode_the_umask_allows(tmp_path, umask, mode):
    target = tmp_path / "audit.json"
    previous = os.umask(umask)
    try:
        result = check("--output", str(target))
    finally:
        os.umask(previous)
    assert result.exit_code == 1, result.output
    assert stat.S_IMODE(target.stat().st_mode) == mode


def test_a_symbolic_link_stays_and_its_file_gets_the_report(tmp_path):
    real = tmp_path / "reports" / "audit.json"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "latest.json"
    link.symlink_to(real)
    assert check("--output", str(link)).exit_code == 1
    assert link.is_symlink() and os.readlink(link) == str(real)
    written_report(real)


def test_a_link_to_a_device_is_written_through_not_replaced(tmp_path):
    link = tmp_path / "null.json"
    link.symlink_to(os.devnull)
    before = os.stat(os.devnull)
    result = check("--output", str(link))
    assert result.exit_code == 1, result.output
    assert link.is_symlink()  # was replaced by a regular file holding the report
    assert os.stat(os.devnull).st_rdev == before.st_rdev and stat.S_ISCHR(os.stat(os.devnull).st_mode)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".iompolicy-")]


def test_a_named_pipe_is_written_to_and_stays_a_pipe(tmp_path):
    pipe = tmp_path / "report.pipe"
    os.mkfifo(pipe)
    received = []
    reader = threading.Thread(target=lambda: received.append(open(pipe, encoding="utf-8").read()), daemon=True)
    reader.start()
    result = check("--output", str(pipe))
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)  # was replaced by a regular file (the reader is left waiting)
    reader.join(timeout=30)
    assert result.exit_code == 1, result.output
    assert json.loads(received[0])["summary"]["fail"] == 1


def test_a_folder_is_refused(tmp_path):
    result = check("--output", str(tmp_path))
    assert result.exit_code == 2
    assert result.output.strip() == f"{tmp_path}: --output names a folder; name a file"


def _settings_and_policies(tmp_path):
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies)
    waivers = tmp_path / "waivers.yaml"
    shutil.copy(ROOT / "examples" / "waivers.yaml", waivers)
    settings = tmp_path / ".iompolicy.yaml"
    settings.write_text(f"policies: policies/\nwaivers: waivers.yaml\ndata: {json.dumps(DATA)}\n")
    return {"policy file": policies / "part3-proposals.iom", "provisions": policies / "provisions.yaml",
            "settings": settings, "waivers": waivers, "data": DATA[0], "input": OVER_CEILING}


@pytest.mark.parametrize("which", ["policy file", "provisions", "settings", "waivers", "data", "input"])
def test_a_file_the_run_reads_is_never_replaced(tmp_path, which, monkeypatch):
    files = _settings_and_policies(tmp_path)
    monkeypatch.chdir(tmp_path)
    target = files[which]
    before = open(target, "rb").read()
    result = CliRunner().invoke(main, ["check", OVER_CEILING, "--output", str(target)])
    assert result.exit_code == 2, result.output
    assert "--output names a file this run reads" in result.output
    assert open(target, "rb").read() == before


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT])
def test_an_interrupted_run_leaves_the_old_report_and_no_temporary_file(tmp_path, number):
    audit = tmp_path / "audit"
    write_audit(audit, 1500, 10)
    out = tmp_path / "out"
    out.mkdir()
    target = out / "audit.json"
    target.write_text("the previous report\n")
    args = [sys.executable, "-m", "iompolicy", "check", str(audit), *DATA, "--format", "json", "-o", str(target)]
    process = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not [p for p in out.iterdir() if p.name.startswith(".iompolicy-")]:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.2)  # well into writing the report
    process.send_signal(number)
    process.communicate(timeout=60)
    assert process.returncode == 128 + number
    assert sorted(p.name for p in out.iterdir()) == ["audit.json"]  # the temporary file was left behind
    assert target.read_text() == "the previous report\n"
