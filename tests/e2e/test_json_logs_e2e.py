"""JSON logs of a whole job through real processes: every line an object, the job's fields
on its lines, and none of the document's words or personal data anywhere."""

from __future__ import annotations

import json
from typing import Any

import httpx

from lexgraph.core.config.settings import Settings
from tests.e2e.conftest import make_key
from tests.integration.test_agent_graph import CANARIES, PERSONAL
from tests.receiver import Receiver
from tests.support import wait_for

STAGES = ["ingest", "screen_documents", "redact", "retrieve", "summarize", "check_compliance",
          "finalize"]


def _forbidden() -> list[str]:
    words = [*CANARIES.values(), *(v.replace(" ", "") for v in CANARIES.values())]
    # Surname parts, the SSN's digits, and the document's own sentences.
    return [*words, "Oyelaran", "Whitfield", "536228741", "CONSULTANCY AGREEMENT",
            "within thirty days", "The consultant is"]


def test_every_line_of_a_job_is_json_without_document_text_or_personal_data(
        production_settings: Settings, stack_factory: Any, logs: Any) -> None:
    receiver = Receiver()
    receiver.start()
    try:
        key = make_key(production_settings)
        stack = stack_factory(production_settings, log_format="json",
                              webhook_allowed_networks="127.0.0.0/8",
                              webhook_poll_interval_seconds=0.2)
        stack.start_api()
        stack.start_worker("orchestrate")
        stack.start_worker("webhooks")
        with httpx.Client(base_url=stack.base, headers={"Authorization": f"Bearer {key}"},
                          timeout=30) as client:
            resp = client.post("/v1/jobs", json={
                "matter": "m", "webhook_url": receiver.url("/hook"),
                "documents": [{"filename": "consultancy.txt", "text": PERSONAL}]})
            assert resp.status_code == 202, resp.text
            job_id = resp.json()["id"]
            wait_for(lambda: client.get(f"/v1/jobs/{job_id}").json()["status"] == "succeeded",
                     180, "the job to succeed")
            assert client.get(f"/v1/jobs/{job_id}/result").status_code == 200
            events = client.get(f"/v1/jobs/{job_id}/events").json()["data"]
            receiver.wait(len(events), 60)
            wait_for(lambda: all(d["status"] == "succeeded" for d in client.get(
                f"/v1/jobs/{job_id}/deliveries").json()["data"]), 30, "deliveries recorded")
    finally:
        receiver.stop()
    stack.stop()

    lines: list[dict[str, Any]] = []
    for path in sorted(logs.iterdir()):
        text = path.read_text(encoding="utf-8")
        for canary in _forbidden():
            assert canary not in text, (path.name, canary)
        for number, raw in enumerate(text.splitlines(), 1):
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
            except json.JSONDecodeError:
                raise AssertionError(f"{path.name}:{number} is not JSON: {raw[:200]}") from None
            assert isinstance(line, dict) and {"ts", "level", "logger", "message"} <= set(line)
            lines.append(line)

    nodes = {line["node"]: line for line in lines
             if line.get("job_id") == job_id and "duration_ms" in line and "node" in line}
    assert set(STAGES) <= set(nodes), sorted(nodes)
    assert all(line["attempt"] == 1 and line["tenant"] for line in nodes.values())
    access = [line for line in lines if line["logger"] == "lexgraph.access"]
    routes = {(line["method"], line["route"], line["status"]) for line in access}
    assert ("POST", "/v1/jobs", 202) in routes
    assert ("GET", "/v1/jobs/{job_id}", 200) in routes
    # Route templates, never the path with the job's id.
    assert not [line for line in access if job_id in json.dumps(line)]
    # The webhooks worker's lines are JSON too, and they were checked above.
    assert any(line["message"].startswith("delivery ") and "succeeded" in line["message"]
               for line in lines)
