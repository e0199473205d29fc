"""A new user's path, end to end (issue 14's "done when"): iompolicy installed from its
wheel into a fresh virtual environment, `init`, `new proposal`, the template filled in,
`check` with the registers the settings name, a commit through pre-commit; then the
usual first mistakes. Every command and its output is the README's own ("Your first
proposal"), run as written and matched exactly; the mistakes' messages likewise.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("### Your first proposal\n"):README.index("## Reading a report\n")]
CONSOLE = re.compile(r"```console\n(.*?)```", re.DOTALL)
FILLED = re.compile(r"`([\w/.-]+\.yaml)`:\n\n```yaml\n(.*?)```", re.DOTALL)
PROPOSAL = "proposals/bolivia-climate.yaml"
HINT = "(hint: then delete the `# FILL IN` comment)"


class Shell:
    """Commands run by bash in the user's repository, with the wheel's iompolicy first on
    PATH (then the test environment's git and pre-commit), stdout and stderr as one stream."""

    def __init__(self, installed, root, home):
        self.installed, self.root = installed, root
        bin_dir = os.path.dirname(sys.executable)
        self.env = installed.env(SOURCE_DATE_EPOCH="1795942800", PYTHONUNBUFFERED="1", HOME=str(home),
                                 GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1",
                                 PRE_COMMIT_HOME=str(home / "pre-commit"), PRE_COMMIT_COLOR="never")
        self.env["PATH"] = os.pathsep.join([str(installed.bin), bin_dir, self.env["PATH"]])
        for name in [key for key in self.env if key.startswith(("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX"))]:
            del self.env[name]

    def __call__(self, command: str) -> tuple[int, str]:
        done = subprocess.run(["bash", "-c", command], cwd=self.root, env=self.env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=300)
        return done.returncode, done.stdout

    def write(self, name: str, text: str) -> None:
        (self.root / name).write_text(text, encoding="utf-8")


def sessions(text: str) -> list[tuple[str, int, str]]:
    """(command, exit status, output) of each `$ ` line of a console block; the status is
    0 unless the line ends in `# exit status N`."""
    steps = []
    for line in text.splitlines(keepends=True):
        if line.startswith("$ "):
            command, _, status = line[2:].rstrip("\n").partition("  # exit status ")
            steps.append([command, int(status or 0), ""])
        else:
            steps[-1][2] += line
    return [tuple(step) for step in steps]


@pytest.fixture(scope="module")
def walked(installed, tmp_path_factory) -> Shell:
    """The user's repository after the README's path, walked once for this module (each walk
    is some 2.5 s of processes): every command and its output as the README says."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    folder = tmp_path_factory.mktemp("walked")
    root = folder / "proposals-repo"
    root.mkdir()
    (folder / "home").mkdir()
    run = Shell(installed, root, folder / "home")
    for command in ("git init -q", "git config user.email officer@example.org",
                    "git config user.name 'Compliance Officer'", "git config commit.gpgsign false"):
        assert run(command)[0] == 0
    walk_the_readme(run)
    return run


@pytest.fixture
def shell(installed, walked, tmp_path) -> Shell:
    """A copy of the walked repository (and its home) of this test's own, to make mistakes in."""
    for name in ("proposals-repo", "home"):
        shutil.copytree(walked.root.parent / name, tmp_path / name, symlinks=True)
    return Shell(installed, tmp_path / "proposals-repo", tmp_path / "home")


def walk_the_readme(shell) -> None:
    first, second = CONSOLE.findall(SECTION)
    for command, status, output in sessions(first):
        assert shell(command) == (status, output), command
    filled = FILLED.findall(SECTION)
    assert [name for name, _ in filled] == [PROPOSAL, "registers/member-states.yaml", "registers/funded-projects.yaml"]
    for name, text in filled:
        shell.write(name, text)
    for command, status, output in sessions(second):
        assert shell(command) == (status, output), command


def test_the_readme_path_from_init_to_a_commit(walked):
    status, log = walked("git log --format=%s && git show --name-only --format= HEAD")
    assert status == 0
    assert log.splitlines()[0] == "A first proposal"
    assert {PROPOSAL, "registers/member-states.yaml", ".iompolicy.yaml", "templates/proposal.yaml"} <= set(
        log.splitlines())


def _proposal(shell) -> str:
    return (shell.root / PROPOSAL).read_text(encoding="utf-8")


def _mistake(shell, old: str, new: str) -> tuple[int, str]:
    shell.write(PROPOSAL, _proposal(shell).replace(old, new, 1))
    return shell(f"iompolicy check {PROPOSAL}")


def test_the_first_mistakes_are_said_with_their_fix(shell):
    right = _proposal(shell)
    where = f"{PROPOSAL}:"
    cases = [
        ("beneficiary_states:", "benificiary_states:",
         f"{where}9:1: $.benificiary_states: unknown field `benificiary_states` "
         "(hint: did you mean `beneficiary_states`?)"),
        ("requested_usd: 180000", 'requested_usd: "180,000"',
         f"{where}12:3: $.funding.requested_usd: '180,000' is not of type 'number' (hint: write the amount with "
         "digits only, without quotes, commas or a currency sign: `180000`)"),
        ("submitted_on: 2026-03-02", "submitted_on: 02/03/2026",
         f"{where}5:1: $.submitted_on: '02/03/2026' is not a 'date' (hint: write the date as YYYY-MM-DD (year, "
         "month, day): `2026-03-02` for 2 March 2026, or `2026-02-03` for 3 February 2026)"),
        ("  line: 2", "\tline: 2",
         f"{where}11:1: not valid YAML: this line is indented with a tab (hint: YAML indents with spaces only: "
         "replace the tab with spaces)"),
    ]
    for old, new, said in cases:
        shell.write(PROPOSAL, right)
        status, output = _mistake(shell, old, new)
        assert status == 2, output
        assert said in output.splitlines(), output
        assert "0 documents:" not in output and "required property" not in output
    shell.write(PROPOSAL, right)


def test_a_state_the_register_lacks_is_named_and_the_commit_refused(shell):
    peru = _proposal(shell).replace("BOL", "PER")
    shell.write(PROPOSAL, peru)
    status, output = shell(f"iompolicy check {PROPOSAL}")
    assert status == 1, output
    said = "`PER` is not in the `member_states` register (registers/member-states.yaml, as of 2026-01-31)"
    assert f"`lead.member` is missing, as {said}" in " ".join(SECTION.split())  # as the README says
    assert ("      could not decide `lead.member == true and lead.developing == true`: `lead.member` is missing, "
            f"as {said}") in output.splitlines()
    status, output = shell("git add -A && git commit -q -m 'A proposal of Peru'")
    assert status == 1, output
    assert output.startswith("iompolicy................................................................Failed\n")
    assert f"{PROPOSAL}:6:1: error (undecided) part3.applicant_developing_member_state [III] " \
           "The applicant is a developing Member State" in output
    assert shell("git rev-list --count HEAD") == (0, "1\n")  # nothing was committed


def test_data_not_given_is_said_with_its_fix(shell):
    status, output = shell(f"iompolicy check {PROPOSAL} --data registers/member-states.yaml")
    assert status == 0, output  # no clause that applies reads the funded projects: said, not failed
    assert ("note: reference data `funded_projects` was not given: clauses that read it are undecided (hint: "
            "registers/funded-projects.yaml, listed under `data:` in .iompolicy.yaml, was not used because --data "
            "replaces that list)") in output.splitlines()
    shutil.move(shell.root / ".iompolicy.yaml", shell.root / "settings.yaml")
    status, output = shell(f"iompolicy check {PROPOSAL}")
    assert status == 1, output  # without the register, the eligibility clauses are undecided
    assert ("note: reference data `member_states` was not given: clauses that read it are undecided (hint: "
            "registers/member-states.yaml, found next to the documents, has it: add `--data "
            "registers/member-states.yaml` or list it under `data:` in .iompolicy.yaml)") in output.splitlines()
