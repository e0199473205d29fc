"""Reference data kept between runs (`cache.load_data`): a register that did not change is
not parsed again, and one that changed, however it changed, is never served stale."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import sys

import pytest
import yaml
from click.testing import CliRunner

from conftest import ROOT
from iompolicy import run as run_module
from iompolicy import PolicySet
from iompolicy.cli import main
from iompolicy.run import Run

OVER_CEILING = ROOT / "examples" / "proposals" / "04-tajikistan-border-over-ceiling.yaml"  # USD 235,000
COMPLIANT = ROOT / "examples" / "proposals" / "01-bolivia-climate-line2-national.yaml"


@pytest.fixture
def registers(tmp_path, monkeypatch):
    """Copies of the example registers, and a cache folder of this test's own."""
    monkeypatch.delenv("IOMPOLICY_NO_CACHE", raising=False)
    monkeypatch.setenv("IOMPOLICY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1213574400")  # one start time in every report
    folder = tmp_path / "data"
    folder.mkdir()
    for name in ("member-states.yaml", "funded-projects.yaml"):
        shutil.copy(ROOT / "examples" / "data" / name, folder / name)
    return folder


def _check(proposal, folder, *more):
    result = CliRunner().invoke(main, ["check", str(proposal), "--data", str(folder / "member-states.yaml"),
                                       "--data", str(folder / "funded-projects.yaml"), *more])
    assert result.exit_code in (0, 1), result.output
    return result


REGISTERS = {"member-states.yaml", "funded-projects.yaml"}


def _parsed(monkeypatch) -> list[str]:
    """The names of the registers the run parses from here on."""
    parsed = []
    original = run_module.load_file

    def counting(name, *args, **kwargs):
        if os.path.basename(name) in REGISTERS:
            parsed.append(os.path.basename(name))
        return original(name, *args, **kwargs)

    monkeypatch.setattr(run_module, "load_file", counting)
    return parsed


def test_a_register_read_once_is_put_back_with_the_same_report(registers, tmp_path, monkeypatch):
    for output in ("text", "json", "sarif"):
        shutil.rmtree(tmp_path / "cache", ignore_errors=True)  # each format from an empty cache
        parsed = _parsed(monkeypatch)
        first = _check(OVER_CEILING, registers, "--format", output)
        assert sorted(parsed) == ["funded-projects.yaml", "member-states.yaml"]
        parsed.clear()
        second = _check(OVER_CEILING, registers, "--format", output)
        assert parsed == [], "a register that did not change was parsed again"
        assert second.stdout == first.stdout and second.exit_code == first.exit_code == 1
    monkeypatch.setenv("IOMPOLICY_NO_CACHE", "1")
    assert _check(OVER_CEILING, registers, "--format", "sarif").stdout == first.stdout


def test_an_edit_keeping_size_and_time_is_read_again(registers):
    """Tajikistan falls under Article 4 (an edit of the same size, the time put back): the
    proposal for it, which passed that clause, now fails it."""
    register = registers / "member-states.yaml"
    clause = '"clause": "part3.line2_article4"'
    before = _check(OVER_CEILING, registers, "--format", "json").stdout
    assert clause in before and "part3.line2_article4: " not in _check(OVER_CEILING, registers).stdout
    info = os.stat(register)
    text = register.read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if line.lstrip().startswith("TJK:"))
    edited = line.replace("article4: false", "article4: true ")
    assert edited != line and len(edited) == len(line)
    register.write_text(text.replace(line, edited), encoding="utf-8")
    os.utime(register, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert (os.stat(register).st_size, os.stat(register).st_mtime_ns) == (info.st_size, info.st_mtime_ns)
    after = _check(OVER_CEILING, registers).stdout
    assert "part3.line2_article4" in after and after != before, after


def test_each_register_keeps_one_entry_however_often_it_changes(registers, tmp_path):
    register = registers / "funded-projects.yaml"
    for round_number in range(3):
        with open(register, "a", encoding="utf-8") as stream:
            stream.write(f"# edit {round_number}\n")
        _check(COMPLIANT, registers)
    assert len(list((tmp_path / "cache").glob("data-*.pickle"))) == 2  # one for each of the two registers


def test_two_policy_sets_reading_one_register_each_keep_theirs(registers, tmp_path, monkeypatch):
    """As `iompolicy diff` reads a register under the old and the new rules: neither set's
    entry replaces the other's, so neither parses it again on the next run."""
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies)
    with open(policies / "part3-proposals.iom", "a", encoding="utf-8") as stream:
        stream.write("\n")  # another text: another policy set entry
    for folder in (ROOT / "policies", policies):
        _check(COMPLIANT, registers, "--policies", str(folder))
    parsed = _parsed(monkeypatch)
    for folder in (ROOT / "policies", policies):
        _check(COMPLIANT, registers, "--policies", str(folder))
    assert parsed == []
    assert len(list((tmp_path / "cache").glob("data-*.pickle"))) == 4


