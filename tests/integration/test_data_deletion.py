"""Deleting a job's or a matter's data: rows, checkpoints, vectors and files go, token counts
stay, a file another job uses is kept, and a repeat answers the first deletion's record.

Jobs run through the real graph first, so every store holds something to delete."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from lexgraph.composition.vectorstores import open_vector_store
from lexgraph.core.config.settings import Settings
from lexgraph.core.db.models import (
    DataDeletion,
    Document,
    GuardAudit,
    IdempotencyRecord,
    Job,
    JobEvent,
    JobFeedback,
    LlmUsage,
    Matter,
    Result,
)
from lexgraph.core.jobs.usage import UsageStore
from lexgraph.core.llm.base import Usage
from lexgraph.core.llm.metering import CallUsage
from lexgraph.core.vectorstore.base import Scope
from tests.integration.conftest import Api, assert_problem, open_api

Runner = Callable[[Settings, str], str]
SHARED = {"filename": "supply.txt",
          "text": "MASTER SUPPLY AGREEMENT\n\nThe Supplier shall deliver the Products monthly. "
                  "Either party may terminate on ninety days' notice."}
OWN = {"filename": "lease.txt",
       "text": "LEASE\n\nThe Tenant shall pay rent on the first day of each month. The "
               "Landlord shall keep the roof in repair."}
JOB_TABLES = (Document, Result, JobEvent, JobFeedback, GuardAudit)


@pytest.fixture
def api(any_settings: Settings) -> Iterator[Api]:
    with open_api(any_settings) as started:
        yield started


def _age_uploads(api: Api) -> None:
    """Make every stored file look older than the grace period: the jobs here stored theirs a
    moment ago, and a file that fresh is left to the orphan sweep."""
    past = time.time() - api.settings.orphan_upload_grace_seconds - 60
    for path in api.settings.resolved_blob_dir.rglob("*"):
        if path.is_file():
            os.utime(path, (past, past))


def _checkpoints(settings: Settings, job_id: str) -> int:
    url = settings.resolved_checkpoint_url
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url[len("sqlite:///"):]) as conn:
            row = conn.execute("SELECT count(*) FROM checkpoints WHERE thread_id = ?",
                               (job_id,)).fetchone()
            writes = conn.execute("SELECT count(*) FROM writes WHERE thread_id = ?",
                                  (job_id,)).fetchone()
        return int(row[0]) + int(writes[0])
    import psycopg

    with psycopg.connect("postgresql://" + url.split("://", 1)[1]) as conn:
        total = 0
        for table in ("checkpoints", "checkpoint_blobs", "checkpoint_writes"):
            found = conn.execute(f"SELECT count(*) FROM {table} WHERE thread_id = %s",
                                 (job_id,)).fetchone()
            total += int(found[0]) if found else 0
        return total


def _rows(api: Api, model: Any, job_id: str) -> int:
    with api.store.sessions() as s:
        return int(s.execute(select(func.count()).select_from(model)
                             .where(model.job_id == job_id)).scalar_one())


def _vectors(api: Api, tenant_id: str, matter_id: str) -> int:
    store = open_vector_store(api.settings)
    try:
        return store.count(Scope(tenant_id, matter_id))
    finally:
        store.close()


def _job_row(api: Api, job_id: str) -> Job:
    with api.store.sessions() as s:
        job = s.get(Job, job_id)
        assert job is not None
        return job


def _run(api: Api, run_job: Runner, auth: dict[str, str], matter: str,
         *documents: dict[str, str], key: str | None = None) -> str:
    headers = {"Idempotency-Key": key} if key else None
    resp = api.submit(auth, matter=matter, documents=list(documents), cache=False,
                      headers=headers)
    assert resp.status_code == 202, resp.text
    job_id: str = resp.json()["id"]
    assert run_job(api.settings, job_id) == "succeeded"
    return job_id


def test_delete_job_removes_its_data_and_keeps_shared_files_and_counts(
        api: Api, run_job: Runner) -> None:
    auth, other = api.tenant("acme"), api.tenant("globex")
    first = _run(api, run_job, auth, "supply", SHARED, key="submit-1")
    second = _run(api, run_job, auth, "supply-copy", SHARED)
    api.client.post(f"/v1/jobs/{first}/feedback", headers=auth,
                    json={"score": 1, "comment": "Ms Jane Roe checked it"})
    UsageStore(api.store.engine, api.settings).record(CallUsage(
        job_id=first, tenant_id=_job_row(api, first).tenant_id, agent="summarizer",
        model="scripted", usage=Usage(prompt_tokens=120, completion_tokens=30),
        latency_ms=5.0))
    job = _job_row(api, first)
    [blob] = {d.blob_key for d in job.documents}
    assert blob in {d.blob_key for d in _job_row(api, second).documents}
    for model in JOB_TABLES:
        assert _rows(api, model, first) > 0, model.__tablename__
    assert _checkpoints(api.settings, first) > 0
    assert _vectors(api, job.tenant_id, job.matter_id) > 0
    with api.store.sessions() as s:
        assert s.get(IdempotencyRecord, (job.tenant_id, "submit-1")) is not None

    # Another tenant cannot tell the job exists.
    assert_problem(api.client.delete(f"/v1/jobs/{first}", headers=other), 404,
                   f"no job {first!r}")
    assert _rows(api, Result, first) == 1

    resp = api.client.delete(f"/v1/jobs/{first}", headers=auth)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["object"] == "deletion" and body["kind"] == "job"
    assert body["jobs"] == [first] and body["documents"] == 1
    assert body["blobs_removed"] == 0  # the second job still reads the same file

    assert_problem(api.client.get(f"/v1/jobs/{first}", headers=auth), 404,
                   f"no job {first!r}")
    for model in JOB_TABLES:
        assert _rows(api, model, first) == 0, model.__tablename__
    assert _checkpoints(api.settings, first) == 0
    assert _vectors(api, job.tenant_id, job.matter_id) == 0
    with api.store.sessions() as s:
        assert s.get(IdempotencyRecord, (job.tenant_id, "submit-1")) is None
        usage = s.execute(select(LlmUsage).where(LlmUsage.job_id == first)).scalar_one()
        [record] = s.execute(select(DataDeletion)).scalars()
    assert (usage.prompt_tokens, usage.completion_tokens) == (120, 30)
    assert api.client.get("/v1/usage", headers=auth).json()["total_tokens"] == 150
    assert record.key_id and record.target == first and record.jobs == [first]

    # The other job is untouched, and so is the file it reads.
    assert api.store.blobs.exists(blob)
    assert _checkpoints(api.settings, second) > 0
    assert _rows(api, Result, second) == 1
    kept = _job_row(api, second)
    assert _vectors(api, kept.tenant_id, kept.matter_id) > 0

    # Idempotent: the same answer again; an id the tenant never had is 404.
    again = api.client.delete(f"/v1/jobs/{first}", headers=auth)
    assert again.status_code == 200 and again.json() == body
    assert_problem(api.client.delete(f"/v1/jobs/{first}", headers=other), 404,
                   f"no job {first!r}")
    never = "job_" + "0" * 26
    assert_problem(api.client.delete(f"/v1/jobs/{never}", headers=auth), 404,
                   f"no job {never!r}")

    # With its last user gone the file goes too.
    _age_uploads(api)
    last = api.client.delete(f"/v1/jobs/{second}", headers=auth).json()
    assert last["blobs_removed"] == 1
    assert not api.store.blobs.exists(blob)


def test_unfinished_job_is_refused_until_cancelled(api: Api) -> None:
    auth = api.tenant("acme")
    job_id = api.submit(auth, documents=[OWN]).json()["id"]
    assert_problem(api.client.delete(f"/v1/jobs/{job_id}", headers=auth), 409,
                   f"job {job_id!r} is queued; cancel it and delete it once it has stopped")
    assert _rows(api, Document, job_id) == 1
    assert api.client.post(f"/v1/jobs/{job_id}/cancel", headers=auth).status_code == 200
    # Cancelled before any worker took it: nothing can still be running, so no wait.
    _age_uploads(api)
    resp = api.client.delete(f"/v1/jobs/{job_id}", headers=auth)
    assert resp.status_code == 200, resp.text
    assert resp.json()["blobs_removed"] == 1
    assert api.blobs() == []


def test_a_file_stored_within_the_grace_period_is_left_to_the_orphan_sweep(api: Api) -> None:
    # The same file may be on its way into another submission whose rows are not committed.
    auth = api.tenant("acme")
    job_id = api.submit(auth, documents=[OWN]).json()["id"]
    api.client.post(f"/v1/jobs/{job_id}/cancel", headers=auth)
    resp = api.client.delete(f"/v1/jobs/{job_id}", headers=auth)
    assert resp.status_code == 200, resp.text
    assert resp.json()["blobs_removed"] == 0
    assert len(api.blobs()) == 1
    assert _rows(api, Document, job_id) == 0


def test_delete_matter_removes_every_job_and_the_index(api: Api, run_job: Runner) -> None:
    auth, other = api.tenant("acme"), api.tenant("globex")
    done = _run(api, run_job, auth, "acme v globex", SHARED)
    elsewhere = _run(api, run_job, auth, "other matter", OWN)
    waiting = api.submit(auth, matter="acme v globex", documents=[OWN], cache=False).json()["id"]
    job = _job_row(api, done)
    assert _vectors(api, job.tenant_id, job.matter_id) > 0

    assert_problem(api.client.delete("/v1/matters/acme v globex", headers=auth), 409,
                   f"job {waiting!r} is queued; cancel it and delete it once it has stopped")
    assert _rows(api, Result, done) == 1
    assert_problem(api.client.delete("/v1/matters/acme v globex", headers=other), 404,
                   "no matter 'acme v globex'")

    api.client.post(f"/v1/jobs/{waiting}/cancel", headers=auth)
    _age_uploads(api)
    resp = api.client.delete("/v1/matters/acme v globex", headers=auth)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["kind"] == "matter" and sorted(body["jobs"]) == sorted([done, waiting])
    assert body["documents"] == 2
    # SHARED is only this matter's; OWN is still read by the other matter's job.
    assert body["blobs_removed"] == 1

    for job_id in (done, waiting):
        assert _rows(api, Document, job_id) == 0
        assert _rows(api, JobEvent, job_id) == 0
        assert _checkpoints(api.settings, job_id) == 0
    assert _vectors(api, job.tenant_id, job.matter_id) == 0
    with api.store.sessions() as s:
        assert s.get(Matter, job.matter_id) is None
        [record] = s.execute(select(DataDeletion)).scalars()
    assert "acme" not in record.target  # the name is recorded only as a digest
    assert api.client.get("/v1/jobs", headers=auth,
                          params={"matter": "acme v globex"}).json()["data"] == []
    assert _rows(api, Result, elsewhere) == 1
    assert _checkpoints(api.settings, elsewhere) > 0

    again = api.client.delete("/v1/matters/acme v globex", headers=auth)
    assert again.status_code == 200 and again.json() == body
    assert_problem(api.client.delete("/v1/matters/never", headers=auth), 404,
                   "no matter 'never'")
    # The name can be used again; the new matter starts empty.
    fresh = api.submit(auth, matter="acme v globex", documents=[SHARED], cache=False)
    assert fresh.status_code == 202, fresh.text
