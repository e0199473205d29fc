"""The run reads a small document once: the first pass, which looks for each file's `kind`,
keeps its bytes for the second, within a budget (memory stays flat), and the reports are
the same whether the bytes were kept or read again."""

from __future__ import annotations

import json
import shutil

from conftest import ROOT
from iompolicy import PolicySet
from iompolicy import run as run_module
from iompolicy.run import Run, discover

EXAMPLES = ROOT / "examples"
SHIPPED = PolicySet.load(ROOT / "policies")


def _reports(folder, monkeypatch, budget: int) -> tuple[list, list[str]]:
    run = Run(SHIPPED)
    run.read_ahead.budget = budget
    for name in ("member-states.yaml", "funded-projects.yaml"):
        run.add_data_file(str(EXAMPLES / "data" / name))
    reads = []  # the documents' reads, from here on
    original = run_module.read_file
    monkeypatch.setattr(run_module, "read_file", lambda name, limits: reads.append(name) or original(name, limits))
    names, _ = discover([str(folder)])
    run.add_inputs(names)
    reports = [json.dumps(report.to_dict(), sort_keys=True) for report in run.reports()]
    assert run.read_ahead.kept == {} and run.read_ahead.size == 0  # every kept file was used, once
    return reports, reads


def test_small_documents_are_read_once_within_the_budget(tmp_path, monkeypatch):
    folder = tmp_path / "proposals"
    shutil.copytree(EXAMPLES / "proposals", folder)
    sizes = sorted(path.stat().st_size for path in folder.glob("*.yaml"))
    kept, reads_kept = _reports(folder, monkeypatch, budget=10 ** 6)
    assert reads_kept == []  # the second pass opened none of them again
    some, reads_some = _reports(folder, monkeypatch, budget=sizes[0] + sizes[1])
    assert 0 < len(reads_some) < len(sizes)  # the budget kept the first ones only
    none, reads_none = _reports(folder, monkeypatch, budget=0)
    assert len(reads_none) == len(sizes)
    assert kept == some == none


def test_a_document_bigger_than_a_peek_is_read_again(tmp_path, monkeypatch):
    folder = tmp_path / "big"
    folder.mkdir()
    text = (EXAMPLES / "proposals" / "01-bolivia-climate-line2-national.yaml").read_text(encoding="utf-8")
    (folder / "big.yaml").write_text(text + "\n" + "# filler\n" * (run_module._PEEK_BYTES // 9 + 1), encoding="utf-8")
    reports, reads = _reports(folder, monkeypatch, budget=10 ** 8)
    assert [name.endswith("big.yaml") for name in reads] == [True]
    assert json.loads(reports[0])["outcome"] == "pass"


def test_a_named_pipe_given_through_the_api_is_refused_not_read_ahead(tmp_path):
    """The first pass reads a FIFO to peek at its kind (as it always did), but its bytes are
    not kept: when its turn comes it is refused unread, as a file of that kind always is."""
    import os
    import threading

    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    text = (EXAMPLES / "proposals" / "01-bolivia-climate-line2-national.yaml").read_bytes()

    def write():
        with open(fifo, "wb") as stream:
            stream.write(text)

    writer = threading.Thread(target=write)
    writer.start()
    run = Run(SHIPPED)
    run.add_inputs([str(fifo)])
    writer.join(timeout=10)
    (report,) = list(run.reports())
    assert report.outcome.value == "invalid"
    assert "named pipe" in report.problems[0].message


def test_processes_of_jobs_read_their_files_and_the_kept_bytes_are_let_go(tmp_path):
    from iompolicy.parallel import parallel_reports

    folder = tmp_path / "proposals"
    shutil.copytree(EXAMPLES / "proposals", folder)
    run = Run(SHIPPED)
    names, _ = discover([str(folder)])
    run.add_inputs(names)
    assert len(run.read_ahead.kept) == len(names)
    reports = list(parallel_reports(run, 2, None, {"only": None, "skip": None}, [str(ROOT / "policies")]))
    assert len(reports) == len(names) and run.read_ahead.kept == {} and run.read_ahead.size == 0
