"""A small run of the service load test (benchmarks/load_service.py) from a second
process: 100 requests from 4 concurrent clients on loopback (each of the 17 example
documents about six times), every answer equal to the CLI's for the same document.
Asserts correctness only, never a time."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from servicekit import ROOT, SERVER_CACHE


def test_100_concurrent_requests_all_get_the_clis_answer():
    environment = {**os.environ, "IOMPOLICY_CACHE_DIR": str(SERVER_CACHE)}
    finished = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "load_service.py"), "--requests", "100", "--concurrency", "4",
         "--time-limit", "240", "--json"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=400, stdin=subprocess.DEVNULL)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    result = json.loads(finished.stdout)
    assert (result["requests"], result["concurrency"], result["documents"]) == (100, 4, 17)
    assert (result["answered"], result["wrong"], result["failed"]) == (100, 0, 0), result["examples_of_problems"]
    assert not result["timed_out"]
