"""`iompolicy serve`: the real server (uvicorn, in a subprocess) on a loopback port,
called over HTTP. Its answers are compared with the CLI's."""

from __future__ import annotations

import json
import shutil
import sys
import threading

import httpx
import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from servicekit import (DATA, DOCUMENTS, EXAMPLES, OVER_CEILING, ROOT, cli_json, comparable, data_args, is_error,
                        running_server, to_json)
from iompolicy.cli import main
from iompolicy.documents import load_file, load_text

YAML = {"Content-Type": "application/yaml"}
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(*data_args(), folder=tmp_path_factory.mktemp("service")) as running:
        yield running


@pytest.fixture(scope="module")
def client(server):
    with server.client() as http:
        yield http


def post_file(client, path, url="/v1/check", **params):
    return client.post(url, content=path.read_bytes(), headers=YAML, params=params)


# ---- checking: the same report as the CLI ----------------------------------------------------------

@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_check_answers_what_the_cli_prints(client, path):
    answer = post_file(client, path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.headers["x-iompolicy-generation"] == "1"
    assert comparable(answer.json()) == comparable(cli_json(path, *data_args()))  # provenance and digest too


def test_check_of_json_text_is_the_cli_check_of_the_same_json_file(client, tmp_path):
    value = load_file(OVER_CEILING).value
    text = to_json(value, 0)  # over several lines, so locations mean something
    (tmp_path / "proposal.json").write_text(text, encoding="utf-8")
    answer = client.post("/v1/check", content=text.encode(), headers=JSON)
    expected = comparable(cli_json(tmp_path / "proposal.json", *data_args()))
    assert comparable(answer.json()) == expected
    failed = [r for r in expected["documents"][0]["results"] if r["outcome"] == "fail"]
    assert failed[0]["location"]["line"] > 1


@pytest.mark.parametrize("query, options", [
    ({"as_of": "2007-01-01"}, ["--as-of", "2007-01-01"]),
    ({"fail_on": "warning"}, ["--fail-on", "warning"]),
    ({"as_of": "2016-06-30", "fail_on": "error"}, ["--as-of", "2016-06-30", "--fail-on", "error"]),
], ids=["as_of", "fail_on", "both"])
def test_query_is_what_the_cli_options_do(client, query, options):
    path = EXAMPLES / "proposals" / "06-philippines-line2-before-2008.yaml"
    answer = post_file(client, path, **query)
    assert answer.status_code == 200, answer.text
    assert comparable(answer.json()) == comparable(cli_json(path, *data_args(), *options))


def test_yaml_media_types_and_charset_are_accepted(client):
    for media in ("application/yaml", "text/yaml", "application/x-yaml", "text/yaml; charset=utf-8"):
        answer = client.post("/v1/check", content=OVER_CEILING.read_bytes(), headers={"Content-Type": media})
        assert answer.status_code == 200, (media, answer.text)


def test_without_data_the_service_says_what_the_cli_says(tmp_path):
    with running_server(folder=tmp_path) as bare, bare.client() as http:
        answer = post_file(http, OVER_CEILING)
    report = answer.json()
    alone = tmp_path / "alone"  # no register next to it, for the command's notice to point at
    alone.mkdir()
    shutil.copy(OVER_CEILING, alone)
    assert comparable(report) == comparable(cli_json(alone / OVER_CEILING.name))
    assert any("member_states" in notice for notice in report["summary"].get("notices", ["member_states"]))


# ---- batch ---------------------------------------------------------------------------------------------

def test_batch_is_one_report_of_every_document_in_order(client):
    values = [load_file(p).value for p in DOCUMENTS]
    body = '{"documents": [\n' + ",\n".join(to_json(v, 1) for v in values) + "\n]}\n"
    answer = client.post("/v1/check/batch", content=body.encode(), headers=JSON)
    assert answer.status_code == 200, answer.text
    report = comparable(answer.json(), digests=False)
    expected = comparable(cli_json(*DOCUMENTS, *data_args()), digests=False)
    assert report["summary"] == expected["summary"]
    assert len(report["documents"]) == len(DOCUMENTS) == 17

    def placeless(document):  # lines and columns of a batch are those of its body (a fix's edit too)
        return [{**r, "location": {**r["location"], "line": None, "column": None},
                 "fix": r["fix"] and {**r["fix"], "replacement": None}} for r in document["results"]]

    for got, want in zip(report["documents"], expected["documents"]):
        assert {**got, "results": placeless(got)} == {**want, "results": placeless(want)}
    index = DOCUMENTS.index(OVER_CEILING)
    (failed,) = [r for r in report["documents"][index]["results"] if r["outcome"] == "fail"]
    whole = load_text(body, "batch.json", "json")
    assert failed["location"]["path"] == "$.funding.requested_usd"
    line, column = whole.position(f"$.documents[{index}].funding.requested_usd")
    assert (failed["location"]["line"], failed["location"]["column"]) == (line, column)


def test_batch_in_yaml(client):
    body = yaml.safe_dump({"documents": [yaml.safe_load(OVER_CEILING.read_text()),
                                         yaml.safe_load(DOCUMENTS[0].read_text())]}).encode()
    answer = client.post("/v1/check/batch", content=body, headers=YAML, params={"fail_on": "warning"})
    assert answer.status_code == 200, answer.text
    assert [d["id"] for d in answer.json()["documents"]] == ["IDF-2015-TJK-02", load_file(DOCUMENTS[0]).id]
    assert answer.json()["summary"]["fail_on"] == "warning"


def test_a_yaml_batch_refuses_what_a_single_check_refuses(client):
    text = OVER_CEILING.read_text(encoding="utf-8").replace(
        "title: Gender Mainstreaming among the Border Forces of Tajikistan", "title: 2015-01-01")  # a date, not text
    single = is_error(post_bytes(client, text.encode()), 422, "schema_violation")
    body = "documents:\n- " + "\n  ".join(line for line in text.splitlines() if not line.startswith("#"))
    batch = is_error(post_bytes(client, body.encode(), url="/v1/check/batch"), 422, "schema_violation")
    assert [p["path"] for p in single["problems"]] == ["$.title"]
    assert [(p["path"], p["line"]) for p in batch["problems"]] == [("$.documents[0].title", 4)]


def test_batch_names_every_bad_document_where_it_is_in_the_body(client):
    good, bad = load_file(OVER_CEILING).value, dict(load_file(OVER_CEILING).value)
    bad["funding"] = {**bad["funding"], "requested_usd": "lots"}
    body = '{"documents": [\n' + ",\n".join(to_json(v) for v in (good, {"kind": "memo"}, bad)) + "\n]}"
    error = is_error(client.post("/v1/check/batch", content=body.encode(), headers=JSON), 422, "invalid_documents")
    paths = [p["path"] for p in error["problems"]]
    assert "$.documents[1].kind" in paths and "$.documents[2].funding.requested_usd" in paths
    assert {p["line"] for p in error["problems"] if p["path"].startswith("$.documents[2]")} == {4}
    assert any(p["message"].startswith("$.documents[2].funding.requested_usd:") for p in error["problems"])


def test_two_documents_of_a_batch_may_not_share_an_id(client):
    """Issue 19: a document claiming another's id (a waived one) must not pass as that one."""
    value = load_file(OVER_CEILING).value
    body = '{"documents": [\n' + ",\n".join(to_json(v) for v in (value, value)) + "\n]}"
    error = is_error(client.post("/v1/check/batch", content=body.encode(), headers=JSON), 422, "duplicate_id")
    (found,) = error["problems"]
    assert found["path"] == "$.documents[1].id" and found["code"] == "duplicate_id"
    assert found["message"] == "the id `IDF-2015-TJK-02` is also the id of documents[0]"
    assert found["line"] == load_text(body, "batch.json", "json").position("$.documents[1].id")[0]


@pytest.mark.parametrize("body, status, code", [
    ({"documents": []}, 422, "bad_batch"),
    ({"documents": "all"}, 422, "bad_batch"),
    ({}, 422, "bad_batch"),
    ({"documents": [1]}, 422, "bad_batch"),
    ({"documents": [], "extra": 1}, 422, "bad_batch"),
    ({"documents": [{"kind": "proposal"}] * 101}, 413, "too_many_documents"),
], ids=["empty", "not-a-list", "no-documents", "not-a-mapping", "unknown_field", "over-the-maximum"])
def test_bad_batches(client, body, status, code):
    is_error(client.post("/v1/check/batch", content=json.dumps(body).encode(), headers=JSON), status, code)


# ---- clauses, health, readiness ---------------------------------------------------------------------------

def test_clauses_are_what_iompolicy_list_shows(client):
    answer = client.get("/v1/clauses")
    assert answer.status_code == 200
    listed = CliRunner().invoke(main, ["list"]).stdout.splitlines()
    rows = ["\t".join(c[k] for k in ("id", "cite", "kind", "severity", "title")) for c in answer.json()["clauses"]]
    assert rows == listed


@pytest.mark.parametrize("what", ["III.5", "III.5.2", "part3.line2_article4", "II"])
def test_clause_explanation_is_what_iompolicy_explain_shows(client, what):
    answer = client.get(f"/v1/clauses/{what}")
    assert answer.status_code == 200, answer.text
    explained = answer.json()
    printed = CliRunner().invoke(main, ["explain", what]).stdout
    assert "\n\n".join(c["text"] for c in explained["clauses"]) + "\n" == printed
    for clause in explained["clauses"]:
        assert clause["quote"] in printed and all(f"require {r}" in clause["text"] for r in clause["require"])


def test_unknown_clause_is_404(client):
    error = is_error(client.get("/v1/clauses/XIV.9"), 404, "no_such_clause")
    assert "XIV.9" in error["message"]


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["generation"] == 1
    assert ready["policies"]["clauses"] == len(client.get("/v1/clauses").json()["clauses"])
    assert set(ready["data"]) == {"member_states", "funded_projects"} and ready["missing_data"] == []


def test_binds_to_loopback_by_default(server):
    assert "running on http://127.0.0.1:" in server.log_text().lower()


# ---- OpenAPI --------------------------------------------------------------------------------------------------

def _schema_validator(document: dict, name: str):
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    registry = Registry().with_resource("urn:openapi", Resource(document, DRAFT202012))
    return jsonschema.Draft202012Validator({"$ref": f"urn:openapi#/components/schemas/{name}"}, registry=registry,
                                           format_checker=jsonschema.FormatChecker())


def _walk(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_openapi_is_valid_and_describes_every_endpoint(server, client):
    from openapi_spec_validator import validate
    from starlette.routing import Route

    from iompolicy.service.http import create_app

    answer = client.get("/openapi.json")
    assert answer.status_code == 200
    document = json.loads(answer.text)
    refs = [value for key, value in _walk(document) if key == "$ref"]
    assert refs and all(ref.startswith("#/components/schemas/") for ref in refs)  # nothing to fetch
    validate(document)  # OpenAPI 3.1, every $ref resolved
    assert document["openapi"] == "3.1.0"
    routes = create_app(None).routes  # the routes only: no service needed
    served = {(r.path.replace("{what}", "{clause_or_citation}"), m.lower())
              for r in routes if isinstance(r, Route) for m in r.methods if m != "HEAD"}
    described = {(path, method) for path, item in document["paths"].items() for method in item}
    assert served == described
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert "200" in operation["responses"], (path, method)
            if method == "post" and path != "/v1/reload":
                assert {"400", "413", "415", "422"} <= set(operation["responses"]), path
    for name, schema in document["components"]["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema)
    report_schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
    hoisted = json.loads(json.dumps(report_schema["$defs"]).replace('"#/$defs/', '"#/components/schemas/Report_'))
    for name, definition in hoisted.items():  # the report is described by schemas/report.schema.json itself
        assert document["components"]["schemas"][f"Report_{name}"] == definition


def test_answers_match_the_openapi_schemas(client):
    document = client.get("/openapi.json").json()
    checks = [
        ("Report", post_file(client, OVER_CEILING)),
        ("Report", client.post("/v1/check/batch", content=json.dumps(
            {"documents": [yaml.safe_load(OVER_CEILING.read_text())]}, default=str).encode(), headers=JSON)),
        ("ClauseList", client.get("/v1/clauses")),
        ("Explanation", client.get("/v1/clauses/III.5")),
        ("Health", client.get("/healthz")),
        ("Ready", client.get("/readyz")),
        ("Error", client.get("/v1/clauses/nothing")),
        ("Error", client.post("/v1/check", content=b"{", headers=JSON)),
    ]
    for name, answer in checks:
        _schema_validator(document, name).validate(answer.json())
    request_body = _schema_validator(document, "Document")
    for path in DOCUMENTS:
        request_body.validate(json.loads(to_json(load_file(path).value)))
    with pytest.raises(jsonschema.ValidationError):
        request_body.validate({"kind": "member_states", "states": {}})


# ---- bad requests: a 4xx with a JSON error that says what and where ----------------------------------------------

def _proposal(old: str, new: str) -> bytes:
    text = OVER_CEILING.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new).encode()


# What the project's loader refuses (iompolicy/documents.py) keeps the loader's code.
BAD = [
    ("not-json", JSON, b'{"kind": "proposal",\n  "id": }', 400, "invalid_json", (2, 9)),
    ("not-yaml", YAML, b"kind: proposal\nid: [unclosed\n", 400, "invalid_yaml", (3, 1)),
    ("not_utf8", YAML, b"kind: proposal\ntitle: caf\xe9\n", 400, "not_utf8", (2, 11)),
    ("empty", YAML, b"  \n", 400, "empty", None),
    ("not-a-mapping", JSON, b"[1, 2]", 422, "not_a_mapping", None),
    ("scalar", YAML, b"just words", 422, "not_a_mapping", None),
    ("no-kind", YAML, b"id: x\n", 422, "unknown_kind", (1, 1)),
    ("unknown_kind", YAML, b"id: x\nkind: memo\n", 422, "unknown_kind", (2, 1)),
    ("reference-data", YAML, DATA[0].read_bytes(), 422, "not_a_document", None),
    ("schema", YAML, _proposal("requested_usd: 235000", "requested_usd: lots"), 422, "schema_violation", (18, 3)),
    ("misspelt-field", YAML, _proposal("duration_months", "duration_month"), 422, "schema_violation", None),
    ("duplicate-key", YAML, _proposal("scope: national", "scope: national\nscope: regional"), 400,
     "duplicate_key", None),
    ("bad_date", YAML, _proposal("2015-11-16", "2015-13-45"), 400, "invalid_date", (11, 15)),
    ("huge-number", YAML, _proposal("235000", "1.0e+999999999"), 400, "number_out_of_range", (18, 18)),
    ("tiny-number", JSON, b'{"kind": "proposal", "x": 1e-999999}', 400, "number_out_of_range", (1, 27)),
    ("long-integer", YAML, _proposal("235000", "9" * 5000), 400, "number_out_of_range", (18, 18)),
    ("nan", JSON, b'{"kind": "proposal", "x": NaN}', 400, "not_finite", (1, 27)),
    ("yaml-set", YAML, b"kind: proposal\nx: !!set {a, b}\n", 400, "unsupported_tag", (2, 4)),
    ("python-object", YAML, b"kind: !!python/object/apply:os.system [echo hi]\n", 400, "unsupported_tag", None),
    ("deep-json", JSON, b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 400, "too_deep", (1, 70)),
    # the column depends on the PyYAML version (6.0.4's parser stops at its own depth limit first)
    ("deep-yaml", YAML, b"a: " + b"[" * 100_000, 400, "too_deep", None),
    ("deep-yaml-blocks", YAML, b"- " * 50_000 + b"x", 400, "too_deep", None),
    ("alias-bomb", YAML, (b"a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                          + b"".join(b"%c: &%c [%s]\n" % (98 + i, 98 + i, b", ".join([b"*%c" % (97 + i)] * 10))
                                     for i in range(8))), 413, "too_many_values", None),
    ("recursive-alias", YAML, b"kind: proposal\nloop: &a [1, *a]\n", 400, "recursive_value", (2, 14)),
]


@pytest.mark.parametrize("name, headers, body, status, code, where", BAD, ids=[b[0] for b in BAD])
def test_bad_request(client, name, headers, body, status, code, where):
    error = is_error(client.post("/v1/check", content=body, headers=headers), status, code)
    if where is not None:
        assert (error["problems"][0]["line"], error["problems"][0]["column"]) == where, error


def test_a_misspelt_field_is_named(client):
    error = is_error(post_bytes(client, _proposal("duration_months", "duration_month")), 422)
    assert any("duration_month" in p["message"] for p in error["problems"]), error


def post_bytes(client, body, headers=YAML, url="/v1/check", **params):
    return client.post(url, content=body, headers=headers, params=params)


@pytest.mark.parametrize("headers, code", [
    ({}, "unsupported_media_type"),
    ({"Content-Type": "text/plain"}, "unsupported_media_type"),
    ({"Content-Type": "application/x-www-form-urlencoded"}, "unsupported_media_type"),
    ({"Content-Type": "application/json; charset=latin-1"}, "unsupported_media_type"),
])
def test_wrong_content_type_is_415(client, headers, code):
    answer = client.post("/v1/check", content=OVER_CEILING.read_bytes(), headers=headers)
    is_error(answer, 415, code)


@pytest.mark.parametrize("params, path", [
    ({"as_of": "16/11/2015"}, "?as_of"),
    ({"as_of": "2015-02-30"}, "?as_of"),
    ({"as_of": "20151116"}, "?as_of"),
    ({"fail_on": "never"}, "?fail_on"),
    ({"asof": "2015-01-01"}, "?asof"),
    ([("as_of", "2015-01-01"), ("as_of", "2016-01-01")], "?as_of"),
])
def test_bad_query_is_400(client, params, path):
    for url in ("/v1/check", "/v1/check/batch"):
        error = is_error(client.post(url, content=OVER_CEILING.read_bytes(), headers=YAML, params=params), 400,
                         "bad_query")
        assert error["problems"][0]["path"] == path


def test_oversized_body_is_413(client):
    big = OVER_CEILING.read_bytes() + b"#" + b"x" * (1024 * 1024)
    is_error(client.post("/v1/check", content=big, headers=YAML), 413, "body_too_large")

    def chunks():  # no Content-Length: refused as it streams
        for _ in range(40):
            yield b"# " + b"x" * 65534 + b"\n"

    is_error(client.post("/v1/check", content=chunks(), headers=YAML), 413, "body_too_large")
    assert client.get("/healthz").status_code == 200


def test_body_limit_is_an_option(tmp_path):
    with running_server("--max-body", "2000", "--max-batch", "1", *data_args(), folder=tmp_path) as small, \
            small.client() as http:
        assert post_file(http, OVER_CEILING).status_code == 200  # 1,614 bytes
        is_error(http.post("/v1/check", content=OVER_CEILING.read_bytes() + b"#" * 400, headers=YAML), 413,
                 "body_too_large")
        two = {"documents": [{"kind": "proposal"}, {"kind": "proposal"}]}
        is_error(http.post("/v1/check/batch", json=two), 413, "too_many_documents")


@pytest.mark.parametrize("method, url, status, code", [
    ("GET", "/v1/nothing", 404, "not_found"),
    ("GET", "/v1/check", 405, "method_not_allowed"),
    ("DELETE", "/v1/clauses", 405, "method_not_allowed"),
    ("PUT", "/v1/reload", 405, "method_not_allowed"),
    ("GET", "/v1/clauses/a/b", 404, "not_found"),
])
def test_unknown_endpoints_and_methods(client, method, url, status, code):
    is_error(client.request(method, url), status, code)


# ---- the last line of defence -------------------------------------------------------------------------------------

def test_an_unexpected_failure_is_a_500_without_traceback(caplog):
    """The server runs in a thread of this process, so that a check can be made to fail."""
    import uvicorn

    from iompolicy.service.http import create_app
    from iompolicy.service import Service
    from servicekit import free_port

    service = Service(ROOT / "policies", [str(p) for p in DATA])

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    service.check = broken
    port = free_port()
    config = uvicorn.Config(create_app(service), host="127.0.0.1", port=port, log_config=None, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            threading.Event().wait(0.05)
        answer = httpx.post(f"http://127.0.0.1:{port}/v1/check", content=OVER_CEILING.read_bytes(), headers=YAML,
                            timeout=30)
        error = is_error(answer, 500, "internal_error")
        assert "secret" not in answer.text and "RuntimeError" not in answer.text
        assert "server log" in error["message"]
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=30).status_code == 200
    finally:
        server.should_exit = True
        thread.join(timeout=15)
    logged = [r for r in caplog.records if r.name == "iompolicy.service.http" and r.exc_info]
    assert logged and "secret internals" in str(logged[0].exc_info[1])


# ---- the command ---------------------------------------------------------------------------------------------------

def test_serve_without_the_extra_says_how_to_install_it(monkeypatch):
    for name in [m for m in sys.modules if m.split(".")[0] in ("starlette", "uvicorn")] + ["starlette", "uvicorn"]:
        monkeypatch.setitem(sys.modules, name, None)  # as if the extra were not installed
    monkeypatch.delitem(sys.modules, "iompolicy.service.http", raising=False)
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert result.output == (
        "iompolicy serve needs the server extra (no module starlette.applications) (hint: in a clone of iompolicy, "
        'pip install -e ".[server]"; with a wheel, pip install "iompolicy-0.1.0-py3-none-any.whl[server]")\n')


def test_serve_with_a_broken_policy_folder_exits_2(tmp_path):
    (tmp_path / "broken.iom").write_text("clause x {\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["serve", "--policies", str(tmp_path), "--port", "0"])
    assert result.exit_code == 2
    assert "broken.iom:" in result.output


def test_serve_help_shows_loopback_default():
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert "127.0.0.1" in result.output and "--max-body" in result.output
