"""The service's OpenAPI 3.1 description (GET /openapi.json), written here as data.

The report's schema is schemas/report.schema.json itself, and a request's
document is one of the document kinds' own schemas: each is copied in whole,
its `$defs` moved to `components/schemas` (as `Report_document`,
`proposal_usd`, ...) and its `$ref`s pointed there.
"""

from __future__ import annotations

import copy
import json

from .. import __version__

_ERRORS = {
    "400": "The body is not JSON or YAML (or not UTF-8, or nested too deep), or the query is wrong.",
    "413": "The body is larger than the limit, holds too many values, or a batch has too many documents.",
    "415": "The Content-Type is not application/json, application/yaml or text/yaml (UTF-8).",
    "422": "Not a document to check: no or unknown `kind`, reference data, a schema violation, a number "
           "out of range.",
    "500": "The service failed; the server log has the details (the answer never carries a traceback).",
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str, description: str, headers: dict | None = None) -> dict:
    answer = {"description": description, "content": {"application/json": {"schema": _ref(name)}}}
    if headers:
        answer["headers"] = headers
    return answer


def _errors(*statuses: str) -> dict:
    return {status: _json("Error", _ERRORS.get(status, "See the error's code and message.")) for status in statuses}


def _hoist(schema: dict, name: str, components: dict) -> None:
    """Put a JSON Schema into components as `name`, its $defs as `name_def`, refs rewritten."""
    schema = copy.deepcopy(schema)
    definitions = schema.pop("$defs", {})
    schema.pop("$schema", None)
    own = schema.pop("$id", None)

    def fix(node):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and own and ref.startswith(own + "#"):
                ref = ref[len(own):]  # a validator may have made the schema's own refs absolute
            if isinstance(ref, str) and ref.startswith("#"):
                node["$ref"] = (f"#/components/schemas/{name}_" + ref[len("#/$defs/"):]
                                if ref.startswith("#/$defs/") else f"#/components/schemas/{name}")
            for value in node.values():
                fix(value)
        elif isinstance(node, list):
            for value in node:
                fix(value)
        return node

    for key, definition in definitions.items():
        components[f"{name}_{key}"] = fix(definition)
    components[name] = fix(schema)


_GENERATION = {"X-IOMPolicy-Generation": {"description": "The generation of policies and data that answered "
                                          "(1 at start, one more at each successful reload).",
                                          "schema": {"type": "integer"}}}


def _fixed_components(max_batch: int) -> dict:
    """The components written as data (openapi-components.json), with the batch limit in force."""
    from importlib import resources

    text = resources.files(__package__).joinpath("openapi-components.json").read_text(encoding="utf-8")
    components = json.loads(text)
    components.pop("$comment")
    components["BatchRequest"]["properties"]["documents"]["maxItems"] = max_batch
    return components


def describe(schemas, max_body: int, max_batch: int) -> dict:
    """The OpenAPI document of a service whose document kinds are those of `schemas` (a SchemaSet)."""
    from ..resources import shipped_schemas

    components = _fixed_components(max_batch)
    report_schema = json.loads((shipped_schemas() / "report.schema.json").read_text(encoding="utf-8"))
    _hoist(report_schema, "Report", components)
    kinds = sorted(k.kind for k in schemas.kinds.values() if getattr(k, "role", "document") == "document")
    for kind in kinds:
        _hoist(schemas.kinds[kind].schema, kind, components)
    components["Document"] = {"description": "One document to check, of one of these kinds.",
                              "oneOf": [_ref(kind) for kind in kinds],
                              "discriminator": {"propertyName": "kind",
                                                "mapping": {k: f"#/components/schemas/{k}" for k in kinds}}}
    query = [
        {"name": "as_of", "in": "query", "required": False,
         "description": "Judge as of this date instead of the document's own date (`--as-of`).",
         "schema": {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}},
        {"name": "fail_on", "in": "query", "required": False,
         "description": "Lowest severity counted in the summary's `failing` (`--fail-on`).",
         "schema": {"enum": ["error", "warning"], "default": "error"}},
    ]

    def body(name: str) -> dict:
        return {"required": True,
                "description": f"JSON or YAML, UTF-8, at most {max_body} bytes; numbers are read exactly.",
                "content": {media: {"schema": _ref(name)}
                            for media in ("application/json", "application/yaml", "text/yaml")}}

    checking = ("400", "413", "415", "422", "500")
    paths = {
        "/v1/check": {"post": {
            "operationId": "check", "summary": "Check one document",
            "description": "The report `iompolicy check --format json` gives for the document (its `path` is null).",
            "parameters": query, "requestBody": body("Document"),
            "responses": {"200": _json("Report", "The report: one document, and the summary.", _GENERATION),
                          **_errors(*checking)}}},
        "/v1/check/batch": {"post": {
            "operationId": "checkBatch", "summary": f"Check up to {max_batch} documents in one report",
            "description": "Documents are checked in order; if any cannot be checked, none is, and every "
                           "problem is listed with its place in the body.",
            "parameters": query, "requestBody": body("BatchRequest"),
            "responses": {"200": _json("Report", "The report: every document, in order, and the summary.",
                                       _GENERATION), **_errors(*checking)}}},
        "/v1/clauses": {"get": {
            "operationId": "listClauses", "summary": "Every clause (what `iompolicy list` shows)",
            "responses": {"200": _json("ClauseList", "The clauses, in policy order."), **_errors("500")}}},
        "/v1/clauses/{clause_or_citation}": {"get": {
            "operationId": "explainClause", "summary": "Explain a clause (what `iompolicy explain` shows)",
            "parameters": [{"name": "clause_or_citation", "in": "path", "required": True,
                            "description": "A clause id, or a citation: `III.5` takes every clause under it.",
                            "schema": {"type": "string"}}],
            "responses": {"200": _json("Explanation", "The clauses with that id or citation."),
                          "404": _json("Error", "No clause has that id or citation."), **_errors("500")}}},
        "/v1/reload": {"post": {
            "operationId": "reload", "summary": "Reload the policies and data (as SIGHUP does)",
            "description": "A whole new policy set and data are built, then swapped in at once. If they do "
                           "not load, the old ones go on serving and the answer is 409 with the diagnostics.",
            "responses": {"200": _json("Ready", "The new generation now serves."),
                          "409": _json("Error", "Refused: the problems of the new policies or data."),
                          **_errors("500")}}},
        "/healthz": {"get": {"operationId": "health", "summary": "Liveness",
                             "responses": {"200": _json("Health", "The process answers.")}}},
        "/readyz": {"get": {"operationId": "ready", "summary": "Readiness: policies and data loaded",
                            "responses": {"200": _json("Ready", "Ready, with the generation serving."),
                                          "503": _json("Error", "Not ready.")}}},
        "/openapi.json": {"get": {"operationId": "openapi", "summary": "This description",
                                  "responses": {"200": {"description": "OpenAPI 3.1",
                                                        "content": {"application/json": {
                                                            "schema": {"type": "object"}}}}}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "iompolicy decision service", "version": __version__,
                 "description": "Checks IOM project proposals, facility budgets and governance calendars "
                                "against the IOM Strategy (Council Resolution No. 1150 (XCIII)). Every error "
                                "answer is an `Error`. Start it with `iompolicy serve`.",
                 "license": {"name": "MIT", "identifier": "MIT"}},
        "paths": paths,
        "components": {"schemas": components},
    }
