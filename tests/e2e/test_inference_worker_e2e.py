"""A job whose agents' model calls are served by a separate inference worker over Redis; the
worker is SIGKILLed mid-request, a new one serves the request again, the job completes, and
every call's tokens are on the job with their estimated cost."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from lexgraph.core.config.settings import Settings
from tests.e2e.conftest import make_key
from tests.integration.test_agent_graph import CHECK, CONTRACT, GOOD_DRAFT, RETRIEVER
from tests.support import wait_for

pytestmark = pytest.mark.services


def test_inference_worker_killed_mid_request(production_settings: Settings, stack_factory,
                                             tmp_path: Path) -> None:
    # The model's weights can't exist here: the inference worker runs the scripted model,
    # each answer taking 1.5 s, so the kill lands while a request is being computed.
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"latency_seconds": 1.5,
                                  "by_agent": {"retriever": RETRIEVER,
                                               "summarizer": [GOOD_DRAFT],
                                               "compliance checker": CHECK}}))
    key = make_key(production_settings)
    stack = stack_factory(production_settings, llm_backend="scripted", llm_script=script,
                          llm_served_name="scripted-7b", inference_mode="queue",
                          # Longer than a new inference worker takes to start on a busy
                          # two-core machine (about 10 s), so the lost request is sent again
                          # once, not twice: the scripted model answers each agent's requests
                          # in order, and a second copy would take the next answer.
                          inference_timeout_seconds=15, inference_max_attempts=3,
                          llm_price_prompt_per_1k=0.5, llm_price_completion_per_1k=2.0)
    stack.start_api()
    orchestrator = stack.start_worker("orchestrate")
    first_gpu = stack.start_worker("inference")
    with httpx.Client(base_url=stack.base, headers={"Authorization": f"Bearer {key}"},
                      timeout=30) as client:
        job_id = client.post("/v1/jobs", json={"matter": "m", "profile": "contract",
                                               "documents": [{"filename": "services.txt",
                                                              "text": CONTRACT}]}).json()["id"]
        # The retriever's first request reaches the inference worker; kill it mid-answer.
        wait_for(lambda: "Task lexgraph.generate[" in first_gpu.output(), 120,
                 "the first inference request", interval=0.05)
        first_gpu.kill()
        assert "succeeded in" not in first_gpu.output()
        second_gpu = stack.start_worker("inference")

        def done() -> dict | None:
            job = client.get(f"/v1/jobs/{job_id}").json()
            return job if job["status"] not in ("queued", "running") else None

        job = wait_for(done, 240, "the job to finish", interval=0.3)
        assert job["status"] == "succeeded", job
        assert job["attempts"] == 1  # the job itself never restarted: only the request did

    # The orchestrator gave up on the lost request and sent it again; the new worker served
    # every request of the job, the resent one first.
    assert "unanswered after 15 s (send 1 of 3)" in orchestrator.output()
    log = second_gpu.output()
    served = len(re.findall(r"Task lexgraph\.generate\[[\w-]+\] received", log))
    assert served >= 3
    assert served == len(re.findall(r"Task lexgraph\.generate\[[\w-]+\] succeeded in", log))
    # Completions are document text: the worker's log names tasks, never their results.
    assert "SERVICES AGREEMENT" not in log and "finish_reason" not in log

    usage = job["usage"]
    agents = {row["agent"] for row in usage["by_agent"]}
    assert agents == {"retriever", "summarizer", "compliance checker"}
    assert {row["model"] for row in usage["by_agent"]} == {"scripted-7b"}
    assert usage["calls"] == served
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0
    expected = usage["prompt_tokens"] / 1000 * 0.5 + usage["completion_tokens"] / 1000 * 2.0
    assert usage["estimated_cost"] == {"amount": round(expected, 6), "currency": "USD"}
    assert sum(r["calls"] for r in usage["by_agent"]) == usage["calls"]

    with httpx.Client(base_url=stack.base, headers={"Authorization": f"Bearer {key}"}) as c:
        tenant = c.get("/v1/usage").json()
        assert tenant["jobs"] == 1 and tenant["calls"] == usage["calls"]
        assert tenant["estimated_cost"] == usage["estimated_cost"]
        later = c.get("/v1/usage", params={"since": "2999-01-01T00:00:00Z"}).json()
        assert later["calls"] == 0
        bad = c.get("/v1/usage", params={"since": "2026-02-01T00:00:00Z",
                                          "until": "2026-01-01T00:00:00Z"})
        assert bad.status_code == 422 and "until must be later" in bad.json()["detail"]
