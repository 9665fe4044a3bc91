"""``AsyncClient`` against the real app in process (its lifespan, database and stores), and the
pieces of ``wait`` that make a resumed stream pick up where it broke."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from lexgraph.api import create_app
from lexgraph.api.models import Job
from lexgraph.client import AsyncClient, ConflictError, InvalidRequestError, NotFoundError
from lexgraph.client.sse import Decoder
from lexgraph.client.waiting import Follow
from lexgraph.core.config.settings import Settings
from lexgraph.core.jobs.lifecycle import Lifecycle
from lexgraph.core.jobs.store import JobStore

pytestmark = pytest.mark.anyio
TEXT = "The Customer shall pay the fees within thirty days of each invoice."


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def lg(embedded_settings: Settings) -> AsyncIterator[AsyncClient]:
    app = create_app(embedded_settings)
    async with app.router.lifespan_context(app):
        store: JobStore = app.state.services.store
        key, _ = store.create_key("acme")
        transport = httpx.ASGITransport(app=app)
        async with AsyncClient("http://lexgraph.test", api_key=key,
                               transport=transport) as client:
            yield client


async def test_submit_read_list_cancel_and_wait(lg: AsyncClient) -> None:
    job = await lg.submit(text=TEXT, filename="fees.txt", matter="acme-v-globex",
                          profile="contract", length=120)
    assert isinstance(job, Job) and job.status == "queued" and job.length == 120
    assert (await lg.get_job(job.id)).documents[0].filename == "fees.txt"
    second = await lg.submit(text=TEXT + " Late fees accrue.", matter="acme-v-globex")
    listed = [j.id async for j in lg.iter_jobs(matter="acme-v-globex", page_size=1)]
    assert listed == [second.id, job.id]
    with pytest.raises(ConflictError) as early:
        await lg.result(job.id, format="markdown")
    assert early.value.status == 409 and "not ready" in early.value.detail

    cancelled = await lg.cancel(job.id)
    assert cancelled.status == "cancelled"
    # A finished job: wait answers at once, from the job itself.
    assert (await lg.wait(job.id)).status == "cancelled"
    events = [e.type async for e in lg.iter_events(job.id)]
    assert events == ["job.queued", "job.cancelled"]


async def test_the_same_idempotency_key_answers_the_first_job(lg: AsyncClient) -> None:
    first = await lg.submit(text=TEXT, matter="m", idempotency_key="order-17")
    again = await lg.submit(text=TEXT, matter="m", idempotency_key="order-17")
    assert again.id == first.id


async def test_errors_carry_the_problem_document(lg: AsyncClient) -> None:
    with pytest.raises(NotFoundError) as missing:
        await lg.get_job("job_" + "0" * 26)
    assert missing.value.problem.status == 404
    assert missing.value.problem.instance == "/v1/jobs/job_" + "0" * 26
    with pytest.raises(InvalidRequestError) as invalid:
        await lg.feedback("job_" + "0" * 26, 1.5)
    assert invalid.value.problem.errors and invalid.value.problem.errors[0].field == "score"


def test_a_resumed_stream_starts_after_the_last_event_taken() -> None:
    follow = Follow("job_1", {"succeeded"}, None)
    decoder = Decoder()
    seen: list[Any] = []
    lines = ["retry: 1500", "", "id: 7", "event: job.progress",
             'data: {"id":7,"job_id":"job_1","type":"job.progress",'
             '"data":{"stage":"summarize","progress":0.5},"created_at":"2026-01-05T10:00:03Z"}',
             "", ": keep-alive", ""]
    settled = [follow.take(m, seen.append) for m in map(decoder.feed, lines) if m is not None]
    assert settled == [None, None]
    assert [e.id for e in seen] == [7] and follow.retry_ms == 1500
    assert follow.headers()["Last-Event-ID"] == "7"
    follow.dropped()
    assert follow.pause == 0.0  # the first reconnection is at once
    follow.dropped()
    assert follow.pause == 1.5  # then the server's advised delay
    assert decoder.feed("id: 9") is None
    terminal = decoder.feed('data: {"id":9,"job_id":"job_1","type":"job.completed",'
                            '"data":{"status":"succeeded"},"created_at":"2026-01-05T10:00:04Z"}')
    assert terminal is None
    message = decoder.feed("")
    assert message is not None and follow.take(message, seen.append) == "succeeded"
    assert follow.headers()["Last-Event-ID"] == "9"


async def test_an_identical_submission_names_its_source_unless_the_cache_is_declined(
        embedded_settings: Settings) -> None:
    app = create_app(embedded_settings)
    async with app.router.lifespan_context(app):
        store: JobStore = app.state.services.store
        key, _ = store.create_key("acme")
        async with AsyncClient("http://lexgraph.test", api_key=key,
                               transport=httpx.ASGITransport(app=app)) as lg:
            first = await lg.submit(text=TEXT, filename="fees.txt", matter="m")
            life = Lifecycle(store.engine, lease_seconds=60)
            claimed = life.claim(first.id, "worker-1")
            assert claimed is not None
            doc = claimed.documents[0]
            body = {"job_id": first.id, "mode": "extractive", "matter": "m", "sections": [],
                    "documents": [{"id": doc.id, "filename": doc.filename, "pages": 1}]}
            assert life.complete(first.id, "worker-1", body, "# Summary\n")

            again = await lg.submit(text=TEXT, filename="fees.txt", matter="m")
            assert again.status == "succeeded" and again.cached_from == first.id
            declined = await lg.submit(text=TEXT, filename="fees.txt", matter="m", cache=False)
            assert declined.status == "queued" and declined.cached_from is None
            files = await lg.submit(files=[("fees.txt", TEXT.encode())], matter="m",
                                    cache=False)
            assert files.status == "queued" and files.cached_from is None
