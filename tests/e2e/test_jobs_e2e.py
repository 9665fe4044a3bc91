"""The API and Celery workers as real processes, on both topologies."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from lexgraph.core.config.settings import Settings
from lexgraph.core.db.engine import make_engine
from lexgraph.core.db.models import Result
from tests.e2e.conftest import make_key
from tests.support import wait_for

CONTRACT = b"""SERVICES AGREEMENT

1. Services
The Supplier shall provide the "Services" described in Schedule 1.

2. Fees
The Customer shall pay the fees within thirty days of each invoice.
"""
HTML = (b"<!doctype html><html><head><title>x</title><style>p{}</style></head><body>"
        b"<h1>Notice of Termination</h1><p>The Lease ends on 1 May. Keys go to the agent.</p>"
        b"<script>alert(1)</script></body></html>")


STAGES = ["ingest", "screen_documents", "redact", "retrieve", "summarize", "check_compliance",
          "finalize"]


def _wait_done(client: httpx.Client, job_id: str, timeout: float = 180) -> dict:
    def done() -> dict | None:
        job = client.get(f"/v1/jobs/{job_id}").json()
        return job if job["status"] not in ("queued", "running") else None

    return wait_for(done, timeout, f"job {job_id} to finish", interval=0.2)


def _events(client: httpx.Client, job_id: str) -> list[dict]:
    return client.get(f"/v1/jobs/{job_id}/events").json()["data"]


def test_job_runs_end_to_end(any_settings: Settings, stack_factory) -> None:
    key = make_key(any_settings)
    stack = stack_factory(any_settings)
    stack.start_api()
    stack.start_worker()
    with httpx.Client(base_url=stack.base, headers={"Authorization": f"Bearer {key}"},
                      timeout=30) as client:
        resp = client.post("/v1/jobs", data={"matter": "m-1", "profile": "contract"}, files=[
            ("files", ("services.txt", CONTRACT, "text/plain")),
            ("files", ("notice.html", HTML, "text/html")),
        ])
        assert resp.status_code == 202, resp.text
        job = _wait_done(client, resp.json()["id"])
        assert job["status"] == "succeeded", job
        assert job["progress"] == 1.0

        result = client.get(f"/v1/jobs/{job['id']}/result").json()
        assert result["mode"] == "extractive" and result["model"] is None
        services, notice = result["documents"]
        assert (services["filename"], services["error"]) == ("services.txt", None)
        assert notice["media_type"] == "text/html" and notice["chunks"] >= 1
        assert "alert" not in str(result)  # the page's script is not text
        sections = {s["key"]: s for s in result["sections"]}
        assert [s["key"] for s in result["sections"]][:5] == [
            "parties", "term", "obligations", "licence_and_ip", "payment"]
        # No clause here is confident enough for the key-terms table: every row says so.
        assert result["key_terms"] and not any(t["found"] for t in result["key_terms"])
        assert "thirty days" in str(sections["payment"]["statements"])
        doc_ids = {services["id"], notice["id"]}
        for section in result["sections"]:
            for statement in section["statements"]:
                (citation,) = statement["citations"]
                assert citation["document_id"] in doc_ids
                assert citation["chunk_id"].startswith(citation["document_id"] + ":")
                assert " ".join(citation["quote"].split()) == statement["text"]
        assert result["compliance"]["verdict"] == "pass"
        assert set(result["timings_ms"]) == {"ingest", "screen_documents", "redact",
                                             "retrieve", "summarize", "check_compliance",
                                             "finalize"}

        markdown = client.get(f"/v1/jobs/{job['id']}/result",
                              headers={"Accept": "text/markdown"}).text
        assert markdown.startswith("# Contract summary: m-1")
        assert "## Payment" in markdown and "]: services.txt, p. 1: “The Customer" in markdown

        events = _events(client, job["id"])
        kinds = [(e["type"], e["data"].get("stage")) for e in events]
        assert kinds == [
            ("job.queued", None), ("job.started", None),
            *[("job.progress", stage) for stage in STAGES],
            ("job.completed", None),
        ]
        assert [e["id"] for e in events] == sorted(e["id"] for e in events)


@pytest.mark.parametrize("topology", ["embedded", "production"])
def test_worker_killed_mid_job_resumes_from_checkpoint(topology: str, request, stack_factory
                                                       ) -> None:
    settings: Settings = request.getfixturevalue(f"{topology}_settings")
    key = make_key(settings)
    # Short lease and sweep so recovery happens within the test; a pause after each node gives
    # a window in which the kill lands between checkpoints.
    stack = stack_factory(settings, job_lease_seconds=2, sweep_interval_seconds=0.5,
                          node_pause_seconds=2)
    stack.start_api()
    first = stack.start_worker()
    with httpx.Client(base_url=stack.base, headers={"Authorization": f"Bearer {key}"},
                      timeout=30) as client:
        resp = client.post("/v1/jobs", json={"matter": "m", "documents": [
            {"filename": "services.txt", "text": CONTRACT.decode()}]})
        assert resp.status_code == 202, resp.text
        job_id = resp.json()["id"]

        wait_for(lambda: any(e["data"].get("stage") == "ingest"
                             for e in _events(client, job_id)),
                 60, "the ingest node to finish")
        first.kill()
        assert client.get(f"/v1/jobs/{job_id}").json()["status"] == "running"

        stack.start_worker()
        job = _wait_done(client, job_id)
        assert job["status"] == "succeeded", job
        assert job["attempts"] == 2

        events = _events(client, job_id)
        stages = [e["data"]["stage"] for e in events if e["type"] == "job.progress"]
        # ingest ran once: the second worker resumed after its checkpoint.
        assert stages == STAGES
        started = [e["data"] for e in events if e["type"] == "job.started"]
        assert [s["resumed"] for s in started] == [False, True]
        assert [e["type"] for e in events].count("job.completed") == 1

    engine = make_engine(settings.resolved_database_url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Result)
                            .where(Result.job_id == job_id)).scalar_one() == 1
    engine.dispose()


def test_cancel_stops_a_running_job(embedded_settings: Settings, stack_factory) -> None:
    key = make_key(embedded_settings)
    stack = stack_factory(embedded_settings, node_pause_seconds=1.5)
    stack.start_api()
    stack.start_worker()
    with httpx.Client(base_url=stack.base, headers={"Authorization": f"Bearer {key}"},
                      timeout=30) as client:
        job_id = client.post("/v1/jobs", json={"matter": "m", "documents": [
            {"filename": "a.txt", "text": CONTRACT.decode()}]}).json()["id"]
        wait_for(lambda: client.get(f"/v1/jobs/{job_id}").json()["status"] == "running", 60,
                 "the job to start")
        resp = client.post(f"/v1/jobs/{job_id}/cancel")
        assert resp.status_code == 200 and resp.json()["status"] == "cancelled"
        # The worker notices at the next node boundary and stops without a result.
        wait_for(lambda: "stopped: cancelled" in stack.workers[0].output(), 30,
                 "the worker to stop the job")
        assert client.get(f"/v1/jobs/{job_id}").json()["status"] == "cancelled"
        resp = client.get(f"/v1/jobs/{job_id}/result")
        assert resp.status_code == 409
        assert resp.json()["detail"] == f"job '{job_id}' was cancelled and has no result"
        types = [e["type"] for e in _events(client, job_id)]
        assert types[-1] == "job.cancelled" and "job.completed" not in types
