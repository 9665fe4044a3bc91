"""Probes, API documentation, and problem+json for routing errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lexgraph.core.config.settings import Settings
from tests.conftest import CHECKPOINT_KEY
from tests.integration.conftest import Api, assert_problem, open_api


def test_healthz_needs_no_auth(api: Api) -> None:
    resp = api.client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}


def test_readyz_when_database_and_broker_answer(any_api: Api) -> None:
    resp = any_api.client.get("/readyz")
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"status": "ready", "checks": {"database": "ok", "broker": "ok",
                                                           "blob_store": "ok"}}


def test_readyz_is_503_when_the_broker_is_unreachable(tmp_path: Path, closed_port: int) -> None:
    settings = Settings(data_dir=tmp_path / "var", broker_url=f"redis://127.0.0.1:{closed_port}/0")
    with open_api(settings) as api:
        resp = api.client.get("/readyz")
        problem = assert_problem(resp, 503, "not ready: broker unreachable")
        assert problem["type"] == "about:blank"
        assert problem["title"] == "Service Unavailable"
        assert problem["checks"]["database"] == "ok"
        assert problem["checks"]["broker"].startswith("unreachable: ")
        # Liveness is not readiness: the process itself is fine.
        assert api.client.get("/healthz").status_code == 200


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path: Path,
                                                       closed_port: int) -> None:
    settings = Settings(data_dir=tmp_path / "var", auto_migrate=False,
                        database_url=f"postgresql+psycopg://lexgraph@127.0.0.1:{closed_port}/x",
                        checkpoint_key=CHECKPOINT_KEY)
    with open_api(settings) as api:
        problem = assert_problem(api.client.get("/readyz"), 503, "not ready: database unreachable")
        assert problem["checks"]["database"].startswith("unreachable: ")
        assert problem["checks"]["broker"] == "ok"


def test_docs_page(api: Api) -> None:
    resp = api.client.get("/docs")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in resp.text


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def test_openapi_describes_every_endpoint(api: Api) -> None:
    resp = api.client.get("/openapi.json")
    assert resp.status_code == 200
    doc = resp.json()
    assert doc["info"]["title"] == "lexgraph"
    operations = {(method.upper(), path) for path, item in doc["paths"].items()
                  for method in item}
    assert operations >= {
        ("POST", "/v1/jobs"), ("GET", "/v1/jobs"), ("GET", "/v1/jobs/{job_id}"),
        ("GET", "/v1/jobs/{job_id}/result"), ("POST", "/v1/jobs/{job_id}/cancel"),
        ("GET", "/v1/jobs/{job_id}/events"), ("GET", "/healthz"), ("GET", "/readyz"),
    }
    submit = doc["paths"]["/v1/jobs"]["post"]
    content = submit["requestBody"]["content"]
    assert set(content) == {"multipart/form-data", "application/json"}
    assert content["multipart/form-data"]["schema"]["required"] == ["matter", "files"]
    json_schema = content["application/json"]["schema"]
    assert json_schema["additionalProperties"] is False
    assert "documents" in json_schema["properties"]
    result = doc["paths"]["/v1/jobs/{job_id}/result"]["get"]["responses"]["200"]["content"]
    assert set(result) == {"application/json", "text/markdown",
                           "application/vnd.openxmlformats-officedocument.wordprocessingml"
                           ".document"}
    # Every reference must point inside the document, or client generators choke on it.
    for ref in _refs(doc):
        assert _resolve(doc, ref) is not None, ref


def test_unknown_endpoint_and_method_are_problems(api: Api) -> None:
    assert_problem(api.client.get("/v1/nothing"), 404, "no such endpoint: GET /v1/nothing")
    resp = api.client.delete("/v1/jobs")
    assert_problem(resp, 405, "DELETE is not allowed on /v1/jobs")
    assert resp.headers["allow"] == "GET, POST"
    resp = api.client.get("/v1/jobs/job_x/cancel")
    assert_problem(resp, 405, "GET is not allowed on /v1/jobs/job_x/cancel")
    assert resp.headers["allow"] == "POST"
