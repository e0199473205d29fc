"""`--format github` (issue 15): GitHub Actions workflow commands, one annotation per
failing clause, escaped so that a value cannot end a command or start another."""

from __future__ import annotations

import json
import os
import re
import shutil

from click.testing import CliRunner

from conftest import ROOT
from iompolicy.cli import main

DATA = [arg for name in ("member-states.yaml", "funded-projects.yaml")
        for arg in ("--data", str(ROOT / "examples" / "data" / name))]
COMMAND = re.compile(r"^::(error|warning|notice)(?: ([^:]*))?::(.*)$")


def unescape(text: str) -> str:
    return text.replace("%3A", ":").replace("%2C", ",").replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


def commands(output: str) -> list[tuple[str, dict, str]]:
    """The workflow commands as GitHub's runner reads them: `::level key=value,...::message`."""
    found = []
    for line in output.splitlines():
        match = COMMAND.match(line)
        if match:
            properties = dict(item.split("=", 1) for item in (match.group(2) or "").split(",") if item)
            found.append((match.group(1), {k: unescape(v) for k, v in properties.items()}, unescape(match.group(3))))
    return found


def test_each_failing_clause_is_an_annotation_on_its_line(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["check", "examples/", "--format", "github"])
    assert result.exit_code == 1
    report = json.loads(CliRunner().invoke(main, ["check", "examples/", "--format", "json"]).stdout)
    expected = []
    for document in report["documents"]:
        for r in document["results"]:
            if r["outcome"] in ("fail", "error"):
                expected.append((r["severity"], {"file": document["path"], "line": str(r["location"]["line"]),
                                                 "col": str(r["location"]["column"])}, r["clause"], r["outcome"]))
    annotations = [c for c in commands(result.stdout) if c[0] != "notice"]
    assert len(annotations) == len(expected) == 16
    for (level, properties, message), (severity, where, clause, outcome) in zip(annotations, expected):
        assert level == severity and {k: properties[k] for k in where} == where
        assert properties["title"].startswith(clause) and ("could not be decided" in properties["title"]) == (
            outcome == "error")
        assert "\u201c" in message  # the quoted sentence of the Strategy
    assert result.stdout.splitlines()[-1].startswith("17 documents:")


def test_a_waived_failure_is_a_notice(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["check", "examples/", "--waivers", "examples/waivers.yaml", "--format", "github"])
    waived = [c for c in commands(result.stdout) if c[0] == "notice" and "waived" in c[1].get("title", "")]
    assert waived and all(c[2].startswith("waived by ") for c in waived)


def test_a_file_name_cannot_end_a_property_or_forge_a_command(tmp_path):
    name = "a,line=1,title=all clear::x\n::notice::forged.yaml"
    shutil.copy(ROOT / "examples" / "proposals" / "04-tajikistan-border-over-ceiling.yaml",
                os.path.join(tmp_path, name))
    result = CliRunner().invoke(main, ["check", str(tmp_path), *DATA, "--format", "github"])
    assert result.exit_code == 1
    found = commands(result.stdout)
    assert [c[0] for c in found] == ["error"]  # no forged notice
    (level, properties, message), = found
    assert properties["file"] == str(tmp_path / name) and properties["line"] == "18"
    assert message.startswith("requested USD 235,000")
