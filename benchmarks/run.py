"""iompolicy's performance targets, each measured against a plain-Python baseline
in the same run so machine noise cancels. Run from the repository root:

    python benchmarks/run.py            # the full run (a few minutes on 2 cores)
    python benchmarks/run.py --smoke    # tiny sizes: checks that every part runs

Data is generated deterministically (benchmarks/workload.py). The measurements take
turns in rounds; a ratio is the median of the rounds' own ratios (see `Ratio`), an
absolute time the best of its runs. No test asserts a wall-clock time; CI runs only --smoke.
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import workload  # noqa: E402

from iompolicy import PolicySet  # noqa: E402

EIGHT_RULES = HERE / "policies"
PLAIN_SCRIPT = HERE / "plain_check.py"
API_SCRIPT = HERE / "api_check.py"


def best_of(repeats: int, action) -> float:
    """The fastest of `repeats` runs of `action`, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def in_turns(names, rounds: int):
    """`names` taking turns `rounds` times, each round starting with the next one, so that
    a slow spell of a shared machine slows all of them alike, not just one (measured one
    after the other, the plain baseline and iompolicy once differed by a third)."""
    names = list(names)
    for round_number in range(rounds):
        shift = round_number % len(names)
        yield from names[shift:] + names[:shift]


def times_in_turns(repeats: int, actions: dict) -> dict[str, list[float]]:
    """Each action's run times, in seconds, the actions taking turns `repeats` times."""
    times: dict[str, list[float]] = {name: [] for name in actions}
    for name in in_turns(actions, repeats):
        start = time.perf_counter()
        actions[name]()
        times[name].append(time.perf_counter() - start)
    return times


class StolenTime:
    """The share of this machine's CPU time that its hypervisor gave to other machines while
    a part ran (Linux's `steal` in /proc/stat), or None where that is not counted. A virtual
    machine on a busy host runs slower by about that share, all at once: the ratios cancel
    it (both sides run in turns), an absolute time does not."""

    def __enter__(self):
        self.start = _cpu_counters()
        self.share = None
        return self

    def __exit__(self, *exc):
        end = _cpu_counters()
        if self.start and end and sum(end) > sum(self.start):
            self.share = (end[7] - self.start[7]) / (sum(end) - sum(self.start))

    def print(self) -> None:
        """Say the share, where it was counted."""
        if self.share is not None:
            print(f"  the hypervisor took {self.share:.0%} of the machine's CPU time meanwhile (steal time)")


def _cpu_counters() -> list[int] | None:
    try:
        with open("/proc/stat") as stream:
            fields = stream.readline().split()
    except OSError:
        return None
    return [int(field) for field in fields[1:9]] if fields[:1] == ["cpu"] and len(fields) >= 9 else None


class Ratio:
    """How much longer one side took than its baseline, from runs taken in turns: the
    median of the rounds' own ratios (`median`), the middle half of them (`low`, `high`),
    and the ratio of the two sides' best times (`of_best`).

    The median of the rounds is what a target is judged by. This machine runs at two
    speeds that come and go within seconds (README, "Performance"), and the two runs of a
    round, taken a moment apart, mostly meet the same one, so their ratio cancels it. The
    two best times do not: each side's best may come from a different spell. In five runs
    of this script on the same code (2026-11-30), the ratio of the best times of two fixed
    scripts, the plain one and the plain one importing click, was 1.46, 1.64, 1.76, 1.57
    and 1.58 (`python -c pass` at 16 to 19 ms each time). Two series of rounds of the
    API's cold start and the plain script, 50 and 60 rounds taken minutes apart, gave
    1.60 and 1.32 by the best times, 1.29 and 1.35 by the median of the rounds."""

    def __init__(self, ours: list[float], baseline: list[float]):
        rounds = sorted(a / b for a, b in zip(ours, baseline, strict=True))
        self.median = statistics.median(rounds)
        quartiles = statistics.quantiles(rounds, n=4) if len(rounds) >= 4 else (rounds[0], None, rounds[-1])
        self.low, self.high = quartiles[0], quartiles[2]
        self.of_best = min(ours) / min(baseline)
        self.rounds = len(rounds)

    def __str__(self) -> str:
        return (f"{self.median:.2f}x, the median of {self.rounds} rounds (the middle half {self.low:.2f}x to "
                f"{self.high:.2f}x; the best times' ratio {self.of_best:.2f}x)")


