"""The same measurements on two checkouts of iompolicy, taking turns in one run, so that
a change (a refactoring, say) can be shown to cost nothing beyond the noise:

    python benchmarks/compare.py BASE_CHECKOUT            # e.g. a `git worktree` of an older commit
    python benchmarks/compare.py BASE_CHECKOUT --smoke    # tiny sizes: checks that every part runs
    python benchmarks/compare.py BASE --this OTHER       # two checkouts, neither of them this one

Both sides get the same inputs, made by this checkout's `benchmarks/workload.py`: the
eight rules of `benchmarks/policies` over generated proposals in process, the shipped
policies of each checkout over 10,000 proposals, `check --format json` over 1,000 YAML
files, and a cold `check` of one file. Every measurement runs in a fresh process of a
fresh virtual environment whose PYTHONPATH holds the side's checkout; the sides take
turns, round after round, and each keeps its best time. The ratio is this checkout's
time over the base's: 1.00 is no change.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402  (the benchmark's own helpers: files, a clean interpreter)

# Timed inside a fresh process of one side: the seconds of the best of `repeats`, as JSON.
IN_PROCESS = """
import json, sys, time
sys.path.insert(0, {benchmarks!r})
import workload
from iompolicy import PolicySet
count, repeats, policies = {count}, {repeats}, {policies!r}
def best(action):
    fastest = float("inf")
    for _ in range(repeats):
        started = time.perf_counter(); action(); fastest = min(fastest, time.perf_counter() - started)
    return fastest
docs = workload.proposals(count)
data = {{"member_states": workload.member_states()}}
eight = PolicySet.load(policies)
[eight.check(d, data=data, validate=False) for d in docs]  # as a long run: past the warm-up
many = workload.proposals(10 * count, seed=7)
full = {{"member_states": workload.member_states(), "funded_projects": workload.funded_projects()}}
shipped = PolicySet.load({shipped!r})
[shipped.check(d, data=full, validate=False) for d in many[:300]]
print(json.dumps({{
    "eight rules, per document": best(lambda: [eight.check(d, data=data, validate=False) for d in docs]) / count,
    "shipped set, 10 x documents": best(lambda: [shipped.check(d, data=full, validate=False) for d in many]),
}}))
"""


def side_env(checkout: Path, base_env: dict) -> dict:
    """The clean environment, with `checkout` first on PYTHONPATH in place of this one."""
    env = dict(base_env)
    paths = env["PYTHONPATH"].split(os.pathsep)
    env["PYTHONPATH"] = os.pathsep.join([str(checkout), *[p for p in paths if Path(p) != ROOT]])
    return env


def timed_check(python: str, arguments: list[str], env: dict, folder: str) -> float:
    """The wall time of one `iompolicy` command, which must have judged (exit 0 or 1): a run
    that stopped on an error would be timed as a fast one."""
    started = time.perf_counter()
    done = subprocess.run([python, "-m", "iompolicy", *arguments], env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, cwd=folder)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.exit(f"iompolicy {' '.join(arguments)} (PYTHONPATH {env['PYTHONPATH'].split(os.pathsep)[0]}) "
                 f"exited {done.returncode}: {done.stderr.strip()[-500:]}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path, help="the other checkout (the root of its repository)")
    parser.add_argument("--this", type=Path, default=ROOT, metavar="CHECKOUT",
                        help="the checkout compared with the base (default: this one)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check that every part runs")
    args = parser.parse_args()
    base, this = args.base.resolve(), args.this.resolve()
    for checkout in (base, this):
        if not (checkout / "iompolicy" / "__init__.py").is_file():
            parser.error(f"{checkout}: not a checkout of iompolicy (no iompolicy/__init__.py)")
    count, repeats, rounds = (50, 1, 1) if args.smoke else (1000, 5, 5)
    sides = {"base": base, "this": this}
    for checkout in sides.values():
        compileall.compile_dir(str(checkout / "iompolicy"), quiet=1)  # as `pip install` does
    results: dict[str, dict[str, float]] = {name: {} for name in sides}

    def keep(name: str, measure: str, seconds: float) -> None:
        results[name][measure] = min(seconds, results[name].get(measure, float("inf")))

    with tempfile.TemporaryDirectory() as tmp:
        python, env = run.clean_interpreter(Path(tmp) / "venv")
        envs = {name: side_env(checkout, env) for name, checkout in sides.items()}
        for name in sides:  # each side's policy cache, filled as any earlier run would have
            envs[name]["IOMPOLICY_CACHE_DIR"] = str(Path(tmp) / f"cache-{name}")
            Path(envs[name]["IOMPOLICY_CACHE_DIR"]).mkdir(mode=0o700)
        folder = Path(tmp) / "files"
        folder.mkdir()
        run.write_files(folder, count)
        one = str(sorted(folder.glob("BENCH-*.yaml"))[0])
        data = str(folder / "member-states.yaml")
        commands = {
            f"check --format json, {count} files": ["check", str(folder), "--policies", str(run.EIGHT_RULES),
                                                    "--format", "json"],
            "cold start, check of one file": ["check", one, "--data", data, "--policies", str(run.EIGHT_RULES)],
            "cold start, shipped set": ["check", one, "--data", data],
        }
        for name in sides:
            for arguments in commands.values():
                timed_check(python, arguments, envs[name], tmp)
        print(f"{rounds} rounds; base {base}, this {this}", flush=True)
        for name in run.in_turns(sides, rounds):
            script = IN_PROCESS.format(benchmarks=str(HERE), count=count, repeats=repeats,
                                       policies=str(run.EIGHT_RULES), shipped=str(sides[name] / "policies"))
            out = subprocess.run([python, "-c", script], env=envs[name], capture_output=True, text=True,
                                 check=True, cwd=tmp).stdout
            for measure, seconds in json.loads(out).items():
                keep(name, measure, seconds)
            for measure, arguments in commands.items():
                for _ in range(1 if measure.startswith("check") else 5):
                    keep(name, measure, timed_check(python, arguments, envs[name], tmp))
    print(f"\n| measure | base | this | this / base |\n|---|---|---|---|")
    for measure, seconds in results["base"].items():
        mine = results["this"][measure]
        unit, scale = ("µs", 1e6) if seconds < 0.001 else ("ms", 1e3)
        print(f"| {measure} | {seconds * scale:.1f} {unit} | {mine * scale:.1f} {unit} | {mine / seconds:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
