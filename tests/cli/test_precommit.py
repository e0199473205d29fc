"""iompolicy as a pre-commit hook, run by the real `pre-commit` in a throw-away git repository.

No network: the hook is a `repo: local` hook of `language: system` (the installed
`iompolicy`), and PRE_COMMIT_HOME is a temporary folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

EXAMPLES = ROOT / "examples"
OVER_CEILING = EXAMPLES / "proposals" / "04-tajikistan-border-over-ceiling.yaml"
COMPLIANT = EXAMPLES / "proposals" / "01-bolivia-climate-line2-national.yaml"

PRE_COMMIT_CONFIG = """\
repos:
  - repo: local
    hooks:
      - id: iompolicy
        name: iompolicy
        entry: iompolicy check
        language: system
        types_or: [yaml, json]
        exclude: '(^|/)\\.'
        pass_filenames: true
        require_serial: true
"""

SETTINGS = """\
# Settings of this repository of proposals (paths are relative to this file).
paths: [proposals/]
data:
  - data/member-states.yaml
  - data/funded-projects.yaml
"""


class Repository:
    def __init__(self, root: Path, env: dict[str, str]):
        self.root = root
        self.env = env

    def git(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", *args], cwd=self.root, env=self.env, capture_output=True, text=True)

    def commit(self, message: str, *files: Path, to: str = "proposals") -> subprocess.CompletedProcess:
        for file in files:
            shutil.copy(file, self.root / to / file.name)
        added = self.git("add", "-A")
        assert added.returncode == 0, added.stderr
        return self.git("commit", "-m", message)


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Repository:
    """The repository with the local hook, made once for this module (some 1.5 s of git and pre-commit)."""
    return make_repository(tmp_path_factory.mktemp("made"), PRE_COMMIT_CONFIG)


@pytest.fixture
def repository(made, tmp_path) -> Repository:
    """A copy of the made repository (and its pre-commit home) of this test's own."""
    for name in ("home", "pre-commit-home", "proposals-repo"):
        shutil.copytree(made.root.parent / name, tmp_path / name, symlinks=True)
    return Repository(tmp_path / "proposals-repo", _environment(tmp_path))


def _environment(tmp_path, **extra_env: str) -> dict[str, str]:
    """The environment of git and pre-commit for a repository under `tmp_path`: the test
    environment's `iompolicy` and `pre-commit` first on PATH, a home and a pre-commit home of its own."""
    bin_dir = Path(sys.executable).parent  # where pip put `iompolicy` and `pre-commit`
    path = str(bin_dir) + os.pathsep + os.environ.get("PATH", "")
    assert shutil.which("pre-commit", path=path), "pre-commit is a test dependency: pip install -e '.[test]'"
    assert shutil.which("iompolicy", path=path), "iompolicy is not installed: pip install -e ."
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(PATH=path, HOME=str(tmp_path / "home"), PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
               GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", NO_COLOR="1", PRE_COMMIT_COLOR="never",
               **extra_env)
    return env


def make_repository(tmp_path, config: str, first: str = "Passed", **extra_env: str) -> Repository:
    """A git repository of proposals with `config` as its .pre-commit-config.yaml, the
    settings and the example registers committed through the hook (which says `first`)."""
    env = _environment(tmp_path, **extra_env)
    pre_commit = shutil.which("pre-commit", path=env["PATH"])
    (tmp_path / "home").mkdir(parents=True)
    root = tmp_path / "proposals-repo"
    (root / "data").mkdir(parents=True)
    (root / "proposals").mkdir()
    repo = Repository(root, env)
    for args in (("init", "-q"), ("config", "user.email", "officer@example.org"),
                 ("config", "user.name", "Compliance Officer"), ("config", "commit.gpgsign", "false")):
        done = repo.git(*args)
        assert done.returncode == 0, done.stderr
    (root / ".pre-commit-config.yaml").write_text(config)
    (root / ".iompolicy.yaml").write_text(SETTINGS)
    for register in sorted((EXAMPLES / "data").glob("*.yaml")):
        shutil.copy(register, root / "data")
    installed = subprocess.run([pre_commit, "install"], cwd=root, env=env, capture_output=True, text=True)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    # The first commit holds only settings and registers: reference data, nothing to check.
    done = repo.commit("Settings and registers")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "iompolicy" in done.stdout + done.stderr and first in done.stdout + done.stderr
    return repo


def test_a_non_compliant_proposal_is_refused(repository):
    refused = repository.commit("Add the Tajikistan proposal", OVER_CEILING)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "part3.line2_national_ceiling" in output
    assert "proposals/04-tajikistan-border-over-ceiling.yaml:18:3: error part3.line2_national_ceiling [III.5.2]" in output
    assert repository.git("rev-list", "--count", "HEAD").stdout.strip() == "1"  # nothing was committed


def test_a_compliant_proposal_goes_through(repository):
    accepted = repository.commit("Add the Bolivia proposal", COMPLIANT)
    output = accepted.stdout + accepted.stderr
    assert accepted.returncode == 0, output
    assert "Passed" in output
    assert repository.git("rev-list", "--count", "HEAD").stdout.strip() == "2"
    assert "proposals/01-bolivia-climate-line2-national.yaml" in repository.git("show", "--name-only", "HEAD").stdout


def test_a_change_to_a_register_alone_goes_through(repository):
    register = repository.root / "data" / "member-states.yaml"
    register.write_text(register.read_text() + "# reviewed\n")
    accepted = repository.commit("Review the member-state register")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr


def test_the_readmes_remote_configuration_works_as_written_against_a_local_clone(tmp_path):
    """The README's command, run in a clone of this repository, prints a configuration that
    pre-commit installs iompolicy from (built from the clone's commit) and runs."""
    import re
    import sysconfig

    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## pre-commit\n"):]
    command = re.search(r"```sh\n(printf [^\n]+)\n```", section).group(1)
    clone = tmp_path / "iompolicy"
    cloned = subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], capture_output=True, text=True)
    assert cloned.returncode == 0, cloned.stderr
    printed = subprocess.run(["bash", "-c", command], cwd=clone, capture_output=True, text=True)
    assert printed.returncode == 0, printed.stderr
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=clone, capture_output=True, text=True).stdout.strip()
    assert printed.stdout == (f"repos:\n  - repo: {ROOT}\n    rev: {head}\n    hooks:\n      - id: iompolicy\n"
                              "        files: ^(proposals|budgets|governance|registers)/\n")
    # Offline: pre-commit builds iompolicy from the clone's commit without an index; its
    # dependencies (and the build's setuptools) come from this test environment's packages.
    repository = make_repository(tmp_path / "work", printed.stdout, "(no files to check)Skipped", PIP_NO_INDEX="1", PIP_NO_DEPS="1",
                                 PIP_NO_BUILD_ISOLATION="0", PYTHONPATH=sysconfig.get_paths()["purelib"])
    refused = repository.commit("Add the Tajikistan proposal", OVER_CEILING)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "iompolicy (IOM Strategy)....." in output and "Failed" in output  # the hook of .pre-commit-hooks.yaml
    assert "proposals/04-tajikistan-border-over-ceiling.yaml:18:3: error part3.line2_national_ceiling [III.5.2]" in output
    (repository.root / "proposals" / OVER_CEILING.name).unlink()
    accepted = repository.commit("Add the Bolivia proposal", COMPLIANT)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    environments = list((tmp_path / "work" / "pre-commit-home").glob("repo*/py_env-*/bin/iompolicy"))
    assert environments, "pre-commit did not install iompolicy in an environment of its own"
