"""The Python API as other systems embed it."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import jsonschema
import pytest

from conftest import ROOT
from iompolicy import DocumentError, Outcome, PolicySet, load_file

EXAMPLES = ROOT / "examples"
DATA = [load_file(EXAMPLES / "data" / "member-states.yaml"), load_file(EXAMPLES / "data" / "funded-projects.yaml")]
OVER_CEILING = EXAMPLES / "proposals" / "04-tajikistan-border-over-ceiling.yaml"


@pytest.fixture(scope="module")
def policies():
    return PolicySet.load(ROOT / "policies")


def test_a_document_as_path_dict_or_loaded_gets_the_same_verdicts(policies):
    loaded = policies.check(load_file(OVER_CEILING), data=DATA)
    by_path = policies.check(str(OVER_CEILING), data=DATA)
    as_dict = policies.check(dict(load_file(OVER_CEILING).value), data=DATA)
    verdicts = [(r.clause, r.outcome) for r in loaded.results]
    assert verdicts == [(r.clause, r.outcome) for r in by_path.results] == [(r.clause, r.outcome) for r in as_dict.results]
    ceiling = next(r for r in loaded.results if r.clause == "part3.line2_national_ceiling")
    assert ceiling.outcome is Outcome.FAIL
    assert (ceiling.location.path, ceiling.location.line) == ("$.funding.requested_usd", 18)
    plain = next(r for r in as_dict.results if r.clause == "part3.line2_national_ceiling")
    assert (plain.location.path, plain.location.line) == ("$.funding.requested_usd", None)  # a dict has no lines


def test_to_dict_matches_the_report_schema(policies):
    import json

    schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
    document_schema = {**schema["$defs"]["document"], "$defs": schema["$defs"]}
    jsonschema.validate(policies.check(load_file(OVER_CEILING), data=DATA).to_dict(), document_schema)


def test_explanations_read_later_equal_those_of_the_tracing_run(policies):
    fast = policies.check(load_file(OVER_CEILING), data=DATA)
    traced = policies.check(load_file(OVER_CEILING), data=DATA, trace_all=True)
    assert [r.to_dict() for r in fast.results] == [r.to_dict() for r in traced.results]


def test_reports_pickle_whole(policies):
    report = policies.check(load_file(OVER_CEILING), data=DATA)
    copy = pickle.loads(pickle.dumps(report))
    assert copy == report
    assert copy.to_dict() == report.to_dict()


def test_results_are_immutable(policies):
    result = policies.check(load_file(OVER_CEILING), data=DATA).results[0]
    with pytest.raises(AttributeError):
        result.outcome = Outcome.PASS


def test_a_bad_document_raises_document_error_with_locations(policies):
    with pytest.raises(DocumentError) as caught:
        policies.check({"kind": "proposal", "id": "x"})
    assert any("is a required property" in p.message for p in caught.value.problems)


def test_the_parallel_example_runs():
    result = subprocess.run([sys.executable, str(EXAMPLES / "api" / "parallel_audit.py"),
                             str(EXAMPLES / "proposals"), str(EXAMPLES / "data")],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("11 documents, 5 not passing: IDF-2015-TJK-02, 1035-2007-PHL-03")


def test_documents_compare_by_content_and_shapes_without_a_schema_hash():
    from iompolicy.language.shapes import Shape

    assert load_file(OVER_CEILING) == load_file(OVER_CEILING)
    assert load_file(OVER_CEILING) != load_file(EXAMPLES / "data" / "member-states.yaml")
    assert hash(Shape.of("number")) == hash(Shape.of("number"))
    with pytest.raises(TypeError):
        hash(Shape(frozenset({"object"}), {"type": "object"}))  # as the frozen dataclass it was


def test_notices_follow_each_document_and_the_register_as_given():
    """The notices of a report are worked out once per date and register (issue 18), never
    carried over: each document's own date is named, a register whose `as_of` changes is
    read again, and dated facts say nothing."""
    policies = PolicySet.load(ROOT / "benchmarks" / "policies")
    register = {"kind": "member_states", "as_of": "2016-01-01",
                "states": {"BOL": {"name": "Bolivia", "member": True, "developing": True, "article4": False}}}
    proposal = dict(load_file(EXAMPLES / "proposals" / "01-bolivia-climate-line2-national.yaml").value)

    def notices(submitted_on, data):
        return policies.check({**proposal, "submitted_on": submitted_on}, data={"member_states": data},
                              validate=False).notices

    other_year = [n for n in notices("2012-05-01", register) if "reference data `member_states`" in n]
    assert len(other_year) == 1 and "judged as of 2012-05-01" in other_year[0] and "as of 2016-01-01" in other_year[0]
    assert "judged as of 2013-02-03" in " ".join(notices("2013-02-03", register))
    assert not [n for n in notices("2016-07-01", register) if "reference data" in n]  # the same year
    register["as_of"] = "2012-01-01"  # changed in place: read again, not remembered
    assert not [n for n in notices("2012-05-01", register) if "reference data" in n]
    dated = {**register, "states": {"BOL": {**register["states"]["BOL"],
                                            "article4": [{"from": "2000-01-01", "value": False}]}}}
    assert not [n for n in notices("2013-02-03", dated) if "reference data" in n]
    nothing = {**proposal, "submitted_on": "2012-05-01", "funding": {**proposal["funding"], "line": 1},
               "government_request": True}
    assert not [n for n in policies.check(nothing, data={"member_states": register}, validate=False).notices
                if n.startswith("no clause applied")]


def test_the_dask_example_gives_the_reports_of_check_jobs_1(tmp_path):
    """docs/api.md's Dask path (examples/api/dask_audit.py) audits a generated corpus through
    dask.bag on the local scheduler: the reports are those of `iompolicy check --jobs 1`."""
    pytest.importorskip("dask.bag", reason="dask is not installed (pip install 'dask[bag]', in the test extra)")
    import json

    from audit_corpus import write_audit

    folder = tmp_path / "corpus"
    write_audit(folder, 60, 6)
    (folder / "not-a-proposal.yaml").write_text("kind: proposal\nid: [broken\n", encoding="utf-8")
    data = EXAMPLES / "data"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # both sides run this checkout's iompolicy
    result = subprocess.run([sys.executable, str(EXAMPLES / "api" / "dask_audit.py"), str(folder), str(data)],
                            capture_output=True, text=True, cwd=ROOT, timeout=600, env=env)
    assert result.returncode == 0, result.stderr
    through_dask = json.loads(result.stdout)
    command = subprocess.run([sys.executable, "-m", "iompolicy", "check", str(folder), "--jobs", "1",
                              "--format", "json", "--data", *sorted(str(p) for p in data.glob("*.yaml"))],
                             capture_output=True, text=True, cwd=ROOT, timeout=600, env=env)
    assert command.returncode == 2, command.stderr  # an input that could not be checked: exit 2
    by_command = {r["path"]: {k: v for k, v in r.items() if k != "digest"} for r in json.loads(command.stdout)["documents"]}
    assert len(through_dask) == 61 == len(by_command)
    assert {r["path"]: r for r in through_dask} == by_command
    assert sum(r["outcome"] == "fail" for r in through_dask) == 6
    assert [r["outcome"] for r in through_dask if r["path"].endswith("not-a-proposal.yaml")] == ["invalid"]


def test_reference_data_in_any_mapping_draws_the_notices_a_dict_draws(policies):
    """A mapping that hands out a new copy each time it is read is read once per check: the
    register's notice (its facts are of another year than the document) is still said."""
    import copy
    from collections.abc import Mapping

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import workload

    class Copying(Mapping):
        def __init__(self, data):
            self.data = data

        def __getitem__(self, key):
            return copy.deepcopy(self.data[key])

        def __iter__(self):
            return iter(self.data)

        def __len__(self):
            return len(self.data)

    document = workload.proposals(1)[0]
    plain = {"member_states": workload.member_states()}
    expected = policies.check(document, data=plain, validate=False).notices
    assert any("member_states" in notice for notice in expected)
    assert policies.check(document, data=Copying(plain), validate=False).notices == expected


