"""`render.document_json` writes the very text `json.dumps(document_dict(...))` writes, while
it keeps the text of each shared result (passed, or not applicable) to write it again."""

from __future__ import annotations

import json

import pytest

from conftest import ROOT
from iompolicy import PolicySet
from iompolicy.provenance import DocumentDigests, build, started_at
from iompolicy.render import RenderOptions, document_dict, document_json
from iompolicy.run import Run, discover

EXAMPLES = ROOT / "examples"
SHIPPED = PolicySet.load(ROOT / "policies")


def _reports(data: bool, waivers: bool):
    run = Run(SHIPPED)
    if data:
        for name in ("member-states.yaml", "funded-projects.yaml"):
            run.add_data_file(str(EXAMPLES / "data" / name))
    if waivers:
        run.use_waivers(str(EXAMPLES / "waivers.yaml"))
    names, _ = discover([str(EXAMPLES / folder) for folder in ("proposals", "budgets", "governance")])
    run.add_inputs(names)
    digests = DocumentDigests()
    options = RenderOptions.for_policies(SHIPPED, digests=digests,
                                         provenance=build(run, [str(ROOT / "policies")], None, None, started_at()))
    return list(run.reports(observe=digests.observe)), options


@pytest.mark.parametrize("data, waivers", [(True, True), (True, False), (False, False)],
                         ids=["data-and-waivers", "data", "no-data"])
def test_the_text_is_json_dumps_of_the_document_dict(data, waivers):
    reports, options = _reports(data, waivers)
    outcomes = {result.outcome.value for report in reports for result in report.results}
    assert {"pass", "fail", "not_applicable"} <= outcomes
    if not data:
        assert "error" in outcomes  # undecided results, whose missing facts name the data files
    if waivers:
        assert "waived" in outcomes
    for _ in range(2):  # the second time, the shared results' texts are the ones kept
        for report in reports:
            assert document_json(report, options) == json.dumps(document_dict(report, options), ensure_ascii=False)
