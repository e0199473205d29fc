"""Provenance on every report, and `check --verify REPORT.json` (issue 15)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import xml.etree.ElementTree as ET

import jsonschema
import pytest
from click.testing import CliRunner

from conftest import ROOT
from iompolicy.cli import main

REPORT_SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text())


def sha256(path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def audit(tmp_path, monkeypatch):
    """A copy of the examples and of the shipped policies, to change between runs."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1213574400")
    return tmp_path


def check(*args):
    return CliRunner().invoke(main, ["check", *args])


def saved_report(*extra) -> dict:
    result = check("examples/", "--policies", "policies", "--waivers", "examples/waivers.yaml",
                   "--format", "json", "-o", "audit.json", *extra)
    assert result.exit_code == 1, result.output
    return json.loads(open("audit.json", encoding="utf-8").read())


def test_the_json_report_states_what_the_run_used(audit):
    report = saved_report("--as-of", "2016-01-01")
    jsonschema.Draft202012Validator(REPORT_SCHEMA, format_checker=jsonschema.FormatChecker()).validate(report)
    provenance = report["provenance"]
    assert provenance["iompolicy_version"] == report["version"]
    assert provenance["started_at"] == "2008-06-16T00:00:00Z"  # SOURCE_DATE_EPOCH
    assert provenance["as_of"] == {"date": "2016-01-01"}
    (policy_set,) = provenance["policy_sets"]
    files = {f["file"]: f["digest"] for f in policy_set["files"]}
    assert files["part3-proposals.iom"] == sha256(audit / "policies" / "part3-proposals.iom")
    listing = "".join(f"{files[name]}  {name}\n" for name in sorted(files))
    assert policy_set["digest"] == "sha256:" + hashlib.sha256(listing.encode()).hexdigest()
    assert {"id": "strategy2007.part3.proposals", "version": "2007.1", "kind": "proposal"} in provenance["policies"]
    assert {"policy": "strategy2007.part3.proposals", "name": "LINE2_NATIONAL_CEILING",
            "value": "200,000"} in provenance["parameters"]
    data = {d["kind"]: d for d in provenance["data"]}
    assert data["member_states"]["digest"] == sha256(audit / "examples" / "data" / "member-states.yaml")
    assert data["member_states"]["as_of"] == "2017-12-31"
    assert provenance["waivers"]["digest"] == sha256(audit / "examples" / "waivers.yaml")
    assert [w["id"] for w in provenance["waivers"]["waivers"]]
    for document in report["documents"]:
        assert document["digest"] == sha256(audit / document["path"])


@pytest.mark.parametrize("fmt, found", [
    ("text", lambda out: re.search(r"^provenance: iompolicy \S+; policies sha256:[0-9a-f]{12} \(\d+ files\); "
                                   r"readings cap_lines = both_lines \(default\), cap_recovered_funds = counted "
                                   r"\(default\); data funded_projects sha256:[0-9a-f]{12}, member_states sha256:[0-9a-f]{12}; "
                                   r"waivers sha256:[0-9a-f]{12}; as of each document's own date; "
                                   r"started 2008-06-16T00:00:00Z$", out, re.MULTILINE)),
    ("github", lambda out: "provenance: iompolicy" in out and "; readings cap_lines = both_lines (default)" in out),
    ("jsonl", lambda out: json.loads(out.splitlines()[-1])["provenance"]["policy_sets"]
     and json.loads(out.splitlines()[-1])["provenance"]["readings"]["cap_lines"] == "both_lines"
     and all(json.loads(line)["digest"].startswith("sha256:") for line in out.splitlines()[:-1])),
    ("sarif", lambda out: json.loads(out)["runs"][0]["properties"]["provenance"]["data"]
     and json.loads(out)["runs"][0]["properties"]["provenance"]["readings"]["cap_lines"] == "both_lines"
     and all(r["properties"]["documentDigest"] for r in json.loads(out)["runs"][0]["results"])),
    ("junit", lambda out: any(p.get("name") == "policy_sets[0].digest" for p in ET.fromstring(out).iter("property"))
     and any(p.get("name") == "digest" for p in ET.fromstring(out).iter("property"))
     and any(p.get("name") == "readings.cap_lines" and p.get("value") == "both_lines"
             for p in ET.fromstring(out).iter("property"))),
    ("markdown", lambda out: "## Provenance" in out and "LINE2\\_NATIONAL\\_CEILING = 200,000" in out
     and "Content digest sha256:" in out
     and "- readings of the Strategy in force: cap\\_lines = both\\_lines (default), cap\\_recovered\\_funds = "
         "counted (default)" in out),
    ("html", lambda out: 'id="provenance"' in out and "LINE2_NATIONAL_CEILING" in out
     and "content digest <code>sha256:" in out
     and "<tr><th>Readings of the Strategy</th><td><code>cap_lines</code> = <code>both_lines</code> (default)" in out),
])
def test_every_format_states_the_provenance(audit, fmt, found):
    result = check("examples/", "--policies", "policies", "--waivers", "examples/waivers.yaml", "--format", fmt)
    assert result.exit_code == 1
    assert found(result.stdout)


