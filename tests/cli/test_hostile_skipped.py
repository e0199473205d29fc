"""Nothing skipped without a word (issue 19): an unreadable folder, a settings file
that is not UTF-8, a path that is not a regular file, a reference-data file whose
`kind` a first look at its text misread. Before, each was passed over and the run
could exit 0."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from conftest import ROOT
from iompolicy.cli import main

HOSTILE = ROOT / "tests" / "hostile"
COMPLIANT = HOSTILE / "compliant.yaml"
MANO_RIVER = ROOT / "examples" / "proposals" / "08-mano-river-article4-regional.yaml"
DATA = ["--data", str(ROOT / "examples" / "data" / "member-states.yaml"),
        "--data", str(ROOT / "examples" / "data" / "funded-projects.yaml")]


def check(*args):
    return CliRunner().invoke(main, ["check", *map(str, args)])


def test_an_unreadable_subfolder_is_an_error_with_its_path(tmp_path, monkeypatch):
    (tmp_path / "audit" / "locked").mkdir(parents=True)
    shutil.copy(COMPLIANT, tmp_path / "audit" / "ok.yaml")
    shutil.copy(MANO_RIVER, tmp_path / "audit" / "locked" / "hidden-from-us.yaml")
    locked = str(tmp_path / "audit" / "locked")
    real_scandir = os.scandir

    def scandir(path="."):  # what a folder without read permission does (the tests may run as root)
        if os.path.abspath(path) == locked:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.chdir(tmp_path)
    result = check("audit", *DATA)
    assert result.exit_code == 2, result.output  # before: exit 0, the folder silently left out
    assert f"{os.path.join('audit', 'locked')}: cannot read the folder: Permission denied" in result.stderr
    assert "--exclude" in result.stderr  # the hint says how to leave it out on purpose
    left_out = check("audit", *DATA, "--exclude", "locked")  # ... and it works: the folder is not even read
    assert left_out.exit_code == 0, left_out.output
    assert "note: 1 file(s) or folder(s) left out by `exclude` patterns: audit/locked" in left_out.stdout


def test_a_link_to_a_folder_is_followed_once(tmp_path, monkeypatch):
    """os.walk (like Path.rglob before it) does not follow links to folders by itself: their
    files were silently left out. They are followed, and a loop ends."""
    (tmp_path / "audit" / "real").mkdir(parents=True)
    shutil.copy(MANO_RIVER, tmp_path / "audit" / "real" / "mano.yaml")
    (tmp_path / "shared").mkdir()
    shutil.copy(COMPLIANT, tmp_path / "shared" / "bolivia.yaml")
    os.symlink(tmp_path / "shared", tmp_path / "audit" / "linked")
    os.symlink("..", tmp_path / "audit" / "real" / "loop")  # audit/real/loop is audit again
    monkeypatch.chdir(tmp_path)
    result = check("audit", *DATA, "--format", "json")
    assert result.exit_code == 1, result.output  # the Mano River proposal fails Article 4; no duplicate id
    paths = [d["path"] for d in json.loads(result.stdout)["documents"]]
    assert paths == ["audit/linked/bolivia.yaml", "audit/real/mano.yaml"]


@pytest.mark.parametrize("special", ["fifo", "device"])
def test_a_path_that_is_not_a_regular_file_is_named_for_what_it_is_and_never_opened(tmp_path, special):
    if special == "fifo":
        path = tmp_path / "proposal.yaml"
        os.mkfifo(path)
        expected = f"{path}: is a named pipe (FIFO), not a file or folder: refused unread"
    else:
        path = "/dev/null"
        expected = "/dev/null: is a device, not a file or folder: refused unread"
    # a real process with a timeout: opening a FIFO with no writer would block forever
    process = subprocess.run([sys.executable, "-m", "iompolicy", "check", str(path)], capture_output=True, text=True,
                             timeout=60)
    assert process.returncode == 2, process.stderr
    assert expected in process.stderr  # before: "no such file or folder"


def test_a_fifo_inside_a_folder_is_reported_not_skipped(tmp_path):
    shutil.copy(COMPLIANT, tmp_path / "ok.yaml")
    os.mkfifo(tmp_path / "pipe.yaml")
    process = subprocess.run([sys.executable, "-m", "iompolicy", "check", str(tmp_path), *DATA], capture_output=True,
                             text=True, timeout=60)
    assert process.returncode == 2, process.stderr
    assert f"{tmp_path / 'pipe.yaml'}: is a named pipe (FIFO)" in process.stderr


def test_a_pyproject_toml_that_is_not_utf8_is_refused_not_ignored(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    shutil.copy(COMPLIANT, tmp_path / "proposal.yaml")
    (tmp_path / "pyproject.toml").write_bytes(b'[tool.iompolicy]\n# caf\xe9\nfail_on = "warning"\n'
                                              b'paths = ["proposal.yaml"]\n')
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", *DATA])
    assert result.exit_code == 2, result.output  # before: the settings were ignored, and `fail_on` lost with them
    assert result.stderr.startswith("pyproject.toml:2:6: not UTF-8 text (byte 0xe9)")


def test_a_pyproject_toml_of_another_tool_that_is_not_utf8_is_left_alone(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    shutil.copy(COMPLIANT, tmp_path / "proposal.yaml")
    (tmp_path / "pyproject.toml").write_bytes(b'[project]\nname = "caf\xe9"\n')
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "proposal.yaml", *DATA])
    assert result.exit_code == 0, result.output


# The register is a flow mapping, whose quoted text may go on at column 0 (in a block mapping
# such a line is not valid YAML, and the loader refuses it); the comment keeps the first look
# from taking the file for JSON.
DISGUISED = """# a register
{'kind': member_states, as_of: 2017-12-31, source: "a quoted text whose second line
kind: proposal"
 , states: {BOL: {name: Bolivia, member: true, developing: true, article4: false, outstanding_contributions_usd: 0}}}
