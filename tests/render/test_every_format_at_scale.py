"""Every format on a generated audit of 2,000 proposals, 100 of them failing III.5.2
(issue 15, "Done when"). HTML, Markdown and SARIF have their own tests at this scale
(test_html_report, test_markdown_report, test_sarif); the others are written here by one
run with several outputs, and each is read back: every document is in it, and exactly
the failing ones fail."""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET

import fastjsonschema
import jsonschema
import pytest
from click.testing import CliRunner

from audit_corpus import write_audit
from conftest import ROOT
from iompolicy.cli import main

DATA = [arg for name in ("member-states.yaml", "funded-projects.yaml")
        for arg in ("--data", str(ROOT / "examples" / "data" / name))]
REPORT_SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
FORMATS = ("json", "jsonl", "junit", "text", "github")


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("scale")
    paths = write_audit(folder / "audit", 2000, 100)
    failing = {str(path) for path in paths if "requested_usd: 235000" in path.read_text()}  # over the ceiling
    assert len(failing) == 100
    outputs = [x for fmt in FORMATS for x in ("--output", f"{fmt}={folder / ('audit.' + fmt)}")]
    result = CliRunner().invoke(main, ["check", str(folder / "audit"), *DATA, *outputs])
    assert result.exit_code == 1, result.output
    return {"failing": failing, **{fmt: (folder / f"audit.{fmt}").read_text(encoding="utf-8") for fmt in FORMATS}}


def test_json(reports):
    report = json.loads(reports["json"])
    # Every document against the schema with fastjsonschema (0.7 s; jsonschema took 10 s for
    # the 2,000). It reads the schema as draft 7, which the report schema's keywords mean alike,
    # so jsonschema, the reference validator, still judges the report as Draft 2020-12 with
    # every failing document and a hundred passing ones spread over the corpus.
    fastjsonschema.compile(copy.deepcopy(REPORT_SCHEMA))(report)
    failing = [d for d in report["documents"] if d["outcome"] != "pass"]
    passing = [d for d in report["documents"] if d["outcome"] == "pass"]
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate({**report, "documents": failing + passing[::19]})
    assert len(report["documents"]) == 2000
    assert {d["path"] for d in report["documents"] if d["outcome"] == "fail"} == reports["failing"]
    assert report["summary"]["documents"] == 2000 and report["summary"]["failing"] == 100


def test_json_lines(reports):
    lines = [json.loads(line) for line in reports["jsonl"].splitlines()]
    documents, last = lines[:-1], lines[-1]
    assert len(documents) == 2000 and "summary" in last and last["provenance"]["policy_sets"]
    assert {d["path"] for d in documents if d["outcome"] == "fail"} == reports["failing"]


def test_junit(reports):
    root = ET.fromstring(reports["junit"])
    cases = [case for case in root.iter("testcase")]
    failed = {case.get("classname") or case.get("name") for case in cases if case.find("failure") is not None}
    assert len({case.get("classname") for case in cases}) == 2000
    assert len(failed) == 100


def test_text(reports):
    text = reports["text"]
    assert len(re.findall(r"^\S.* \(proposal GEN-\d{5}, as of [0-9-]+\): fail$", text, re.MULTILINE)) == 100
    assert len(re.findall(r"^\S.* \(proposal GEN-\d{5}, as of [0-9-]+\): ", text, re.MULTILINE)) == 2000
    assert text.splitlines()[-1].startswith("2000 documents: 1900 passed, 100 failed; ")


def test_github(reports):
    errors = [line for line in reports["github"].splitlines() if line.startswith("::error ")]
    assert len(errors) == 100
    assert {re.search(r"file=([^,]+),", line).group(1) for line in errors} == reports["failing"]
