"""Settings files (.iompolicy.yaml, [tool.iompolicy]), hook-friendly behaviour and the progress bar."""

from __future__ import annotations

import json

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT
from iompolicy import config as settings
from iompolicy.cli import main
from iompolicy.cli.check import PROGRESS_AFTER

EXAMPLES = ROOT / "examples"
OVER_CEILING = EXAMPLES / "proposals" / "04-tajikistan-border-over-ceiling.yaml"
COMPLIANT = EXAMPLES / "proposals" / "01-bolivia-climate-line2-national.yaml"
CALENDAR = EXAMPLES / "governance" / "calendar-2007-subcommittee.yaml"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A repository of proposals: registers in data/, proposals in proposals/, cwd at its root."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)  # where the search for settings stops
    (root / "data").mkdir()
    (root / "proposals").mkdir()
    for register in (EXAMPLES / "data").glob("*.yaml"):
        shutil.copy(register, root / "data")
    shutil.copy(OVER_CEILING, root / "proposals")
    shutil.copy(COMPLIANT, root / "proposals")
    monkeypatch.chdir(root)
    return root


DATA_YAML = "data: [data/member-states.yaml, data/funded-projects.yaml]\n"


def test_yaml_settings_give_paths_and_data(repo):
    (repo / ".iompolicy.yaml").write_text("paths: [proposals/]\n" + DATA_YAML)
    result = run("check")
    assert result.exit_code == 1, result.output
    assert "proposals/04-tajikistan-border-over-ceiling.yaml:18:3: error part3.line2_national_ceiling" in result.output
    assert result.output.splitlines()[-1].startswith("2 documents: 1 passed, 1 failed; 38 clause results: 19 passed, 1 failed, 0 undecided")


def test_settings_are_found_from_a_subfolder_and_paths_are_relative_to_the_file(repo, monkeypatch):
    (repo / ".iompolicy.yaml").write_text("paths: [proposals]\n" + DATA_YAML)
    monkeypatch.chdir(repo / "proposals")
    result = run("check")
    assert result.exit_code == 1, result.output
    assert "\n  04-tajikistan-border-over-ceiling.yaml:18:3: error part3.line2_national_ceiling" in result.output


def test_search_stops_at_the_repository_root(tmp_path, monkeypatch):
    (tmp_path / ".iompolicy.yaml").write_text("paths: [x]\nbogus: 1\n")  # outside the repository
    inner = tmp_path / "repo"
    (inner / ".git").mkdir(parents=True)
    monkeypatch.chdir(inner)
    assert settings.find() is None
    result = run("check")
    assert result.exit_code == 2
    assert "nothing to check: give PATHS, or list them as `paths`" in result.output


def test_pyproject_table(repo):
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "proposals"\n\n[tool.iompolicy]\npaths = ["proposals"]\n'
        'data = ["data/member-states.yaml", "data/funded-projects.yaml"]\nskip = ["III.5.2"]\n')
    found = settings.find()
    assert found == repo / "pyproject.toml"
    config = settings.load(found)
    assert config.skip == ("III.5.2",)
    assert config.data == (str(repo / "data" / "member-states.yaml"), str(repo / "data" / "funded-projects.yaml"))
    assert run("check").exit_code == 0  # the failing clause is skipped


def test_pyproject_without_the_table_is_not_a_settings_file(repo):
    (repo / "pyproject.toml").write_text('[project]\nname = "iompolicy-proposals"\n')
    assert settings.find() is None


def test_both_files_is_an_error(repo):
    (repo / ".iompolicy.yaml").write_text(DATA_YAML)
    (repo / "pyproject.toml").write_text('[tool.iompolicy]\nfail_on = "warning"\n')
    result = run("check", "proposals")
    assert result.exit_code == 2
    assert "keep them in one file" in result.output


def test_command_line_overrides_settings(repo):
    (repo / ".iompolicy.yaml").write_text("paths: [proposals/]\n" + DATA_YAML + "skip: [III.5.2]\nformat: json\n")
    assert run("check").output.lstrip().startswith("{")
    overridden = run("check", "proposals/04-tajikistan-border-over-ceiling.yaml", "--skip", "III.1",
                     "--format", "text")
    assert overridden.exit_code == 1
    assert "part3.line2_national_ceiling" in overridden.output
    assert overridden.output.splitlines()[-1].startswith("1 document:")


