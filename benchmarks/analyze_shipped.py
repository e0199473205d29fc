"""How long `iompolicy analyze` takes on the whole shipped policy set (issue 17's target:
under 30 s on the project's 2-core machine). Run from the repository root:

    python benchmarks/analyze_shipped.py [--repeats N]

Prints the wall-clock and CPU seconds of each run (the analysis alone, in this process,
after loading the policies) and of the whole command in a fresh process. Not a test:
no test asserts a time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from iompolicy import PolicySet  # noqa: E402
from iompolicy.analysis.analyzer import analyze  # noqa: E402
from iompolicy.analysis.assumptions import Assumptions  # noqa: E402

TARGET_SECONDS = 30.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    repeats = parser.parse_args().repeats
    policies = PolicySet.load(ROOT / "policies")
    assumptions = Assumptions.beside([ROOT / "policies"], policies.schemas)  # as the command reads them
    for run in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        analysis = analyze(policies, assumptions=assumptions)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"analysis {run + 1}: {wall:.1f} s wall, {cpu:.1f} s CPU, {len(analysis.findings)} findings, "
              f"{sum(analysis.kinds.values())} clauses; notes: {analysis.notes or 'none'}")
    start, children = time.perf_counter(), os.times()
    subprocess.run([sys.executable, "-m", "iompolicy", "analyze", "--format", "json"], cwd=ROOT,
                   capture_output=True, check=False)
    whole = time.perf_counter() - start
    after = os.times()
    cpu = after.children_user - children.children_user + after.children_system - children.children_system
    print(f"whole command (fresh process): {whole:.1f} s wall, {cpu:.1f} s CPU; target under {TARGET_SECONDS:g} s: "
          f"{'met' if whole < TARGET_SECONDS else 'NOT met'}")


if __name__ == "__main__":
    main()