def test_a_kind_dated_by_its_year_is_not_dated_by_another_key(policies):
    """A facility budget is dated by its `year`; a key that is not a field (None, through the
    API without validation) holding a date already read for another document is no date."""
    budget = load_file(EXAMPLES / "budgets" / "facility-budget-2019.yaml").value
    policies.check(load_file(OVER_CEILING), data=DATA)  # its date text is now known
    written = load_file(OVER_CEILING).value["submitted_on"]
    odd = {**budget, None: written if isinstance(written, str) else written.isoformat()}
    assert policies.check(odd, data=DATA, validate=False).as_of == policies.check(budget, data=DATA).as_of


def test_a_check_through_the_api_from_a_warm_cache_imports_nothing_heavy(tmp_path):
    """The API's cold start (issue 18's target 4): with the policies cached, a check of a
    passing proposal imports no parser, no schema library, no explanation machinery, and not
    `typing` (5 ms, which the YAML reader's `NoReturn` annotations had cost every start),
    `contextvars` and `contextlib` (made only for the service's stoppable checks), `importlib`
    (a report format's module is imported by the import statement's function), `pickle`'s
    Python module (the cache reads with the C unpickler alone) or the unparser (a syntax node
    from the cache comes with its source text).
    Without `site` (`-S`): this interpreter's `.pth` files import typing themselves."""
    import lark
    import yaml

    packages = {os.path.dirname(os.path.dirname(module.__file__)) for module in (yaml, lark, jsonschema)}
    env = {**os.environ, "IOMPOLICY_CACHE_DIR": str(tmp_path), "PYTHONPATH": os.pathsep.join([str(ROOT), *packages])}
    probe = ("import sys\nfrom iompolicy import PolicySet, load_file\n"
             f"policies = PolicySet.load({str(ROOT / 'policies')!r})\n"
             f"data = [load_file(path) for path in {[str(EXAMPLES / 'data' / n) for n in ('member-states.yaml', 'funded-projects.yaml')]!r}]\n"
             f"report = policies.check(load_file({str(EXAMPLES / 'proposals' / '01-bolivia-climate-line2-national.yaml')!r}), data=data)\n"
             "heavy = ['typing', 'lark', 'jsonschema', 'fastjsonschema', 'hashlib', 'iompolicy.language.parser',"
             " 'iompolicy.evaluation.explain', 'iompolicy.evaluation.headroom', 'iompolicy.evaluation.codegen',"
             " 'iompolicy.evaluation.program_store', 'contextvars', 'contextlib', 'importlib', 'pickle',"
             " 'iompolicy.language.unparse']\n"
             "print(report.outcome, [m for m in heavy if m in sys.modules])")
    args = [sys.executable, "-S", "-c", probe]
    subprocess.run(args, env=env, cwd=tmp_path, capture_output=True, check=True)  # fills the cache
    warm = subprocess.run(args, env=env, cwd=tmp_path, capture_output=True, text=True, check=True)
    assert warm.stdout.splitlines()[-1] == "pass []"


