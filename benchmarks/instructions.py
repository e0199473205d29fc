"""The targets of benchmarks/run.py counted in instructions executed (valgrind), not in time.

On a shared machine a timing moves by a fifth from one run to the next, more than most
single changes gain. The instructions a program executes move by well under one percent
(with PYTHONHASHSEED fixed), so a change can be judged by them; time is still what the
targets are stated in, and what run.py measures. Run from the repository root:

    python benchmarks/instructions.py            # the full count (a few minutes)
    python benchmarks/instructions.py --smoke    # tiny sizes: checks that every part runs

Needs valgrind (`apt install valgrind`). Instructions are not time: an instruction of the
plain script (mostly C: PyYAML's parser, dict look-ups) and one of iompolicy's Python are
not the same work, so a ratio here is a guide to what a change does, not a target met.
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402  (the workloads and the clean interpreter of the timed benchmark)

_COUNT = re.compile(r"I\s+refs:\s+([\d,]+)")

# What one in-process count runs: the workload, then ROUNDS passes over it (a count with
# no pass is subtracted, so that start-up and loading are not counted).
_IN_PROCESS = """
import sys
sys.path[:0] = [{here!r}, {root!r}]
import workload
from iompolicy import PolicySet
from iompolicy.engine import WARM_UP
which, rounds = sys.argv[1], int(sys.argv[2])
if which == "shipped":
    policies = PolicySet.load({root!r} + "/policies")
    docs = workload.proposals({count}, seed=7)
    data = {{"member_states": workload.member_states(), "funded_projects": workload.funded_projects()}}
else:
    policies = PolicySet.load({here!r} + "/policies")
    docs = workload.proposals({count})
    data = {{"member_states": workload.member_states()}}
for number in range(WARM_UP + 1):  # past the warm-up: the generated code, as run.py times it
    policies.check(docs[number % len(docs)], data=data, validate=False)
for _ in range(rounds):
    if which == "plain":
        for doc in docs:
            workload.plain_check(doc, data)
    else:
        for doc in docs:
            policies.check(doc, data=data, validate=False)
"""


def instructions(command: list[str], env: dict | None = None, cwd: str | None = None) -> int:
    """The instructions `command` executes, as valgrind counts them."""
    done = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
                           *command], capture_output=True, text=True, env=env, cwd=cwd)
    found = _COUNT.search(done.stderr)
    if found is None:
        sys.exit(f"valgrind counted nothing for {' '.join(command)}:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def per_document(script: Path, which: str, count: int, env: dict) -> float:
    """Instructions per document of one in-process check (or plain check), two passes counted."""
    python = sys.executable
    rounds = instructions([python, str(script), which, "2"], env) - instructions([python, str(script), which, "0"], env)
    return rounds / (2 * count)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check that every part runs")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt install valgrind)")
    count, files = (100, 20) if args.smoke else (1000, 1000)
    compileall.compile_dir(str(ROOT / "iompolicy"), quiet=1)  # as `pip install` does: no process compiles what it counts
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "in_process.py"
        script.write_text(_IN_PROCESS.format(here=str(HERE), root=str(ROOT), count=count), encoding="utf-8")
        plain, ours = (per_document(script, which, count, env) for which in ("plain", "eight"))
        print(f"1. eight rules in process: {ours:,.0f} instructions a document, plain Python {plain:,.0f} "
              f"({ours / plain:.2f}x)")
        shipped = per_document(script, "shipped", count, env)
        print(f"2. the shipped set in process: {shipped:,.0f} instructions a document")

        python, child_env = run.clean_interpreter(Path(tmp) / "venv")
        child_env = {**child_env, "PYTHONHASHSEED": "0", "IOMPOLICY_CACHE_DIR": str(Path(tmp) / "cache")}
        (Path(tmp) / "cache").mkdir(mode=0o700)
        folder = Path(tmp) / "files"
        folder.mkdir()
        run.write_files(folder, files)
        command = [python, "-m", "iompolicy"]
        # the policy cache filled, as any earlier run would have (a failed fill would count Lark's parse),
        # and by an earlier check of as many files, which keeps the generated function there (the first
        # run writes it: about 40 M instructions more; the timed runs of run.py keep their best)
        subprocess.run(command + ["lint", str(run.EIGHT_RULES)], env=child_env, capture_output=True, cwd=tmp, check=True)
        subprocess.run(command + ["check", str(folder), "--policies", str(run.EIGHT_RULES), "--format", "json"],
                       env=child_env, capture_output=True, cwd=tmp)
        ours = instructions(command + ["check", str(folder), "--policies", str(run.EIGHT_RULES), "--format", "json"],
                            child_env, tmp)
        plain = instructions([python, str(run.PLAIN_SCRIPT), str(folder)], child_env, tmp)
        print(f"3. check --format json, {files} files: {ours / 1e6:,.0f} M instructions, plain {plain / 1e6:,.0f} M "
              f"({ours / plain:.2f}x)")
        one, data = str(sorted(folder.glob("BENCH-*.yaml"))[0]), str(folder / "member-states.yaml")
        check_one = command + ["check", one, "--data", data, "--policies", str(run.EIGHT_RULES)]
        # the register kept, as any earlier check that read it would have (its first reading writes it)
        subprocess.run(check_one, env=child_env, capture_output=True, cwd=tmp)
        cold = instructions(check_one, child_env, tmp)
        plain_click = instructions([python, str(run.PLAIN_SCRIPT), "--import-click", one, data], child_env, tmp)
        api = instructions([python, str(run.API_SCRIPT), one, data, str(run.EIGHT_RULES)], child_env, tmp)
        plain = instructions([python, str(run.PLAIN_SCRIPT), one, data], child_env, tmp)
        print(f"4. cold start: {cold / 1e6:,.0f} M, plain importing click {plain_click / 1e6:,.0f} M "
              f"({cold / plain_click:.2f}x); through the API {api / 1e6:,.0f} M, plain {plain / 1e6:,.0f} M "
              f"({api / plain:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
