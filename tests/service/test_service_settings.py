"""The service takes its policies, data and waivers from the settings file, like `check`."""

from __future__ import annotations

import json
import shutil

from conftest import ROOT
from servicekit import running_server

EXAMPLES = ROOT / "examples"
MANO_RIVER = EXAMPLES / "proposals" / "08-mano-river-article4-regional.yaml"  # fails III.5.1 (Liberia)
YAML = {"Content-Type": "application/yaml"}


def _repository(tmp_path):
    repo = tmp_path / "repo"
    (repo / "data").mkdir(parents=True)
    (repo / ".git").mkdir()  # the settings search stops here
    for name in ("member-states.yaml", "funded-projects.yaml"):
        shutil.copy(EXAMPLES / "data" / name, repo / "data" / name)
    shutil.copy(EXAMPLES / "waivers.yaml", repo / "waivers.yaml")
    (repo / ".iompolicy.yaml").write_text(
        "data: [data/member-states.yaml, data/funded-projects.yaml]\nwaivers: waivers.yaml\n")
    return repo


def _clause(answer, clause: str) -> dict:
    results = answer.json()["documents"][0]["results"]
    return next(r for r in results if r["clause"] == clause)


def test_settings_data_and_waivers_reach_the_service(tmp_path):
    repo = _repository(tmp_path)
    with running_server(folder=tmp_path, cwd=repo) as server, server.client() as client:
        answer = client.post("/v1/check", content=MANO_RIVER.read_bytes(), headers=YAML)
        assert answer.status_code == 200
        waived = _clause(answer, "part3.line2_outstanding_contributions")
        assert waived["outcome"] == "waived"
        assert waived["waiver"]["id"] == "W-2011-GIN-ARREARS"
        assert _clause(answer, "part3.line2_article4")["outcome"] == "fail"  # a Council criterion: never waived
        assert answer.json()["summary"]["notices"] == []  # the register came from the settings
        assert client.get("/readyz").status_code == 200


def test_no_waivers_answers_without_them(tmp_path):
    repo = _repository(tmp_path)
    with running_server("--no-waivers", folder=tmp_path, cwd=repo) as server, server.client() as client:
        answer = client.post("/v1/check", content=MANO_RIVER.read_bytes(), headers=YAML)
        assert _clause(answer, "part3.line2_outstanding_contributions")["outcome"] == "fail"
        assert json.loads(answer.text)["summary"]["failing"] >= 1
