"""The exact output of `iompolicy check examples/` in the human formats, kept in tests/golden/.

After an intended change of the output, regenerate the files and review the diff:

    UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT
from iompolicy.cli import main

GOLDEN = ROOT / "tests" / "golden"
SOURCE_DATE_EPOCH = "1213574400"  # 2008-06-16: the markdown report's date line

CASES = {
    "check-examples.text.txt": ["check", "examples/"],
    "check-examples.text-verbose.txt": ["check", "examples/", "-v"],
    "check-examples.markdown.txt": ["check", "examples/", "--format", "markdown"],
    "check-examples.junit.txt": ["check", "examples/", "--format", "junit"],
}


def check_examples(monkeypatch, args):
    monkeypatch.chdir(ROOT)  # paths in the reports are as given: examples/...
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    monkeypatch.setenv("NO_COLOR", "1")
    return CliRunner().invoke(main, args)


@pytest.mark.parametrize("name", sorted(CASES))
def test_output_matches_the_golden_file(monkeypatch, name):
    result = check_examples(monkeypatch, CASES[name])
    assert result.exit_code == 1, result.output  # some examples break the Strategy on purpose
    # the provenance names the shipped policy folder by its absolute path: the same file in any clone
    output = result.stdout.replace(str(ROOT), "<repository>")
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(output, encoding="utf-8")
    assert path.is_file(), f"{path} is missing: run UPDATE_GOLDEN=1 python -m pytest {Path(__file__).name}"
    expected = path.read_text(encoding="utf-8")
    assert output == expected, (f"`iompolicy {' '.join(CASES[name])}` differs from {path.name}; "
                                       "if the change is intended: UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py")


def test_no_colour_codes_in_golden_files():
    for name in CASES:
        assert "\x1b[" not in (GOLDEN / name).read_text(encoding="utf-8"), name


def test_markdown_date_comes_from_source_date_epoch(monkeypatch):
    result = check_examples(monkeypatch, ["check", "examples/", "--format", "markdown"])
    assert " on 2008-06-16.\n" in result.stdout


def test_sarif_structure(monkeypatch):
    result = check_examples(monkeypatch, ["check", "examples/", "--format", "sarif"])
    sarif = json.loads(result.stdout)
    assert sarif["version"] == "2.1.0" and sarif["$schema"].endswith("sarif-schema-2.1.0.json")
    (run,) = sarif["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "iompolicy" and driver["version"]
    rules = driver["rules"]
    assert len({rule["id"] for rule in rules}) == len(rules)
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning")
        assert rule["help"]["text"].startswith(rule["properties"]["cite"] + ": ")
    results = run["results"]
    assert results, "the examples break the Strategy on purpose: there must be results"
    for entry in results:
        assert 0 <= entry["ruleIndex"] < len(rules)
        rule = rules[entry["ruleIndex"]]
        assert rule["id"] == entry["ruleId"]
        if entry["properties"]["outcome"] == "error":  # undecided: open, and SARIF then wants level none
            assert (entry["kind"], entry["level"]) == ("open", "none")
            assert entry["properties"]["severity"] == rule["defaultConfiguration"]["level"]
        else:
            assert entry["level"] == rule["defaultConfiguration"]["level"] in ("error", "warning")
            assert entry["kind"] == "fail"
        assert entry["message"]["text"]
        assert entry["properties"]["outcome"] in ("fail", "error")
        assert entry["locations"], entry["ruleId"]
        for location in entry["locations"]:
            physical = location["physicalLocation"]
            uri = physical["artifactLocation"]["uri"]
            assert not uri.startswith("/") and "\\" not in uri
            assert (ROOT / uri).is_file(), uri
            region = physical["region"]
            assert isinstance(region["startLine"], int) and region["startLine"] >= 1
            if "startColumn" in region:
                assert isinstance(region["startColumn"], int) and region["startColumn"] >= 1
            lines = (ROOT / uri).read_text(encoding="utf-8").splitlines()
            assert region["startLine"] <= len(lines), (uri, region)
    text = check_examples(monkeypatch, ["check", "examples/"]).stdout
    failing = sum(1 for line in text.splitlines() if line.startswith("  ") and (": error " in line or ": warning " in line))
    assert len(results) == failing  # one SARIF result per failing or undecided clause