def test_checking_a_document_leaves_no_reference_cycle(policies, tmp_path):
    """Whatever a document's check builds is freed when the report is: a reference cycle
    left by each document waits for the garbage collector with all it holds. The YAML
    reader and its quirk checks referred to each other, which kept each file's reader,
    loader and libyaml's buffers: `check --format json` over 1,000 files took 0.641 s
    with the cycle and 0.593 s without it, run side by side."""
    import gc
    import json

    from iompolicy.render import RenderOptions, document_json

    # Proposals that pass and fail (failures are traced and their fixes sought), budgets with
    # undecided clauses, and proposals checked without their reference data: a `let` found
    # undecided is kept and raised again (a copy: the frames it goes through hold the cache
    # that keeps it; kept with its traceback, it kept each document until the collector ran).
    paths = sorted((EXAMPLES / "proposals").glob("*.yaml")) + sorted((EXAMPLES / "budgets").glob("*.yaml"))
    as_json = tmp_path / "over-ceiling.json"
    as_json.write_text(json.dumps(load_file(OVER_CEILING).value, default=str))
    paths.append(as_json)
    options = RenderOptions.for_policies(policies)

    def check_and_write_everything():
        outcomes = set()
        for path, data in [(path, DATA) for path in paths] + [(OVER_CEILING, []), (paths[0], [])]:
            report = policies.check(load_file(path), data=data)
            policies.check(load_file(path), data=data, evaluator="generated")
            for result in report.results:
                result.explanation, result.fix, result.location
            document_json(report, options)
            outcomes |= {result.outcome for result in report.results}
        return outcomes

    assert check_and_write_everything() == {Outcome.PASS, Outcome.FAIL, Outcome.NOT_APPLICABLE, Outcome.UNDECIDED}
    gc.collect()
    gc.disable()
    try:
        check_and_write_everything()
        left = gc.collect()
    finally:
        gc.enable()
    assert left == 0


