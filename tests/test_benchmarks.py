"""The benchmark suite runs (a smoke run on tiny sizes); no test asserts a time."""

from __future__ import annotations

import subprocess
import sys

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
    assert out.count("MET ") + out.count("MISSED ") == 5  # five measured targets (and the agreement check)
    assert out.rstrip().splitlines()[-1].endswith("targets met")
