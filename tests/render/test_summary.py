"""The run's summary: counts in one pass over each report's results, and the missing facts
of the reports that have undecided results, without working out anything of the others."""

from __future__ import annotations

from conftest import ROOT
from iompolicy import PolicySet, load_file
from iompolicy.render import Summary
from iompolicy.report import Outcome

SHIPPED = PolicySet.load(ROOT / "policies")
PROPOSALS = ROOT / "examples" / "proposals"
DATA = {load_file(path).kind: load_file(path).value for path in sorted((ROOT / "examples" / "data").glob("*.yaml"))}


def test_a_report_without_undecided_results_is_not_explained_by_the_summary():
    """The missing facts are gathered from each report with an undecided result. Gathered
    whenever the run had one so far, they made every later report's failed clauses be
    explained (a trace each) while the summary counted them."""
    undecided = SHIPPED.check(load_file(PROPOSALS / "01-bolivia-climate-line2-national.yaml"))  # no data
    failing = SHIPPED.check(load_file(PROPOSALS / "04-tajikistan-border-over-ceiling.yaml"), data=DATA)
    assert undecided.outcome is Outcome.UNDECIDED and failing.outcome is Outcome.FAIL
    summary = Summary()
    summary.add(undecided)
    summary.add(failing)
    (failed,) = [result for result in failing.results if result.outcome is Outcome.FAIL]
    assert failed._deferred is not None  # its explanation not worked out yet
    assert summary.missing and summary.failing == len(undecided.failed()) + 1
    assert summary.results == {outcome: undecided.counts()[outcome] + failing.counts()[outcome]
                               for outcome in summary.results}
