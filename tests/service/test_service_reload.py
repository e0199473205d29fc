"""Reloading a running service (POST /v1/reload and SIGHUP): a whole new policy
set and data are swapped in at once, and a set that does not load is refused
while the old one goes on serving.

Two generations are told apart in every answer: policies "gen-A" judge with a
register where Tajikistan is not subject to Article 4, policies "gen-B" with one
where it is. A report that mixed them would show two policy versions, or a
version with the other register's verdict.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time

import pytest

from servicekit import DATA, OVER_CEILING, ROOT, is_error, running_server

TJK_CLEAN = "TJK: {name: Tajikistan, member: true, developing: true, article4: false"
TJK_ARTICLE4 = "TJK: {name: Tajikistan, member: true, developing: true, article4: true"
YAML = {"Content-Type": "application/yaml"}


def _write(path, text: str) -> None:
    """Replace a file whole (a temporary file renamed over it)."""
    temporary = path.with_name(path.name + ".new")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


class Generations:
    """The policy folder and data files a server is started on, and ways to change them."""

    def __init__(self, folder):
        self.policies = folder / "policies"
        shutil.copytree(ROOT / "policies", self.policies)
        self.originals = {p: p.read_text(encoding="utf-8") for p in self.policies.glob("*.iom")}
        self.member_states = folder / "member-states.yaml"
        self.funded = folder / "funded-projects.yaml"
        self.register = DATA[0].read_text(encoding="utf-8")
        assert TJK_CLEAN in self.register
        shutil.copy(DATA[1], self.funded)
        self.write("gen-A")

    def write(self, tag: str) -> None:
        """Policies of version `tag`; gen-B (and only it) with Tajikistan subject to Article 4."""
        for path, text in self.originals.items():
            assert 'version "2007.1"' in text
            _write(path, text.replace('version "2007.1"', f'version "{tag}"'))
        register = self.register.replace(TJK_CLEAN, TJK_ARTICLE4) if tag == "gen-B" else self.register
        _write(self.member_states, register)

    def args(self) -> list[str]:
        return ["--policies", str(self.policies), "--data", str(self.member_states), "--data", str(self.funded)]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reload")
    generations = Generations(folder)
    with running_server(*generations.args(), folder=folder) as server, server.client() as client:
        yield generations, server, client


def verdict(answer) -> tuple[int, str, str]:
    """(generation, policy version, Article 4 outcome) of a check answer; one version per report."""
    assert answer.status_code == 200, answer.text
    (document,) = answer.json()["documents"]
    versions = {r["policy_version"] for r in document["results"]}
    assert len(versions) == 1, f"a report mixed policy versions: {versions}"
    (article4,) = [r["outcome"] for r in document["results"] if r["clause"] == "part3.line2_article4"]
    return int(answer.headers["x-iompolicy-generation"]), versions.pop(), article4


def check(client):
    return verdict(client.post("/v1/check", content=OVER_CEILING.read_bytes(), headers=YAML))


def reload(client, generations, tag: str) -> int:
    generations.write(tag)
    answer = client.post("/v1/reload")
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "reloaded"
    return answer.json()["generation"]


EXPECTED = {"gen-A": "pass", "gen-B": "fail", "gen-C": "pass"}


def test_reload_swaps_policies_and_data_whole_while_requests_run(world):
    generations, server, client = world
    tags = {reload(client, generations, "gen-A"): "gen-A"}
    stop = threading.Event()
    seen: list[tuple[int, str, str]] = []
    failures: list[BaseException] = []

    def hammer():
        deadline = time.monotonic() + 60
        try:
            with server.client() as own:
                for _ in range(3000):
                    if stop.is_set() or time.monotonic() > deadline:
                        return
                    seen.append(check(own))
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        for round_ in range(8):
            tag = ("gen-B", "gen-A")[round_ % 2]
            tags[reload(client, generations, tag)] = tag
            time.sleep(0.15)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert not failures, failures[0]
    assert len({generation for generation, _, _ in seen}) >= 3, "the requests did not span several generations"
    for generation, version, article4 in seen:
        assert version == tags[generation], (generation, version)  # policies of the generation that answered
        assert article4 == EXPECTED[version], (generation, version, article4)  # and its data
    assert check(client) == (max(tags), tags[max(tags)], EXPECTED[tags[max(tags)]])


def test_a_reload_reads_an_edit_that_keeps_size_and_time(world):
    """Issue 19: the reload reported success and went on serving the old text, because the
    policy cache's index (path, size, modification time) did not see the edit."""
    generations, server, client = world
    reload(client, generations, "gen-A")
    assert check(client)[1] == "gen-A"
    before = {path: os.stat(path) for path in generations.policies.glob("*.iom")}
    generations.write("gen-C")  # as long as gen-A
    for path, info in before.items():
        os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
        assert (os.stat(path).st_size, os.stat(path).st_mtime_ns) == (info.st_size, info.st_mtime_ns)
    answer = client.post("/v1/reload")
    assert answer.status_code == 200, answer.text
    assert check(client)[1] == "gen-C"


def test_a_broken_policy_folder_is_refused_and_the_old_set_goes_on_serving(world):
    generations, server, client = world
    current = reload(client, generations, "gen-B")
    broken = generations.policies / "part3-proposals.iom"
    _write(broken, broken.read_text(encoding="utf-8") + "\nclause unfinished {\n  title \"no end\"\n")
    error = is_error(client.post("/v1/reload"), 409, "reload_refused")
    assert f"generation {current} goes on serving" in error["message"]
    assert any(p.get("file", "").endswith("part3-proposals.iom") and p["line"] for p in error["problems"]), error
    assert client.get("/readyz").json()["generation"] == current
    assert check(client) == (current, "gen-B", "fail")
    assert reload(client, generations, "gen-A") == current + 1
    assert check(client) == (current + 1, "gen-A", "pass")


def test_broken_data_or_a_missing_folder_is_refused(world):
    generations, server, client = world
    current = reload(client, generations, "gen-A")
    _write(generations.member_states, "kind: member_states\nstates: 5\n")
    error = is_error(client.post("/v1/reload"), 409, "reload_refused")
    assert any(p.get("file", "").endswith("member-states.yaml") for p in error["problems"]), error
    generations.write("gen-A")
    moved = generations.policies.with_name("policies-away")
    generations.policies.rename(moved)
    try:
        is_error(client.post("/v1/reload"), 409, "reload_refused")
    finally:
        moved.rename(generations.policies)
    assert check(client) == (current, "gen-A", "pass")
    assert client.get("/readyz").json()["generation"] == current


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="SIGHUP is POSIX")
def test_sighup_reloads_and_refuses_like_the_endpoint(world):
    generations, server, client = world
    current = reload(client, generations, "gen-A")
    generations.write("gen-C")
    server.process.send_signal(signal.SIGHUP)
    assert _wait(lambda: client.get("/readyz").json()["generation"] == current + 1), server.log_text()
    assert check(client) == (current + 1, "gen-C", "pass")
    assert "SIGHUP: reloaded" in server.log_text()

    broken = generations.policies / "part1-activities.iom"
    _write(broken, "policy {")
    server.process.send_signal(signal.SIGHUP)
    assert _wait(lambda: "SIGHUP: reload refused" in server.log_text()), server.log_text()
    assert client.get("/readyz").json()["generation"] == current + 1
    assert check(client) == (current + 1, "gen-C", "pass")
    assert server.process.poll() is None
    generations.write("gen-A")


def _wait(condition, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False
