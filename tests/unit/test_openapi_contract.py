"""The published contract: the served document is the checked-in one, every operation is named
and documented, and the Python client has a method for each."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lexgraph.api import create_app
from lexgraph.api.problems import PROBLEM
from lexgraph.client import OPERATIONS, AsyncClient, Client

CHECKED_IN = Path(__file__).resolve().parents[2] / "docs" / "reference" / "openapi.json"
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def served() -> dict[str, Any]:
    # No lifespan: the document needs no database.
    doc: dict[str, Any] = TestClient(create_app()).get("/openapi.json").json()
    return doc


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, item in doc["paths"].items()
            for method, op in item.items() if method in METHODS]


def test_the_served_document_is_the_checked_in_one(served: dict[str, Any]) -> None:
    # Regenerate with: lexgraph openapi > docs/reference/openapi.json
    assert json.loads(CHECKED_IN.read_text()) == served


def test_every_operation_is_named_tagged_and_declares_its_answers(
        served: dict[str, Any]) -> None:
    ids = []
    for method, path, op in _operations(served):
        ids.append(op["operationId"])
        assert op["operationId"][0].islower() and "_" not in op["operationId"], (method, path)
        assert op["tags"], (method, path)
        success = [s for s in op["responses"] if s.startswith("2")]
        assert len(success) == 1, (method, path)
        answer = op["responses"][success[0]]
        if success[0] != "204":
            schemas = [c.get("schema") for c in answer["content"].values()]
            assert schemas and all(schemas), (method, path)
        for status, response in op["responses"].items():
            if not status.startswith("2"):
                assert list(response["content"]) == [PROBLEM], (method, path, status)
                assert response["content"][PROBLEM]["schema"] == {
                    "$ref": "#/components/schemas/Problem"}
        if path.startswith("/v1/"):
            assert op["security"] == [{"bearerAuth": []}], (method, path)
            assert {"401", "422"} <= set(op["responses"]), (method, path)
            assert "authorization" not in {p["name"].lower() for p in op.get("parameters", [])}
    assert len(ids) == len(set(ids))
    assert "HTTPValidationError" not in json.dumps(served)


def test_the_result_and_the_stream_declare_their_media_types(served: dict[str, Any]) -> None:
    result = served["paths"]["/v1/jobs/{job_id}/result"]["get"]["responses"]["200"]["content"]
    assert set(result) == {
        "application/json", "text/markdown",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
    assert result["application/json"]["schema"] == {"$ref": "#/components/schemas/JobResult"}
    stream = served["paths"]["/v1/jobs/{job_id}/events/stream"]["get"]["responses"]["200"]
    assert list(stream["content"]) == ["text/event-stream"]


def test_every_operation_has_a_client_method(served: dict[str, Any]) -> None:
    ids = {op["operationId"] for _, _, op in _operations(served)}
    assert set(OPERATIONS) == ids
    for name in OPERATIONS.values():
        sync, coro = getattr(Client, name), getattr(AsyncClient, name)
        assert not inspect.iscoroutinefunction(sync), name
        assert inspect.iscoroutinefunction(coro), name
        assert inspect.signature(sync) == inspect.signature(coro), name