def test_every_report_format_can_be_set(repo):
    """Regression: the settings kept their own list of formats and refused `jsonl`."""
    (repo / ".iompolicy.yaml").write_text("paths: [proposals/]\n" + DATA_YAML + "format: jsonl\n")
    lines = run("check").output.splitlines()
    assert json.loads(lines[-1])["summary"]["documents"] == len(lines) - 1 > 0


def test_fail_on_from_settings(repo):
    shutil.copy(CALENDAR, repo / "calendar.yaml")
    args = ("check", "calendar.yaml", "--skip", "II.2", "--skip", "II.4")
    assert run(*args).exit_code == 0
    (repo / ".iompolicy.yaml").write_text("fail_on: warning\n")
    assert run(*args).exit_code == 1
    assert run(*args, "--fail-on", "error").exit_code == 0


def test_policies_from_settings_apply_to_every_command(repo):
    shutil.copytree(ROOT / "policies", repo / "my-policies", ignore=shutil.ignore_patterns("tests"))
    (repo / "my-policies" / "broken.iom").write_text("policy p {\n")
    (repo / ".iompolicy.yaml").write_text("policies: my-policies\n")
    for args in (("check", "proposals"), ("list",), ("lint",), ("explain", "III.5.2")):
        result = run(*args)
        assert result.exit_code == 2, args
        assert "broken.iom:" in result.output, args
    assert run("--config", repo / "elsewhere.yaml", "list").exit_code == 2  # no such file


def test_explicit_config_file(repo, tmp_path):
    other = tmp_path / "ci.yaml"
    other.write_text("paths: [repo/proposals/01-bolivia-climate-line2-national.yaml]\n"
                     "data: [repo/data/member-states.yaml, repo/data/funded-projects.yaml]\n")
    (repo / ".iompolicy.yaml").write_text("bogus: 1\n")  # not read: --config wins
    result = run("--config", other, "check")
    assert result.exit_code == 0, result.output
    assert "01-bolivia-climate-line2-national.yaml (proposal" in result.output


WAIVER_OF_A_PASSING_CLAUSE = """kind: waivers
waivers:
  - id: W-1
    clause: III.5.2
    documents: [IDF-2016-BOL-01]
    reason: test
    approved_by: test
    decision: test
    granted: 2016-01-01
    expires: 2016-12-31
"""


def test_settings_name_the_waivers(repo):
    (repo / ".iompolicy.yaml").write_text("paths: [proposals/01-bolivia-climate-line2-national.yaml]\n"
                                          + DATA_YAML + "waivers: waivers.yaml\n")
    assert settings.load(repo / ".iompolicy.yaml").waivers == str(repo / "waivers.yaml")
    missing = run("check")
    assert missing.exit_code == 2
    assert "waivers.yaml: no such file" in missing.output
    (repo / "waivers.yaml").write_text(WAIVER_OF_A_PASSING_CLAUSE)
    result = run("check")
    assert result.exit_code == 0, result.output
    assert "waiver W-1 covers part3.line2_national_ceiling on proposals/01-bolivia-climate-line2-national.yaml" \
        ", which passed: the waiver is not needed" in result.output
    assert "waiver" not in run("check", "--no-waivers").output


