"""Evaluation survives any schema-valid document, the same way every time, in any thread.

Documents are generated from the shipped JSON Schemas (strategies written here
from the schema: `from_schema`), with reference data generated the same way or
taken from examples/data. Every shipped policy is run; each clause comes to one
of the four outcomes, never an exception; a second run gives the same report;
the closures, the generated Python and the tracing evaluators agree; a document read back from JSON
text is judged as the value was. A policy set shared by 8 threads gives the
serial reports. Cost grows linearly with the length of the lists in a document.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import ROOT
from iompolicy import PolicySet, load_file, load_text
from iompolicy.documents import DocumentError
from iompolicy.render import FORMATS, RenderOptions, Summary, writer

POLICIES = PolicySet.load(ROOT / "policies", ROOT / "schemas")
SCHEMAS = POLICIES.schemas
EXAMPLE_DATA = {load_file(p).kind: load_file(p).value for p in sorted((ROOT / "examples" / "data").glob("*.yaml"))}
EXAMPLE_DOCUMENTS = [load_file(p) for folder in ("proposals", "budgets", "governance")
                     for p in sorted((ROOT / "examples" / folder).glob("*.yaml"))]
OUTCOMES = {"pass", "fail", "not_applicable", "error"}
DOCUMENT_KINDS = SCHEMAS.document_kinds()
EXAMPLES = int(os.environ.get("IOMPOLICY_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))

# Codes and ids shared by documents and registers, so that lookups hit as well as miss.
CODES = ["BOL", "TJK", "AGO", "MOZ", "COD", "UGA", "HTI", "LKA", "ARM", "PHL", "ZZZ"]
IDS = ["IDF-2008-BOL-01", "IDF-2010-TJK-01", "P-1", "x"]


# ---- strategies from a JSON Schema ----------------------------------------------------------

def numbers(minimum=None, maximum=None, integer=False):
    """Integers or exact decimals in range, with the awkward ones (0, huge, many places) among them."""
    low = -10 ** 12 if minimum is None else minimum
    high = 10 ** 12 if maximum is None else maximum
    whole = st.integers(min_value=int(low), max_value=int(high))
    edges = st.sampled_from([v for v in (0, 1, 200_000, 300_000, 1_400_000, 10 ** 30, 10 ** 99) if low <= v <= high])
    if not integer:  # 100 digits, the most a document may hold: shown, added and compared exactly
        edges |= st.sampled_from([d for d in (Decimal("9" * 97 + ".25"), Decimal("0." + "0" * 98 + "1"))
                                  if low <= d <= high])
    if integer:
        return st.one_of(whole, edges)
    decimals = st.decimals(min_value=Decimal(low), max_value=Decimal(high), allow_nan=False, allow_infinity=False,
                           places=2)
    tiny = st.builds(lambda d: Decimal(d).scaleb(-40), st.integers(0, 10 ** 6)).filter(lambda d: low <= d <= high)
    return st.one_of(whole, edges, decimals, tiny)


def from_schema(kind, schema) -> st.SearchStrategy:
    """Values valid against `schema` (a subschema of `kind`), for the keywords our schemas use."""
    schema = kind.resolve(schema) if isinstance(schema, dict) else {}
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return st.one_of([from_schema(kind, option) for option in schema[key]])
    declared = schema.get("type")
    if declared == "object" or "properties" in schema:
        return _objects(kind, schema)
    if declared == "array":
        items = from_schema(kind, schema.get("items", {}))
        return st.lists(items, min_size=schema.get("minItems", 0), max_size=max(schema.get("minItems", 0), 6),
                        unique_by=_canonical if schema.get("uniqueItems") else None)
    if declared == "string":
        if schema.get("format") == "date":
            return st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)).map(dt.date.isoformat)
        if schema.get("pattern") == "^[A-Z]{3}$":
            return st.sampled_from(CODES) | st.from_regex(r"\A[A-Z]{3}\Z")
        if schema.get("pattern") == "^[a-z]$":
            return st.sampled_from("abcdefghijklmnopqrstuvwxyz")
        return st.sampled_from(IDS + ["", "staff", "2008-01-01", "\u202e\u0000"]).filter(
            lambda s: len(s) >= schema.get("minLength", 0)) | st.text(min_size=schema.get("minLength", 0), max_size=12)
    if declared == "integer":
        return numbers(schema.get("minimum"), schema.get("maximum"), integer=True)
    if declared == "number":
        return numbers(schema.get("minimum"), schema.get("maximum"))
    if declared == "boolean":
        return st.booleans()
    return st.none() | st.booleans() | st.integers() | st.text(max_size=5)


def _objects(kind, schema) -> st.SearchStrategy:
    properties = schema.get("properties", {})
    required = set(schema.get("required", ()))
    fixed = {name: from_schema(kind, sub) for name, sub in properties.items() if name in required}
    optional = {name: from_schema(kind, sub) for name, sub in properties.items() if name not in required}
    base = st.fixed_dictionaries(fixed, optional=optional)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        names = st.sampled_from(CODES) | st.from_regex(r"\A[A-Z]{3}\Z")
        more = st.dictionaries(names, from_schema(kind, extra), max_size=6)
        return st.builds(lambda a, b: {**b, **a}, base, more)
    return base


def _canonical(value):
    return json.dumps(value, sort_keys=True, default=str)


def documents(kind_name: str) -> st.SearchStrategy:
    kind = SCHEMAS.get(kind_name)
    return from_schema(kind, kind.schema)


@st.composite
def mutated_examples(draw):
    """A shipped example with one top-level field replaced by another valid value, or dropped when optional."""
    document = draw(st.sampled_from(EXAMPLE_DOCUMENTS))
    kind = SCHEMAS.get(document.kind)
    value = dict(document.value)
    properties = kind.schema.get("properties", {})
    for name in draw(st.lists(st.sampled_from(sorted(properties)), max_size=3, unique=True)):
        if name not in kind.schema.get("required", ()) and draw(st.booleans()):
            value.pop(name, None)
        else:
            value[name] = draw(from_schema(kind, properties[name]))
    return value


any_document = st.sampled_from(DOCUMENT_KINDS).flatmap(documents) | mutated_examples()


reference_data = st.fixed_dictionaries({}, optional={
    "member_states": st.sampled_from([EXAMPLE_DATA["member_states"]]) | documents("member_states"),
    "funded_projects": st.sampled_from([EXAMPLE_DATA["funded_projects"]]) | documents("funded_projects"),
})


# ---- properties ------------------------------------------------------------------------------

def _valid(value) -> bool:
    try:
        POLICIES.validator.validate(load_text(json_text(value), "generated.json"))
        return True
    except DocumentError:
        return False


def json_text(value) -> str:
    """JSON with every Decimal written exactly (json.dumps would need floats)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {json_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(json_text(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value)


def _verdicts(report) -> list[tuple]:
    return [(r.clause, r.outcome.value, r.message) for r in report.results]


@FUZZ
@given(any_document, reference_data, st.none() | st.dates())
def test_any_schema_valid_document_gets_only_the_four_outcomes_deterministically(value, data, as_of):
    assume(_valid(value))
    first = POLICIES.check(value, data=data, as_of=as_of, evaluator="closures")
    assert first.results, "every document kind has clauses"
    assert {r.outcome.value for r in first.results} <= OUTCOMES
    shown = first.to_dict()  # explanations are built lazily: they must not fail either
    again = POLICIES.check(value, data=data, as_of=as_of)
    assert again.to_dict() == shown
    generated = POLICIES.check(value, data=data, as_of=as_of, evaluator="generated")  # issue 18
    assert generated.to_dict() == shown
    traced = POLICIES.check(value, data=data, as_of=as_of, trace_all=True)
    assert [(r.clause, r.outcome) for r in traced.results] == [(r.clause, r.outcome) for r in first.results]
    loaded = POLICIES.check(load_text(json_text(value), "generated.json"), data=data, as_of=as_of)
    assert _verdicts(loaded) == _verdicts(first)
    for fmt in FORMATS:  # and every report format can show it
        writer(fmt)(iter([loaded]), Summary(fail_on="warning"), RenderOptions.for_policies(POLICIES, verbose=True),
                    io.StringIO())


def test_numbers_are_exact_from_text_to_verdict():
    proposal = load_file(ROOT / "examples" / "proposals" / "01-bolivia-climate-line2-national.yaml").value
    lines = [{"category": "staff", "description": "a", "usd": Decimal("0.1")},
             {"category": "staff", "description": "b", "usd": Decimal("0.2")}]
    text = json_text({**proposal, "funding": {**proposal["funding"], "requested_usd": Decimal("0.3")},
                      "budget_lines": lines})
    for name, source in (("p.json", text), ("p.yaml", text.replace('"usd": 0.1', '"usd": 0.10'))):
        report = POLICIES.check(load_text(source, name), data=EXAMPLE_DATA)
        outcome = {r.clause: r.outcome.value for r in report.results}
        assert outcome["doc.budget_lines_add_up"] == "pass", name  # 0.1 + 0.2 == 0.3, exactly


def test_a_sum_that_cannot_be_exact_is_undecided_not_rounded():
    proposal = load_file(ROOT / "examples" / "proposals" / "01-bolivia-climate-line2-national.yaml").value
    lines = [{"category": "staff", "description": "a", "usd": Decimal("1e99")},
             {"category": "staff", "description": "b", "usd": Decimal("1e-99")}]
    report = POLICIES.check({**proposal, "funding": {**proposal["funding"], "requested_usd": Decimal("1e99")},
                             "budget_lines": lines}, data=EXAMPLE_DATA)
    outcome = {r.clause: r.outcome.value for r in report.results}
    assert outcome["doc.budget_lines_add_up"] == "fail"  # exact: 1e99 + 1e-99 != 1e99 (50 digits would round)


# ---- sharing and cost -------------------------------------------------------------------------

def test_one_policy_set_in_8_threads_gives_the_serial_reports():
    jobs = [(document, as_of) for document in EXAMPLE_DOCUMENTS for as_of in (None, dt.date(2007, 6, 1),
                                                                           dt.date(2016, 1, 1))] * 4
    shared = PolicySet.load(ROOT / "policies", ROOT / "schemas")

    def one(job):
        document, as_of = job
        return shared.check(document, data=EXAMPLE_DATA, as_of=as_of).to_dict()

    serial = [one(job) for job in jobs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(one, jobs))
    assert threaded == serial


def _big_documents(count: int) -> list[dict]:
    proposal = load_file(ROOT / "examples" / "proposals" / "02-angola-mozambique-drc-mining-regional.yaml").value
    line = {"category": "operational", "description": "workshop", "usd": Decimal("1.25")}
    budget = load_file(ROOT / "examples" / "budgets" / "facility-budget-2015.yaml").value
    project = {"id": "P", "line": 2, "scope": "national", "member_state": "BOL", "amount_usd": 10 ** 9}
    calendar = load_file(ROOT / "examples" / "governance" / "calendar-2008.yaml").value
    meeting = dict(calendar["meetings"][0])  # with its agenda: a meeting is some 30 budget lines' work
    total = line["usd"] * count
    return [
        {**proposal, "budget_lines": [line] * count,  # adds up: passes
         "funding": {**proposal["funding"], "requested_usd": total}},
        {**proposal, "budget_lines": [line] * count},  # does not add up: fails, and is explained
        {**budget, "projects": [project] * count},  # over the line's funds at any count: fails, explained
        {**calendar, "meetings": [meeting] * (count // 30)},
    ]


def _cost(count: int) -> tuple[float, list]:
    documents = _big_documents(count)
    start = time.process_time()
    verdicts = [POLICIES.check(document, data=EXAMPLE_DATA).to_dict()["counts"] for document in documents]
    return time.process_time() - start, verdicts


def test_cost_grows_linearly_with_the_length_of_lists():
    (small, small_verdicts), (large, large_verdicts) = _cost(10_000), _cost(100_000)
    assert small_verdicts == large_verdicts  # the same work, on 10 times the items
    assert large / max(small, 0.05) < 30, (small, large)  # about 10 times the time: linear, loosely