def test_limits_apply_to_a_register_kept_under_other_limits(registers):
    _check(COMPLIANT, registers)  # kept under the default limits
    size = os.path.getsize(registers / "member-states.yaml")
    result = CliRunner().invoke(main, ["check", str(COMPLIANT), "--data", str(registers / "member-states.yaml"),
                                       "--max-bytes", str(size - 1)])
    assert result.exit_code == 2 and "member-states.yaml" in result.output, result.output


def test_other_schemas_do_not_reuse_a_register_validated_under_these(registers, tmp_path, monkeypatch):
    register = str(registers / "member-states.yaml")
    Run(PolicySet.load(ROOT / "policies")).add_data_file(register)  # kept under the shipped schemas
    schemas = tmp_path / "schemas"
    shutil.copytree(ROOT / "schemas", schemas)
    with open(schemas / "member_states.schema.json", "a", encoding="utf-8") as stream:
        stream.write("\n")  # another text: another policy set entry, though it validates alike
    parsed = _parsed(monkeypatch)
    again = Run(PolicySet.load(ROOT / "policies"))
    again.add_data_file(register)
    assert parsed == [] and not again.problems  # the same schemas: put back
    other = Run(PolicySet.load(ROOT / "policies", schemas=schemas))
    other.add_data_file(register)
    assert parsed == ["member-states.yaml"], "a register validated under other schemas was put back"
    assert other.data["member_states"] == again.data["member_states"]


def test_a_damaged_or_foreign_entry_is_ignored(registers, tmp_path, monkeypatch):
    expected = _check(OVER_CEILING, registers).stdout
    entries = sorted((tmp_path / "cache").glob("data-*.pickle"))
    assert len(entries) == 2
    entries[0].write_bytes(b"not a pickle")
    entries[1].write_bytes(pickle.dumps({"path": "elsewhere", "document": None}))
    parsed = _parsed(monkeypatch)
    assert _check(OVER_CEILING, registers).stdout == expected
    assert sorted(parsed) == ["funded-projects.yaml", "member-states.yaml"]


def test_a_register_kept_by_other_readers_is_read_again(registers, monkeypatch):
    """A development checkout whose readers were edited (or PyYAML upgraded) reads again:
    the readers' sources are part of what a kept register is put back for."""
    from iompolicy import cache

    _check(COMPLIANT, registers)
    parsed = _parsed(monkeypatch)
    _check(COMPLIANT, registers)
    assert parsed == []
    monkeypatch.setattr(cache, "_READERS", cache._readers() + " edited")
    _check(COMPLIANT, registers)
    assert sorted(parsed) == ["funded-projects.yaml", "member-states.yaml"]


