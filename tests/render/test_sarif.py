"""SARIF output (issue 15) validated against the SARIF 2.1.0 JSON Schema (vendored in
tests/data/sarif-2.1.0 with its licence), with URI formats checked."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import unquote, urlparse

import jsonschema
import pytest
from click.testing import CliRunner

from audit_corpus import write_audit
from conftest import ROOT
from iompolicy.cli import main

SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-2.1.0" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
DATA = [arg for name in ("member-states.yaml", "funded-projects.yaml")
        for arg in ("--data", str(ROOT / "examples" / "data" / name))]


def sarif_of(*args, stdin=None) -> dict:
    result = CliRunner().invoke(main, ["check", *args, "--format", "sarif"], input=stdin)
    assert result.exit_code in (0, 1, 2), result.output
    return json.loads(result.stdout)


def valid(sarif: dict) -> dict:
    # FormatChecker checks `uri` and `uri-reference` (with rfc3986-validator installed)
    validator = jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(sarif), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])
    return sarif


def test_the_uri_format_is_really_checked():
    checker = jsonschema.FormatChecker()
    assert not checker.conforms("a b.yaml", "uri-reference") and not checker.conforms("examples/x.yaml", "uri")


def test_the_examples_validate_with_relative_uris(monkeypatch):
    monkeypatch.chdir(ROOT)
    run = valid(sarif_of("examples/"))["runs"][0]
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"] for loc in r["locations"]}
    assert "examples/proposals/04-tajikistan-border-over-ceiling.yaml" in uris
    assert all(not urlparse(uri).scheme and (ROOT / unquote(uri)).is_file() for uri in uris)
    assert "informationUri" not in run["tool"]["driver"]  # was https://iompolicy.example/, which is no one's


def test_undecided_results_are_open_not_fail(monkeypatch):
    monkeypatch.chdir(ROOT)
    results = valid(sarif_of("examples/"))["runs"][0]["results"]
    undecided = [r for r in results if r["properties"]["outcome"] == "error"]
    failed = [r for r in results if r["properties"]["outcome"] == "fail"]
    assert undecided and failed
    assert {(r["kind"], r["level"]) for r in undecided} == {("open", "none")}
    assert {r["kind"] for r in failed} == {"fail"} and {r["level"] for r in failed} <= {"error", "warning"}
    assert all(r["properties"]["severity"] in ("error", "warning") for r in undecided)


def test_absolute_paths_and_odd_names_are_file_uris(tmp_path):
    folder = tmp_path / "with space"
    folder.mkdir()
    text = (ROOT / "examples" / "proposals" / "04-tajikistan-border-over-ceiling.yaml").read_text(encoding="utf-8")
    (folder / "a#b%c.yaml").write_text(text)
    with open(os.path.join(os.fsencode(folder), b"caf\xe9.yaml"), "w", encoding="utf-8") as stream:
        stream.write(text.replace("IDF-2015-TJK-02", "IDF-2015-TJK-03"))  # two documents of a run, two ids
    run = valid(sarif_of(str(folder), *DATA))["runs"][0]
    uris = sorted(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"])
    assert uris == [(folder / "a#b%c.yaml").as_uri(), folder.as_uri() + "/caf%E9.yaml"]
    assert all(Path(unquote(urlparse(u).path, errors="surrogateescape")).name in ("a#b%c.yaml", "caf\udce9.yaml") for u in uris)


def test_every_rule_has_help_with_the_quote_and_note_and_a_help_uri_into_its_policy(monkeypatch):
    monkeypatch.chdir(ROOT)
    rules = valid(sarif_of("examples/"))["runs"][0]["tool"]["driver"]["rules"]
    for rule in rules:
        assert rule["help"]["text"].startswith(rule["properties"]["cite"] + ": \u201c")
        parsed = urlparse(rule["helpUri"])
        assert parsed.scheme == "file" and parsed.fragment.startswith("L")
        lines = Path(unquote(parsed.path)).read_text(encoding="utf-8").splitlines()
        assert f"clause {rule['id']}" in lines[int(parsed.fragment[1:]) - 1], rule["id"]
    noted = next(r for r in rules if r["id"] == "part3.line2_allocation_formula")
    assert "Interpretation: " in noted["help"]["text"]


def test_stdin_has_no_made_up_file(monkeypatch):
    text = (ROOT / "examples" / "proposals" / "04-tajikistan-border-over-ceiling.yaml").read_text(encoding="utf-8")
    (result,) = valid(sarif_of("-", *DATA, stdin=text))["runs"][0]["results"]
    assert result["ruleId"] == "part3.line2_national_ceiling" and result["locations"] == []
    assert result["properties"]["jsonPath"] == "$.funding.requested_usd"


def test_an_invalid_input_and_waivers_validate(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    (tmp_path / "bad.yaml").write_text("kind: proposal\nid: 7\n")
    valid(sarif_of(str(tmp_path), *DATA))
    run = valid(sarif_of("examples/", "--waivers", "examples/waivers.yaml"))["runs"][0]
    assert any(r.get("suppressions") for r in run["results"])


@pytest.mark.parametrize("count", [2000])
def test_a_generated_audit_validates(tmp_path, count):
    write_audit(tmp_path / "audit", count, 100)
    run = valid(sarif_of(str(tmp_path / "audit"), *DATA))["runs"][0]
    assert len(run["results"]) == 100
