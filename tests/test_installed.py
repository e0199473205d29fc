"""iompolicy installed from a wheel, not cloned (issue 14): the shipped policies, their
tests and the Python API work from any folder, and the wheel carries the licence."""

from __future__ import annotations

import re
import shutil
import tomllib
import zipfile

from conftest import ROOT

EXAMPLES = ROOT / "examples"


def test_the_package_comes_from_the_wheel(installed, tmp_path):
    shown = installed.run(installed.python, "-c", "import iompolicy, sys; print(iompolicy.__file__)", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(str(installed.root)), shown.stdout  # not the checkout's editable install


def test_the_wheel_carries_the_licence_of_pyproject(installed):
    licence = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]["text"]
    assert licence == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n")
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = wheel.namelist()
        metadata = wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert any(re.search(r"\.dist-info/(licenses/)?LICENSE$", name) for name in names), names
    assert "License: MIT" in metadata or "License-Expression: MIT" in metadata


def test_policy_tests_run_on_an_installed_package(installed, tmp_path):
    result = installed.run("iompolicy", "test", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.fullmatch(r"fixes: made and verified for \d+ of \d+ clauses; \d+ fail only on reference data\n"
                        r"\d+ cases, 0 mismatches; 100\.0% of \d+ clauses seen both passing and failing "
                        r"\(minimum 100%\)\n", result.stdout), result.stdout


def test_the_api_example_works_from_any_folder(installed, tmp_path):
    """docs/api.md's five lines, run as they are in a folder holding only the user's files."""
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    example = re.search(r"## In five lines\n\n```python\n(.*?)```", text, re.DOTALL).group(1)
    shutil.copy(EXAMPLES / "proposals" / "04-tajikistan-border-over-ceiling.yaml", tmp_path / "proposal.yaml")
    for register in ("member-states.yaml", "funded-projects.yaml"):
        shutil.copy(EXAMPLES / "data" / register, tmp_path / register)
    result = installed.run(installed.python, "-c", example, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "fail ['part3.line2_national_ceiling']\n"


def test_shipped_names_the_shipped_policies(installed, tmp_path):
    script = ("from iompolicy import PolicySet\n"
              "a, b = PolicySet.shipped(), PolicySet.load('shipped')\n"
              "print(len(a.clauses()), [c.id for c in a.clauses()] == [c.id for c in b.clauses()])\n")
    result = installed.run(installed.python, "-c", script, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    count = sum(1 for path in (ROOT / "policies").glob("*.iom")
                for line in path.read_text().splitlines() if line.startswith("clause "))
    assert result.stdout == f"{count} True\n"


def test_installed_check_of_a_proposal_from_another_folder(installed, tmp_path):
    result = installed.run("iompolicy", "check", EXAMPLES / "proposals" / "04-tajikistan-border-over-ceiling.yaml",
                           "--data", EXAMPLES / "data" / "member-states.yaml", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "error part3.line2_national_ceiling [III.5.2]" in result.stdout