@pytest.mark.parametrize("file, content, expected", [
    (".iompolicy.yaml", "paths: [proposals]\nfail-on: warning\n",
     ".iompolicy.yaml:2:1: unknown setting `fail-on` (did you mean `fail_on`?)"),
    (".iompolicy.yaml", "paths: proposals\n",
     ".iompolicy.yaml:1:1: `paths` must be a list of text (`paths: [proposals]`), not text"),
    (".iompolicy.yaml", "data:\n  - data/member-states.yaml\n  - 3\n",
     ".iompolicy.yaml:3:5: `data` item 2 must be non-empty text"),
    (".iompolicy.yaml", "\n\nfail_on: never\n",
     ".iompolicy.yaml:3:1: `fail_on` must be one of error, warning, not `never`"),
    (".iompolicy.yaml", "format: pdf\n",
     ".iompolicy.yaml:1:1: `format` must be one of text, json, jsonl, sarif, junit, markdown, html, github, not `pdf`"),
    (".iompolicy.yaml", "policies: [a, b]\n", ".iompolicy.yaml:1:1: `policies` must be a path (text), not a list"),
    (".iompolicy.yaml", "waivers: 3\n", ".iompolicy.yaml:1:1: `waivers` must be a path (text), not a number"),
    (".iompolicy.yaml", "only: III.5\n", ".iompolicy.yaml:1:1: `only` must be a list of text"),
    (".iompolicy.yaml", "skip: [III.5]\nskip: [III.1]\n",
     ".iompolicy.yaml:2:1: the key `skip` is written twice in this mapping (lines 1 and 2)"),
    (".iompolicy.yaml", "- paths\n", ".iompolicy.yaml:1:1: the settings must be a mapping"),
    (".iompolicy.yaml", "paths: [proposals\n", ".iompolicy.yaml:2:1: not valid YAML"),
    ("pyproject.toml", '[tool.iompolicy]\npaths = ["proposals"]\n\nfail-on = "warning"\n',
     "pyproject.toml:4:1: unknown setting `fail-on`"),
    ("pyproject.toml", '[tool.iompolicy]\ndata = "data/member-states.yaml"\n',
     "pyproject.toml:2:1: `data` must be a list of text"),
    ("pyproject.toml", '[tool.iompolicy]\nformat = 3\n', "pyproject.toml:2:1: `format` must be one of"),
    ("pyproject.toml", '[tool]\niompolicy = 3\n', "pyproject.toml:2:1: `tool.iompolicy` must be a table"),
    # every refusal of a setting has its column too (issue 19: `file:line:col:`)
    (".iompolicy.yaml", "paths: [proposals]\nreadings:\n    cap_lines: 3\n",
     ".iompolicy.yaml:3:5: the reading of `cap_lines` must be non-empty text, not a number"),
    ("pyproject.toml", '[tool.iompolicy]\n  paths = ["proposals"]\n  format = "pdf"\n',
     "pyproject.toml:3:3: `format` must be one of"),
    ("pyproject.toml", 'tool.iompolicy = "x"\n', "pyproject.toml:1:1: `tool.iompolicy` must be a table"),
    ("pyproject.toml", '[tool]\n  iompolicy = 3\n', "pyproject.toml:2:3: `tool.iompolicy` must be a table"),
    ("pyproject.toml", '[tool.iompolicy\npaths = []\n', "pyproject.toml:1:16: not valid TOML: Expected ']' at the end of a table declaration"),
])
def test_bad_settings_exit_2_with_the_line_and_column(repo, file, content, expected):
    (repo / file).write_text(content)
    result = run("check", "proposals")
    assert result.exit_code == 2
    assert expected in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("content, expected", [
    ("paths: [proposals]\npolicies: nope/\n",
     "nope:1:1: error[no_policies]: no such folder of policies (named at .iompolicy.yaml:2:1)"),
    ("paths: [proposals]\ndata:\n  - data/member-states.yaml\n  - data/nope.yaml\n",
     "data/nope.yaml: no such file (named at .iompolicy.yaml:4:5)"),
    ("paths: [proposals]\nwaivers: nope.yaml\n", "nope.yaml: no such file (named at .iompolicy.yaml:2:1)"),
    ("paths: [proposals, drafts]\n", "drafts: no such file or folder (named at .iompolicy.yaml:1:20)"),
])
def test_a_path_the_settings_name_is_refused_with_where_they_name_it(repo, content, expected):
    """A missing folder or file named in the settings was refused with its path alone
    (the policy folder not even with that): the user had to find where it was named."""
    (repo / ".iompolicy.yaml").write_text(content)
    result = run("check")
    assert result.exit_code == 2
    assert expected in result.stderr.splitlines(), result.stderr


def test_a_path_given_on_the_command_line_is_not_said_to_come_from_the_settings(repo):
    (repo / ".iompolicy.yaml").write_text("paths: [proposals]\ndata: [data/nope.yaml]\n")
    result = run("check", "proposals", "--data", "data/nope.yaml")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["data/nope.yaml: no such file"]


def test_config_file_given_must_exist(repo):
    result = run("--config", "nope.yaml", "check", "proposals")
    assert result.exit_code == 2
    assert "nope.yaml: no such settings file" in result.output


# -- as a pre-commit hook: PATHS are the staged files ---------------------------

def test_data_files_named_among_paths_are_data_once(repo):
    (repo / ".iompolicy.yaml").write_text(DATA_YAML)
    result = run("check", "data/member-states.yaml", "proposals/01-bolivia-climate-line2-national.yaml")
    assert result.exit_code == 0, result.output
    assert "also given by" not in result.output
    assert result.output.splitlines()[-1].startswith("1 document: 1 passed, 0 failed; 19 clause results: 10 passed")