def target(name: str, ratio: Ratio, limit: float) -> bool:
    ok = ratio.median <= limit
    print(f"  {'MET ' if ok else 'MISSED'}  {name}: {ratio} (limit {limit}x)")
    return ok


# ---- 1 and 2: in process -------------------------------------------------------------------------

def in_process(count: int, repeats: int) -> list[bool]:
    print(f"\n1. Evaluation in process: eight rules over {count} proposals already loaded")
    docs = workload.proposals(count)
    data = {"member_states": workload.member_states()}
    policies = PolicySet.load(EIGHT_RULES)
    disagreements = sum(
        1 for doc in docs
        if [(r.clause, r.outcome.value) for r in policies.check(doc, data=data, validate=False).results]
        != workload.plain_check(doc, data)
    )
    failing = sum(1 for doc in docs if policies.check(doc, data=data, validate=False).outcome.value != "pass")
    shipped = PolicySet.load(ROOT / "policies")
    many = workload.proposals(10 * count, seed=7)
    shipped_data = {"member_states": workload.member_states(), "funded_projects": workload.funded_projects()}
    # Target 2 is a time, not a ratio: nothing measured beside it cancels a slow spell of the
    # machine. Its runs take turns with target 1's, spread over this part, not one after another.
    with StolenTime() as stolen:
        times = times_in_turns(4 * repeats, {
            "plain": lambda: [workload.plain_check(d, data) for d in docs],
            "ours": lambda: [policies.check(d, data=data, validate=False) for d in docs],
            "closures": lambda: [policies.check(d, data=data, validate=False, evaluator="closures") for d in docs],
            "shipped": lambda: [shipped.check(d, data=shipped_data, validate=False) for d in many],
        })
    plain, ours, closures = (min(times[name]) / count for name in ("plain", "ours", "closures"))
    ratio = Ratio(times["ours"], times["plain"])
    with_schema = best_of(repeats, lambda: [policies.check(d, data=data) for d in docs]) / count
    explained = best_of(repeats, lambda: [policies.check(d, data=data, validate=False).to_dict() for d in docs]) / count
    print(f"  {failing} of {count} documents fail a rule; verdicts that differ from plain Python: {disagreements}")
    print(f"  plain Python {plain * 1e6:.2f} us/doc; iompolicy {ours * 1e6:.2f} us/doc with per-clause results "
          f"(explanations are worked out when read)")
    print(f"  also: with every explanation read (to_dict) {explained * 1e6:.2f} us/doc = {explained / plain:.1f}x; "
          f"with schema validation {with_schema * 1e6:.2f} us/doc")
    print(f"  the same with the compiler's closures instead of the generated Python: {closures * 1e6:.2f} us/doc "
          f"= {closures / plain:.1f}x")
    results = [target("iompolicy / plain Python", ratio, 3), disagreements == 0]

    print(f"\n2. The full shipped Strategy policy set on {10 * count} proposals, in process, one core")
    seconds, median = min(times["shipped"]), statistics.median(times["shipped"])
    clauses = len(shipped.clauses("proposal"))
    print(f"  {clauses} proposal clauses x {len(many)} proposals: {seconds:.3f} s, the best of {len(times['shipped'])} "
          f"runs taken in turns with target 1's ({seconds / len(many) * 1e6:.1f} us/doc; median {median:.3f} s)")
    stolen.print()
    limit = 0.25 * len(many) / 10_000
    ok = seconds <= limit
    print(f"  {'MET ' if ok else 'MISSED'}  under {limit:g} s")
    results.append(ok)
    return results


# ---- 3 and 4: whole processes --------------------------------------------------------------------

