"""What the OpenAPI document promises beyond what FastAPI infers: the errors each route may
answer (as problem+json), the Bearer scheme on /v1, and the extra schemas those refer to.

Routes list their error statuses with ``errors(...)``; ``document`` finishes the document once,
and the checked-in copy (``lexgraph openapi``) is compared with it in the tests.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from lexgraph.api.models import Problem
from lexgraph.api.problems import PROBLEM
from lexgraph.api.validation import URL_PATTERN

SCHEMA_REF = "#/components/schemas/{model}"
PROBLEM_REF = {"$ref": SCHEMA_REF.format(model="Problem")}
SECURITY_SCHEME = "bearerAuth"

# Why each status is answered, in the document's words.
_WHY: dict[int, str] = {
    400: "The request could not be read (malformed body, a control character in the URL, a "
         "bad cursor or Last-Event-ID).",
    401: "No API key, or one that is unknown or revoked.",
    403: "The API key may not do this.",
    404: "No such resource for this tenant.",
    406: "None of the media types in Accept can be served.",
    409: "The resource is not in a state that allows this.",
    413: "The body or one of its documents is over a limit.",
    415: "The body's Content-Type is not accepted here.",
    422: "A field or parameter is not valid; `errors` lists each.",
    429: "Over a per-tenant limit; retry after Retry-After seconds.",
    503: "A backing service (database, broker, storage) is unavailable; retry after "
         "Retry-After seconds.",
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying.",
                                "schema": {"type": "integer", "minimum": 1}}}
_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "`Bearer`.", "schema": {"type": "string"}}},
    429: _RETRY_AFTER,
    503: _RETRY_AFTER,
}
# Every authenticated route: unreadable URL, no or bad key, invalid parameters, an outage.
AUTHENTICATED = (400, 401, 422, 503)


def errors(*statuses: int, authenticated: bool = True) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status described, with a problem+json body."""
    wanted = sorted({*statuses, *(AUTHENTICATED if authenticated else ())})
    out: dict[int | str, dict[str, Any]] = {}
    for status in wanted:
        entry: dict[str, Any] = {
            "description": _WHY.get(status, HTTPStatus(status).phrase),
            "content": {PROBLEM: {"schema": PROBLEM_REF}},
        }
        if status in _HEADERS:
            entry["headers"] = _HEADERS[status]
        out[status] = entry
    return out


def body(status: int, model: type[Any], description: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entry for a success answered with a ``JSONResponse`` of ``model``."""
    return {status: {"model": model, "description": description}}


def _problem_schemas() -> dict[str, Any]:
    schema = Problem.model_json_schema(ref_template=SCHEMA_REF)
    defs: dict[str, Any] = schema.pop("$defs", {})
    return {"Problem": schema, **defs}


def _no_null_header(parameter: dict[str, Any]) -> None:
    """An optional header is absent or a string: FastAPI writes it as ``anyOf [T, null]``,
    which reads as if the text "null" were a value."""
    schema = parameter.get("schema", {})
    if parameter.get("in") != "header" or "anyOf" not in schema:
        return
    options = [o for o in schema["anyOf"] if o.get("type") != "null"]
    if len(options) == 1:
        merged = {k: v for k, v in schema.items() if k != "anyOf"}
        parameter["schema"] = {**options[0], **merged}


def _no_control_characters(parameter: dict[str, Any]) -> None:
    """Ids, cursors and filters hold no control character: a URL with one is refused before
    routing (validation.RefuseControlCharacters), and the document says so."""
    if parameter.get("in") not in ("path", "query"):
        return
    schema = parameter.get("schema", {})
    for option in schema.get("anyOf", [schema]):
        if option.get("type") == "string" and "pattern" not in option \
                and "enum" not in option and "format" not in option:
            option["pattern"] = URL_PATTERN


def document(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of ``app``, built once and kept."""
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(title=app.title, version=app.version, summary=app.summary,
                      description=app.description, routes=app.routes, tags=TAGS)
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name, schema in _problem_schemas().items():
        schemas.setdefault(name, schema)
    # FastAPI's own 422 shapes are never sent: validation errors are problems too.
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    components["securitySchemes"] = {SECURITY_SCHEME: {
        "type": "http", "scheme": "bearer",
        "description": "An API key (`lgk_…`) from `lexgraph keys create` or POST /v1/keys."}}
    for path, operations in doc.get("paths", {}).items():
        for operation in operations.values():
            if path.startswith("/v1/"):
                operation["security"] = [{SECURITY_SCHEME: []}]
            for parameter in operation.get("parameters", []):
                _no_null_header(parameter)
                _no_control_characters(parameter)
    app.openapi_schema = doc
    return doc


TAGS = [
    {"name": "jobs", "description": "Submit documents, follow the job, read the result."},
    {"name": "reviews", "description": "Human review and reviewers' feedback."},
    {"name": "webhooks", "description": "Endpoints that receive signed job events, and their "
                                        "deliveries."},
    {"name": "keys", "description": "The tenant's API keys (admin keys only)."},
    {"name": "usage", "description": "Model tokens and estimated cost."},
    {"name": "health", "description": "Liveness and readiness probes."},
]


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        return document(app)

    app.openapi = openapi  # type: ignore[method-assign]


def render() -> str:
    """The document as checked in (``lexgraph openapi > docs/reference/openapi.json``)."""
    import json

    from lexgraph.api.app import create_app

    return json.dumps(document(create_app()), indent=2, ensure_ascii=False) + "\n"
