"""The benchmark suite runs (a smoke run on tiny sizes); no test asserts a time."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT


def test_benchmark_smoke_run_measures_every_target():
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--smoke"],
                            capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "verdicts that differ from plain Python: 0" in out  # the baseline and the policies agree
    for heading in ("1. Evaluation in process", "2. The full shipped Strategy policy set",
                    "3. `iompolicy check --format json`", "4. Cold start"):
        assert heading in out
    assert out.count("MET ") + out.count("MISSED ") == 6  # six measured targets (and the agreement check): target 4 is two, the command and the API
    assert out.rstrip().splitlines()[-1].endswith("targets met")
    assert "the plain script against itself: " in out  # the control that shows how far a ratio strays


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed (.ci/run installs it)")
def test_the_instruction_counts_cover_every_target():
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "instructions.py"), "--smoke"],
                            capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == ["1.", "2.", "3.", "4."]
    counts = [float(number.replace(",", "")) for number in re.findall(r"([\d,]+) (?:M )?instructions", result.stdout)]
    assert len(counts) == 3 and all(count > 0 for count in counts)
    assert len(re.findall(r"\(\d+\.\d\dx\)", result.stdout)) == 4  # plain baselines: targets 1, 3 and 4 twice


def test_the_api_script_does_the_work_of_the_command(tmp_path):
    """benchmarks/api_check.py stands for `iompolicy check` without the command line: same report."""
    proposal = ROOT / "examples" / "proposals" / "04-tajikistan-border-over-ceiling.yaml"
    data = ROOT / "examples" / "data" / "member-states.yaml"
    policies = ROOT / "policies"
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1213574400"}  # the same start time in the provenance line
    api = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "api_check.py"), str(proposal), str(data),
                          str(policies)], capture_output=True, text=True, cwd=ROOT, env=env)
    command = subprocess.run([sys.executable, "-m", "iompolicy", "check", str(proposal), "--data", str(data),
                              "--policies", str(policies)], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert (api.returncode, api.stdout) == (command.returncode, command.stdout) == (1, command.stdout)
    assert "error part3.line2_national_ceiling [III.5.2]" in api.stdout


def test_the_comparison_of_two_checkouts_measures_both_sides(tmp_path):
    """benchmarks/compare.py, this checkout against itself: every measure on both sides."""
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "compare.py"), str(ROOT), "--smoke"],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = [line.split(" | ") for line in result.stdout.splitlines() if line.startswith("| ") and "---" not in line]
    assert [row[0] for row in rows[1:]] == ["| eight rules, per document", "| shipped set, 10 x documents",
                                            "| check --format json, 50 files", "| cold start, check of one file",
                                            "| cold start, shipped set"]
    assert all(float(row[3].rstrip(" |")) > 0 for row in rows[1:])


def test_the_comparison_refuses_a_folder_that_is_not_a_checkout(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "compare.py"), str(tmp_path)],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 2 and "not a checkout of iompolicy" in result.stderr


def test_a_command_that_stops_on_an_error_is_not_timed(tmp_path):
    """A run that exits 2 (here: a file that is not there) would be timed as a fast one."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import compare
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    with pytest.raises(SystemExit, match="exited 2"):
        compare.timed_check(sys.executable, ["check", str(tmp_path / "missing.yaml")], env, str(tmp_path))
    assert compare.timed_check(sys.executable, ["check", str(ROOT / "examples" / "proposals" /
                                                            "01-bolivia-climate-line2-national.yaml"),
                                                "--data", str(ROOT / "examples" / "data" / "member-states.yaml")], env, str(tmp_path)) > 0


def test_a_ratio_is_judged_by_the_median_of_its_rounds_not_by_each_sides_best():
    """One quick run of the baseline (a quick spell it met alone) decides the best times'
    ratio, but not the median of the rounds, each of which pairs two runs taken together."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import run
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    lucky = run.Ratio([1.0, 1.0, 1.0, 1.0, 1.0], [0.5, 1.0, 1.0, 1.0, 1.0])
    assert lucky.median == 1.0 and lucky.of_best == 2.0
    spread = run.Ratio([2.0, 3.0, 1.0, 5.0], [1.0, 1.0, 1.0, 1.0])
    assert (spread.median, spread.low, spread.high, spread.rounds) == (2.5, 1.25, 4.5, 4)
    assert str(spread).startswith("2.50x, the median of 4 rounds (the middle half 1.25x to 4.50x")
    with pytest.raises(ValueError):  # rounds that do not pair up are a mistake, not a ratio
        run.Ratio([1.0, 2.0], [1.0])
