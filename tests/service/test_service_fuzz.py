"""Property-based tests of the service's API: whatever is sent to whichever endpoint
(random bodies, content types, query strings, methods, documents with random
changes), the answer is never a 5xx, and every 4xx is the JSON error shape.

Bounded: 50 examples a property, one server for the module, loopback only.
"""

from __future__ import annotations

import json
import string
from urllib.parse import quote

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicekit import DOCUMENTS, data_args, is_error, running_server, to_json
from iompolicy.documents import load_file

ENDPOINTS = ["/v1/check", "/v1/check/batch", "/v1/clauses", "/v1/clauses/III.5", "/v1/reload", "/healthz",
             "/readyz", "/openapi.json", "/", "/v1", "/v1/check/", "/v2/check"]
MEDIA = ["application/json", "application/yaml", "text/yaml", "application/x-yaml", "text/plain",
         "application/json; charset=utf-8", "application/yaml; charset=latin-1", "multipart/form-data",
         "application/octet-stream", ""]
BOUNDED = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])

header_text = st.text(alphabet=string.ascii_letters + string.digits + " /;=-+.*_\"", max_size=60).map(str.strip)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.text(max_size=30),
                    st.decimals(allow_nan=False, allow_infinity=False, places=4), st.sampled_from(
                        ["2015-11-16", "2015-13-45", "proposal", "facility_budget", "member_states", "TJK", ""]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                      max_leaves=20)
queries = st.lists(st.tuples(st.sampled_from(["as_of", "fail_on", "asof", "x", ""]),
                             st.one_of(st.sampled_from(["2015-01-01", "error", "warning", "", "2015-02-30"]),
                                       st.text(max_size=20))), max_size=3)
EXAMPLES = [load_file(p).value for p in DOCUMENTS]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with running_server(*data_args(), folder=tmp_path_factory.mktemp("fuzz")) as server, server.client() as http:
        yield http


def assert_well_answered(answer, method: str) -> None:
    assert answer.status_code < 500, answer.text
    if method == "HEAD":
        return
    if answer.status_code >= 400:
        is_error(answer)
    else:
        json.loads(answer.text)


def _serialise(value, fmt: str) -> bytes:
    if fmt == "json":
        return to_json(value).encode()
    return yaml.safe_dump(json.loads(to_json(value)), allow_unicode=True).encode()


@st.composite
def mutated_document(draw):
    """An example document with a few fields removed, replaced or added, as JSON or YAML."""
    document = json.loads(to_json(draw(st.sampled_from(EXAMPLES))))
    for _ in range(draw(st.integers(0, 3))):
        target = document
        path = draw(st.lists(st.integers(0, 20), max_size=3))
        for step in path:
            children = list(target.items()) if isinstance(target, dict) else list(enumerate(target))
            children = [(k, v) for k, v in children if isinstance(v, (dict, list)) and v]
            if not children:
                break
            target = children[step % len(children)][1]
        if isinstance(target, dict) and target:
            key = draw(st.sampled_from(sorted(target)))
            action = draw(st.sampled_from(["drop", "replace", "add"]))
            if action == "drop":
                del target[key]
            elif action == "replace":
                target[key] = draw(values)
            else:
                target[draw(st.text(min_size=1, max_size=10))] = draw(values)
        elif isinstance(target, list) and target:
            target[draw(st.integers(0, len(target) - 1))] = draw(values)
    return document


@BOUNDED
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]),
       endpoint=st.sampled_from(ENDPOINTS), media=st.one_of(st.sampled_from(MEDIA), header_text),
       body=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)), query=queries)
def test_any_request_to_any_endpoint_is_answered_without_5xx(client, method, endpoint, media, body, query):
    headers = {"Content-Type": media} if media else {}
    answer = client.request(method, endpoint, content=body, headers=headers, params=query)
    assert_well_answered(answer, method)


@BOUNDED
@given(document=mutated_document(), fmt=st.sampled_from(["json", "yaml"]), query=queries,
       batch=st.booleans())
def test_changed_documents_get_a_report_or_a_located_error(client, document, fmt, query, batch):
    body = _serialise({"documents": [document]} if batch else document, fmt)
    media = {"json": "application/json", "yaml": "application/yaml"}[fmt]
    answer = client.post("/v1/check/batch" if batch else "/v1/check", content=body,
                         headers={"Content-Type": media}, params=query)
    assert_well_answered(answer, "POST")
    if answer.status_code == 200:
        assert len(answer.json()["documents"]) == 1
    elif answer.status_code == 422 and answer.json()["error"]["code"] == "schema_violation":
        assert all(p["path"] for p in answer.json()["error"]["problems"])


@BOUNDED
@given(value=values, fmt=st.sampled_from(["json", "yaml"]), endpoint=st.sampled_from(["/v1/check",
                                                                                      "/v1/check/batch"]))
def test_any_json_or_yaml_value_is_answered_without_5xx(client, value, fmt, endpoint):
    body = _serialise(value, fmt)
    media = {"json": "application/json", "yaml": "text/yaml"}[fmt]
    assert_well_answered(client.post(endpoint, content=body, headers={"Content-Type": media}), "POST")


@BOUNDED
@given(segment=st.text(min_size=1, max_size=40))
def test_any_clause_name_is_answered_without_5xx(client, segment):
    answer = client.get("/v1/clauses/" + quote(segment, safe=""))
    assert_well_answered(answer, "GET")
    assert answer.status_code in (200, 404), answer.text
