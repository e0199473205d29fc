"""What a normal (not editable) install holds: every package and the shipped data.

The tests otherwise run on an editable install, whose finder serves any module of
the source tree, so a package missing from pyproject.toml would go unseen."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib

import click
import yaml

from conftest import ROOT
from wheelkit import copy_sources


def test_every_package_of_the_source_tree_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(path.parent.relative_to(ROOT).parts) for path in (ROOT / "iompolicy").rglob("__init__.py")}
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"


def test_the_built_package_runs_a_check(tmp_path):
    source = copy_sources(tmp_path / "source")  # a copy: building writes iompolicy.egg-info beside pyproject.toml
    build = tmp_path / "lib"
    built = subprocess.run([sys.executable, "-c", "from setuptools import setup; setup()", "-q", "build_py",
                            "--build-lib", str(build)], cwd=source, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    # Only the built package and its dependencies: no site-packages, so no editable finder.
    dependencies = {os.path.dirname(os.path.dirname(module.__file__)) for module in (yaml, click)}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(build), *sorted(dependencies)]),
           "IOMPOLICY_NO_CACHE": "1"}
    proposal = ROOT / "examples" / "proposals" / "04-tajikistan-border-over-ceiling.yaml"
    data = ROOT / "examples" / "data" / "member-states.yaml"
    result = subprocess.run([sys.executable, "-S", "-m", "iompolicy", "check", str(proposal), "--data", str(data)],
                            cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 1, result.stderr  # the shipped policies, found inside the built package
    assert "part3.line2_national_ceiling [III.5.2]" in result.stdout
