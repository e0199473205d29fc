"""Helpers of the service tests: run `iompolicy serve` on a free loopback port in a
subprocess, and compare its answers with the CLI's.

Traffic goes to 127.0.0.1 only; every wait is bounded in time.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
DATA = [EXAMPLES / "data" / "member-states.yaml", EXAMPLES / "data" / "funded-projects.yaml"]
DOCUMENTS = sorted(p for folder in ("proposals", "budgets", "governance") for p in (EXAMPLES / folder).glob("*.yaml"))
OVER_CEILING = EXAMPLES / "proposals" / "04-tajikistan-border-over-ceiling.yaml"
LAUNCH = "import sys; from iompolicy.cli import run; sys.argv[0] = 'iompolicy'; run()"
STARTUP_SECONDS = 60
# The policy cache of every server of a test session, kept apart from the user's: a server
# starting on an empty cache compiles the policies and their validators (some 0.8 s more
# before it answers). Entries are found by the policy files' paths and contents, so servers
# of other folders or edited policies do not see each other's; removed at the end.
SERVER_CACHE = Path(tempfile.mkdtemp(prefix="iompolicy-test-cache-"))
atexit.register(shutil.rmtree, SERVER_CACHE, ignore_errors=True)


def data_args(files=DATA) -> list[str]:
    return [x for path in files for x in ("--data", str(path))]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def client(self, **options) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **options)


@contextlib.contextmanager
def running_server(*args: str, folder: Path, env: dict | None = None, cwd: Path = ROOT):
    """`iompolicy serve ARGS` on 127.0.0.1 and a free port, until the block ends (run in `cwd`)."""
    environment = {**os.environ, "IOMPOLICY_CACHE_DIR": str(SERVER_CACHE), **(env or {})}
    for attempt in range(3):  # a port found free may be taken before the server binds it
        port = free_port()
        log = folder / f"server-{port}.log"
        with open(log, "wb") as stream:
            process = subprocess.Popen([sys.executable, "-c", LAUNCH, "serve", "--port", str(port), *args],
                                       cwd=cwd, env=environment, stdout=stream, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL)
        server = Server(process, f"http://127.0.0.1:{port}", log)
        try:
            if _wait_ready(server):
                yield server
                return
            if "address already in use" not in server.log_text().lower():
                raise AssertionError(f"the server did not start:\n{server.log_text()}")
        finally:
            _stop(process)
    raise AssertionError("no free port could be bound in 3 tries")


def _wait_ready(server: Server) -> bool:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            if httpx.get(server.url + "/readyz", timeout=2).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"the server was not ready within {STARTUP_SECONDS} s:\n{server.log_text()}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def cli_json(*args: str) -> dict:
    """What `iompolicy check ARGS --format json` prints, parsed (exit status 0 or 1)."""
    from iompolicy.cli import main

    result = CliRunner().invoke(main, ["check", *map(str, args), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def comparable(report: dict, digests: bool = True) -> dict:
    """A report (the command line's or the service's) without what differs between the two:
    each document's `path` (null in the service's), the run's start, and the service's own
    part of the provenance (the generation, the body's digest); and without each document's
    digest unless `digests` (the documents of a batch have none); the checklist of missing facts
    names no first document (it is a path there)."""
    provenance = {key: value for key, value in report["provenance"].items() if key not in ("started_at", "service")}
    summary = {**report["summary"], "missing_facts": [{**f, "first_document": None}
                                                      for f in report["summary"].get("missing_facts", [])]}
    return {**report, "provenance": provenance, "summary": summary,
            "documents": [{**d, "path": None, "digest": d["digest"] if digests else None} for d in report["documents"]]}


def is_error(answer: httpx.Response, status: int | None = None, code: str | None = None) -> dict:
    """Assert the answer is a JSON error of the documented shape; return its `error`."""
    assert answer.headers["content-type"].startswith("application/json"), answer.text
    body = answer.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str) and error["message"]
    assert error["problems"], error
    for found in error["problems"]:
        assert {"message", "line", "column", "path"} <= set(found), found
        assert isinstance(found["message"], str)
        assert found["line"] is None or isinstance(found["line"], int)
        assert found["column"] is None or isinstance(found["column"], int)
        assert found["path"] is None or isinstance(found["path"], str)
    assert "Traceback" not in answer.text
    if status is not None:
        assert answer.status_code == status, answer.text
    if code is not None:
        assert error["code"] == code, error
    return error


def to_json(value, level: int | None = None) -> str:
    """JSON text of a value loaded exactly (Decimals written as they read); with
    `level`, one field or item a line, indented from that level."""
    inner, outer = ("", "") if level is None else ("\n" + "  " * (level + 1), "\n" + "  " * level)
    deeper = None if level is None else level + 1
    if isinstance(value, dict):
        items = [f"{json.dumps(str(k))}: {to_json(v, deeper)}" for k, v in value.items()]
        return "{" + inner + ("," + (inner or " ")).join(items) + outer + "}"
    if isinstance(value, list):
        return "[" + inner + ("," + (inner or " ")).join(to_json(v, deeper) for v in value) + outer + "]"
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False)
