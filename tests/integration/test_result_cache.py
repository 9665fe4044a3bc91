"""Identical resubmissions answered from an earlier succeeded job's result, on SQLite and
PostgreSQL: hits, misses on anything the result depends on, tenant isolation, opt-out, webhooks
and usage of the answered job.

Jobs finish through the worker's own lifecycle (claim, then complete with a result), so the
stored rows are the ones a worker writes; one test runs the real graph end to end.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import delete, select

from lexgraph.core.config.settings import Settings
from lexgraph.core.db.models import Job, JobEvent
from lexgraph.core.jobs.lifecycle import Lifecycle
from lexgraph.core.jobs.result_cache import RESULT_SETTINGS, pipeline_version
from lexgraph.core.jobs.usage import UsageStore
from lexgraph.core.llm import Usage
from lexgraph.core.llm.metering import CallUsage
from tests.documents import FUSE_TXT
from tests.integration.conftest import Api, assert_problem, open_api
from tests.integration.webhook_helpers import Pump
from tests.receiver import Receiver

MEMO = {"filename": "memo.txt", "text": "The parties agree to arbitrate in Geneva."}
ORIGINAL_USAGE = [{"agent": "summarizer", "model": "m-1", "calls": 1, "prompt_tokens": 900,
                   "completion_tokens": 100, "total_tokens": 1000}]


def finish(api: Api, job_id: str, *, tokens: bool = True) -> dict[str, Any]:
    """Run the job's worker-side transitions: claim it, record a model call, complete it with
    a result that names the job, its documents and a citation into each."""
    life = Lifecycle(api.store.engine, lease_seconds=60)
    claimed = life.claim(job_id, "worker-1")
    assert claimed is not None
    if tokens:
        UsageStore(api.store.engine, api.settings).record(CallUsage(
            job_id, claimed.tenant_id, "summarizer", "m-1", Usage(900, 100), 12.0))
    docs = [{"id": d.id, "filename": d.filename, "pages": 1} for d in claimed.documents]
    body = {
        "job_id": job_id, "mode": "extractive", "matter": claimed.matter,
        "sections": [{"key": "overview", "statements": [
            {"text": "The parties agree to arbitrate.",
             "citations": [{"chunk_id": f"{d['id']}:1:0", "document_id": d["id"], "page": 1,
                            "start": 0, "end": 10}]} for d in docs]}],
        "usage": ORIGINAL_USAGE, "documents": docs,
    }
    markdown = "# Summary\n" + "".join(f"- [{d['id']}:1:0]\n" for d in docs)
    assert life.complete(job_id, "worker-1", body, markdown)
    return body


def submitted(api: Api, auth: dict[str, str], **fields: Any) -> dict[str, Any]:
    resp = api.submit(auth, documents=fields.pop("documents", [MEMO]), **fields)
    assert resp.status_code == 202, resp.text
    job: dict[str, Any] = resp.json()
    return job


def ran(api: Api, auth: dict[str, str], **fields: Any) -> dict[str, Any]:
    """A submission that ran and succeeded."""
    job = submitted(api, auth, **fields)
    assert job["cached_from"] is None and job["status"] == "queued"
    finish(api, job["id"])
    return job


def event_types(api: Api, job_id: str) -> list[str]:
    with api.store.sessions() as s:
        return list(s.execute(select(JobEvent.type).where(JobEvent.job_id == job_id)
                              .order_by(JobEvent.id)).scalars())


def test_an_identical_submission_is_answered_from_the_earlier_result(any_api: Api) -> None:
    auth = any_api.tenant("acme")
    first = ran(any_api, auth, profile="contract", length="brief")
    original = any_api.client.get(f"/v1/jobs/{first['id']}/result", headers=auth).json()

    again = submitted(any_api, auth, profile="contract", length="brief")

    assert again["id"] != first["id"]
    assert again["status"] == "succeeded" and again["cached_from"] == first["id"]
    assert again["progress"] == 1.0 and again["finished_at"] is not None
    assert again["usage"]["total_tokens"] == 0 and again["usage"]["calls"] == 0
    fetched = any_api.client.get(f"/v1/jobs/{again['id']}", headers=auth).json()
    assert fetched["cached_from"] == first["id"] and fetched["status"] == "succeeded"
    assert fetched["usage"]["total_tokens"] == 0
    # The original is still billed for its own call; the copy adds nothing to the tenant.
    ran_usage = any_api.client.get(f"/v1/jobs/{first['id']}", headers=auth).json()["usage"]
    assert ran_usage["total_tokens"] == 1000

    result = any_api.client.get(f"/v1/jobs/{again['id']}/result", headers=auth).json()
    new_doc, old_doc = again["documents"][0]["id"], first["documents"][0]["id"]
    assert new_doc != old_doc
    # The copy is the new job's own: its ids, its documents' ids in every citation.
    assert result["job_id"] == again["id"]
    assert result["documents"][0]["id"] == new_doc
    citation = result["sections"][0]["statements"][0]["citations"][0]
    assert citation["chunk_id"] == f"{new_doc}:1:0" and citation["document_id"] == new_doc
    assert result["usage"] == []
    assert old_doc not in json.dumps(result) and first["id"] not in json.dumps(result)
    assert result["sections"][0]["statements"][0]["text"] == \
        original["sections"][0]["statements"][0]["text"]
    markdown = any_api.client.get(f"/v1/jobs/{again['id']}/result", headers={
        **auth, "Accept": "text/markdown"}).text
    assert f"[{new_doc}:1:0]" in markdown and old_doc not in markdown
    # The page a citation names resolves against the new job's own document.
    page = any_api.client.get(f"/v1/jobs/{again['id']}/documents/{new_doc}/pages/1",
                              headers=auth)
    assert page.status_code == 200, page.text
    assert "arbitrate in Geneva" in page.json()["text"]

    # Events written with the job: queued, then completed naming the source.
    assert event_types(any_api, again["id"]) == ["job.queued", "job.completed"]
    events = any_api.client.get(f"/v1/jobs/{again['id']}/events", headers=auth).json()["data"]
    assert events[1]["data"] == {"status": "succeeded", "cached_from": first["id"]}
    # Nothing was sent to a worker.
    with any_api.store.sessions() as s:
        copy = s.get(Job, again["id"])
        assert copy is not None and copy.attempts == 0 and copy.cache_key is None


def test_a_third_submission_names_the_job_that_ran(any_api: Api) -> None:
    auth = any_api.tenant("acme")
    first = ran(any_api, auth)
    second, third = submitted(any_api, auth), submitted(any_api, auth)
    assert second["cached_from"] == first["id"] and third["cached_from"] == first["id"]


@pytest.mark.parametrize("change", [
    {"matter": "another-matter"},
    {"profile": "contract"},
    {"instructions": "Focus on indemnities."},
    {"length": "detailed"},
    {"length": 300},
    {"documents": [{"filename": "memo.txt", "text": "The parties agree to litigate."}]},
    {"documents": [{"filename": "renamed.txt", "text": MEMO["text"]}]},
    {"documents": [MEMO, {"filename": "annex.txt", "text": "Annex A."}]},
], ids=["matter", "profile", "instructions", "length-name", "length-words", "content",
        "filename", "more-documents"])
def test_anything_the_result_depends_on_changed_is_a_miss(any_api: Api,
                                                          change: dict[str, Any]) -> None:
    auth = any_api.tenant("acme")
    ran(any_api, auth, matter="acme-v-globex")
    fields: dict[str, Any] = {"matter": "acme-v-globex", **change}
    other = submitted(any_api, auth, **fields)
    assert other["cached_from"] is None and other["status"] == "queued"
    assert event_types(any_api, other["id"]) == ["job.queued"]


def test_a_change_of_model_or_policy_is_a_miss(any_settings: Settings) -> None:
    with open_api(any_settings) as api:
        auth = api.tenant("acme")
        ran(api, auth)
    for change in ({"extractive_sentences": any_settings.extractive_sentences + 1},
                   {"llm_backend": "openai", "llm_model": "another-model",
                    "llm_base_url": "http://127.0.0.1:9/v1"}):
        with open_api(any_settings.model_copy(update=change)) as api:
            job = submitted(api, auth)
            assert job["cached_from"] is None and job["status"] == "queued"


def test_another_tenants_identical_job_is_never_served(any_api: Api) -> None:
    acme, globex = any_api.tenant("acme"), any_api.tenant("globex")
    ran(any_api, acme)
    theirs = submitted(any_api, globex)
    assert theirs["cached_from"] is None and theirs["status"] == "queued"
    # Their own identical resubmission is served from their own job, not acme's.
    finish(any_api, theirs["id"])
    again = submitted(any_api, globex)
    assert again["cached_from"] == theirs["id"]


def test_a_request_may_opt_out_as_json_or_multipart(any_api: Api) -> None:
    auth = any_api.tenant("acme")
    first = ran(any_api, auth)
    fresh = submitted(any_api, auth, cache=False)
    assert fresh["cached_from"] is None and fresh["status"] == "queued"

    data = MEMO["text"].encode()
    upload = any_api.upload(auth, [("memo.txt", data, "text/plain")], cache="false")
    assert upload.status_code == 202, upload.text
    assert upload.json()["cached_from"] is None and upload.json()["status"] == "queued"
    served = any_api.upload(auth, [("memo.txt", data, "text/plain")], cache="true")
    assert served.status_code == 202, served.text
    assert served.json()["cached_from"] == first["id"]
    # Without the field, a multipart upload is served too.
    plain = any_api.upload(auth, [("memo.txt", data, "text/plain")])
    assert plain.json()["cached_from"] == first["id"]


def test_a_bad_cache_flag_is_refused_before_anything_is_written(any_api: Api) -> None:
    auth = any_api.tenant("acme")
    resp = any_api.upload(auth, [("memo.txt", b"Text.", "text/plain")], cache="maybe")
    assert_problem(resp, 422, "field 'cache' must be true or false")
    resp = any_api.submit(auth, documents=[MEMO], cache="sometimes")
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "cache"
    any_api.assert_nothing_written()


def test_the_operator_may_turn_the_cache_off(any_settings: Settings) -> None:
    with open_api(any_settings.model_copy(update={"result_cache": False})) as api:
        auth = api.tenant("acme")
        ran(api, auth)
        again = submitted(api, auth)
        assert again["cached_from"] is None and again["status"] == "queued"


def test_only_succeeded_jobs_that_still_exist_are_served(any_api: Api) -> None:
    auth = any_api.tenant("acme")
    queued = submitted(any_api, auth)
    # Still queued: an identical submission runs too.
    assert submitted(any_api, auth)["cached_from"] is None
    any_api.client.post(f"/v1/jobs/{queued['id']}/cancel", headers=auth)
    assert submitted(any_api, auth, matter="m2")["cached_from"] is None

    first = ran(any_api, auth, matter="m3")
    copy = submitted(any_api, auth, matter="m3")
    assert copy["cached_from"] == first["id"]
    # The job that ran is deleted (with its rows): its result is never handed out again,
    # not even through the copy made of it.
    with any_api.store.sessions.begin() as s:
        s.execute(delete(Job).where(Job.id == first["id"]))
    after = submitted(any_api, auth, matter="m3")
    assert after["cached_from"] is None and after["status"] == "queued"


def test_a_failed_job_is_not_served(any_api: Api) -> None:
    auth = any_api.tenant("acme")
    job = submitted(any_api, auth)
    life = Lifecycle(any_api.store.engine, lease_seconds=60)
    assert life.claim(job["id"], "w") is not None
    assert life.fail(job["id"], "w", "no_readable_documents", "nothing to read")
    assert submitted(any_api, auth)["cached_from"] is None


def test_idempotent_replay_of_a_cached_answer(any_api: Api) -> None:
    auth = any_api.tenant("acme")
    first = ran(any_api, auth)
    key = {"Idempotency-Key": "cached-1"}
    answered = any_api.submit(auth, documents=[MEMO], headers=key)
    replay = any_api.submit(auth, documents=[MEMO], headers=key)
    assert answered.json()["cached_from"] == first["id"]
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == answered.json()
    # Opting out is another request under the same key.
    other = any_api.submit(auth, documents=[MEMO], headers=key, cache=False)
    assert other.status_code == 422


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rx = Receiver()
    yield rx
    rx.stop()


def test_webhooks_fire_for_an_answered_job(any_settings: Settings, receiver: Receiver) -> None:
    receiver.start()
    settings = any_settings.model_copy(update={"webhook_allowed_networks": "127.0.0.0/8"})
    with open_api(settings) as api:
        auth = api.tenant("acme")
        first = ran(api, auth)
        endpoint = api.client.post("/v1/webhook-endpoints", headers=auth, json={
            "url": receiver.url("/completed"), "event_types": ["job.completed"]})
        assert endpoint.status_code == 201, endpoint.text
        pump = Pump(api)
        try:
            pump.until(lambda: len(receiver.received()) >= 1)  # the first job's completion
            receiver_before = len(receiver.received())
            again = submitted(api, auth, webhook_url=receiver.url("/job"))
            assert again["cached_from"] == first["id"]
            pump.until(lambda: len(receiver.received()) >= receiver_before + 3)
            pump.once()
        finally:
            pump.close()
        got = [(r.path, r.json["type"], r.json["data"]["job_id"])
               for r in receiver.received()[receiver_before:]]
        assert sorted(got) == [("/completed", "job.completed", again["id"]),
                               ("/job", "job.completed", again["id"]),
                               ("/job", "job.queued", again["id"])]
        completed = next(r for r in receiver.received() if r.path == "/job"
                         and r.json["type"] == "job.completed")
        assert completed.json["data"]["data"]["cached_from"] == first["id"]


def test_result_settings_exist_and_change_the_version(embedded_settings: Settings) -> None:
    assert set(RESULT_SETTINGS) <= set(Settings.model_fields)
    base = pipeline_version(embedded_settings)
    assert base == pipeline_version(embedded_settings.model_copy())
    assert base != pipeline_version(embedded_settings.model_copy(update={"retrieval_k": 7}))


def test_a_policy_file_is_read_for_its_content(embedded_settings: Settings, tmp_path) -> None:
    names = tmp_path / "names.txt"
    names.write_text("Jane Roe\n")
    settings = embedded_settings.model_copy(update={"pii_names_file": names})
    before = pipeline_version(settings)
    names.write_text("Jane Roe\nJohn Doe\n")
    assert pipeline_version(settings) != before


def test_a_real_job_resubmitted_is_answered_from_its_result(
        embedded_settings: Settings, run_job: Callable[[Settings, str], str]) -> None:
    content = base64.b64encode(FUSE_TXT.read_bytes()).decode()
    doc = {"filename": "distributor-agreement.txt", "content_base64": content}
    with open_api(embedded_settings) as api:
        auth = api.tenant("acme")
        first = submitted(api, auth, profile="contract", documents=[doc])
        assert run_job(embedded_settings, first["id"]) == "succeeded"
        again = submitted(api, auth, profile="contract", documents=[doc])
        assert again["cached_from"] == first["id"]
        ran_result = api.client.get(f"/v1/jobs/{first['id']}/result", headers=auth).json()
        result = api.client.get(f"/v1/jobs/{again['id']}/result", headers=auth).json()
        old_doc, new_doc = first["documents"][0]["id"], again["documents"][0]["id"]
        expected = json.loads(json.dumps(ran_result).replace(old_doc, new_doc)
                              .replace(first["id"], again["id"]))
        assert result == {**expected, "usage": []}
        cited = [c for section in result["sections"] for st in section["statements"]
                 for c in st["citations"]]
        assert cited, "the summary cites nothing"
        for c in cited[:3]:
            page = api.client.get(
                f"/v1/jobs/{again['id']}/documents/{new_doc}/pages/{c['page']}", headers=auth)
            assert page.status_code == 200, page.text
