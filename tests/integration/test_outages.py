"""Outages of the services a job depends on: the API answers 503, a job goes back to the queue
and resumes, events and checkpoints agree, and the sweeper stamps only what the broker took."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import select

from lexgraph.composition import worker as worker_services
from lexgraph.core.config.settings import Settings
from lexgraph.core.db.models import Job, JobEvent
from lexgraph.core.jobs.lifecycle import ClaimedJob, Lifecycle
from lexgraph.workers.celery_app import make_celery
from lexgraph.workers.tasks import send_job
from tests.conftest import CHECKPOINT_KEY
from tests.integration.conftest import Api, assert_problem, open_api

Runner = Callable[[Settings, str], str]
STAGES = ["ingest", "screen_documents", "redact", "retrieve", "summarize", "check_compliance",
          "finalize"]
TEXT = ("SERVICES AGREEMENT\n\n1. Services\nThe Supplier shall provide the Services.\n\n"
        "2. Fees\nThe Customer shall pay the fees within thirty days of each invoice.\n")


@contextmanager
def broken_blob_store(settings: Settings) -> Iterator[None]:
    """The blob store's folder replaced by a file, as when its volume is gone; put back after.

    (Tests run as root here, so taking away write permission would not stop a write.)"""
    root = settings.resolved_blob_dir
    aside = root.with_name(root.name + ".aside")
    root.rename(aside)
    root.write_text("not a directory")
    try:
        yield
    finally:
        root.unlink()
        aside.rename(root)


def _submit(api: Api, auth: dict[str, str] | None = None) -> str:
    auth = auth or api.tenant("acme")
    resp = api.submit(auth, documents=[{"filename": "services.txt", "text": TEXT}])
    assert resp.status_code == 202, resp.text
    job_id: str = resp.json()["id"]
    return job_id


def _events(api: Api, job_id: str) -> list[JobEvent]:
    with api.store.sessions() as s:
        return list(s.execute(select(JobEvent).where(JobEvent.job_id == job_id)
                              .order_by(JobEvent.id)).scalars())


def _job(api: Api, job_id: str) -> Job:
    with api.store.sessions() as s:
        job: Job = s.execute(select(Job).where(Job.id == job_id)).unique().scalar_one()
        return job


def _stages(events: list[JobEvent]) -> list[str]:
    return [e.data["stage"] for e in events if e.type == "job.progress"]


# The API during outages -------------------------------------------------------------------


def _assert_unavailable(resp: Any, service: str) -> None:
    assert_problem(resp, 503, f"the {service} is unavailable right now; retry in a few seconds")
    assert resp.json()["service"] == service
    assert resp.headers["Retry-After"] == "5"


def test_database_down_answers_503_with_retry_after(tmp_path: Path, closed_port: int) -> None:
    settings = Settings(data_dir=tmp_path / "var", auto_migrate=False,
                        database_url=f"postgresql+psycopg://lexgraph@127.0.0.1:{closed_port}/x",
                        checkpoint_key=CHECKPOINT_KEY)
    with open_api(settings) as api:
        auth = {"Authorization": "Bearer lxg_whatever"}
        _assert_unavailable(api.client.get("/v1/jobs", headers=auth), "database")
        _assert_unavailable(api.submit(auth), "database")
        _assert_unavailable(api.client.get("/v1/jobs/job_x/events", headers=auth), "database")
        # The same client keeps working; and readiness says which service is missing.
        ready = api.client.get("/readyz")
        assert ready.status_code == 503 and ready.headers["Retry-After"] == "5"
        assert ready.json()["checks"]["database"].startswith("unreachable: ")


def test_blob_store_down_answers_503_and_writes_nothing(api: Api) -> None:
    auth = api.tenant("acme")
    base = api.counts()
    with broken_blob_store(api.settings):
        _assert_unavailable(api.submit(auth, headers={"Idempotency-Key": "k-1"}), "blob store")
        assert api.counts() == base
        ready = api.client.get("/readyz")
        assert ready.status_code == 503, ready.text
        assert ready.json()["checks"] == {"database": "ok", "broker": "ok",
                                          "blob_store": "unreachable: Unavailable"}
        assert ready.json()["detail"] == "not ready: blob_store unreachable"
    assert api.client.get("/readyz").status_code == 200
    # Nothing was kept of the failed request, so the same key now creates the job.
    resp = api.submit(auth, headers={"Idempotency-Key": "k-1"})
    assert resp.status_code == 202, resp.text
    assert "Idempotent-Replayed" not in resp.headers


def test_other_errors_stay_500(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    auth = api.tenant("acme")

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(api.store, "list_jobs", broken)
    resp = api.client.get("/v1/jobs", headers=auth)
    assert_problem(resp, 500, "an internal error occurred; the operators' logs have the details")
    assert "Retry-After" not in resp.headers


# A job during an outage -------------------------------------------------------------------


def test_outage_puts_the_job_back_and_it_resumes(any_settings: Settings,
                                                 run_job: Runner) -> None:
    settings = any_settings.model_copy(update={"job_retry_backoff_seconds": 1.5})
    with open_api(settings) as api:
        job_id = _submit(api)
        life = worker_services.get_services(settings).lifecycle  # a worker already up
        with broken_blob_store(settings):
            assert run_job(settings, job_id) == "requeued: blob store unavailable"
        job = _job(api, job_id)
        assert (job.status, job.outage_retries, job.lease_owner) == ("queued", 1, None)
        assert job.dispatched_at is None and job.retry_at is not None
        queued = [e.data for e in _events(api, job_id) if e.type == "job.queued"]
        assert queued[-1] == {"status": "queued", "retry": 1, "retry_in_seconds": 1.5,
                              "reason": "blob_store_unavailable"}

        sent: list[str] = []
        assert life.dispatch_due(sent.append, timedelta(minutes=5)) == []  # backing off
        time.sleep(1.6)
        assert life.dispatch_due(sent.append, timedelta(minutes=5)) == [job_id]
        assert run_job(settings, job_id) == "succeeded"
        events = _events(api, job_id)
        assert _stages(events) == STAGES
        assert [e.data["resumed"] for e in events if e.type == "job.started"] == [False, True]


def test_outage_retries_are_bounded(embedded_settings: Settings, run_job: Runner) -> None:
    settings = embedded_settings.model_copy(update={"job_retry_limit": 1,
                                                    "job_retry_backoff_seconds": 0.01})
    with open_api(settings) as api:
        job_id = _submit(api)
        worker_services.get_services(settings)
        with broken_blob_store(settings):
            assert run_job(settings, job_id) == "requeued: blob store unavailable"
            assert run_job(settings, job_id) == "failed: blob_store_unavailable"
        job = _job(api, job_id)
        assert job.status == "failed"
        assert job.error == {
            "code": "blob_store_unavailable",
            "message": "the blob store was unavailable (Unavailable) on 2 attempts; the job "
                       "stopped after its last completed step. Submit it again once the "
                       "service is back."}
        assert [e.type for e in _events(api, job_id)][-1] == "job.failed"


class _WorkerDied(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs, no handler catches it."""


