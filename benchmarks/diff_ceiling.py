"""The impact of raising the Line 2 national ceiling from USD 200,000 to USD 250,000,
over a generated corpus of proposals: `iompolicy diff`, timed, whole process.

    python benchmarks/diff_ceiling.py            # 2,000 proposals
    python benchmarks/diff_ceiling.py --count 200

The corpus is generated deterministically from the shipped Bolivia example (a
national Line 2 proposal that complies): each proposal asks for between USD 100,000
and USD 300,000, with budget lines that add up to it, and about one in five is
regional. The new rules are the shipped policies with the one constant changed.
Prints the diff's summary lines, what the corpus says it should be, and the time.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "proposals" / "01-bolivia-climate-line2-national.yaml"


def generate(folder: Path, count: int, seed: int = 2007) -> dict:
    """Write `count` proposals; return what the ceiling change must do to them."""
    base = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    rng = random.Random(seed)
    expected = {"flip": 0, "amount": 0}
    for number in range(count):
        proposal = dict(base, id=f"GEN-{number:05d}", submitted_on=base["submitted_on"])
        regional = rng.random() < 0.2
        requested = rng.randrange(100_000, 300_001, 500)
        proposal["funding"] = {"line": 2, "requested_usd": requested}
        if regional:
            proposal.update(scope="regional", beneficiary_states=[base["applicant"], "PER"])
        shares = [rng.randrange(1, 10) for _ in range(4)]
        lines = [requested * s // sum(shares) for s in shares]
        lines[-1] = requested - sum(lines[:-1])
        proposal["budget_lines"] = [{"category": "operational", "description": f"part {i + 1}", "usd": usd}
                                    for i, usd in enumerate(lines)]
        if not regional and 200_000 < requested <= 250_000:
            expected["flip"] += 1
            expected["amount"] += requested
        (folder / f"p{number:05d}.yaml").write_text(yaml.safe_dump(proposal, sort_keys=False), encoding="utf-8")
    return expected


def raised_ceiling(folder: Path) -> None:
    """A copy of the shipped policies with LINE2_NATIONAL_CEILING at USD 250,000."""
    shutil.copytree(ROOT / "policies", folder, ignore=shutil.ignore_patterns("tests"))
    rules = folder / "part3-proposals.iom"
    text = rules.read_text(encoding="utf-8")
    changed = re.sub(r"const LINE2_NATIONAL_CEILING = USD 200_000", "const LINE2_NATIONAL_CEILING = USD 250_000", text)
    assert changed != text, "the ceiling constant was not found"
    rules.write_text(changed, encoding="utf-8")


def run(count: int) -> tuple[subprocess.CompletedProcess, dict, float]:
    with tempfile.TemporaryDirectory() as temporary:
        corpus, policies = Path(temporary) / "proposals", Path(temporary) / "policies"
        corpus.mkdir()
        expected = generate(corpus, count)
        raised_ceiling(policies)
        command = [sys.executable, "-m", "iompolicy", "diff", str(corpus), str(ROOT / "examples" / "data"),
                   "--base-policies", str(ROOT / "policies"), "--policies", str(policies), "--format", "json"]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        elapsed = time.perf_counter() - start
    return done, expected, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    count = parser.parse_args().count
    done, expected, elapsed = run(count)
    if done.returncode not in (0, 1):
        sys.exit(done.stderr)
    import json

    report = json.loads(done.stdout)
    allowed = report["money"]["newly_allowed"]
    print(f"{count} proposals; ceiling USD 200,000 -> USD 250,000")
    print(f"diff: {allowed['documents']} proposals refused -> allowed, USD {Decimal(allowed['amount']):,} "
          f"asked; {report['summary']['flips']} clause outcomes flip; exit status {done.returncode}")
    print(f"corpus: {expected['flip']} national proposals ask for more than 200,000 and at most 250,000, "
          f"USD {expected['amount']:,} in total")
    print(f"time: {elapsed:.2f} s (whole process, policy cache warm or cold as found)")


if __name__ == "__main__":
    main()
