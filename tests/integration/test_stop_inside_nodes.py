"""A long ingest stops within a batch when its job is cancelled, and the embedding model is
shared batch by batch, so a second job gets through while the first is still embedding.

The embedder is the real packaged model; the jobs' graph sees it through a wrapper that
counts its calls and lets the test act at a chosen call (cancel, start the other job)."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from sqlalchemy import select

from lexgraph.composition import worker as worker_services
from lexgraph.composition.vectorstores import open_vector_store
from lexgraph.core.config.settings import Settings
from lexgraph.core.db.models import Job, JobEvent
from lexgraph.core.ingest.indexing import EMBED_BATCH, Indexer
from lexgraph.core.vectorstore.base import Scope
from tests.integration.conftest import Api, open_api

SMALL = {"filename": "memo.txt", "text": "The parties agree to arbitrate in London."}


def _long_document(sentences: int) -> dict[str, str]:
    # Distinct sentences, so no chunk is answered from the embedder's memo of seen texts.
    text = " ".join(f"Clause {i}: the Supplier shall deliver lot {i} of the Products to "
                    f"depot {i * 7 % 997} by day {i % 28 + 1}." for i in range(sentences))
    return {"filename": "schedule.txt", "text": "DELIVERY SCHEDULE\n\n" + text}


class Watched:
    """The real embedder; ``on_call(n)`` runs before the n-th call goes to it."""

    def __init__(self, real: Any, on_call: Callable[[int], None]) -> None:
        self.real = real
        self.on_call = on_call
        self.calls = 0
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        with self._lock:
            self.calls += 1
            n = self.calls
        self.on_call(n)
        vectors: NDArray[np.float32] = self.real.embed(texts)
        return vectors


@pytest.fixture
def api(any_settings: Settings) -> Iterator[Api]:
    # Short chunks: many batches from a document that parses in a moment.
    with open_api(any_settings.model_copy(update={"chunk_max_chars": 200})) as started:
        yield started
    worker_services.close_services()


def _watch(api: Api, on_call: Callable[[int], None]) -> tuple[Any, Watched]:
    runner = worker_services.get_services(api.settings).runner
    watched = Watched(runner.context.embedder, on_call)
    runner.context = dataclasses.replace(runner.context, embedder=watched)
    return runner, watched


def _events(api: Api, job_id: str) -> list[tuple[str, str | None]]:
    with api.store.sessions() as s:
        rows = s.execute(select(JobEvent).where(JobEvent.job_id == job_id)
                         .order_by(JobEvent.id)).scalars()
        return [(e.type, (e.data or {}).get("node")) for e in rows]


def test_cancel_stops_ingest_within_a_batch(api: Api) -> None:
    auth = api.tenant("acme")
    document = _long_document(1500)
    _, chunks = Indexer(None, None, chunk_chars=200).parse(  # type: ignore[arg-type]
        "doc", "text/plain", document["text"].encode())
    assert len(chunks) > 5 * EMBED_BATCH  # many batches if nothing stopped it
    job_id = api.submit(auth, documents=[document]).json()["id"]

    def cancel_on_first(n: int) -> None:
        if n == 1:
            assert api.client.post(f"/v1/jobs/{job_id}/cancel", headers=auth).status_code == 200

    runner, watched = _watch(api, cancel_on_first)
    assert runner.run(job_id) == "stopped: cancelled or taken over"
    assert watched.calls == 1  # the batch in flight at the cancel was the last
    events = _events(api, job_id)
    assert ("job.progress", "ingest") not in events
    assert events[-1][0] == "job.cancelled"
    with api.store.sessions() as s:
        job = s.get(Job, job_id)
        assert job is not None and job.status == "cancelled"
        scope = Scope(job.tenant_id, job.matter_id)
    store = open_vector_store(api.settings)
    try:
        assert store.count(scope) == 0  # nothing of the abandoned document was indexed
    finally:
        store.close()


def test_a_second_job_gets_through_while_the_first_embeds(api: Api) -> None:
    auth = api.tenant("acme")
    long_id = api.submit(auth, documents=[_long_document(1500)]).json()["id"]
    short_id = api.submit(auth, documents=[SMALL], matter="other").json()["id"]
    long_thread: dict[str, int] = {}
    between_batches = threading.Event()
    short_done = threading.Event()
    waited: list[bool] = []
    long_calls: list[int] = []

    def on_call(n: int) -> None:
        if threading.get_ident() != long_thread.get("id"):
            return
        long_calls.append(n)
        if len(long_calls) == 2:
            # The long job is between two batches of its ingest: it holds the model no
            # longer, so the short job must be able to run from start to end meanwhile.
            between_batches.set()
            waited.append(short_done.wait(120))

    runner, _ = _watch(api, on_call)
    outcome: dict[str, str] = {}

    def run_long() -> None:
        long_thread["id"] = threading.get_ident()
        outcome["long"] = runner.run(long_id)

    first = threading.Thread(target=run_long)
    first.start()
    try:
        assert between_batches.wait(120)
        outcome["short"] = runner.run(short_id)
    finally:
        short_done.set()
        api.client.post(f"/v1/jobs/{long_id}/cancel", headers=auth)
        first.join(300)
    assert outcome == {"short": "succeeded", "long": "stopped: cancelled or taken over"}
    assert waited == [True]
    assert ("job.progress", "ingest") in _events(api, short_id)
    assert ("job.progress", "ingest") not in _events(api, long_id)
