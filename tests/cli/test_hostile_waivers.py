"""Waivers keyed on what a document says about itself (issue 19).

Before: a different proposal that claimed a waived `id` got the waiver (exit 0 on
the command line, `failing: 0` over HTTP), and `proposals/2011-*.yaml` also matched
`proposals/2011-x/evil.yaml`. Now two documents of one run (or one HTTP batch) may
not share an id, a waiver may pin the document by path and SHA-256, and `*` does not
cross `/`."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
from click.testing import CliRunner

from conftest import ROOT
from iompolicy.cli import main
from iompolicy.globs import excluded, matches

EXAMPLES = ROOT / "examples"
MANO_RIVER = EXAMPLES / "proposals" / "08-mano-river-article4-regional.yaml"  # fails part3.line2_article4
DATA = ["--data", str(EXAMPLES / "data" / "member-states.yaml"),
        "--data", str(EXAMPLES / "data" / "funded-projects.yaml")]
WAIVER = """kind: waivers
waivers:
  - id: W-1
    clause: part3.line2_article4
    documents: {documents}
    reason: "Payment plan agreed"
    approved_by: "Director General"
    decision: "SCPF/2011/REC-1"
    granted: 2011-01-01
    expires: 2011-12-31
"""


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """proposals/2011-gin.yaml (the waived proposal) in a folder of its own."""
    (tmp_path / "proposals").mkdir()
    shutil.copy(MANO_RIVER, tmp_path / "proposals" / "2011-gin.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check(*args):
    return CliRunner().invoke(main, ["check", *map(str, args), *DATA])


def waivers(repo, documents: str) -> str:
    (repo / "waivers.yaml").write_text(WAIVER.format(documents=documents))
    return "waivers.yaml"


def test_two_documents_of_one_run_may_not_share_an_id(repo):
    """An impostor that claims the waived id cannot ride on the waiver unnoticed."""
    (repo / "impostor").mkdir()
    shutil.copy(MANO_RIVER, repo / "impostor" / "other.yaml")
    result = check("proposals", "impostor", "--waivers", waivers(repo, "[IDF-2011-REG-GIN-01]"), "--format", "json")
    assert result.exit_code == 2, result.output
    first, second = json.loads(result.stdout)["documents"]  # in input order: the later one is refused
    # the waived proposal keeps its waiver (its own outcome is `fail` since beneficiaries' arrears warn, issue 13)
    article4 = next(r for r in first["results"] if r["clause"] == "part3.line2_article4")
    assert (first["path"], article4["outcome"]) == ("proposals/2011-gin.yaml", "waived")
    assert (second["path"], second["outcome"]) == ("impostor/other.yaml", "invalid")
    (problem,) = second["problems"]
    assert problem["code"] == "duplicate_id" and problem["path"] == "$.id" and problem["line"] == 11
    assert problem["message"] == "the id `IDF-2011-REG-GIN-01` is also the id of proposals/2011-gin.yaml"
    assert "impostor/other.yaml:11:1: the id `IDF-2011-REG-GIN-01` is also the id of proposals/2011-gin.yaml" \
        in result.stderr


def test_the_same_id_is_refused_with_jobs_too(repo, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1213574400")  # both runs state one start (a second may pass between)
    (repo / "impostor").mkdir()
    shutil.copy(MANO_RIVER, repo / "impostor" / "other.yaml")
    serial = check("proposals", "impostor", "--format", "json")
    parallel = check("proposals", "impostor", "--format", "json", "--jobs", "2")
    assert serial.exit_code == parallel.exit_code == 2
    assert json.loads(serial.stdout) == json.loads(parallel.stdout)


def test_a_star_does_not_cross_a_folder(repo):
    (repo / "proposals" / "2011-x").mkdir()
    (repo / "proposals" / "2011-gin.yaml").rename(repo / "proposals" / "2011-x" / "evil.yaml")
    result = check("proposals", "--waivers", waivers(repo, '["proposals/2011-*.yaml"]'))
    assert result.exit_code == 1, result.output  # before: waived, exit 0
    assert "matched nothing" in result.output


def test_a_double_star_takes_any_folders(repo):
    result = check("proposals", "--waivers", waivers(repo, '["**/2011-*.yaml"]'))
    assert result.exit_code == 0, result.output
    assert "1 waived" in result.output


def test_a_waiver_pinned_to_path_and_digest_covers_only_that_file_as_it_is(repo):
    digest = hashlib.sha256((repo / "proposals" / "2011-gin.yaml").read_bytes()).hexdigest()
    pinned = waivers(repo, f"[{{id: IDF-2011-REG-GIN-01, path: proposals/2011-gin.yaml, sha256: {digest}}}]")
    result = check("proposals", "--waivers", pinned)
    assert result.exit_code == 0, result.output
    assert "1 waived" in result.output
    with_jobs = check("proposals", "--waivers", pinned, "--jobs", "2")
    assert with_jobs.exit_code == 0, with_jobs.output
    # any edit of the document, even one that keeps its id and verdict, ends the waiver
    path = repo / "proposals" / "2011-gin.yaml"
    path.write_text(path.read_text() + "# edited\n")
    edited = check("proposals", "--waivers", pinned)
    assert edited.exit_code == 1, edited.output
    assert "waiver W-1 (part3.line2_article4 on id=IDF-2011-REG-GIN-01 path=proposals/2011-gin.yaml " \
           f"sha256={digest}) matched nothing" in edited.output
    # the same file elsewhere is not the pinned document either
    path.write_bytes(MANO_RIVER.read_bytes())
    (repo / "elsewhere").mkdir()
    path.rename(repo / "elsewhere" / "2011-gin.yaml")
    moved = check("elsewhere", "--waivers", pinned)
    assert moved.exit_code == 1, moved.output


def test_a_pin_must_name_something_and_a_digest_is_hex(repo):
    for documents in ("[{}]", "[{sha256: ABC}]", "[{id: X, colour: red}]"):
        result = check("proposals", "--waivers", waivers(repo, documents))
        assert result.exit_code == 2, (documents, result.output)
        assert "waivers.yaml:" in result.stderr


@pytest.mark.parametrize("pattern, path, expected", [
    ("proposals/2011-*.yaml", "proposals/2011-gin.yaml", True),
    ("proposals/2011-*.yaml", "proposals/2011-x/evil.yaml", False),
    ("*.yaml", "proposals/a.yaml", False),
    ("**/*.yaml", "proposals/a.yaml", True),
    ("**/*.yaml", "a.yaml", True),
    ("proposals/**", "proposals/a/b.yaml", True),
    ("proposals/?.yaml", "proposals/a.yaml", True),
    ("proposals/?.yaml", "proposals/ab.yaml", False),
    ("proposals/[ab].yaml", "proposals/b.yaml", True),
    ("./proposals/a.yaml", "proposals/a.yaml", True),
    ("IDF-2011-*", "IDF-2011-REG-GIN-01", True),
])
def test_path_patterns_match_by_segment(pattern, path, expected):
    assert matches(pattern, path) is expected


def test_exclude_patterns(tmp_path):
    assert excluded(str(tmp_path / "proposals/drafts/a.yaml"), ["drafts"], str(tmp_path))
    assert excluded(str(tmp_path / "proposals/a.draft.yaml"), ["*.draft.yaml"], str(tmp_path))
    assert excluded(str(tmp_path / "proposals/2009/a.yaml"), ["proposals/2009"], str(tmp_path))
    assert not excluded(str(tmp_path / "old/proposals/2009/a.yaml"), ["proposals/2009"], str(tmp_path))
    assert not excluded(str(tmp_path / "proposals/a.yaml"), ["*.draft.yaml", "drafts"], str(tmp_path))
