"""Idempotency-Key on POST /v1/jobs, as Stripe and the IETF httpapi draft define it.

Same key + same request: the stored response again, marked ``Idempotent-Replayed: true``.
Same key + another request: 422. Same key while the first is in flight: 409. Records live at
least 24 hours; an expired one no longer binds the key.
"""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select, update

from lexgraph.core.config.settings import Settings
from lexgraph.core.db.models import IdempotencyRecord, Job, utcnow
from lexgraph.core.jobs.intake import Submission, UploadedDocument, validate
from tests.integration.conftest import Api, assert_problem

DOCS = [{"filename": "memo.txt", "text": "The parties agree to arbitrate."}]


def _record(api: Api, key: str) -> IdempotencyRecord | None:
    with api.store.sessions() as s:
        return s.execute(select(IdempotencyRecord).where(IdempotencyRecord.key == key)).scalar()


def _job_ids(api: Api) -> list[str]:
    with api.store.sessions() as s:
        return list(s.execute(select(Job.id)).scalars())


def test_same_key_same_body_replays_the_stored_response(any_api: Api) -> None:
    auth = any_api.tenant("acme")
    key = {"Idempotency-Key": "7b1c0e6e-retry-me"}
    first = any_api.submit(auth, documents=DOCS, headers=key)
    assert first.status_code == 202, first.text
    assert "idempotent-replayed" not in first.headers

    # The job moves on before the retry; the replay is still the original response.
    any_api.client.post(f"/v1/jobs/{first.json()['id']}/cancel", headers=auth)
    again = any_api.submit(auth, documents=DOCS, headers=key)

    assert again.status_code == 202
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]
    assert again.json() == first.json()
    assert _job_ids(any_api) == [first.json()["id"]]
    assert any_api.counts()["documents"] == 1


def test_replay_matches_the_parsed_request_not_the_bytes(any_api: Api) -> None:
    auth = any_api.tenant("acme")
    key = {"Idempotency-Key": "upload-1"}
    files = [("memo.txt", b"The parties agree to arbitrate.", "text/plain")]
    first = any_api.upload(auth, files, headers=key, profile="contract")
    assert first.status_code == 202, first.text
    # A retry gets a new multipart boundary; it is the same request all the same.
    again = any_api.upload(auth, files, headers=key, profile="contract")
    assert again.status_code == 202
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert any_api.counts()["jobs"] == 1


@pytest.mark.parametrize("change", [
    {"matter": "another-matter"},
    {"profile": "contract"},
    {"instructions": "Focus on indemnities."},
    {"webhook_url": "https://hooks.example.com/x"},
    {"documents": [{"filename": "memo.txt", "text": "The parties agree to litigate."}]},
    {"documents": [{"filename": "renamed.txt", "text": "The parties agree to arbitrate."}]},
    {"length": "brief"},
    {"length": 400},
], ids=["matter", "profile", "instructions", "webhook", "content", "filename", "length-name",
        "length-words"])
def test_same_key_different_body_is_422(any_api: Api, change: dict[str, Any]) -> None:
    auth = any_api.tenant("acme")
    key = {"Idempotency-Key": "k-1"}
    first = any_api.submit(auth, documents=DOCS, headers=key)
    assert first.status_code == 202, first.text
    before = any_api.counts()

    fields: dict[str, Any] = {"matter": "acme-v-globex", "documents": DOCS, **change}
    resp = any_api.submit(auth, headers=key, **fields)

    assert_problem(resp, 422, "this Idempotency-Key was already used with a different request; "
                              "use a new key for a new request")
    assert any_api.counts() == before
    record = _record(any_api, "k-1")
    assert record is not None and record.response_body == first.json()


def _fingerprint(settings: Settings, matter: str, docs: list[dict[str, str]]) -> str:
    sub = Submission(matter=matter, documents=[
        UploadedDocument(d["filename"], d["text"].encode()) for d in docs])
    return sub.fingerprint(validate(sub, settings))


