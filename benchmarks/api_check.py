"""The work of `iompolicy check FILE --data DATA --policies DIR` (the text report), done
through the Python API with no command-line layer: how much of a cold start is the
command line's own (argument parsing, help, settings) and how much the engine's.

    python benchmarks/api_check.py FILE DATA POLICY_DIR
"""

import sys

from iompolicy.engine import PolicySet
from iompolicy.provenance import DocumentDigests, build, started_at
from iompolicy.render import RenderOptions, Summary, writer
from iompolicy.run import Run, discover


def main(document: str, data: str, policy_dir: str) -> int:
    started = started_at()
    policies = PolicySet.load(policy_dir)
    run = Run(policies)
    run.add_data_file(data)
    names, missing = discover([document])
    run.problems.extend(missing)
    run.add_inputs(names)
    summary = Summary(fail_on="error")
    digests = DocumentDigests()  # the provenance the command states: policies, data and documents hashed
    options = RenderOptions.for_policies(policies, digests=digests,
                                         provenance=build(run, [policy_dir], None, None, started))
    reports = run.reports(observe=digests.observe)
    writer("text")(run.then_notices(reports, summary, stale=True), summary, options, sys.stdout)
    if run.problems:
        print("\n".join(str(p) for p in run.problems), file=sys.stderr)
        return 2
    return 1 if summary.failing else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
