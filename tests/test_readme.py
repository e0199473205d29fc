"""The README's examples are real: each `$ iompolicy ...` block is run and compared."""

from __future__ import annotations

import re
import shlex

from click.testing import CliRunner

from conftest import ROOT
from iompolicy.cli import main

BLOCK = re.compile(r"```text\n\$ (iompolicy [^\n]+)\n(.*?)```", re.DOTALL)


README_START = "1795942800"  # 2026-11-29T09:00:00Z: the start time the README's provenance lines show


def test_readme_shows_real_output(monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", README_START)
    blocks = BLOCK.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    assert blocks, "the README shows no command output"
    for command, expected in blocks:
        result = CliRunner().invoke(main, shlex.split(command)[1:])
        assert result.output == expected, command


def test_readme_quick_start_commands_match_ci():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = 'pip install -e ".[test]" && python -m pytest'
    assert test_command in readme
    assert ci.strip().splitlines()[-1] == test_command
    assert "pip install -e . && iompolicy check examples/" in readme
