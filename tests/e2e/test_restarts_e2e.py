"""Database and broker restarts under the real API and workers: every job still succeeds once,
each node reported once; outages answer 503; a worker stopped gracefully gives its job back.

Each test restarts only instances of its own (tests/throwaway.py), never the shared ones.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lexgraph.core.config.settings import Settings
from tests.conftest import CHECKPOINT_KEY
from tests.e2e.conftest import make_key
from tests.support import wait_for
from tests.throwaway import (
    ThrowawayPostgres,
    ThrowawayRedis,
    postgres_available,
    redis_available,
)

STAGES = ["ingest", "screen_documents", "redact", "retrieve", "summarize", "check_compliance",
          "finalize"]
TEXT = ("SERVICES AGREEMENT\n\n1. Services\nThe Supplier shall provide the Services.\n\n"
        "2. Fees\nThe Customer shall pay the fees within thirty days of each invoice.\n")
# Short lease, sweep and backoff so that recovery happens within the test; a pause after each
# node keeps jobs running long enough for a fault to land in the middle of one.
FAST = {"job_lease_seconds": 5, "sweep_interval_seconds": 0.5, "job_retry_backoff_seconds": 0.5,
        "node_pause_seconds": 0.4}


@pytest.fixture
def own_pg() -> Iterator[ThrowawayPostgres]:
    why = postgres_available()
    if why:
        pytest.skip(why)
    with ThrowawayPostgres() as pg:
        yield pg


@pytest.fixture
def own_redis() -> Iterator[ThrowawayRedis]:
    why = redis_available()
    if why:
        pytest.skip(why)
    with ThrowawayRedis() as server:
        yield server


def _client(stack: object, key: str) -> httpx.Client:
    return httpx.Client(base_url=stack.base,  # type: ignore[attr-defined]
                        headers={"Authorization": f"Bearer {key}"}, timeout=30)


def _submit(client: httpx.Client) -> str:
    # cache: false, or every submission after the first would be answered from its result
    # and never reach a worker, the database or the restart this file is about.
    resp = client.post("/v1/jobs", json={"matter": "m", "cache": False, "documents": [
        {"filename": "services.txt", "text": TEXT}]})
    assert resp.status_code == 202, resp.text
    job_id: str = resp.json()["id"]
    return job_id


def _done(client: httpx.Client, ids: list[str], timeout: float = 90) -> dict[str, dict]:
    def finished() -> dict[str, dict] | None:
        jobs = {i: client.get(f"/v1/jobs/{i}").json() for i in ids}
        if all(j.get("status") not in ("queued", "running", None) for j in jobs.values()):
            return jobs
        return None

    jobs: dict[str, dict] = wait_for(finished, timeout, f"jobs {ids} to finish", interval=0.3)
    return jobs


def _stages(client: httpx.Client, job_id: str) -> list[str]:
    events = client.get(f"/v1/jobs/{job_id}/events").json()["data"]
    return [e["data"]["stage"] for e in events if e["type"] == "job.progress"]


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_postgres_restart_between_and_during_jobs(tmp_path: Path, own_pg: ThrowawayPostgres,
                                                   redis_url: str, stack_factory) -> None:
    settings = Settings(data_dir=tmp_path / "var", database_url=own_pg.url, broker_url=redis_url,
                        checkpoint_key=CHECKPOINT_KEY)
    key = make_key(settings)
    stack = stack_factory(settings, **FAST)
    stack.start_api()
    worker = stack.start_worker()
    with _client(stack, key) as client:
        # Warm pools: the API and the worker hold connections the restart will close.
        first = _submit(client)
        assert _done(client, [first])[first]["status"] == "succeeded"

        own_pg.restart("fast")
        wait_for(lambda: _ready(stack.base), 20, "/readyz after the restart", interval=0.1)
        between = [_submit(client) for _ in range(3)]

        during = [_submit(client) for _ in range(2)]
        wait_for(lambda: "ingest" in _stages(client, during[0]), 60, "a job to be under way")
        own_pg.stop("immediate")
        try:
            for _ in range(2):  # the same keep-alive connection answers twice
                resp = client.get("/v1/jobs")
                assert resp.status_code == 503, resp.text
                assert resp.headers["content-type"] == "application/problem+json"
                assert resp.headers["Retry-After"] == "5"
                assert resp.json()["service"] == "database"
            time.sleep(2)
        finally:
            own_pg.start()

        jobs = _done(client, [*between, *during])
        assert {i: j["status"] for i, j in jobs.items()} == dict.fromkeys(jobs, "succeeded")
        for job_id in jobs:
            assert _stages(client, job_id) == STAGES, job_id  # every node reported once
            result = client.get(f"/v1/jobs/{job_id}/result")
            assert result.status_code == 200, result.text
    # The worker recovered on its own, and the API never dropped a connection on an error.
    assert worker.proc.poll() is None
    assert stack.api is not None
    assert "Exception in ASGI application" not in stack.api.output()


def test_graceful_stop_hands_the_job_over_at_once(embedded_settings: Settings,
                                                  stack_factory) -> None:
    key = make_key(embedded_settings)
    # A lease far longer than the test: only the release can explain a quick takeover.
    stack = stack_factory(embedded_settings, job_lease_seconds=300, sweep_interval_seconds=0.5,
                          node_pause_seconds=1.5)
    stack.start_api()
    first = stack.start_worker()
    with _client(stack, key) as client:
        job_id = _submit(client)
        wait_for(lambda: "ingest" in _stages(client, job_id), 60, "the ingest node to finish")
        stopped_at = time.monotonic()
        first.stop(timeout=30)  # SIGTERM: Celery's warm shutdown
        assert first.proc.returncode == 0, first.output()
        assert time.monotonic() - stopped_at < 10
        job = client.get(f"/v1/jobs/{job_id}").json()
        assert job["status"] == "queued", job

        stack.start_worker()
        done = _done(client, [job_id])[job_id]
        assert done["status"] == "succeeded" and done["attempts"] == 2
        assert time.monotonic() - stopped_at < 60
        assert _stages(client, job_id) == STAGES


def test_worker_survives_a_redis_kill_while_holding_a_job(embedded_settings: Settings,
                                                          own_redis: ThrowawayRedis,
                                                          stack_factory) -> None:
    settings = embedded_settings.model_copy(update={"broker_url": own_redis.url})
    key = make_key(settings)
    stack = stack_factory(settings, **{**FAST, "node_pause_seconds": 1.0})
    stack.start_api()
    worker = stack.start_worker()
    with _client(stack, key) as client:
        held = _submit(client)  # its message is unacknowledged while it runs (acks late)
        wait_for(lambda: "ingest" in _stages(client, held), 60, "the job to be under way")
        own_redis.kill()
        time.sleep(1.5)
        own_redis.start()
        after = _submit(client)
        jobs = _done(client, [held, after])
        assert {i: j["status"] for i, j in jobs.items()} == {held: "succeeded",
                                                              after: "succeeded"}
        assert _stages(client, held) == STAGES
    assert worker.proc.poll() is None, worker.output()[-3000:]
    assert "Unrecoverable error" not in worker.output()
