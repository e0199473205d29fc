"""Load test of `iompolicy serve` on loopback: a fixed number of requests from several
concurrent clients, every answer compared with the CLI's answer for the same
document, with throughput and latency percentiles. Run from the repository root:

    python benchmarks/load_service.py                       # 3,000 requests, 8 clients
    python benchmarks/load_service.py --requests 300 --concurrency 4 --json

The clients are threads of this process, each with its own keep-alive
connection (httpx); the server is another process: started here on 127.0.0.1
and a free port (and stopped at the end) unless --url names a running one, which
must be a loopback address. The documents are the example proposals, budgets and
calendars, posted as YAML in turn; the expected answer for each is what
`iompolicy check DOC --data ... --format json` prints, with `path` null.

Bounded: it stops after --requests answers or --time-limit seconds, whichever
comes first. Exit status 0 only if every request was answered, and answered right.
"""

from __future__ import annotations

import argparse
import ipaddress
import itertools
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EXAMPLES = ROOT / "examples"
DATA = [EXAMPLES / "data" / "member-states.yaml", EXAMPLES / "data" / "funded-projects.yaml"]
LAUNCH = "import sys; from iompolicy.cli import run; sys.argv[0] = 'iompolicy'; run()"


def documents() -> list[Path]:
    return sorted(p for folder in ("proposals", "budgets", "governance") for p in (EXAMPLES / folder).glob("*.yaml"))


def comparable(report: dict) -> dict:
    """A report without what differs between the CLI's and the service's: each document's
    `path` (null in the service's), the run's start, the service's own provenance (generation,
    body digest), and the first document the checklist of missing facts names (a path)."""
    provenance = {key: value for key, value in report["provenance"].items() if key not in ("started_at", "service")}
    summary = {**report["summary"], "missing_facts": [{**f, "first_document": None}
                                                      for f in report["summary"].get("missing_facts", [])]}
    return {**report, "provenance": provenance, "summary": summary,
            "documents": [{**d, "path": None} for d in report["documents"]]}


def expected_answers(paths: list[Path]) -> dict[Path, dict]:
    """What the CLI prints for each document alone, as `comparable` shows it."""
    from click.testing import CliRunner

    from iompolicy.cli import main

    data = [x for path in DATA for x in ("--data", str(path))]
    answers = {}
    for path in paths:
        result = CliRunner().invoke(main, ["check", str(path), *data, "--format", "json"])
        if result.exit_code not in (0, 1):
            raise SystemExit(f"the CLI could not check {path}:\n{result.output}")
        answers[path] = comparable(json.loads(result.stdout))
    return answers


def loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(log) -> tuple[subprocess.Popen, str]:
    port = free_port()
    data = [x for path in DATA for x in ("--data", str(path))]
    process = subprocess.Popen([sys.executable, "-c", LAUNCH, "serve", "--port", str(port), "--no-access-log", *data],
                               cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise SystemExit("the server did not start:\n" + log.read().decode("utf-8", "replace"))
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the server was not ready within 60 s")


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU time of a process so far (Linux), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted values."""
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def run_load(url: str, paths: list[Path], expected: dict, requests: int, concurrency: int, time_limit: float) -> dict:
    bodies = [(path, path.read_bytes()) for path in paths]
    counter = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    wrong: list[str] = []
    failed: list[str] = []
    deadline = time.monotonic() + time_limit

    def client() -> None:
        with httpx.Client(base_url=url, timeout=30, headers={"Content-Type": "application/yaml"}) as http:
            while time.monotonic() < deadline:
                with lock:
                    number = next(counter)
                if number >= requests:
                    return
                path, body = bodies[number % len(bodies)]
                started = time.perf_counter()
                try:
                    answer = http.post("/v1/check", content=body)
                    elapsed = time.perf_counter() - started
                    right = answer.status_code == 200 and comparable(answer.json()) == expected[path]
                except (httpx.HTTPError, ValueError) as error:
                    with lock:
                        failed.append(f"{path.name}: {type(error).__name__}: {error}")
                    continue
                with lock:
                    latencies.append(elapsed)
                    if not right:
                        wrong.append(f"{path.name}: HTTP {answer.status_code}")

    for path, body in bodies:  # warm-up, not counted: one of each
        answer = httpx.post(url + "/v1/check", content=body, headers={"Content-Type": "application/yaml"}, timeout=30)
        if answer.status_code != 200 or comparable(answer.json()) != expected[path]:
            raise SystemExit(f"warm-up: the answer for {path.name} is not the CLI's (HTTP {answer.status_code})")
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=time_limit + 60)
    wall = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "requests": requests, "concurrency": concurrency, "documents": len(paths),
        "answered": len(latencies), "wrong": len(wrong), "failed": len(failed),
        "examples_of_problems": (wrong + failed)[:5],
        "timed_out": time.monotonic() >= deadline and len(latencies) + len(failed) < requests,
        "wall_seconds": round(wall, 3),
        "throughput_per_second": round(len(latencies) / wall, 1) if wall else None,
        "latency_ms": {name: round(percentile(ordered, q) * 1000, 2)
                       for name, q in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))},
        "machine": {"cores": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests to send (default 3000)")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--time-limit", type=float, default=300, help="stop after this many seconds (default 300)")
    parser.add_argument("--url", help="a running service on a loopback address (default: start one)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    options = parser.parse_args(argv)
    if options.url and not loopback(options.url):
        parser.error("--url must be a loopback address (127.0.0.0/8, ::1 or localhost)")
    if not 1 <= options.concurrency <= 64 or not 1 <= options.requests <= 1_000_000:
        parser.error("--concurrency must be 1..64 and --requests 1..1,000,000")
    paths = documents()
    expected = expected_answers(paths)
    with tempfile.TemporaryFile() as log:
        process, url = (None, options.url) if options.url else start_server(log)
        try:
            before = cpu_seconds(process.pid) if process else None
            result = run_load(url, paths, expected, options.requests, options.concurrency, options.time_limit)
            after = cpu_seconds(process.pid) if process else None
            if before is not None and after is not None and result["answered"]:
                result["server_cpu_ms_per_request"] = round((after - before) * 1000 / result["answered"], 2)
        finally:
            if process is not None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
    if options.json:
        print(json.dumps(result, indent=2))
    else:
        latency = result["latency_ms"]
        print(f"iompolicy serve on loopback: {result['requests']} requests from {result['concurrency']} concurrent "
              f"clients, {result['documents']} example documents (YAML), each answer compared with the CLI's")
        print(f"  answered {result['answered']}, wrong {result['wrong']}, failed {result['failed']}"
              + (" (stopped at the time limit)" if result["timed_out"] else ""))
        print(f"  {result['wall_seconds']} s, {result['throughput_per_second']} requests/s")
        print(f"  latency: p50 {latency['p50']} ms, p95 {latency['p95']} ms, p99 {latency['p99']} ms, "
              f"max {latency['max']} ms")
        if "server_cpu_ms_per_request" in result:
            print(f"  server CPU: {result['server_cpu_ms_per_request']} ms a request (the clients use the rest)")
        machine = result["machine"]
        print(f"  machine: {machine['cores']} cores, {machine['platform']}, Python {machine['python']}")
        for problem in result["examples_of_problems"]:
            print(f"  problem: {problem}")
    ok = result["answered"] == options.requests and not result["wrong"] and not result["failed"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