@pytest.mark.parametrize(("first", "again"), [
    ({}, {"length": "standard"}),
    ({"length": 400}, {"length": "400"}),
], ids=["omitted-is-default", "digits-are-words"])
def test_same_length_spelled_differently_replays(any_api: Api, first: dict[str, Any],
                                                 again: dict[str, Any]) -> None:
    auth = any_api.tenant("acme")
    key = {"Idempotency-Key": "k-len"}
    original = any_api.submit(auth, documents=DOCS, headers=key, **first)
    assert original.status_code == 202, original.text
    retry = any_api.submit(auth, documents=DOCS, headers=key, **again)
    assert retry.status_code == 202, retry.text
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json()["id"] == original.json()["id"]
    assert any_api.counts()["jobs"] == 1


def test_keys_stored_before_lengths_existed_still_match(embedded_settings: Settings) -> None:
    # The fingerprint as it was computed before jobs had a length: a retry after an upgrade,
    # within the key's lifetime, must still find its request the same.
    text = DOCS[0]["text"].encode()
    before = hashlib.sha256(json.dumps({
        "matter": "acme-v-globex", "profile": "general", "instructions": None,
        "webhook_url": None, "documents": [["memo.txt", hashlib.sha256(text).hexdigest()]],
    }, sort_keys=True).encode()).hexdigest()
    assert _fingerprint(embedded_settings, "acme-v-globex", DOCS) == before
    sub = Submission(matter="acme-v-globex", length="brief",
                     documents=[UploadedDocument("memo.txt", text)])
    assert sub.fingerprint(validate(sub, embedded_settings)) != before


def test_same_key_while_first_in_flight_is_409(any_api: Api) -> None:
    auth = any_api.tenant("acme")
    who = any_api.store.authenticate(auth["Authorization"].removeprefix("Bearer "))
    now = utcnow()
    with any_api.store.sessions.begin() as s:
        # Exactly what the first request holds between reserving the key and creating the job.
        s.add(IdempotencyRecord(
            tenant_id=who.tenant_id, key="busy", state="in_flight",
            fingerprint=_fingerprint(any_api.settings, "acme-v-globex", DOCS),
            created_at=now, expires_at=now + timedelta(hours=24)))

    resp = any_api.submit(auth, documents=DOCS, headers={"Idempotency-Key": "busy"})

    assert_problem(resp, 409, "a request with this Idempotency-Key is still being processed; "
                              "retry after it completes")
    assert any_api.counts()["jobs"] == 0
    record = _record(any_api, "busy")
    assert record is not None and record.state == "in_flight"

    # The first request gave up and released the key: the retry now runs.
    with any_api.store.sessions.begin() as s:
        s.delete(s.get(IdempotencyRecord, (who.tenant_id, "busy")))
    retry = any_api.submit(auth, documents=DOCS, headers={"Idempotency-Key": "busy"})
    assert retry.status_code == 202, retry.text
    assert "idempotent-replayed" not in retry.headers


def test_concurrent_identical_requests_create_one_job(any_api: Api) -> None:
    auth = any_api.tenant("acme")
    n = 8
    start = threading.Barrier(n)
    responses: list[Any] = [None] * n

    def fire(i: int) -> None:
        start.wait()
        responses[i] = any_api.submit(auth, documents=DOCS, headers={"Idempotency-Key": "race"})

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    created = [r for r in responses if r.status_code == 202
               and "idempotent-replayed" not in r.headers]
    replayed = [r for r in responses if r.headers.get("idempotent-replayed") == "true"]
    busy = [r for r in responses if r.status_code == 409]
    assert len(created) == 1, [(r.status_code, r.text) for r in responses]
    assert len(created) + len(replayed) + len(busy) == n
    job_id = created[0].json()["id"]
    assert all(r.json()["id"] == job_id for r in replayed)
    assert all(r.json()["detail"].startswith("a request with this Idempotency-Key is still")
               for r in busy)
    assert _job_ids(any_api) == [job_id]
    assert any_api.counts()["job_events"] == 1


def test_concurrent_distinct_requests_all_succeed(any_api: Api) -> None:
    auth = any_api.tenant("acme")
    n = 8
    start = threading.Barrier(n)
    responses: list[Any] = [None] * n

    def fire(i: int) -> None:
        start.wait()
        # A new matter each time and a key each: both inserts race on unique constraints.
        responses[i] = any_api.submit(auth, matter=f"m-{i % 2}", documents=DOCS,
                                      headers={"Idempotency-Key": f"k-{i}"})

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert [r.status_code for r in responses] == [202] * n, [r.text for r in responses]
    assert len(set(_job_ids(any_api))) == n
    assert any_api.counts()["matters"] == 2


