"""Machine formats stay valid whatever a file name holds (issue 19, "Nothing damaged"):
a name that is not UTF-8, one with ESC, one with a line break. Each output is read
back with a strict JSON parser or an XML parser; the error lines on stderr stay one
per problem."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT

EXAMPLE = ROOT / "examples" / "proposals" / "04-tajikistan-border-over-ceiling.yaml"
DATA = [str(ROOT / "examples" / "data" / name) for name in ("member-states.yaml", "funded-projects.yaml")]
NAMES = {  # as bytes: the file system holds bytes, and the first is not UTF-8
    "not UTF-8": b"caf\xe9.yaml",
    "ESC": b"esc\x1b[2J.yaml",
    "line break": b"line\nforged: pass.yaml",
}


def strict_json(data: bytes):
    """JSON as RFC 8259 has it: UTF-8 text, no NaN, and no string holding half a surrogate pair."""

    def no_constants(name):
        raise ValueError(f"not JSON: {name}")

    def checked(value):
        if isinstance(value, str):
            value.encode("utf-8")  # a lone surrogate (`"\udcff"`) cannot be encoded: strict parsers refuse it
        elif isinstance(value, dict):
            for key, item in value.items():
                checked(key), checked(item)
        elif isinstance(value, list):
            for item in value:
                checked(item)
        return value

    return checked(json.loads(data.decode("utf-8"), parse_constant=no_constants))


def run_check(folder, *args):
    return subprocess.run([sys.executable, "-m", "iompolicy", "check", folder, *args],
                          cwd=ROOT, capture_output=True, env={**os.environ, "PYTHONIOENCODING": ""})


@pytest.fixture(scope="module")
def audit(tmp_path_factory):
    folder = tmp_path_factory.mktemp("names")
    for number, name in enumerate(NAMES.values()):  # each with its own id: a run refuses two with one id
        with open(os.path.join(os.fsencode(folder), name), "w", encoding="utf-8") as stream:
            stream.write(EXAMPLE.read_text(encoding="utf-8").replace("IDF-2015-TJK-02", f"IDF-2015-TJK-{number}"))
    return str(folder)


def shown_names(audit, xml: bool = False) -> set[str]:
    """The names as the machine formats give them: an undecodable byte as the text `\\xe9`;
    JSON carries ESC and a line break itself (escaped), XML 1.0 cannot carry ESC at all."""
    esc = "\\u001b" if xml else "\x1b"
    return {f"{audit}/caf\\xe9.yaml", f"{audit}/esc{esc}[2J.yaml", f"{audit}/line\nforged: pass.yaml"}


@pytest.mark.parametrize("to_file", [False, True], ids=["stdout", "output-file"])
def test_json_is_valid_utf8_json_with_every_name(audit, tmp_path, to_file):
    target = tmp_path / "report.json"
    result = run_check(audit, *[a for d in DATA for a in ("--data", d)], "--format", "json",
                       *(["-o", str(target)] if to_file else []))
    assert result.returncode == 1, result.stderr
    report = strict_json(target.read_bytes() if to_file else result.stdout)
    assert {d["path"] for d in report["documents"]} == shown_names(audit)


def test_json_lines_are_valid_utf8_json(audit):
    result = run_check(audit, *[a for d in DATA for a in ("--data", d)], "--format", "jsonl")
    assert result.returncode == 1, result.stderr
    lines = [strict_json(line) for line in result.stdout.splitlines()]
    assert {line["path"] for line in lines[:-1]} == shown_names(audit)


def test_sarif_is_valid_utf8_json(audit):
    result = run_check(audit, *[a for d in DATA for a in ("--data", d)], "--format", "sarif")
    assert result.returncode == 1, result.stderr
    sarif = strict_json(result.stdout)
    assert len(sarif["runs"][0]["results"]) == 3


def test_junit_is_well_formed_xml(audit):
    result = run_check(audit, *[a for d in DATA for a in ("--data", d)], "--format", "junit")
    assert result.returncode == 1, result.stderr
    root = ET.fromstring(result.stdout)  # expat: a control character or bad UTF-8 is "not well-formed"
    suites = {suite.get("name") for suite in root.iter("testsuite")} - {"iompolicy provenance"}
    assert suites == shown_names(audit, xml=True)


def test_a_line_break_in_a_name_cannot_forge_an_error_line(tmp_path):
    bad = os.path.join(os.fsencode(tmp_path), b"bad\nforged.yaml:1:1: all clear.yaml")
    with open(bad, "w") as stream:
        stream.write("kind: proposal\nid: 7\n")
    result = run_check(str(tmp_path))
    assert result.returncode == 2
    lines = result.stderr.decode("utf-8").splitlines()
    assert lines and all(line.startswith(f"{tmp_path}/bad\\u000aforged.yaml:1:1: all clear.yaml:") for line in lines), lines
