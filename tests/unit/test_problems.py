"""RFC 9457 problem rendering: our errors, the framework's, and the unexpected ones."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import FastAPI, HTTPException, Query
from fastapi.testclient import TestClient

from lexgraph.api.problems import PROBLEM, install, problem
from lexgraph.core.errors import (
    ConfigError,
    Conflict,
    NotAcceptable,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    Unprocessable,
    UnsupportedMediaType,
    UserError,
)

BASE = "https://lexgraph.dev/problems/"
KINDS = [
    (UserError, 400, "Bad request", "bad-request"),
    (Unauthorized, 401, "Unauthorized", "unauthorized"),
    (NotFound, 404, "Not found", "not-found"),
    (NotAcceptable, 406, "Not acceptable", "not-acceptable"),
    (Conflict, 409, "Conflict", "conflict"),
    (PayloadTooLarge, 413, "Payload too large", "payload-too-large"),
    (UnsupportedMediaType, 415, "Unsupported media type", "unsupported-media-type"),
    (Unprocessable, 422, "Unprocessable request", "unprocessable"),
    (ConfigError, 500, "Configuration error", "configuration"),
]


@pytest.mark.parametrize(("kind", "status", "title", "slug"), KINDS,
                         ids=[k[0].__name__ for k in KINDS])
def test_user_error_problem_body(kind: type[UserError], status: int, title: str,
                                 slug: str) -> None:
    err = kind("what went wrong and what to do")
    assert err.problem() == {"type": BASE + slug, "title": title, "status": status,
                             "detail": "what went wrong and what to do"}
    errors = [{"field": "matter", "message": "required"}]
    assert kind("x", errors=errors).problem(instance="/v1/jobs") == {
        "type": BASE + slug, "title": title, "status": status, "detail": "x",
        "instance": "/v1/jobs", "errors": errors}


def test_problem_response_for_a_status_we_name() -> None:
    resp = problem(422, "matter: required", instance="/v1/jobs",
                   errors=[{"field": "matter", "message": "required"}])
    assert resp.status_code == 422
    assert resp.media_type == PROBLEM
    assert resp.body == (b'{"type":"https://lexgraph.dev/problems/unprocessable",'
                         b'"title":"Unprocessable request","status":422,'
                         b'"detail":"matter: required","instance":"/v1/jobs",'
                         b'"errors":[{"field":"matter","message":"required"}]}')


def test_problem_response_for_other_statuses_is_about_blank() -> None:
    resp = problem(503, "not ready", extensions={"checks": {"broker": "down"}, "status": 200})
    assert resp.body == (b'{"type":"about:blank","title":"Service Unavailable","status":503,'
                         b'"detail":"not ready","checks":{"broker":"down"}}')


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()
    install(app)

    @app.get("/user/{kind}")
    async def user(kind: str) -> None:
        raise {"conflict": Conflict("job 'j' is already cancelled"),
               "auth": Unauthorized("send a key"),
               "big": PayloadTooLarge("too big", errors=[{"field": "files", "message": "3"}]),
               }[kind]

    @app.get("/http")
    async def http() -> None:
        raise HTTPException(status_code=409, detail="framework conflict",
                            headers={"Retry-After": "3"})

    @app.get("/http-object")
    async def http_object() -> None:
        raise HTTPException(status_code=400, detail={"not": "a string"})

    @app.get("/query")
    async def query(limit: Annotated[int, Query(ge=1)], name: str) -> dict[str, int]:
        return {"limit": limit}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret connection string postgresql://u:pw@db")

    return TestClient(app, raise_server_exceptions=False)


def test_user_errors_render_as_problems(client: TestClient) -> None:
    resp = client.get("/user/conflict")
    assert resp.status_code == 409
    assert resp.headers["content-type"] == PROBLEM
    assert resp.json() == {"type": BASE + "conflict", "title": "Conflict", "status": 409,
                           "detail": "job 'j' is already cancelled", "instance": "/user/conflict"}
    assert "www-authenticate" not in resp.headers
    big = client.get("/user/big").json()
    assert big["errors"] == [{"field": "files", "message": "3"}]


def test_unauthorized_carries_a_bearer_challenge(client: TestClient) -> None:
    resp = client.get("/user/auth")
    assert resp.status_code == 401
    assert resp.headers["www-authenticate"] == "Bearer"
    assert resp.json()["detail"] == "send a key"


def test_framework_http_errors_keep_detail_and_headers(client: TestClient) -> None:
    resp = client.get("/http")
    assert resp.status_code == 409
    assert resp.headers["content-type"] == PROBLEM
    assert resp.headers["retry-after"] == "3"
    assert resp.json() == {"type": BASE + "conflict", "title": "Conflict", "status": 409,
                           "detail": "framework conflict", "instance": "/http"}
    assert client.get("/http-object").json()["detail"] == "Bad Request"


def test_parameter_validation_names_each_field(client: TestClient) -> None:
    resp = client.get("/query", params={"limit": 0})
    assert resp.status_code == 422
    assert resp.headers["content-type"] == PROBLEM
    body = resp.json()
    assert body["type"] == BASE + "unprocessable"
    assert body["detail"] == ("limit: Input should be greater than or equal to 1; "
                              "name: Field required")
    assert body["errors"] == [
        {"field": "limit", "message": "Input should be greater than or equal to 1"},
        {"field": "name", "message": "Field required"},
    ]


def test_routing_errors_are_problems(client: TestClient) -> None:
    resp = client.get("/nowhere")
    assert (resp.status_code, resp.headers["content-type"]) == (404, PROBLEM)
    assert resp.json()["detail"] == "no such endpoint: GET /nowhere"
    resp = client.post("/http")
    assert (resp.status_code, resp.json()["detail"]) == (405, "POST is not allowed on /http")
    assert resp.headers["allow"] == "GET"


def test_unexpected_errors_hide_their_details(client: TestClient,
                                              caplog: pytest.LogCaptureFixture) -> None:
    resp = client.get("/boom")
    assert resp.status_code == 500
    assert resp.headers["content-type"] == PROBLEM
    assert resp.json() == {"type": "about:blank", "title": "Internal Server Error", "status": 500,
                           "detail": "an internal error occurred; the operators' logs have the "
                                     "details", "instance": "/boom"}
    assert "secret" not in resp.text
    # ...but the operators do get them.
    assert any("secret connection string" in str(r.exc_info[1]) for r in caplog.records
               if r.exc_info)
