"""The service's answers carry the provenance of the command line's reports (issue 15):
iompolicy's version, the policies with their digests, the named constants, the readings
of the Strategy in force and which were chosen, the data and the waivers with their
digests; and, for the service, the generation that answered and the body's digest."""

from __future__ import annotations

import hashlib
import json
import shutil

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from conftest import ROOT
from iompolicy.cli import main
from iompolicy.service import Service

REPORT_SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
BUDGET = "examples/budgets/facility-budget-2015.yaml"
PROPOSAL = "examples/proposals/04-tajikistan-border-over-ceiling.yaml"
DATA = ["examples/data/member-states.yaml", "examples/data/funded-projects.yaml"]
SAME_AS_THE_CLI = ("iompolicy_version", "policy_sets", "policies", "parameters", "readings", "readings_chosen", "data",
                   "waivers")


@pytest.fixture()
def world(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _cli_provenance(*extra) -> dict:
    result = CliRunner().invoke(main, ["check", BUDGET, "--policies", "policies", *[x for d in DATA for x in ("--data", d)],
                                       "--waivers", "examples/waivers.yaml", "--format", "json", *extra])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)["provenance"]


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_a_check_answer_states_what_the_cli_report_states(world):
    service = Service("policies", DATA, waivers_file="examples/waivers.yaml", readings={"cap_lines": "line2_only"})
    body = (world / BUDGET).read_bytes()
    text, _ = service.check(body, "yaml", [("as_of", "2016-01-01")])
    answer = json.loads(text)
    jsonschema.Draft202012Validator(REPORT_SCHEMA, format_checker=jsonschema.FormatChecker()).validate(answer)
    provenance = answer["provenance"]
    cli = _cli_provenance("--reading", "cap_lines=line2_only")
    assert {key: provenance[key] for key in SAME_AS_THE_CLI} == {key: cli[key] for key in SAME_AS_THE_CLI}
    assert provenance["readings"] == {"cap_lines": "line2_only", "cap_recovered_funds": "counted"}
    assert provenance["readings_chosen"] == ["cap_lines"]
    assert provenance["as_of"] == {"date": "2016-01-01"}
    assert provenance["service"]["generation"] == 1
    assert provenance["service"]["body_digest"] == _sha256(body)
    assert answer["documents"][0]["digest"] == _sha256(body)  # the body is the document


def test_a_batch_answer_has_the_body_digest_and_no_document_digests(world):
    service = Service("policies", DATA)
    documents = [json.loads(json.dumps(yaml.safe_load((world / path).read_text()), default=str))
                 for path in (PROPOSAL, BUDGET)]
    body = json.dumps({"documents": documents}).encode()
    answer = json.loads(service.check_batch(body, "json", [])[0])
    assert answer["provenance"]["as_of"] == {"rule": "each document's own date"}
    assert answer["provenance"]["service"]["body_digest"] == _sha256(body)
    assert answer["provenance"]["readings_chosen"] == []
    assert [d["digest"] for d in answer["documents"]] == [None, None]  # a part of a body has no bytes of its own


def test_the_provenance_follows_a_reload(world):
    service = Service("policies", DATA)
    body = (world / PROPOSAL).read_bytes()
    before = json.loads(service.check(body, "yaml", [])[0])["provenance"]
    policy = world / "policies" / "part3-proposals.iom"
    policy.write_text(policy.read_text().replace("USD 200_000", "USD 250_000", 1))
    service.reload()
    after = json.loads(service.check(body, "yaml", [])[0])["provenance"]
    assert after["service"]["generation"] == 2
    files = {f["file"]: f["digest"] for f in after["policy_sets"][0]["files"]}
    assert files["part3-proposals.iom"] == _sha256(policy.read_bytes())
    assert after["policy_sets"][0]["digest"] != before["policy_sets"][0]["digest"]
    assert {"policy": "strategy2007.part3.proposals", "name": "LINE2_NATIONAL_CEILING",
            "value": "250,000"} in after["parameters"]