def test_the_readers_checksum_covers_every_module_a_reading_runs():
    """Every module of the package that runs while a register is read and validated (YAML,
    JSON, unquoted dates, unique items) is among the sources the kept registers depend on."""
    from iompolicy import cache
    from iompolicy.documents import load_bytes

    policies = PolicySet.load(ROOT / "policies")
    policies.validator.all_fast_code()  # each kind's generated validator fetched from the cache now, not traced:
    # where that code is kept is the policy set's business (its entry's key), not the readers'
    registers = [(ROOT / "examples" / "data" / name).read_bytes() for name in sorted(REGISTERS)]
    json_register = json.dumps(yaml.safe_load(registers[1]), default=str).encode()
    ran = set()

    def note(frame, event, arg):
        if event == "call":
            ran.add(os.path.abspath(frame.f_code.co_filename))

    sys.setprofile(note)
    try:
        for data, name in ((registers[0], "a.yaml"), (registers[1], "b.yaml"), (json_register, "c.json")):
            document = load_bytes(data, name, "json" if name.endswith(".json") else "yaml")
            policies.validator.validate(document)
    finally:
        sys.setprofile(None)
    package = os.path.dirname(os.path.abspath(cache.__file__))
    ran_here = {path for path in ran if path.startswith(package + os.sep)}
    assert any(path.endswith("yaml11.py") for path in ran_here)  # the trace saw the readers at work
    assert any(path.endswith("json_reader.py") for path in ran_here)
    assert ran_here <= {os.path.abspath(path) for path in cache.reader_sources()}, \
        sorted(ran_here - {os.path.abspath(path) for path in cache.reader_sources()})


def test_a_register_kept_under_one_spelling_is_named_as_given_under_another(registers, monkeypatch):
    monkeypatch.chdir(registers)
    relative = CliRunner().invoke(main, ["check", str(COMPLIANT), "--data", "member-states.yaml", "--format", "json"])
    absolute = CliRunner().invoke(main, ["check", str(COMPLIANT), "--data", str(registers / "member-states.yaml"),
                                         "--format", "json"])
    assert relative.exit_code == absolute.exit_code == 0, relative.output + absolute.output
    files = json.loads(absolute.stdout)["provenance"]["data"]
    assert [entry["file"] for entry in files] == [str(registers / "member-states.yaml")]
    assert json.loads(relative.stdout)["provenance"]["data"][0]["file"] == "member-states.yaml"


def test_with_the_cache_off_nothing_is_kept_and_no_source_is_read(registers, tmp_path, monkeypatch):
    from iompolicy import cache

    monkeypatch.setenv("IOMPOLICY_NO_CACHE", "1")
    monkeypatch.setattr(cache, "_READERS", None)
    monkeypatch.setattr(cache, "reader_sources", lambda: pytest.fail("the readers' sources were read, the cache off"))
    parsed = _parsed(monkeypatch)
    for _ in range(2):
        _check(COMPLIANT, registers)
    assert sorted(parsed) == sorted(list(REGISTERS) * 2)  # each run parses both
    assert not (tmp_path / "cache").exists()


def test_the_provenance_states_the_digest_of_the_register_judged_without_reading_it_again(registers, monkeypatch):
    """The digest a kept register is found by is the one the report's provenance states: the
    file is read once a run, with the cache on or off, and its digest is that of its bytes."""
    import hashlib

    from iompolicy import provenance

    register = registers / "member-states.yaml"
    expected = "sha256:" + hashlib.sha256(register.read_bytes()).hexdigest()
    original = provenance.digest_file
    monkeypatch.setattr(provenance, "digest_file", lambda path: pytest.fail(f"{path} read again") if
                        os.path.basename(path) in REGISTERS else original(path))
    for cache_off in ("", "1"):
        monkeypatch.setenv("IOMPOLICY_NO_CACHE", cache_off)
        for _ in range(2):  # read, then (cache on) put back
            report = json.loads(_check(COMPLIANT, registers, "--format", "json").stdout)
            digests = {entry["file"]: entry["digest"] for entry in report["provenance"]["data"]}
            assert digests[str(register)] == expected