"""


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_reference_data_whose_kind_is_disguised_is_refused_not_dropped(tmp_path, jobs):
    """A first look at the text (to find reference data before any document is judged) reads
    `kind: proposal`; the file is member_states. Before: it was neither data nor checked."""
    shutil.copy(COMPLIANT, tmp_path / "a-proposal.yaml")
    (tmp_path / "registers.yaml").write_text(DISGUISED)
    result = check(tmp_path, "--format", "json", "--jobs", jobs)
    assert result.exit_code == 2, result.output
    entry = json.loads(result.stdout)["documents"][-1]
    assert entry["path"] == str(tmp_path / "registers.yaml") and entry["outcome"] == "invalid"
    (problem,) = entry["problems"]
    assert problem["code"] == "disguised_kind" and problem["line"] == 2 and problem["path"] == "$.kind"
    assert f"{tmp_path / 'registers.yaml'}:2:2: the file is reference data (`kind: member_states`)" in result.stderr


def test_a_fifo_given_as_data_or_waivers_is_refused_unread(tmp_path):
    os.mkfifo(tmp_path / "registers.yaml")
    for option in ("--data", "--waivers"):
        process = subprocess.run([sys.executable, "-m", "iompolicy", "check", str(COMPLIANT), option,
                                  str(tmp_path / "registers.yaml")], capture_output=True, text=True, timeout=60)
        assert process.returncode == 2, process.stderr  # before: blocked until something wrote to the pipe
        assert f"{tmp_path / 'registers.yaml'}: is a named pipe (FIFO), not a file or folder" in process.stderr


@pytest.mark.parametrize("spelled, expected", [
    (".", ["x.yaml", "a/y.yaml", "a/b/z.json"]),
    ("./", ["x.yaml", "a/y.yaml", "a/b/z.json"]),
    ("a/", ["a/y.yaml", "a/b/z.json"]),
    ("a//b", ["a/b/z.json"]),
    ("./a/./b", ["a/b/z.json"]),
])
def test_files_found_under_a_folder_are_named_as_pathlib_writes_them(tmp_path, monkeypatch, spelled, expected):
    """However the folder is spelled, a file found under it is named once and alike (`x.yaml`,
    not `./x.yaml`): the names are the keys of reports, baselines and waivers."""
    from iompolicy.run import discover

    (tmp_path / "a" / "b").mkdir(parents=True)
    for name in expected:
        (tmp_path / name).write_text("kind: proposal\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert discover([spelled]) == ([os.path.join(*name.split("/")) for name in expected], [])