@pytest.mark.parametrize("cache", ["none", "empty"])
def test_a_policy_set_is_freed_when_its_last_user_drops_it(cache, tmp_path, monkeypatch):
    """A policy set that held itself (through its notices, or its generated function held by
    that function's own namespace) outlived its last user until a pass of the collector,
    with its syntax trees and closures (about 950 objects for eight rules): a service that
    reloads its policies, or a script's exit, paid for them then."""
    import gc
    import weakref

    from iompolicy.engine import WARM_UP

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import workload
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    data = {"member_states": workload.member_states(), "funded_projects": workload.funded_projects()}
    documents = workload.proposals(WARM_UP + 5)  # past the warm-up: the kind's function is generated
    if cache == "none":
        monkeypatch.setenv("IOMPOLICY_NO_CACHE", "1")
    else:  # written now, not put back from an earlier run's cache
        monkeypatch.setenv("IOMPOLICY_CACHE_DIR", str(tmp_path / "cache"))
    gc.collect()
    gc.disable()
    try:
        policies = PolicySet.load(ROOT / "policies")
        for document in documents:
            policies.check(document, data=data, validate=False)
        judge = policies._programs["proposal"].judge  # the kind's generated function
        alive = [weakref.ref(policies), weakref.ref(judge)]
        del policies, judge
        assert [ref() for ref in alive] == [None, None]  # freed by reference counts, no pass of the collector
    finally:
        gc.enable()


def test_the_notices_of_a_dropped_policy_set_still_work():
    """The notices no longer hold their set (see above); kept on their own, they still
    find what the set's policies read (through a weak reference to the set, they raised)."""
    import gc

    policies = PolicySet.load(ROOT / "benchmarks" / "policies")
    notices = policies.notices
    del policies
    gc.collect()
    assert notices.of("proposal", (), None, {}, {}) == ("--only/--skip leave no clause for `proposal` documents",)


def test_a_policy_set_from_the_cache_knows_what_data_its_policies_read_without_a_walk(tmp_path, monkeypatch):
    """Which registers each kind's policies read is found once, when the set is built, and
    kept with it in the cache: a cold start of the shipped set no longer walks every syntax
    tree for it (about 3 ms), and says the same."""
    from iompolicy.language import syntax

    monkeypatch.delenv("IOMPOLICY_NO_CACHE", raising=False)
    monkeypatch.setenv("IOMPOLICY_CACHE_DIR", str(tmp_path / "cache"))
    built = PolicySet.load(ROOT / "policies")
    walked = []
    monkeypatch.setattr(syntax, "descendants", lambda *args: walked.append(args) or iter(()))
    kept = PolicySet.load(ROOT / "policies")
    assert kept.cache_key == built.cache_key  # from the cache
    assert kept.data_needed() == built.data_needed() == {"member_states", "funded_projects"}
    assert kept.data_needed({"proposal"}) == built.data_needed({"proposal"})
    assert walked == []


