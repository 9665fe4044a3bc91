"""Per-tenant limits: submissions per minute and waiting jobs (429 with Retry-After), and jobs
running at once (a worker puts a job back when its tenant is full and takes the next one)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from lexgraph.core.config.settings import Settings
from lexgraph.core.db.models import Job
from lexgraph.core.jobs.lifecycle import Lifecycle
from tests.integration.conftest import PROBLEM, Api, open_api


def _limited(settings: Settings, **limits: int) -> Iterator[Api]:
    with open_api(settings.model_copy(update=limits)) as api:
        yield api


@pytest.fixture
def rate_api(any_settings: Settings) -> Iterator[Api]:
    yield from _limited(any_settings, tenant_submissions_per_minute=3, tenant_max_queued_jobs=0)


@pytest.fixture
def queue_api(any_settings: Settings) -> Iterator[Api]:
    yield from _limited(any_settings, tenant_submissions_per_minute=0, tenant_max_queued_jobs=2)


def _doc(n: int) -> list[dict[str, str]]:
    return [{"filename": f"memo-{n}.txt", "text": f"Memo number {n}: the parties agree."}]


def test_submissions_past_the_rate_are_429_with_retry_after(rate_api: Api) -> None:
    acme, globex = rate_api.tenant("acme"), rate_api.tenant("globex")
    first = rate_api.submit(acme, documents=_doc(0), headers={"Idempotency-Key": "k0"})
    assert first.status_code == 202
    for n in (1, 2):
        assert rate_api.submit(acme, documents=_doc(n)).status_code == 202
    before = rate_api.counts()
    blobs = rate_api.blobs()

    refused = rate_api.submit(acme, documents=_doc(3), headers={"Idempotency-Key": "k3"})
    assert refused.status_code == 429, refused.text
    assert refused.headers["content-type"] == PROBLEM
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["detail"] == ("more than 3 jobs submitted in the last minute; at most "
                                        "3 a minute per tenant")
    assert rate_api.counts() == before and rate_api.blobs() == blobs  # nothing written

    # A replay is not a new submission; another tenant has its own allowance.
    replay = rate_api.submit(acme, documents=_doc(0), headers={"Idempotency-Key": "k0"})
    assert replay.status_code == 202 and replay.headers["idempotent-replayed"] == "true"
    assert rate_api.submit(globex, documents=_doc(4)).status_code == 202
    # The refused request released its key: the same key may be tried again later.
    again = rate_api.submit(acme, documents=_doc(3), headers={"Idempotency-Key": "k3"})
    assert again.status_code == 429


def test_waiting_jobs_past_the_cap_are_429_until_one_starts(queue_api: Api) -> None:
    acme = queue_api.tenant("acme")
    ids = [queue_api.submit(acme, documents=_doc(n)).json()["id"] for n in (0, 1)]
    refused = queue_api.submit(acme, documents=_doc(2))
    assert refused.status_code == 429, refused.text
    assert refused.headers["retry-after"] == "30"
    assert queue_api.submit(queue_api.tenant("globex")).status_code == 202

    Lifecycle(queue_api.store.engine, 60).claim(ids[0], "worker-1")
    assert queue_api.submit(acme, documents=_doc(2)).status_code == 202


def test_a_full_tenant_waits_and_another_tenant_runs(any_settings: Settings) -> None:
    with open_api(any_settings.model_copy(update={"tenant_submissions_per_minute": 0})) as api:
        acme, globex = api.tenant("acme"), api.tenant("globex")
        a1, a2 = (api.submit(acme, documents=_doc(n)).json()["id"] for n in (1, 2))
        b1 = api.submit(globex, documents=_doc(3)).json()["id"]
        lifecycle = Lifecycle(api.store.engine, 60, max_running_per_tenant=1)

        assert lifecycle.claim(a1, "w1") is not None
        assert lifecycle.claim(a2, "w2") is None  # acme is full: a2 goes back
        with api.store.sessions() as s:
            row = s.execute(select(Job.status, Job.dispatched_at).where(Job.id == a2)).one()
        assert row.status == "queued" and row.dispatched_at is None  # the next sweep resends
        assert lifecycle.claim(b1, "w2") is not None  # globex is not held up by acme

        assert lifecycle.fail(a1, "w1", "test", "done with it")
        assert lifecycle.claim(a2, "w1") is not None
