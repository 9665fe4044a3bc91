"""Prometheus series scraped from a real API and real workers while a job runs end to end.

The job waits in the queue before any worker starts, so the queue and per-tenant gauges
are seen non-zero; every value is then checked against what the API itself reports (the
job's node timings, its events, the deliveries the receiver got)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from lexgraph.core.config.settings import Settings
from tests.e2e.conftest import make_key
from tests.receiver import Receiver
from tests.support import Process, Stack, free_port, wait_for

STAGES = ["ingest", "screen_documents", "redact", "retrieve", "summarize", "check_compliance",
          "finalize"]
CONTRACT = ("SERVICES AGREEMENT\n\n1. Services\nThe Supplier shall provide the Services.\n\n"
            "2. Fees\nThe Customer shall pay within thirty days.\n")

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> Samples:
    resp = httpx.get(url, timeout=10)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/plain")
    out: Samples = {}
    for family in text_string_to_metric_families(resp.text):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def label_values(samples: Samples) -> set[str]:
    return {v for _, labels in samples for _, v in labels}


def _start_worker(stack: Stack, queues: str, port: int) -> Process:
    # One listener port per worker process, as each pod or host gives its worker.
    stack.env["LEXGRAPH_WORKER_METRICS_PORT"] = str(port)
    try:
        return stack.start_worker(queues)
    finally:
        del stack.env["LEXGRAPH_WORKER_METRICS_PORT"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rx = Receiver()
    rx.start()
    yield rx
    rx.stop()


@pytest.mark.parametrize("topology,api_workers", [("embedded", 1), ("production", 2)])
def test_api_and_workers_expose_job_node_queue_webhook_and_http_series(
        topology: str, api_workers: int, request: pytest.FixtureRequest, stack_factory: Any,
        receiver: Receiver) -> None:
    settings: Settings = request.getfixturevalue(f"{topology}_settings")
    key = make_key(settings)
    # Two uvicorn processes share the port: each scrape reaches one of them, and either must
    # answer with both processes' counts.
    stack = stack_factory(settings, webhook_allowed_networks="127.0.0.0/8",
                          webhook_poll_interval_seconds=0.2, api_workers=api_workers,
                          worker_metrics_host="127.0.0.1")
    stack.start_api()
    api_metrics = f"{stack.base}/metrics"
    with httpx.Client(base_url=stack.base, headers={"Authorization": f"Bearer {key}"},
                      timeout=30) as client:
        resp = client.post("/v1/webhook-endpoints", json={"url": receiver.url("/hook")})
        assert resp.status_code == 201, resp.text
        resp = client.post("/v1/jobs", json={"matter": "m", "profile": "contract", "documents": [
            {"filename": "services.txt", "text": CONTRACT}]})
        assert resp.status_code == 202, resp.text
        job_id = resp.json()["id"]

        # No worker yet: the job waits in the broker and in the tenant's queue.
        before = scrape(api_metrics)
        assert value(before, "lexgraph_queue_depth", queue="orchestrate") == 1
        assert value(before, "lexgraph_queue_depth", queue="inference") == 0
        assert value(before, "lexgraph_broker_up") == 1
        assert value(before, "lexgraph_tenant_jobs", tenant="acme", status="queued") == 1
        assert value(before, "lexgraph_jobs_submitted_total", profile="contract") == 1
        assert value(before, "lexgraph_http_requests_total", method="POST", route="/v1/jobs",
                     status="202") == 1

        orchestrator_port, webhooks_port = free_port(), free_port()
        _start_worker(stack, "orchestrate", orchestrator_port)
        _start_worker(stack, "webhooks", webhooks_port)
        job = wait_for(lambda: (lambda j: j if j["status"] not in ("queued", "running")
                                else None)(client.get(f"/v1/jobs/{job_id}").json()),
                       180, "the job to finish", interval=0.2)
        assert job["status"] == "succeeded", job
        timings = client.get(f"/v1/jobs/{job_id}/result").json()["timings_ms"]
        events = client.get(f"/v1/jobs/{job_id}/events").json()["data"]
        receiver.wait(len(events), 60)
        wait_for(lambda: all(d["status"] == "succeeded" for d in client.get(
            f"/v1/jobs/{job_id}/deliveries").json()["data"]), 30, "deliveries to be recorded")

    worker = scrape(f"http://127.0.0.1:{orchestrator_port}/metrics")
    assert value(worker, "lexgraph_jobs_finished_total", status="succeeded",
                 profile="contract") == 1
    assert value(worker, "lexgraph_job_duration_seconds_count", status="succeeded",
                 profile="contract") == 1
    for node in STAGES:
        assert value(worker, "lexgraph_node_duration_seconds_count", node=node) == 1, node
        seconds = value(worker, "lexgraph_node_duration_seconds_sum", node=node)
        assert seconds == pytest.approx(timings[node] / 1000), node
    # The whole job took at least as long as its nodes.
    total = value(worker, "lexgraph_job_duration_seconds_sum", status="succeeded",
                  profile="contract")
    assert total is not None and total >= sum(timings.values()) / 1000

    hooks = scrape(f"http://127.0.0.1:{webhooks_port}/metrics")
    assert value(hooks, "lexgraph_webhook_deliveries_total", outcome="succeeded") == len(events)
    assert value(hooks, "lexgraph_webhook_attempt_duration_seconds_count",
                 status_class="2xx") == len(events)
    assert value(hooks, "lexgraph_webhook_delivery_lag_seconds_count") == len(events)
    assert value(hooks, "lexgraph_webhook_deliveries_total", outcome="failed") is None

    after = scrape(api_metrics)
    assert all(value(after, "lexgraph_queue_depth", queue=q) == 0
               for q in ("orchestrate", "webhooks", "inference"))
    assert not [k for k in after if k[0] == "lexgraph_tenant_jobs"]
    assert value(after, "lexgraph_http_requests_total", method="GET", route="/v1/jobs/{job_id}",
                 status="200") >= 1  # type: ignore[operator]
    assert value(after, "lexgraph_http_request_duration_seconds_count", method="POST",
                 route="/v1/jobs") == 1
    # Bounded labels: no id of the job or its documents becomes a series.
    for samples in (after, worker, hooks):
        assert not [v for v in label_values(samples) if job_id in v or "/v1/jobs/job_" in v]
