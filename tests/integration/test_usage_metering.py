"""Token metering against real SQLite and PostgreSQL: every call of a job's scope becomes a
row, sums come back per job and per tenant, and the cost follows the configured prices."""

from __future__ import annotations

import contextvars
import threading
from datetime import UTC, datetime, timedelta

import pytest

from lexgraph.core.config.settings import Settings
from lexgraph.core.db.engine import make_engine
from lexgraph.core.db.migrate import upgrade
from lexgraph.core.jobs.intake import Submission, UploadedDocument
from lexgraph.core.jobs.store import JobStore
from lexgraph.core.jobs.usage import UsageStore
from lexgraph.core.llm import ChatMessage, ChatRequest, ChatResult, ScriptedLLM, Usage
from lexgraph.core.llm.metering import MeteredLLM, metered
from lexgraph.core.storage.blobs import LocalBlobStore


def _store(settings: Settings) -> JobStore:
    settings.ensure_dirs()
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    return JobStore(engine, LocalBlobStore(settings.resolved_blob_dir), settings)


def _submit(store: JobStore, who: object) -> str:
    return store.submit(who, Submission(matter="m", documents=[  # type: ignore[arg-type]
        UploadedDocument("a.txt", b"Some text.")]), None).job_id


def ask(agent: str) -> ChatRequest:
    return ChatRequest([ChatMessage("user", "hi")], metadata={"agent": agent})


def test_calls_are_metered_per_job_agent_and_tenant(any_settings: Settings) -> None:
    settings = any_settings.model_copy(update={"llm_price_prompt_per_1k": 0.25,
                                               "llm_price_completion_per_1k": 1.0})
    store = _store(settings)
    usage = UsageStore(store.engine, settings)
    _, acme = store.create_key("acme")
    _, other = store.create_key("globex")
    first, second, theirs = _submit(store, acme), _submit(store, acme), _submit(store, other)
    model = ScriptedLLM([ChatResult("a", "m-1", Usage(1000, 200)),
                         ChatResult("b", "m-1", Usage(500, 100)),
                         ChatResult("c", "m-1", Usage(10, 1)),
                         ChatResult("d", "m-1", Usage(7, 7)),
                         ChatResult("e", "m-1", Usage(99, 99))])
    llm = MeteredLLM(model, usage.record)
    llm.chat(ask("outside any job"))  # a probe: not anybody's spend
    with metered(first, acme.tenant_id):
        llm.chat(ask("retriever"))
        # CrewAI runs agents in threads that copy the context; the scope goes with them.
        worker = threading.Thread(target=contextvars.copy_context().run,
                                  args=(llm.chat, ask("summarizer")))
        worker.start()
        worker.join()
    with metered(second, acme.tenant_id):
        llm.chat(ask("retriever"))
    with metered(theirs, other.tenant_id):
        llm.chat(ask("retriever"))

    job = store.get_job(acme, first)["usage"]
    assert job["calls"] == 2
    assert (job["prompt_tokens"], job["completion_tokens"], job["total_tokens"]) == (510, 101,
                                                                                     611)
    assert [(r["agent"], r["calls"], r["prompt_tokens"]) for r in job["by_agent"]] == [
        ("retriever", 1, 500), ("summarizer", 1, 10)]
    assert job["estimated_cost"] == {"amount": round(0.51 * 0.25 + 0.101 * 1.0, 6),
                                     "currency": "USD"}
    listed = {j["id"]: j["usage"]["calls"] for j in store.list_jobs(acme)["data"]}
    assert listed == {first: 2, second: 1}

    tenant = usage.for_tenant(acme.tenant_id)
    assert (tenant["jobs"], tenant["calls"], tenant["prompt_tokens"]) == (2, 3, 517)
    assert usage.for_tenant(other.tenant_id)["prompt_tokens"] == 99
    future = datetime.now(UTC) + timedelta(days=1)
    assert usage.for_tenant(acme.tenant_id, since=future)["calls"] == 0
    assert usage.for_tenant(acme.tenant_id, until=future)["calls"] == 3
    # A naive time is read as UTC.
    assert usage.for_tenant(acme.tenant_id,
                            since=future.replace(tzinfo=None))["calls"] == 0
    assert store.get_job(acme, first)["usage"] == job  # reading twice changes nothing


def test_a_failing_recorder_does_not_fail_the_call(caplog: pytest.LogCaptureFixture) -> None:
    def broken(call: object) -> None:
        raise RuntimeError("database down")

    llm = MeteredLLM(ScriptedLLM(["fine"]), broken)
    with metered("job_x", "tenant_x"):
        assert llm.chat(ask("summarizer")).text == "fine"
    assert "could not record token usage for job job_x" in caplog.text


def test_raw_completions_are_metered_too(embedded_settings: Settings) -> None:
    store = _store(embedded_settings)
    _, who = store.create_key("acme")
    job_id = _submit(store, who)
    llm = MeteredLLM(ScriptedLLM(["safe", "unsafe\nS1"]),
                     UsageStore(store.engine, embedded_settings).record)
    with metered(job_id, who.tenant_id):
        assert [r.text for r in llm.complete(["a", "b"], metadata={"agent": "guard"})] == [
            "safe", "unsafe\nS1"]
    assert store.get_job(who, job_id)["usage"]["by_agent"][0]["agent"] == "guard"
    assert store.get_job(who, job_id)["usage"]["calls"] == 2
