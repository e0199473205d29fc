"""The policy cache holds pickles, and unpickling a file someone else wrote can run their
code (SECURITY.md, "The policy cache"): an entry is read only from a folder that is the
user's own and that nobody else can write to."""

from __future__ import annotations

import os
import pickle

from click.testing import CliRunner

from conftest import ROOT
from iompolicy.cli import main

COMPLIANT = str(ROOT / "examples" / "proposals" / "01-bolivia-climate-line2-national.yaml")
DATA = [x for name in ("member-states.yaml", "funded-projects.yaml") for x in ("--data", str(ROOT / "examples" / "data" / name))]


class _Planted:
    """What an attacker would plant: unpickling it calls `open(marker, "w")`, a visible effect."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return open, (self.marker, "w")


def _check() -> str:
    result = CliRunner().invoke(main, ["check", COMPLIANT, *DATA])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_entries_in_a_folder_others_can_write_are_never_unpickled(tmp_path, monkeypatch):
    cache, marker = tmp_path / "cache", tmp_path / "code-ran"
    monkeypatch.setenv("IOMPOLICY_CACHE_DIR", str(cache))
    monkeypatch.delenv("IOMPOLICY_NO_CACHE", raising=False)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1213574400")  # one start time in every report
    expected = _check()  # fills the cache
    entries = sorted(cache.glob("*.pickle"))
    assert entries, "the run stored no cache entry"
    for entry in entries:
        entry.write_bytes(pickle.dumps(_Planted(str(marker))))
    os.chmod(cache, 0o777)  # anyone may write here: its entries may be anyone's
    assert _check() == expected
    assert not marker.exists(), "an entry of a folder others can write was unpickled"
    os.chmod(cache, 0o700)  # the same entries in a private folder are read: the test can fail
    for entry in entries:
        entry.write_bytes(pickle.dumps(_Planted(str(marker))))
    CliRunner().invoke(main, ["check", COMPLIANT, *DATA])
    assert marker.exists()
