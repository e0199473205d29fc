"""iompolicy installed from a wheel into a fresh virtual environment, as a user without
the repository has it (the rest of the suite runs on the editable install, which
serves any file of the checkout).

The wheel is built from a copy of the sources (building writes beside
pyproject.toml) with the setuptools the tests already have, then installed with
`pip --python` into a virtual environment made without pip (fast, and offline:
`--no-index --no-deps`). Its dependencies are not downloaded: a `.pth` file
appends the test environment's site-packages to the new environment's path, after
its own, so `iompolicy` itself can only come from the wheel (a test checks that).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from conftest import ROOT

SOURCES = ("pyproject.toml", "README.md", "LICENSE", "iompolicy", "policies", "schemas", "examples")


class Installed:
    """A virtual environment holding iompolicy from a wheel: its `python`, its `bin`
    folder, the `wheel` file, and `run` for a command with the environment's bin first
    on PATH."""

    def __init__(self, root: Path, wheel: Path):
        self.root = root
        self.wheel = wheel
        self.bin = root / ("Scripts" if os.name == "nt" else "bin")
        self.python = self.bin / ("python.exe" if os.name == "nt" else "python")

    def env(self, **extra: str) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "IOMPOLICY_DEBUG")}
        env.update(PATH=os.pathsep.join([str(self.bin), env.get("PATH", "")]), VIRTUAL_ENV=str(self.root),
                   NO_COLOR="1", **extra)
        return env

    def run(self, *args, cwd: Path, input: str | None = None, **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(a) for a in args], cwd=cwd, env=self.env(**extra), input=input,
                              capture_output=True, text=True, timeout=300)


def copy_sources(source: Path) -> Path:
    """A copy of what a build of the checkout reads, in `source` (building writes beside it)."""
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy(ROOT / name, source / name)
    return source


def build_wheel(workspace: Path) -> Path:
    """The wheel of the checkout, built from a copy in `workspace`."""
    source = copy_sources(workspace / "source")
    dist = workspace / "dist"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index", "--no-build-isolation",
                            "-q", "-w", str(dist), str(source)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = dist.glob("iompolicy-*.whl")
    return wheel


def install(workspace: Path) -> Installed:
    """A fresh virtual environment in `workspace` with iompolicy installed from its wheel."""
    wheel = build_wheel(workspace)
    root = workspace / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=120)
    installed = Installed(root, wheel)
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(installed.python), "install", "-q",
                           "--no-deps", "--no-index", str(wheel)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    site = subprocess.run([str(installed.python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # The dependencies (and pre-commit) of the test environment, after the new environment's own packages.
    Path(site, "_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return installed