@pytest.mark.parametrize("fmt, said", [
    ("text", "readings cap_lines = line2_only (chosen), cap_recovered_funds = counted (default);"),
    ("github", "readings cap_lines = line2_only (chosen), cap_recovered_funds = counted (default);"),
    ("markdown", "readings of the Strategy in force: cap\\_lines = line2\\_only (chosen), cap\\_recovered\\_funds"),
    ("html", "<code>cap_lines</code> = <code>line2_only</code> (chosen), <code>cap_recovered_funds</code> = "
             "<code>counted</code> (default)"),
    ("json", '"readings_chosen": ["cap_lines"]'),
    ("junit", 'name="readings_chosen[0]" value="cap_lines"'),
])
def test_every_format_names_the_readings_chosen(audit, fmt, said):
    """The readings of the Strategy in force, and which were chosen (issue 13's parameters),
    are in the provenance of every report, not only in the results of the clauses they judged."""
    result = check("examples/", "--policies", "policies", "--reading", "cap_lines=line2_only", "--format", fmt)
    assert said in result.stdout


def verify():
    return check("--verify", "audit.json")


def test_verify_finds_nothing_when_nothing_changed(audit):
    saved_report()
    result = verify()
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "audit.json: verified: the documents, policies, data, waivers and verdicts are as saved"


def test_verify_names_a_changed_document_and_its_verdict(audit):
    saved_report()
    path = audit / "examples" / "proposals" / "04-tajikistan-border-over-ceiling.yaml"
    text = path.read_text().replace("requested_usd: 235000", "requested_usd: 195000")
    path.write_text(text.replace("(12 courses)\", usd: 95000", "(12 courses)\", usd: 55000"))  # lines add up
    lines = verify().stdout.splitlines()
    name = "examples/proposals/04-tajikistan-border-over-ceiling.yaml"
    assert f"{name}: verdict fail -> pass" in lines
    assert f"{name}: part3.line2_national_ceiling fail -> pass" in lines
    assert any(line.startswith(f"{name}: document changed (sha256:") for line in lines)
    assert verify().exit_code == 1


def test_verify_names_a_changed_policy_data_and_waivers(audit):
    saved_report()
    policy = audit / "policies" / "part3-proposals.iom"
    policy.write_text(policy.read_text().replace("USD 200_000", "USD 250_000", 1))
    data = audit / "examples" / "data" / "member-states.yaml"
    data.write_text(data.read_text() + "\n# edited\n")
    waivers = audit / "examples" / "waivers.yaml"
    waivers.write_text(waivers.read_text() + "\n# edited\n")
    result = verify()
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert f"policies: {audit / 'policies'}/part3-proposals.iom changed" in lines
    assert "data: examples/data/member-states.yaml (member_states) changed" in lines
    assert "waivers: examples/waivers.yaml changed" in lines
    assert "examples/proposals/04-tajikistan-border-over-ceiling.yaml: verdict fail -> pass" in lines


def test_verify_names_a_document_gone(audit):
    saved_report()
    (audit / "examples" / "proposals" / "01-bolivia-climate-line2-national.yaml").unlink()
    result = verify()
    assert result.exit_code == 1
    assert "examples/proposals/01-bolivia-climate-line2-national.yaml: document gone or unreadable" in result.stdout


@pytest.mark.parametrize("content, message", [
    ("{}", "has no provenance to verify against"),
    ("not json", "not a JSON report"),
])
def test_a_report_that_cannot_be_verified_exits_2(audit, content, message):
    (audit / "audit.json").write_text(content)
    result = verify()
    assert result.exit_code == 2 and message in result.stderr


def test_the_provenance_digests_every_policy_file_the_loader_finds(tmp_path):
    """The policy files digested are those `loading.files_ending` loads, names starting with dots
    included (`..iom` has the suffix `.iom`; `os.path.splitext` says it has none), and the
    files of a `tests` folder left out as before."""
    from iompolicy.loading import files_ending
    from iompolicy.provenance import policy_set

    for name in ("a.iom", "..iom", ".hidden.iom", "provisions.yaml", "notes.txt"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "case.iom").write_text("x", encoding="utf-8")
    digested = {entry["file"] for entry in policy_set(tmp_path)["files"]}
    loaded = {path.relative_to(tmp_path).as_posix() for path in files_ending(tmp_path, ".iom")}
    assert digested == (loaded - {"tests/case.iom"}) | {"provisions.yaml"}
    assert {"a.iom", "..iom", ".hidden.iom"} <= digested
