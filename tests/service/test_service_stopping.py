"""The service stops a check nobody waits for any more (issue 19): when the client goes
away, or when --request-timeout passes, the thread doing the check stops at its next
checkpoint (iompolicy.stopping) instead of finishing a report nobody will read.

The heavy request is a batch of 100 proposals of 100 budget lines each (670 KB, within
the default body limit). Its full cost is estimated in this process first, from a tenth of
it; the stop must come within a small part of it (a ratio, not a wall-clock limit)."""

from __future__ import annotations

import json
import re
import socket
import threading
import time

import pytest
import yaml

from iompolicy.resources import shipped_policies
from iompolicy.service import Service
from iompolicy.stopping import Stopped, checkpoint, stoppable
from servicekit import DATA, EXAMPLES, data_args, running_server

STOPPED = re.compile(r"POST /v1/check/batch: (.*); the check stopped ([0-9.]+) s after it was told to")


DOCUMENTS = 100  # in the heavy batch
SAMPLE = 10  # of them, checked here to estimate the cost of the whole batch


def _heavy_batch(count: int = DOCUMENTS) -> bytes:
    proposal = yaml.safe_load((EXAMPLES / "proposals" / "01-bolivia-climate-line2-national.yaml").read_text())
    proposal["submitted_on"] = str(proposal["submitted_on"])
    lines = [{"category": "operational", "description": f"activity {n}", "usd": 1} for n in range(100)]
    documents = [dict(proposal, id=f"IDF-2016-BOL-{n:03d}", budget_lines=lines) for n in range(count)]
    return json.dumps({"documents": documents}).encode()


@pytest.fixture(scope="module")
def heavy():
    """The batch, and how long checking it whole takes here: estimated from a tenth of it.
    Its documents are alike and are checked one after another, so the whole batch costs
    DOCUMENTS / SAMPLE times as much (checking all of it here cost the suite some 45 s)."""
    service = Service(shipped_policies(), DATA)
    service.check_batch(_heavy_batch(1), "json", [])  # warm: what only the first check pays is not scaled up
    started = time.monotonic()
    text, _ = service.check_batch(_heavy_batch(SAMPLE), "json", [])
    spent = time.monotonic() - started
    assert len(json.loads(text)["documents"]) == SAMPLE
    return _heavy_batch(), spent * DOCUMENTS / SAMPLE


def _stopped_line(server, within: float) -> re.Match:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = STOPPED.search(server.log_text())
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"no check stopped within {within} s:\n{server.log_text()}")


def test_a_check_past_its_time_limit_is_answered_503_and_stops(tmp_path, heavy):
    body, whole = heavy
    with running_server("--request-timeout", "0.3", *data_args(), folder=tmp_path) as server:
        with server.client() as client:
            response = client.post("/v1/check/batch", content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 503, response.text
        assert response.json()["error"] == {
            "code": "request_timeout", "message": "the check took longer than 0.3 s, and was stopped",
            "problems": [{"message": "the check took longer than 0.3 s, and was stopped", "line": None,
                          "column": None, "path": None}]}
        found = _stopped_line(server, within=whole * 4 + 10)
        assert found.group(1) == "its 0.3 s were up"
        assert float(found.group(2)) < whole / 4, (found.group(0), whole)
        assert "had finished before it was told to stop" not in server.log_text()


def test_a_check_whose_client_went_away_stops(tmp_path, heavy):
    body, whole = heavy
    with running_server("--request-timeout", "600", *data_args(), folder=tmp_path) as server:
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as sock:
            sock.sendall(b"POST /v1/check/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(body) + body)
            time.sleep(0.3)  # the check has started; the client gives up
        found = _stopped_line(server, within=whole * 4 + 10)
        assert found.group(1) == "the client went away"
        assert float(found.group(2)) < whole / 4, (found.group(0), whole)
        with server.client() as client:  # and the service goes on answering
            assert client.get("/healthz").status_code == 200


def test_a_stopped_check_is_never_a_result():
    """`Stopped` passes through every `except Exception` of the pipeline (an undecided
    clause, an invalid input), so a stop is never reported as a verdict."""
    flag = threading.Event()
    flag.set()
    service = Service(shipped_policies(), DATA)
    body = (EXAMPLES / "proposals" / "01-bolivia-climate-line2-national.yaml").read_bytes()
    with stoppable(flag), pytest.raises(Stopped):
        service.check(body, "yaml", [])
    with pytest.raises(Stopped):  # the flag belongs to the block: outside it, nothing stops
        with stoppable(flag):
            checkpoint()
    checkpoint()
    text, _ = service.check(body, "yaml", [])
    assert json.loads(text)["documents"][0]["outcome"] == "pass"