class _DiesBeforeReporting(Lifecycle):
    def __init__(self, base: Lifecycle, node: str) -> None:
        self.__dict__.update(base.__dict__)
        self.node = node

    def progress(self, job_id: str, owner: str, *, stage: str, progress: float,
                 **data: Any) -> bool:
        if stage == self.node:
            raise _WorkerDied
        return super().progress(job_id, owner, stage=stage, progress=progress, **data)


def test_checkpointed_node_without_its_event_is_reported_on_resume(
        any_settings: Settings, run_job: Runner) -> None:
    settings = any_settings.model_copy(update={"job_lease_seconds": 0.3})
    with open_api(settings) as api:
        job_id = _submit(api)
        runner = worker_services.get_services(settings).runner
        real = runner.lifecycle
        # The worker dies after retrieve's checkpoint is written, before its event.
        runner.lifecycle = _DiesBeforeReporting(real, "retrieve")
        with pytest.raises(_WorkerDied):
            runner.run(job_id, owner="w1")
        runner.lifecycle = real
        assert _stages(_events(api, job_id)) == STAGES[:3]
        time.sleep(0.5)  # its lease lapses

        assert run_job(settings, job_id) == "succeeded"
        progress = [e.data for e in _events(api, job_id) if e.type == "job.progress"]
        assert [p["stage"] for p in progress] == STAGES  # each node once, in order
        retrieve = progress[3]
        assert retrieve["recovered"] is True and retrieve["attempt"] == 2
        assert retrieve["duration_ms"] is not None
        assert not any(p.get("recovered") for p in progress[:3] + progress[4:])
        # Checked again, nothing is missing: it would have to report, and could not, since
        # the finished job is nobody's (progress() would refuse and this return False).
        config = {"configurable": {"thread_id": job_id}}
        again = ClaimedJob(id=job_id, tenant_id="", matter="", matter_id="", profile="",
                           instructions=None, attempt=3, documents=[])
        assert runner._report_checkpointed(again, "w3", config, runner.graph.get_state(config))
        assert _stages(_events(api, job_id)) == STAGES