def test_records_are_kept_24_hours(any_api: Api) -> None:
    auth = any_api.tenant("acme")
    assert any_api.submit(auth, documents=DOCS, headers={"Idempotency-Key": "k"}).status_code == 202
    record = _record(any_api, "k")
    assert record is not None and record.state == "done"
    assert record.expires_at - record.created_at == timedelta(hours=24)
    with pytest.raises(ValidationError):
        Settings(idempotency_ttl_hours=23)


def test_record_nearly_a_day_old_still_replays(any_api: Api) -> None:
    auth = any_api.tenant("acme")
    first = any_api.submit(auth, documents=DOCS, headers={"Idempotency-Key": "k"})
    aged = utcnow() - timedelta(hours=23, minutes=59)
    with any_api.store.sessions.begin() as s:
        s.execute(update(IdempotencyRecord).values(created_at=aged,
                                                   expires_at=aged + timedelta(hours=24)))
    again = any_api.submit(auth, documents=DOCS, headers={"Idempotency-Key": "k"})
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]


@pytest.mark.parametrize("same_body", [True, False], ids=["same-body", "different-body"])
def test_expired_record_is_treated_as_new(any_api: Api, same_body: bool) -> None:
    auth = any_api.tenant("acme")
    first = any_api.submit(auth, documents=DOCS, headers={"Idempotency-Key": "k"})
    old = utcnow() - timedelta(hours=25)
    with any_api.store.sessions.begin() as s:
        s.execute(update(IdempotencyRecord).values(created_at=old,
                                                   expires_at=old + timedelta(hours=24)))

    matter = "acme-v-globex" if same_body else "a-new-matter"
    again = any_api.submit(auth, matter=matter, documents=DOCS, headers={"Idempotency-Key": "k"})

    assert again.status_code == 202, again.text
    assert "idempotent-replayed" not in again.headers
    assert again.json()["id"] != first.json()["id"]
    assert sorted(_job_ids(any_api)) == sorted([first.json()["id"], again.json()["id"]])
    record = _record(any_api, "k")
    assert record is not None and record.response_body == again.json()
    assert record.expires_at.replace(tzinfo=None) > utcnow().replace(tzinfo=None)


def test_keys_are_scoped_to_the_tenant(any_api: Api) -> None:
    acme, globex = any_api.tenant("acme"), any_api.tenant("globex")
    a = any_api.submit(acme, documents=DOCS, headers={"Idempotency-Key": "shared"})
    b = any_api.submit(globex, documents=DOCS, headers={"Idempotency-Key": "shared"})
    assert a.status_code == b.status_code == 202
    assert "idempotent-replayed" not in b.headers
    assert a.json()["id"] != b.json()["id"]


def test_rejected_request_does_not_bind_the_key(any_api: Api) -> None:
    auth = any_api.tenant("acme")
    key = {"Idempotency-Key": "fix-and-retry"}
    bad = any_api.submit(auth, documents=[{"filename": "e.txt", "text": ""}], headers=key)
    assert_problem(bad, 422, "document 'e.txt' is empty")
    assert _record(any_api, "fix-and-retry") is None
    good = any_api.submit(auth, documents=DOCS, headers=key)
    assert good.status_code == 202, good.text
    assert "idempotent-replayed" not in good.headers


@pytest.mark.parametrize("key", ["", "k" * 256], ids=["empty", "too-long"])
def test_malformed_key_is_422(api: Api, key: str) -> None:
    resp = api.submit(api.tenant("acme"), documents=DOCS, headers={"Idempotency-Key": key})
    assert_problem(resp, 422, "Idempotency-Key must be 1 to 255 characters")
    api.assert_nothing_written()


def test_longest_key_is_accepted(api: Api) -> None:
    resp = api.submit(api.tenant("acme"), documents=DOCS, headers={"Idempotency-Key": "k" * 255})
    assert resp.status_code == 202, resp.text
