"""The job store's side of tracing, on a real database: the root run opened at submission and
stored with the job, closed on cancel, and reviewers' feedback stored and sent."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from lexgraph.adapters.tracing.langsmith_tracer import LangSmithTracer
from lexgraph.core.config.settings import Settings
from lexgraph.core.db.engine import make_engine
from lexgraph.core.db.migrate import upgrade
from lexgraph.core.db.models import Job, JobFeedback
from lexgraph.core.errors import NotFound
from lexgraph.core.jobs.intake import Submission, UploadedDocument
from lexgraph.core.jobs.store import JobStore
from lexgraph.core.storage.blobs import LocalBlobStore
from lexgraph.core.tracing import NoopTracer, Tracer, feedback_id, root_run_id
from tests.langsmith_server import LangSmithRecorder, langsmith_server, silent_server

SUBMISSION = Submission(matter="harbourline", profile="contract",
                        instructions="Mention Ms. Imogen Halvorsen by name.",
                        documents=[UploadedDocument("nda.txt", b"Either party may terminate.")])


def _store(settings: Settings, tracer: Tracer) -> JobStore:
    settings.ensure_dirs()
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    return JobStore(engine, LocalBlobStore(settings.resolved_blob_dir), settings, tracer=tracer)


@pytest.fixture
def recorder() -> Iterator[LangSmithRecorder]:
    with langsmith_server() as server:
        yield server


@pytest.fixture
def traced(embedded_settings: Settings, recorder: LangSmithRecorder) -> Iterator[JobStore]:
    import langsmith

    tracer = LangSmithTracer(embedded_settings, api_key="test-key", api_url=recorder.url)
    tracer.resolve_project()
    store = _store(embedded_settings, tracer)
    yield store
    tracer.flush()
    store.engine.dispose()
    langsmith.configure(client=None, enabled=None, project_name=None)


def _wait(predicate: Any) -> Any:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if found := predicate():
            return found
        time.sleep(0.05)
    raise AssertionError("timed out waiting for the uploads")


def test_submission_opens_the_root_run_and_cancel_closes_it(
        traced: JobStore, recorder: LangSmithRecorder) -> None:
    _, who = traced.create_key("acme")
    job = traced.submit(who, SUBMISSION, None).body
    root = str(root_run_id(job["id"]))
    project = recorder.projects["lexgraph"]
    # The configured endpoint's host and port: a self-hosted LangSmith serves its UI there.
    assert job["trace_url"].startswith(
        f"{recorder.url}/o/{project['tenant_id']}/projects/p/{project['id']}/r/{root}?")
    with traced.sessions() as s:
        stored = s.execute(select(Job.trace).where(Job.id == job["id"])).scalar_one()
    assert stored["run_id"] == root and stored["headers"]["langsmith-trace"].endswith(root)
    assert traced.get_job(who, job["id"])["trace_url"] == job["trace_url"]

    traced.cancel(who, job["id"])
    traced.tracer.flush()
    [run] = _wait(lambda: [r for r in recorder.runs_named("job") if r.get("end_time")])
    assert run["id"] == root and run["outputs"] == {"status": "cancelled"}
    assert run["inputs"]["documents"][0]["filename"] == "nda.txt"
    assert "Halvorsen" not in run["inputs"]["instructions"]
    assert run["extra"]["metadata"]["tenant"] == "acme"
    assert set(run["tags"]) == {"lexgraph", "profile:contract", "mode:extractive"}


def test_feedback_is_stored_sent_and_tenant_scoped(
        traced: JobStore, recorder: LangSmithRecorder) -> None:
    _, who = traced.create_key("acme")
    _, stranger = traced.create_key("globex")
    job_id = traced.submit(who, SUBMISSION, None).job_id
    with pytest.raises(NotFound):
        traced.add_feedback(stranger, job_id, score=1.0)
    given = traced.add_feedback(who, job_id, score=0.0, comment="Wrong party.",
                                correction="The Supplier terminates.")
    assert given["sent_to_langsmith"] is True and given["run_id"] == str(root_run_id(job_id))
    [sent] = recorder.feedback
    assert sent["run_id"] == given["run_id"] and sent["score"] == 0.0
    assert sent["correction"] == {"text": "The Supplier terminates."}
    with traced.sessions() as s:
        row = s.execute(select(JobFeedback)).scalar_one()
    assert (row.job_id, row.tenant_id, row.score, row.sent) == (job_id, who.tenant_id, 0.0,
                                                                 True)


def test_feedback_answers_within_seconds_when_langsmith_never_does(
        embedded_settings: Settings) -> None:
    import langsmith

    with silent_server() as silent:
        tracer = LangSmithTracer(embedded_settings, api_key="test-key", api_url=silent.url)
        store = _store(embedded_settings, tracer)
        try:
            _, who = store.create_key("acme")
            job_id = store.submit(who, SUBMISSION, None).job_id
            started = time.monotonic()
            given = store.add_feedback(who, job_id, score=1.0, comment="Fine.")
            assert time.monotonic() - started < 6.0
            assert given["sent_to_langsmith"] is False
            assert given["run_id"] == str(root_run_id(job_id))
            with store.sessions() as s:
                assert s.execute(select(JobFeedback.sent)).scalar_one() is False
        finally:
            tracer.flush()
            store.engine.dispose()
            langsmith.configure(client=None, enabled=None, project_name=None)


def test_feedback_sent_on_a_background_retry_is_marked_sent(
        traced: JobStore, recorder: LangSmithRecorder) -> None:
    tracer = traced.tracer
    assert isinstance(tracer, LangSmithTracer)
    tracer.feedback_wait = 0.5
    tracer.feedback_retries = (0.5, 0.5)
    # The first POST /feedback hangs past the request's wait and is then dropped; the retry
    # reaches a LangSmith that answers.
    recorder.stall_seconds = 1.5
    recorder.stall["/feedback"] = 1
    _, who = traced.create_key("acme")
    job_id = traced.submit(who, SUBMISSION, None).job_id
    given = traced.add_feedback(who, job_id, score=1.0, comment="Fine.")
    assert given["sent_to_langsmith"] is False
    with traced.sessions() as s:
        assert s.execute(select(JobFeedback.sent)).scalar_one() is False

    def stored_sent() -> bool:
        with traced.sessions() as s:
            return bool(s.execute(select(JobFeedback.sent)).scalar_one())

    assert _wait(stored_sent)
    [sent] = recorder.feedback
    assert sent["run_id"] == given["run_id"] and sent["id"] == str(feedback_id(given["id"]))


def test_without_tracing_jobs_have_no_trace_and_feedback_stays_home(
        embedded_settings: Settings) -> None:
    store = _store(embedded_settings, NoopTracer())
    _, who = store.create_key("acme")
    job = store.submit(who, SUBMISSION, None).body
    assert job["trace_url"] is None
    given = store.add_feedback(who, job["id"], score=1.0, comment="Fine.")
    assert given["sent_to_langsmith"] is False and given["run_id"] is None
    with store.sessions() as s:
        assert s.execute(select(JobFeedback.sent)).scalar_one() is False
    store.engine.dispose()