def write_files(folder: Path, count: int) -> None:
    docs = workload.proposals(count, seed=11)
    for doc in docs:
        doc["funding"]["requested_usd"] = int(doc["funding"]["requested_usd"])
        (folder / f"{doc['id']}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    (folder / "member-states.yaml").write_text(yaml.safe_dump(workload.member_states(), sort_keys=False))


def timed_processes(commands: dict[str, list[str]], repeats: int, env: dict) -> dict[str, tuple[list[float], int]]:
    """Each command's wall times, one a round, and its peak memory (KiB), the commands taking turns."""
    timed = {name: ([], 0) for name in commands}
    for name in in_turns(commands, repeats):
        seconds, memory = timed_process(name, commands[name], env)
        times, peak = timed[name]
        times.append(seconds)
        timed[name] = (times, max(peak, memory))
    return timed


def timed_process(name: str, command: list[str], env: dict) -> tuple[float, int]:
    """One run's wall time and peak memory (KiB); a command that stops on an error ends the script."""
    probe = [sys.executable, "-c",
             "import resource, subprocess, sys, time;"
             "t = time.perf_counter(); done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL);"
             "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,"
             " done.returncode)"] + command
    # From a neutral folder, as in a user's own repository (no settings file on the way up).
    out = subprocess.run(probe, capture_output=True, text=True, env=env, check=True,
                         cwd=tempfile.gettempdir()).stdout.split()
    if int(out[2]) not in (0, 1):  # a command that stopped on an error would be timed as a fast one
        sys.exit(f"{name}: {' '.join(command)} exited {out[2]}")
    return float(out[0]), int(out[1])


def paired_processes(pairs: dict[str, tuple[list[str], list[str]]], rounds: int,
                     env: dict) -> dict[str, tuple[list[float], list[float]]]:
    """For each pair (a command, its baseline): their wall times, one of each a round, the
    two run one right after the other (which goes first alternates), so that a round's two
    runs meet the same spell of the machine; the pairs take turns within a round."""
    times = {name: ([], []) for name in pairs}
    for round_number in range(rounds):
        for name, commands in pairs.items():
            order = (0, 1) if round_number % 2 == 0 else (1, 0)
            for side in order:
                times[name][side].append(timed_process(name, commands[side], env)[0])
    return times


def clean_interpreter(folder: Path) -> tuple[str, dict]:
    """The Python of a fresh virtual environment, and an environment whose PYTHONPATH holds
    this checkout and the site-packages folders of this interpreter (where PyYAML and
    click are), which Python reads without running their `.pth` files.

    Both sides of targets 3 and 4 run on it. The interpreter that runs this script may
    have `.pth` files that import modules on every start (this machine's system Python
    imports certifi and importlib.resources, about 30 ms): a fixed cost added to both sides
    would flatter the ratios, and a module one side needs that the other does not would be
    free. A fresh virtual environment starts as a user's own would."""
    import sysconfig
    import venv

    venv.create(folder, with_pip=False, symlinks=os.name != "nt")
    python = folder / ("Scripts" if os.name == "nt" else "bin") / "python"
    packages = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    import click

    packages |= {str(Path(module.__file__).resolve().parent.parent) for module in (yaml, click)}
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONSTARTUP")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *sorted(packages)])  # this checkout, installed or not
    return str(python), env


def processes(count: int, repeats: int) -> list[bool]:
    compileall.compile_dir(str(ROOT / "iompolicy"), quiet=1)  # as `pip install` does
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        python, env = clean_interpreter(Path(tmp) / "venv")
        cache = Path(tmp) / "cache"
        cache.mkdir(mode=0o700)
        env["IOMPOLICY_CACHE_DIR"] = str(cache)
        command = [python, "-m", "iompolicy"]
        folder = Path(tmp) / "files"
        folder.mkdir()
        write_files(folder, count)
        data = str(folder / "member-states.yaml")
        for policies in (EIGHT_RULES, ROOT / "policies"):  # fill the cache, as any earlier run would have
            subprocess.run(command + ["lint", str(policies)], env=env, capture_output=True, cwd=tempfile.gettempdir(),
                           check=True)  # a failed fill would time Lark's parse

        print(f"\n3. `iompolicy check --format json` on {count} YAML files, whole process")
        with StolenTime() as stolen:
            timed = timed_processes({
                "ours": command + ["check", str(folder), "--policies", str(EIGHT_RULES), "--format", "json"],
                "plain": [python, str(PLAIN_SCRIPT), str(folder)],
            }, 2 * repeats, env)  # a round takes a second or so: ten rounds
        (ours, ours_memory), (plain, _) = timed["ours"], timed["plain"]
        print(f"  plain Python {min(plain):.3f} s; iompolicy {min(ours):.3f} s (the best of each), "
              f"peak memory {ours_memory // 1024} MiB")
        stolen.print()
        results.append(target("iompolicy / plain Python", Ratio(ours, plain), 2))
        results.append(memory_is_flat(command, folder, count, env))

        print("\n4. Cold start: `iompolicy check` on one proposal, whole process")
        one = str(sorted(folder.glob("BENCH-*.yaml"))[0])
        plain = [python, str(PLAIN_SCRIPT), one, data]
        ours = command + ["check", one, "--data", data, "--policies", str(EIGHT_RULES)]
        subprocess.run(ours, env=env, capture_output=True, cwd=tempfile.gettempdir())  # the register kept, as
        # any earlier check that read it would have (the first reading writes it)
        with StolenTime() as stolen:
            pairs = paired_processes({  # (measured, its baseline)
                "command": (ours, [python, str(PLAIN_SCRIPT), "--import-click", one, data]),
                "api": ([python, str(API_SCRIPT), one, data, str(EIGHT_RULES)], plain),
                "control": (plain, plain),  # the plain script against itself: how far a ratio strays
            }, repeats * 8, env)
            best = {name: min(runs) for name, (runs, _) in timed_processes({
                "shipped": command + ["check", one, "--data", data],
                "bare": [python, "-c", "pass"],
                "click": [python, "-c", "import click"],
            }, repeats, env).items()}
        (command_times, click_times), (api_times, plain_times) = pairs["command"], pairs["api"]
        print(f"  the best times: plain Python {min(plain_times) * 1000:.0f} ms; iompolicy {min(command_times) * 1000:.0f} "
              f"ms (with the full shipped policy set: {best['shipped'] * 1000:.0f} ms); `python -c pass` "
              f"{best['bare'] * 1000:.0f} ms; `import click` alone {(best['click'] - best['bare']) * 1000:.0f} ms more; "
              f"the plain script importing click too {min(click_times) * 1000:.0f} ms; the same check through the "
              f"Python API, without the command line, {min(api_times) * 1000:.0f} ms")
        print(f"  the plain script against itself: {Ratio(*pairs['control'])}: how far these ratios stray "
              f"with nothing changed")
        stolen.print()
        # The targets as decided (issue 12): click is the command line's chosen library, so the
        # command is measured against a plain script that imports click too (the floor any
        # click command shares); without the command line, the API is measured against plain Python.
        results.append(target("iompolicy check / plain Python importing click", Ratio(command_times, click_times), 1.25))
        results.append(target("the same check through the API / plain Python", Ratio(api_times, plain_times), 1.3))
    return results


def memory_is_flat(command: list[str], folder: Path, count: int, env: dict) -> bool:
    """Peak memory of `check --format jsonl` on N files, then on 4N: streaming keeps it flat."""
    with tempfile.TemporaryDirectory() as tmp:
        bigger = Path(tmp)
        write_files(bigger, 4 * count)
        peaks = []
        for where in (folder, bigger):
            _, peak = timed_processes({"jsonl": command + ["check", str(where), "--policies", str(EIGHT_RULES),
                                                           "--format", "jsonl"]}, 1, env)["jsonl"]
            peaks.append(peak)
    growth = peaks[1] / peaks[0]
    ok = growth <= 1.25
    print(f"  peak memory with --format jsonl: {peaks[0] // 1024} MiB for {count} files, "
          f"{peaks[1] // 1024} MiB for {4 * count} files")
    print(f"  {'MET ' if ok else 'MISSED'}  memory flat: x{growth:.2f} for 4x the files (limit x1.25)")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check that every part runs")
    args = parser.parse_args()
    count, repeats = (50, 1) if args.smoke else (1000, 5)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}")
    results = in_process(count, repeats) + processes(count, repeats)
    print(f"\n{sum(results)} of {len(results)} targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