def test_a_policy_set_from_the_cache_reads_the_validator_of_each_kind_it_validates_only(tmp_path, monkeypatch):
    """Each kind's generated validator is its own cache entry, written with the set: a run
    reads the code of the kinds it validates (a proposal's: some 60 of the shipped 335 KB),
    generates none, and a missing or foreign entry is generated again, not trusted."""
    from iompolicy import cache
    from iompolicy.documents import validation

    monkeypatch.delenv("IOMPOLICY_NO_CACHE", raising=False)
    monkeypatch.setenv("IOMPOLICY_CACHE_DIR", str(tmp_path / "cache"))
    built = PolicySet.load(ROOT / "policies")
    kinds = set(built.schemas.kinds)
    assert len(list((tmp_path / "cache").glob("validator-*.pickle"))) == len(kinds) >= 6
    read, generated = [], []
    load, real_generate = cache.load, validation.generate
    monkeypatch.setattr(cache, "load", lambda name, prefix="policies-": read.append(prefix) or load(name, prefix))
    monkeypatch.setattr(validation, "generate", lambda kind: generated.append(kind.kind) or pytest.fail("generated"))
    kept = PolicySet.load(ROOT / "policies")
    assert read.count("validator-") == 0  # loading the set reads no validator
    proposal = load_file(OVER_CEILING)
    assert kept.check(proposal).to_dict() == built.check(proposal).to_dict()
    assert read.count("validator-") == 1 and generated == []

    # an entry that names another kind (copied over, say) is not used: the kind's is generated, and kept
    entries = cache.KeptValidators(kept.cache_key)
    foreign = load(entries._entry("funded_projects"), prefix="validator-")
    cache.store(entries._entry("proposal"), foreign, prefix="validator-")
    monkeypatch.setattr(validation, "generate", lambda kind: generated.append(kind.kind) or real_generate(kind))
    again = PolicySet.load(ROOT / "policies")
    assert again.check(proposal).to_dict() == built.check(proposal).to_dict()
    assert generated == ["proposal"]
    assert entries.load("proposal") == again.validator.fast_code["proposal"]

    # a missing entry: generated again, and kept
    (tmp_path / "cache" / f"validator-{entries._entry('proposal')}.pickle").unlink()
    assert PolicySet.load(ROOT / "policies").check(proposal).to_dict() == built.check(proposal).to_dict()
    assert generated == ["proposal", "proposal"] and entries.load("proposal") is not None


def test_a_damaged_kept_validator_is_made_again_and_replaced(tmp_path, monkeypatch):
    """A validator entry that unpickles but holds code that does not load is generated again
    and kept, not retried (and slow) on every document; a set built on a cache miss writes
    each kind's entry once."""
    from iompolicy import cache

    monkeypatch.delenv("IOMPOLICY_NO_CACHE", raising=False)
    monkeypatch.setenv("IOMPOLICY_CACHE_DIR", str(tmp_path / "cache"))
    stored = []
    store = cache.store
    monkeypatch.setattr(cache, "store", lambda name, value, prefix="policies-": stored.append(prefix) or
                        store(name, value, prefix))
    built = PolicySet.load(ROOT / "policies")
    assert stored.count("validator-") == len(built.schemas.kinds)
    entries = cache.KeptValidators(built.cache_key)
    name, code = entries.load("proposal")
    entries.store("proposal", (name, code[: len(code) // 2]))  # cut short: marshal cannot read it
    proposal = load_file(OVER_CEILING)
    again = PolicySet.load(ROOT / "policies")
    assert again.check(proposal).to_dict() == built.check(proposal).to_dict()
    assert entries.load("proposal") == (name, code)  # made again, and kept


def test_a_kind_named_with_any_text_is_kept_and_checked(tmp_path, monkeypatch):
    """A kind's name is a schema's text, not a file name: one no encoding writes as it is (a
    lone surrogate) names its cache entry too, with the cache on or off."""
    import json
    import shutil

    schemas = tmp_path / "schemas"
    shutil.copytree(ROOT / "schemas", schemas)
    odd = {"type": "object", "x-iompolicy-role": "data", "properties": {"kind": {"const": "odd\ud800"}},
           "required": ["kind"]}
    (schemas / "odd.schema.json").write_text(json.dumps(odd), encoding="utf-8")
    monkeypatch.delenv("IOMPOLICY_NO_CACHE", raising=False)
    monkeypatch.setenv("IOMPOLICY_CACHE_DIR", str(tmp_path / "cache"))
    proposal = load_file(OVER_CEILING)
    expected = PolicySet.load(ROOT / "policies").check(proposal).to_dict()
    for cache_off in ("", "1"):
        monkeypatch.setenv("IOMPOLICY_NO_CACHE", cache_off)
        for _ in range(2):  # built, then (the cache on) put back
            policies = PolicySet.load(ROOT / "policies", schemas=schemas)
            assert "odd\ud800" in policies.schemas.kinds
            assert policies.check(proposal).to_dict() == expected
