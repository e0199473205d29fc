"""Stale policies (issue 19): the command line's policy cache must not serve a policy
set whose text differs from the files, even when an edit keeps each file's size and
modification time (`touch -r`, a restored backup, a coarse file-system clock).
(The service's reload: tests/service/test_service_reload.py.)"""

from __future__ import annotations

import os
import shutil

from click.testing import CliRunner

from conftest import ROOT
from iompolicy import cache
from iompolicy.cli import main

OVER_CEILING = ROOT / "examples" / "proposals" / "04-tajikistan-border-over-ceiling.yaml"  # USD 235,000
DATA = ["--data", str(ROOT / "examples" / "data" / "member-states.yaml"),
        "--data", str(ROOT / "examples" / "data" / "funded-projects.yaml")]


def _edit_keeping_size_and_time(path, old: str, new: str) -> None:
    assert len(old) == len(new)
    info = os.stat(path)
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert (os.stat(path).st_size, os.stat(path).st_mtime_ns) == (info.st_size, info.st_mtime_ns)


def test_an_edit_keeping_size_and_time_is_not_served_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("IOMPOLICY_NO_CACHE", raising=False)
    monkeypatch.setenv("IOMPOLICY_CACHE_DIR", str(tmp_path / "cache"))
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies)
    check = ["check", str(OVER_CEILING), *DATA, "--policies", str(policies)]
    first = CliRunner().invoke(main, check)
    assert first.exit_code == 1 and "part3.line2_national_ceiling" in first.stdout, first.output
    assert any((tmp_path / "cache").glob("stat-*.pickle"))  # the index the edit must not fool
    _edit_keeping_size_and_time(policies / "part3-proposals.iom", "LINE2_NATIONAL_CEILING = USD 200_000",
                                "LINE2_NATIONAL_CEILING = USD 300_000")
    second = CliRunner().invoke(main, check)
    assert second.exit_code == 0, second.output  # before: the cached set, with the old ceiling, failed it again
    third = CliRunner().invoke(main, check)  # and the new text is what the index now serves
    assert third.exit_code == 0, third.output


def test_the_stat_index_checks_each_file_s_content(tmp_path, monkeypatch):
    monkeypatch.delenv("IOMPOLICY_NO_CACHE", raising=False)
    monkeypatch.setenv("IOMPOLICY_CACHE_DIR", str(tmp_path / "cache"))
    watched = [tmp_path / "a.iom", tmp_path / "schema.json"]
    shutil.copy(ROOT / "policies" / "part3-proposals.iom", watched[0])
    shutil.copy(ROOT / "schemas" / "proposal.schema.json", watched[1])
    signature = cache.signature(watched)
    cache.store_by_signature(signature, {"entry": 1}, watched)
    assert cache.load_by_signature(signature, watched) == {"entry": 1}
    _edit_keeping_size_and_time(watched[1], '"type"', '"tYpe"')
    assert cache.signature(watched) == signature  # size and time alone cannot tell
    assert cache.load_by_signature(signature, watched) is None
