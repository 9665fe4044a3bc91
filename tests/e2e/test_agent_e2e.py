"""The agent graph in real worker processes, with a scripted model read from a file."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from lexgraph.core.config.settings import Settings
from tests.e2e.conftest import make_key
from tests.integration.test_agent_graph import CHECK, CONTRACT, GOOD_DRAFT, RETRIEVER
from tests.support import wait_for

STAGES = ["ingest", "screen_documents", "redact", "retrieve", "summarize", "check_compliance",
          "finalize"]


def test_agent_job_resumes_after_sigkill_between_nodes(embedded_settings: Settings,
                                                       stack_factory, tmp_path: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"by_agent": {"retriever": RETRIEVER,
                                               "summarizer": [GOOD_DRAFT],
                                               "compliance checker": CHECK}}))
    key = make_key(embedded_settings)
    stack = stack_factory(embedded_settings, llm_backend="scripted", llm_script=script,
                          job_lease_seconds=2, sweep_interval_seconds=0.5,
                          node_pause_seconds=1.5)
    stack.start_api()
    first = stack.start_worker()
    with httpx.Client(base_url=stack.base, headers={"Authorization": f"Bearer {key}"},
                      timeout=30) as client:
        job_id = client.post("/v1/jobs", json={"matter": "m", "profile": "contract",
                                               "documents": [{"filename": "services.txt",
                                                              "text": CONTRACT}]}).json()["id"]

        def stages() -> list[str]:
            return [e["data"]["stage"] for e in
                    client.get(f"/v1/jobs/{job_id}/events").json()["data"]
                    if e["type"] == "job.progress"]

        wait_for(lambda: "retrieve" in stages(), 180, "the retrieve node to finish")
        first.kill()
        stack.start_worker()

        def done() -> dict | None:
            job = client.get(f"/v1/jobs/{job_id}").json()
            return job if job["status"] not in ("queued", "running") else None

        job = wait_for(done, 240, "the job to finish", interval=0.3)
        assert job["status"] == "succeeded", job
        # Each node ran once: the retriever's script was spent before the kill and the new
        # worker, whose script starts afresh, never asked the retriever again.
        assert stages() == STAGES
        result = client.get(f"/v1/jobs/{job_id}/result").json()
        assert result["mode"] == "agentic" and result["compliance"]["verdict"] == "pass"
        assert {row["agent"] for row in result["usage"]} >= {"summarizer",
                                                             "compliance checker"}