# The sweeper ------------------------------------------------------------------------------


def test_sweeper_stamps_a_job_only_once_the_broker_took_it(production_settings: Settings,
                                                           closed_port: int) -> None:
    with open_api(production_settings) as api:
        job_id = _submit(api)
        api.store.mark_undispatched(job_id)  # as if the API could not reach the broker
        life = Lifecycle(api.store.engine, 60)
        down = make_celery(production_settings.model_copy(
            update={"broker_url": f"redis://127.0.0.1:{closed_port}/0"}))
        down.conf.broker_transport_options = {"max_retries": 0}
        assert life.dispatch_due(lambda j: send_job(down, j), timedelta(minutes=5)) == []
        assert _job(api, job_id).dispatched_at is None  # still due: the next sweep sends it

        broker = redis.Redis.from_url(production_settings.resolved_broker_url)
        before = broker.llen("orchestrate")  # the API's own send at submission
        up = make_celery(production_settings)
        assert life.dispatch_due(lambda j: send_job(up, j), timedelta(minutes=5)) == [job_id]
        assert _job(api, job_id).dispatched_at is not None
        assert broker.llen("orchestrate") == before + 1
        assert job_id.encode() in broker.lindex("orchestrate", 0)  # the newest message
        assert life.dispatch_due(lambda j: send_job(up, j), timedelta(minutes=5)) == []


def test_concurrent_sweepers_send_each_job_once(production_settings: Settings) -> None:
    with open_api(production_settings) as api:
        auth = api.tenant("acme")
        ids = [_submit(api, auth) for _ in range(6)]
        for job_id in ids:
            api.store.mark_undispatched(job_id)
        lives = [Lifecycle(api.store.engine, 60) for _ in range(2)]
        sent: list[str] = []
        lock = threading.Lock()

        def slow_send(job_id: str) -> None:
            time.sleep(0.1)  # the rows stay locked while the broker takes its time
            with lock:
                sent.append(job_id)

        threads = [threading.Thread(target=life.dispatch_due,
                                    args=(slow_send, timedelta(minutes=5)), kwargs={"limit": 3})
                   for life in lives]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(sent) == sorted(ids)  # each once, shared between the two
        # And a job sent twice anyway (a sweeper that died before its stamp) runs once:
        # only one worker can claim it.
        assert lives[0].claim(ids[0], "w1") is not None
        assert lives[1].claim(ids[0], "w2") is None
