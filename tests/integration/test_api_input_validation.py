"""The outside probe's malformed inputs: NUL and other control characters, deep JSON, integers
past 64 bits. Each is a 400 or 422 problem, never a 500, on SQLite and PostgreSQL, and the
connection stays usable for the next request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lexgraph.core.config.settings import Settings
from lexgraph.core.validation import MAX_INT64, json_depth
from tests.integration.conftest import PROBLEM, Api
from tests.integration.webhook_helpers import PUBLIC_IP, StaticDns, open_api

HOOK = "https://hooks.example.com/lexgraph"


@pytest.fixture
def vapi(any_settings: Settings) -> Iterator[Api]:
    with open_api(any_settings, StaticDns({"hooks.example.com": [PUBLIC_IP]})) as api:
        yield api


@pytest.fixture
def job(vapi: Api) -> tuple[dict[str, str], str]:
    auth = vapi.tenant("acme")
    resp = vapi.submit(auth)
    assert resp.status_code == 202, resp.text
    return auth, resp.json()["id"]


def _refused(resp, status: int, field: str | None = None) -> None:  # type: ignore[no-untyped-def]
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == PROBLEM
    body = resp.json()
    assert body["status"] == status and body["detail"]
    if field is not None:
        assert field in [e["field"] for e in body.get("errors", [])], body


@pytest.mark.parametrize(("fields", "field"), [
    ({"matter": "acme\x00"}, "matter"),
    ({"matter": "acme\x1bv"}, "matter"),
    ({"instructions": "Focus on\x00termination."}, "instructions"),
    ({"webhook_url": "https://hooks.example.com/\x00"}, "webhook_url"),
    ({"documents": [{"filename": "a\x00.txt", "text": "Terms."}]}, "documents.0.filename"),
])
def test_control_characters_in_a_json_submission(vapi: Api, fields: dict[str, object],
                                                  field: str) -> None:
    auth = vapi.tenant("acme")
    _refused(vapi.submit(auth, **fields), 422, field)
    vapi.assert_nothing_written()


def test_line_breaks_stay_allowed_in_instructions(vapi: Api) -> None:
    resp = vapi.submit(vapi.tenant("acme"), instructions="Focus on:\n\t- termination\r\n")
    assert resp.status_code == 202, resp.text


@pytest.mark.parametrize(("fields", "field"), [
    ({"matter": "acme\x00"}, "matter"),
    ({"instructions": "x\x00y"}, "instructions"),
    ({"webhook_url": "https://hooks.example.com/\x07"}, "webhook_url"),
])
def test_control_characters_in_a_multipart_submission(vapi: Api, fields: dict[str, str],
                                                      field: str) -> None:
    auth = vapi.tenant("acme")
    resp = vapi.upload(auth, [("memo.txt", b"The parties agree.", "text/plain")], **fields)
    _refused(resp, 422, field)
    vapi.assert_nothing_written()


def test_control_characters_in_stored_text_of_other_requests(
        vapi: Api, job: tuple[dict[str, str], str]) -> None:
    auth, job_id = job
    _refused(vapi.client.post(f"/v1/jobs/{job_id}/feedback", headers=auth,
                              json={"score": 1, "comment": "ok\x00"}), 422, "comment")
    _refused(vapi.client.post("/v1/webhook-endpoints", headers=auth,
                              json={"url": HOOK, "description": "ERP\x00"}), 422, "description")
    _refused(vapi.client.post("/v1/webhook-endpoints", headers=auth,
                              json={"url": HOOK + "\x00"}), 422, "url")
    created = vapi.client.post("/v1/webhook-endpoints", headers=auth, json={"url": HOOK})
    assert created.status_code == 201, created.text
    _refused(vapi.client.patch(f"/v1/webhook-endpoints/{created.json()['id']}", headers=auth,
                               json={"description": "\x00"}), 422, "description")
    _refused(vapi.submit(auth, headers={"Idempotency-Key": "k\x01"}), 422)
    # The feedback really is stored when it is clean: the refusal is about the character.
    assert vapi.client.post(f"/v1/jobs/{job_id}/feedback", headers=auth,
                            json={"score": 1, "comment": "ok"}).status_code == 201


@pytest.mark.parametrize("url", [
    "/v1/jobs?matter=%00",
    "/v1/jobs?status=queued%0a",
    "/v1/jobs/job_%00",
    "/v1/jobs/job_%00/events",
    "/v1/jobs/{job}/documents/doc_%00/pages/1",
    "/v1/webhook-endpoints/whe_%7f",
    "/v1/jobs?cursor=%1f",
    # Encoded twice: the client library decodes it once more before it is sent.
    "/v1/jobs/%2500",
    "/v1/jobs/{job}/documents/%2500/pages/1",
    "/v1/keys/%2500/revoke",
])
def test_control_characters_in_urls(vapi: Api, job: tuple[dict[str, str], str],
                                    url: str) -> None:
    auth, job_id = job
    resp = vapi.client.get(url.replace("{job}", job_id), headers=auth)
    _refused(resp, 400)
    assert "control character" in resp.json()["detail"]
    # The same connection answers the next request.
    assert vapi.client.get(f"/v1/jobs/{job_id}", headers=auth).status_code == 200


def test_deeply_nested_json_is_a_400(vapi: Api) -> None:
    auth = vapi.tenant("acme")
    deep = '{"matter": "m", "documents": [{"filename": "a.txt", "text": "x"}], "instructions": '
    body = deep + "[" * 1000 + "]" * 1000 + "}"
    resp = vapi.client.post("/v1/jobs", content=body.encode(),
                            headers={**auth, "Content-Type": "application/json"})
    _refused(resp, 400)
    assert resp.json()["detail"] == "the JSON body is nested more than 32 levels deep"
    for route in ("/v1/webhook-endpoints",):
        resp = vapi.client.post(route, content=("[" * 1000 + "]" * 1000).encode(),
                                headers={**auth, "Content-Type": "application/json"})
        assert resp.status_code in (400, 422), resp.text
        assert resp.headers["content-type"] == PROBLEM
    vapi.assert_nothing_written()


def test_json_depth_skips_brackets_inside_strings() -> None:
    assert json_depth(b'{"a": "[[[[{{{{", "b": [[1]], "c": "\\"[["}') == 3
    assert json_depth(b"[]") == 1 and json_depth(b'"x"') == 0


@pytest.mark.parametrize("path", ["events", "audit"])
def test_event_ids_past_64_bits(vapi: Api, job: tuple[dict[str, str], str], path: str) -> None:
    auth, job_id = job
    _refused(vapi.client.get(f"/v1/jobs/{job_id}/{path}?after={MAX_INT64 + 1}", headers=auth),
             422, "after")
    _refused(vapi.client.get(f"/v1/jobs/{job_id}/{path}?after={2**70}", headers=auth), 422)
    resp = vapi.client.get(f"/v1/jobs/{job_id}/{path}?after={MAX_INT64}", headers=auth)
    assert resp.status_code == 200 and resp.json()["data"] == []


@pytest.mark.parametrize("last_event_id", [str(MAX_INT64 + 1).encode(), b"9" * 40,
                                           "\u00b2".encode("latin-1"), b"-1"])
def test_stream_refuses_a_last_event_id_out_of_range(
        vapi: Api, job: tuple[dict[str, str], str], last_event_id: bytes) -> None:
    auth, job_id = job
    # Bytes: a header's value travels as Latin-1, so "²" arrives as the one character.
    resp = vapi.client.get(f"/v1/jobs/{job_id}/events/stream",
                           headers={**auth, "Last-Event-ID": last_event_id})  # type: ignore[dict-item]
    _refused(resp, 400)
    _refused(vapi.client.get(f"/v1/jobs/{job_id}/events/stream?after={MAX_INT64 + 1}",
                             headers=auth), 422)


@pytest.mark.parametrize("url", ["http://%31%32%37.0.0.1/", "http://127.1/",
                                 "https://hooks.example.com/in\r\nX: 1",
                                 "https://u@hooks.example.com/"])
def test_non_canonical_webhook_urls_are_refused(vapi: Api, url: str) -> None:
    auth = vapi.tenant("acme")
    _refused(vapi.client.post("/v1/webhook-endpoints", headers=auth, json={"url": url}), 422)
    _refused(vapi.submit(auth, webhook_url=url), 422)
    vapi.assert_nothing_written()
