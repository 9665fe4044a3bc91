"""Worker-side job transitions against real SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, select

from lexgraph.core.config.settings import Settings
from lexgraph.core.db.engine import make_engine
from lexgraph.core.db.migrate import upgrade
from lexgraph.core.db.models import IdempotencyRecord, Job, Result, utcnow
from lexgraph.core.jobs.intake import Submission, UploadedDocument
from lexgraph.core.jobs.lifecycle import Lifecycle
from lexgraph.core.jobs.store import JobStore
from lexgraph.core.storage.blobs import LocalBlobStore


def _setup(settings: Settings, lease: float = 30.0) -> tuple[JobStore, Lifecycle, str]:
    settings.ensure_dirs()
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    store = JobStore(engine, LocalBlobStore(settings.resolved_blob_dir), settings)
    _, who = store.create_key("acme")
    out = store.submit(who, Submission(matter="m", documents=[
        UploadedDocument("a.txt", b"Some text.")]), None)
    return store, Lifecycle(engine, lease), out.job_id


def test_only_one_worker_claims_a_job(any_settings: Settings) -> None:
    _, life, job_id = _setup(any_settings)
    claimed = life.claim(job_id, "w1")
    assert claimed is not None and claimed.attempt == 1
    assert [d.filename for d in claimed.documents] == ["a.txt"]
    assert life.claim(job_id, "w2") is None
    assert life.heartbeat(job_id, "w1") and not life.heartbeat(job_id, "w2")


def test_lapsed_lease_is_taken_over_and_old_owner_is_fenced(any_settings: Settings) -> None:
    _, life, job_id = _setup(any_settings, lease=0.3)
    assert life.claim(job_id, "w1") is not None
    time.sleep(0.5)
    taken = life.claim(job_id, "w2")
    assert taken is not None and taken.attempt == 2
    # The first worker, if it was only slow, can no longer report or complete.
    assert not life.progress(job_id, "w1", stage="ingest", progress=0.4)
    assert not life.complete(job_id, "w1", {"x": 1}, "x")
    assert life.complete(job_id, "w2", {"x": 2}, "# x")
    assert not life.complete(job_id, "w2", {"x": 3}, "# y")
    with life.sessions() as s:
        results = list(s.execute(select(Result)).scalars())
        assert [(r.job_id, r.body) for r in results] == [(job_id, {"x": 2})]


def test_cancel_fences_the_running_worker(any_settings: Settings) -> None:
    store, life, job_id = _setup(any_settings)
    assert life.claim(job_id, "w1") is not None
    who = store.authenticate(store.create_key("acme")[0])
    assert store.cancel(who, job_id)["status"] == "cancelled"
    assert not life.heartbeat(job_id, "w1")
    assert not life.complete(job_id, "w1", {}, "")
    assert life.status(job_id) == "cancelled"


def test_failure_is_recorded_with_its_event(any_settings: Settings) -> None:
    store, life, job_id = _setup(any_settings)
    life.claim(job_id, "w1")
    assert life.fail(job_id, "w1", "no_readable_documents", "nothing to read")
    who = store.authenticate(store.create_key("acme")[0])
    job = store.get_job(who, job_id)
    assert job["status"] == "failed"
    assert job["error"] == {"code": "no_readable_documents", "message": "nothing to read"}
    assert store.events(who, job_id)["data"][-1]["type"] == "job.failed"


def test_sweep_picks_undelivered_and_orphaned_jobs_once(any_settings: Settings) -> None:
    store, life, job_id = _setup(any_settings, lease=0.2)
    sent: list[str] = []
    # Freshly submitted and dispatched: nothing to do.
    assert life.dispatch_due(sent.append, timedelta(minutes=5)) == []
    store.mark_undispatched(job_id)
    assert life.dispatch_due(sent.append, timedelta(minutes=5)) == [job_id]
    assert life.dispatch_due(sent.append, timedelta(minutes=5)) == []  # stamped: not sent twice
    life.claim(job_id, "w1")
    time.sleep(0.4)  # the worker "died": its lease lapses
    assert life.dispatch_due(sent.append, timedelta(minutes=5)) == [job_id]
    assert life.dispatch_due(sent.append, timedelta(minutes=5)) == []
    assert sent == [job_id, job_id]


def test_expired_idempotency_records_are_purged(any_settings: Settings) -> None:
    _, life, _ = _setup(any_settings)
    now = utcnow()
    with life.sessions.begin() as s:
        for key, expires in (("old", now - timedelta(seconds=1)),
                             ("new", now + timedelta(hours=24))):
            s.add(IdempotencyRecord(tenant_id="t", key=key, fingerprint="f", state="done",
                                    created_at=now, expires_at=expires))
    assert life.purge_idempotency() == 1
    with life.sessions() as s:
        assert s.execute(select(IdempotencyRecord.key)).scalars().all() == ["new"]
        assert s.execute(select(func.count()).select_from(Job)).scalar_one() == 1