def test_a_data_file_named_among_paths_in_another_spelling_is_still_data_once(repo):
    (repo / ".iompolicy.yaml").write_text(DATA_YAML)
    (repo / "registers").symlink_to(repo / "data")
    for spelling in ("./data/../data/member-states.yaml", "registers/member-states.yaml"):
        result = run("check", spelling, "proposals/01-bolivia-climate-line2-national.yaml")
        assert result.exit_code == 0, result.output
        assert result.output.splitlines()[-1].startswith("1 document: 1 passed, 0 failed"), spelling


def test_only_reference_data_given_is_nothing_to_check_and_passes(repo):
    (repo / ".iompolicy.yaml").write_text(DATA_YAML)
    result = run("check", "data/member-states.yaml", "data/funded-projects.yaml")
    assert result.exit_code == 0
    assert "no documents to check among the given files" in result.output
    (repo / ".iompolicy.yaml").unlink()  # no settings: the registers are still reference data
    assert run("check", "data/member-states.yaml").exit_code == 0


def test_no_documents_is_still_an_error_otherwise(repo, tmp_path):
    (repo / "empty").mkdir()
    assert run("check", "empty").exit_code == 2
    (repo / "registers").mkdir()
    shutil.copy(repo / "data" / "member-states.yaml", repo / "registers")
    folder = run("check", "registers")  # a folder with only data in it: not a file given
    assert folder.exit_code == 2
    assert "no documents to check were found in registers" in folder.output
    (repo / "notes.yaml").write_text("title: not a document\n")
    mixed = run("check", "data/member-states.yaml", "notes.yaml")
    assert mixed.exit_code == 2
    assert "has no `kind` field" in mixed.output


# -- the progress bar -----------------------------------------------------------

@pytest.fixture
def big_audit(tmp_path):
    folder = tmp_path / "big"
    folder.mkdir()
    text = Path(COMPLIANT).read_text(encoding="utf-8")
    for number in range(PROGRESS_AFTER + 5):  # each with its own id: one run never has two documents of one id
        (folder / f"proposal-{number:03}.yaml").write_text(text.replace("IDF-2016-BOL-01", f"IDF-2016-BOL-{number:03}"))
    for register in (EXAMPLES / "data").glob("*.yaml"):
        shutil.copy(register, folder)
    return folder


def test_no_progress_bar_when_stderr_is_not_a_terminal(big_audit):
    result = run("check", big_audit)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert "checking" not in result.output and "%" not in result.output
    piped = subprocess.run([sys.executable, "-c", "from iompolicy.cli import run; run()", "check", str(big_audit)],
                           capture_output=True, text=True, cwd=ROOT)
    assert piped.returncode == 0
    assert piped.stderr == ""


def _on_a_terminal(*args) -> tuple[int, str, str]:
    """Run iompolicy with stderr on a pseudo-terminal: exit status, stdout, what the terminal got."""
    import pty  # POSIX only

    primary, secondary = pty.openpty()
    process = subprocess.Popen([sys.executable, "-c", "from iompolicy.cli import run; run()", *map(str, args)],
                               stdout=subprocess.PIPE, stderr=secondary, cwd=ROOT)
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:  # EIO: the process has ended and closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    stdout = process.stdout.read().decode()
    process.stdout.close()
    process.wait()
    os.close(primary)
    return process.returncode, stdout, b"".join(chunks).decode()


def test_progress_bar_on_a_terminal(big_audit):
    status, stdout, terminal = _on_a_terminal("check", big_audit)
    assert status == 0
    assert "checking" in terminal and "100%" in terminal
    assert "checking" not in stdout  # the report stays clean
    assert stdout.splitlines()[-1].startswith(f"{PROGRESS_AFTER + 5} documents:")


def test_no_progress_bar_for_a_small_audit_on_a_terminal():
    status, stdout, terminal = _on_a_terminal("check", EXAMPLES)
    assert status == 1
    assert terminal == ""


def test_hooks_manifest_is_valid():
    """The hook this repository offers to other repositories (.pre-commit-hooks.yaml)."""
    import yaml

    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "iompolicy"
    assert hook["entry"] == "iompolicy check"
    assert hook["language"] == "python"
    assert hook["types_or"] == ["yaml", "json"]
    assert hook["pass_filenames"] is True and hook["require_serial"] is True
    pre_commit = shutil.which("pre-commit", path=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    assert pre_commit, "pre-commit is a test dependency: pip install -e '.[test]'"
    checked = subprocess.run([pre_commit, "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
