"""The web page's server side through the real ASGI app: sign-in and its cookie, CSRF and
same-origin checks, tenant walls on every page route, source pages, DOCX results."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import update

from lexgraph.core.config.settings import Settings
from lexgraph.core.db.models import ApiKey, utcnow
from lexgraph.core.summary.docx_export import DOCX_MEDIA_TYPE
from tests.integration.conftest import Api, assert_problem, open_api
from tests.integration.test_agent_graph import CONTRACT, RETRIEVER, draft, final

BASE = "http://127.0.0.1:8000"
LEASE = """RESIDENTIAL LEASE

1. Rent
The Tenant shall pay rent of 1,200 euros on the first day of each month.

2. Repairs
The Landlord shall keep the roof and the heating in good repair.
"""


@pytest.fixture
def web(embedded_settings: Settings) -> Iterator[Api]:
    with open_api(embedded_settings, base_url=BASE) as started:
        yield started


def _key(api: Api, tenant: str = "acme") -> str:
    return api.tenant(tenant)["Authorization"].removeprefix("Bearer ")


def _sign_in(api: Api, key: str) -> str:
    """Sign the client in; returns the page's CSRF token."""
    resp = api.client.post("/signin", data={"api_key": key}, follow_redirects=False)
    assert resp.status_code == 303, resp.text
    page = api.client.get("/")
    found = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def _submit(api: Api, csrf: str, text: str = LEASE) -> str:
    resp = api.client.post("/ui/jobs", data={"matter": "harbour-lease", "profile": "contract"},
                           files=[("files", ("lease.txt", text.encode(), "text/plain"))],
                           headers={"X-CSRF-Token": csrf, "Origin": BASE})
    assert resp.status_code == 200, resp.text
    assert resp.headers["HX-Trigger"] == "jobs-changed"
    found = re.search(r'data-job-id="(job_[0-9a-z]+)"', resp.text)
    assert found
    return found.group(1)


def test_sign_in_sets_a_strict_httponly_cookie_without_the_key(web: Api) -> None:
    key = _key(web)
    page = web.client.get("/")
    assert page.status_code == 200 and 'action="/signin"' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    resp = web.client.post("/signin", data={"api_key": key}, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/"
    cookie = resp.headers["set-cookie"]
    assert cookie.startswith("lexgraph_session=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # http: a Secure cookie would never come back
    assert key not in cookie
    home = web.client.get("/")
    assert "New summary" in home.text and "acme" in home.text


def test_over_https_the_cookie_is_secure(embedded_settings: Settings) -> None:
    with open_api(embedded_settings, base_url="https://lexgraph.example") as api:
        resp = api.client.post("/signin", data={"api_key": _key(api)}, follow_redirects=False)
        assert "Secure" in resp.headers["set-cookie"]


def test_always_secure_setting(embedded_settings: Settings) -> None:
    settings = embedded_settings.model_copy(update={"web_cookie_secure": "always"})
    with open_api(settings, base_url=BASE) as api:
        resp = api.client.post("/signin", data={"api_key": _key(api)}, follow_redirects=False)
        assert "Secure" in resp.headers["set-cookie"]


def test_a_wrong_key_is_refused_without_a_cookie(web: Api) -> None:
    resp = web.client.post("/signin", data={"api_key": "lxg_wrong"})
    assert resp.status_code == 401
    assert "not valid" in resp.text and 'role="alert"' in resp.text
    assert "set-cookie" not in resp.headers


def test_sign_in_from_another_site_is_refused(web: Api) -> None:
    key = _key(web)
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"},
                    {"Sec-Fetch-Site": "cross-site"}):
        resp = web.client.post("/signin", data={"api_key": key}, headers=headers,
                               follow_redirects=False)
        assert_problem(resp, 403, "requests to this page must come from the page itself")


def test_page_routes_need_a_session(web: Api) -> None:
    for path in ("/ui/jobs", "/ui/jobs/job_01h0000000000000000000000", "/ui/jobs/x/events"):
        resp = web.client.get(path)
        assert_problem(resp, 401, "sign in on the web page first; the session has ended or is "
                                  "missing")
    # A Bearer key is for the JSON API; the page routes do not take it.
    resp = web.client.get("/ui/jobs", headers={"Authorization": f"Bearer {_key(web)}"})
    assert resp.status_code == 401


def test_a_tampered_cookie_is_no_session(web: Api) -> None:
    _sign_in(web, _key(web))
    token = web.client.cookies["lexgraph_session"]
    key_id, issued, nonce, signature = token.split(".")
    other = _key(web, "globex")
    other_id = web.store.authenticate(other).key_id
    for forged in (f"{other_id}.{issued}.{nonce}.{signature}",
                   f"{key_id}.{int(issued) + 3600}.{nonce}.{signature}", "garbage"):
        web.client.cookies.clear()
        web.client.cookies.set("lexgraph_session", forged)
        assert 'action="/signin"' in web.client.get("/").text
        assert web.client.get("/ui/jobs").status_code == 401
    web.client.cookies.clear()
    web.client.cookies.set("lexgraph_session", token)
    assert web.client.get("/ui/jobs").status_code == 200


def test_revoking_the_key_ends_its_sessions(web: Api) -> None:
    key = _key(web)
    _sign_in(web, key)
    assert web.client.get("/ui/jobs").status_code == 200
    with web.store.sessions.begin() as s:
        s.execute(update(ApiKey).values(revoked_at=utcnow()))
    assert web.client.get("/ui/jobs").status_code == 401


def test_posts_need_the_csrf_token_and_the_same_origin(web: Api) -> None:
    csrf = _sign_in(web, _key(web))
    files = [("files", ("lease.txt", LEASE.encode(), "text/plain"))]
    data = {"matter": "m"}
    missing = web.client.post("/ui/jobs", data=data, files=files)
    assert_problem(missing, 403, "the form's CSRF token is missing or stale; reload the page")
    wrong = web.client.post("/ui/jobs", data=data, files=files,
                            headers={"X-CSRF-Token": csrf[:-2] + "xx"})
    assert wrong.status_code == 403
    foreign = web.client.post("/ui/jobs", data=data, files=files,
                              headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"})
    assert foreign.status_code == 403
    web.assert_nothing_written()
    # Sign-out is a plain form: the token travels as a field.
    out = web.client.post("/signout", data={"csrf_token": "nope"}, follow_redirects=False)
    assert out.status_code == 403
    out = web.client.post("/signout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert 'action="/signin"' in web.client.get("/").text


def test_a_new_sign_in_gets_a_new_csrf_token(web: Api) -> None:
    key = _key(web)
    first = _sign_in(web, key)
    web.client.cookies.clear()
    second = _sign_in(web, key)
    assert first != second


def test_submission_errors_are_problems_the_page_can_show(web: Api) -> None:
    csrf = _sign_in(web, _key(web))
    resp = web.client.post("/ui/jobs", data={"matter": "m"},
                           files=[("files", ("tool.exe", b"MZ\x90\x00\x03", "application/x"))],
                           headers={"X-CSRF-Token": csrf})
    assert resp.status_code == 415
    assert resp.json()["detail"]


def test_the_page_offers_a_length_and_the_job_takes_it(web: Api) -> None:
    key = _key(web)
    csrf = _sign_in(web, key)
    page = web.client.get("/").text
    select = re.search(r'<label for="length">[^<]+</label>\s*'
                       r'<select id="length" name="length" aria-describedby="length-hint">'
                       r'(.*?)</select>\s*<p class="hint" id="length-hint">', page, re.S)
    assert select, page
    options = re.findall(r'<option value="([^"]+)"( selected)?>([^<]+)</option>', select.group(1))
    assert options == [("brief", "", "Brief"), ("standard", " selected", "Standard"),
                       ("detailed", "", "Detailed")]

    bearer = {"Authorization": f"Bearer {key}"}
    for length in ("brief", "detailed"):
        resp = web.client.post("/ui/jobs", data={"matter": "harbour-lease", "length": length},
                               files=[("files", ("lease.txt", LEASE.encode(), "text/plain"))],
                               headers={"X-CSRF-Token": csrf, "Origin": BASE})
        assert resp.status_code == 200, resp.text
        job_id = re.search(r'data-job-id="(job_[0-9a-z]+)"', resp.text)
        assert job_id
        job = web.client.get(f"/v1/jobs/{job_id.group(1)}", headers=bearer).json()
        assert job["length"] == length

    refused = web.client.post("/ui/jobs", data={"matter": "m", "length": "long"},
                              files=[("files", ("lease.txt", LEASE.encode(), "text/plain"))],
                              headers={"X-CSRF-Token": csrf, "Origin": BASE})
    problem = assert_problem(refused, 422, "length: one of brief, standard, detailed, or a "
                                           "whole number of words from 30 to 5000")
    assert problem["errors"] == [{"field": "length", "message": "one of brief, standard, "
                                  "detailed, or a whole number of words from 30 to 5000"}]


def test_a_finished_job_end_to_end_through_the_page_routes(
        web: Api, run_job: Callable[[Settings, str], str]) -> None:
    key = _key(web)
    csrf = _sign_in(web, key)
    job_id = _submit(web, csrf)
    assert run_job(web.settings, job_id) == "succeeded"

    listing = web.client.get("/ui/jobs", params={"matter": "harbour-lease"})
    assert job_id in listing.text and "succeeded" in listing.text
    assert job_id not in web.client.get("/ui/jobs", params={"matter": "other"}).text

    panel = web.client.get(f"/ui/jobs/{job_id}")
    assert panel.status_code == 200 and 'id="result-heading"' in panel.text
    bearer = {"Authorization": f"Bearer {key}"}
    result = web.client.get(f"/v1/jobs/{job_id}/result", headers=bearer).json()
    targets = re.findall(r'hx-get="/ui/jobs/[^/]+/citations/([^"]+)"', panel.text)
    # The key-terms table comes first; a term's clause is "key_terms/<row>/0".
    cited = [("key_terms", i, 0, t["citation"]) for i, t in enumerate(result["key_terms"])
             if t["citation"]]
    cited += [(s["key"], i, j, c) for s in result["sections"]
              for i, st in enumerate(s["statements"]) for j, c in enumerate(st["citations"])]
    assert any(k != "key_terms" for k, *_ in cited)
    assert targets == [f"{k}/{i}/{j}" for k, i, j, _ in cited]

    key_, i, j, citation = cited[0]
    passage = web.client.get(f"/ui/jobs/{job_id}/citations/{key_}/{i}/{j}")
    assert passage.status_code == 200
    marked = re.search(r'<mark id="cited-quote">(.*?)</mark>', passage.text, re.S)
    assert marked and marked.group(1) == citation["quote"]  # the lease has nothing to escape
    assert web.client.get(f"/ui/jobs/{job_id}/citations/{key_}/{i}/99").status_code == 404

    page = web.client.get(f"/v1/jobs/{job_id}/documents/{citation['document_id']}/pages/1",
                          headers=bearer)
    assert page.status_code == 200
    body = page.json()
    assert body["document"] == "lease.txt" and body["pages"] == 1
    assert body["text"][citation["start"]:citation["end"]] == citation["quote"]
    assert web.client.get(f"/v1/jobs/{job_id}/documents/{citation['document_id']}/pages/2",
                          headers=bearer).status_code == 404

    md = web.client.get(f"/ui/jobs/{job_id}/summary.md")
    assert md.text == web.client.get(f"/v1/jobs/{job_id}/result",
                                     headers={**bearer, "Accept": "text/markdown"}).text
    assert md.headers["content-disposition"] == f'attachment; filename="{job_id}.md"'
    for docx_resp in (web.client.get(f"/ui/jobs/{job_id}/summary.docx"),
                      web.client.get(f"/v1/jobs/{job_id}/result",
                                     headers={**bearer, "Accept": DOCX_MEDIA_TYPE})):
        assert docx_resp.status_code == 200
        assert docx_resp.headers["content-type"] == DOCX_MEDIA_TYPE
        doc = Document(io.BytesIO(docx_resp.content))
        texts = [p.text for p in doc.paragraphs]
        shown = ["Key terms"] + [s["title"] for s in result["sections"]
                                 if s["statements"] or s["expected"]]
        assert shown == [p.text for p in doc.paragraphs
                         if p.style.name == "Heading 1"][:len(shown)]
        assert any(" ".join(citation["quote"].split())[:40] in t for t in texts)

    # Another tenant sees none of it, through any route.
    other = open_other_client(web)
    _sign_in(other, _key(other, "globex"))
    for path in (f"/ui/jobs/{job_id}", f"/ui/jobs/{job_id}/events",
                 f"/ui/jobs/{job_id}/citations/{key_}/{i}/{j}", f"/ui/jobs/{job_id}/summary.md",
                 f"/ui/jobs/{job_id}/summary.docx"):
        assert other.client.get(path).status_code == 404, path
    assert job_id not in other.client.get("/ui/jobs").text
    globex = {"Authorization": f"Bearer {_key(other, 'globex')}"}
    assert other.client.get(f"/v1/jobs/{job_id}/documents/{citation['document_id']}/pages/1",
                            headers=globex).status_code == 404


def open_other_client(api: Api) -> Api:
    """A second browser on the same app: its own cookie jar."""
    from fastapi.testclient import TestClient

    client = TestClient(api.client.app, base_url=BASE)
    return Api(client, api.settings)


def test_stream_and_review_on_the_page_routes(web: Api,
                                              run_job: Callable[[Settings, str], str]) -> None:
    csrf = _sign_in(web, _key(web))
    job_id = _submit(web, csrf)
    assert run_job(web.settings, job_id) == "succeeded"
    stream = web.client.get(f"/ui/jobs/{job_id}/events")
    assert stream.headers["content-type"].startswith("text/event-stream")
    types = re.findall(r"^event: (\S+)$", stream.text, re.M)
    assert types[0] == "job.queued" and types[-1] == "job.completed"
    resp = web.client.post(f"/ui/jobs/{job_id}/review", data={"action": "approve"},
                           headers={"X-CSRF-Token": csrf})
    assert_problem(resp, 409, f"job {job_id!r} is succeeded, not waiting for review")
    bad = web.client.post(f"/ui/jobs/{job_id}/review", data={"action": "shrug"},
                          headers={"X-CSRF-Token": csrf})
    assert bad.status_code == 422


def test_review_with_edits_from_the_draft(any_settings: Settings, tmp_path: Path,
                                          run_job: Callable[[Settings, str], str]) -> None:
    """On both topologies: the draft comes from the SQLite or the PostgreSQL checkpointer."""
    promise = draft(("payment", "Payment is guaranteed within thirty days.", "thirty days"),
                    ("termination", "Either party may end the Agreement on ninety days' notice.",
                     "ninety days"))
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"by_agent": {
        "retriever": RETRIEVER, "summarizer": [promise],
        "compliance checker": [final({"verdict": "pass", "findings": []})]}}))
    settings = any_settings.model_copy(update={"llm_backend": "scripted",
                                               "llm_script": script})
    with open_api(settings, base_url=BASE) as web:
        csrf = _sign_in(web, _key(web))
        job_id = _submit(web, csrf, CONTRACT)
        assert run_job(settings, job_id) == "needs_review"
        panel = web.client.get(f"/ui/jobs/{job_id}").text
        assert "Waiting for your review" in panel and "no promises" in panel
        assert ">Payment is guaranteed within thirty days.</textarea>" in panel
        passage = web.client.get(f"/ui/jobs/{job_id}/citations/payment/0/0")
        marked = re.search(r'<mark id="cited-quote">(.*?)</mark>', passage.text, re.S)
        assert marked and "within thirty days" in marked.group(1)

        unchanged = web.client.post(f"/ui/jobs/{job_id}/review", headers={"X-CSRF-Token": csrf},
                                    data={"action": "edit",
                                          "text:payment:0": "Payment is guaranteed within "
                                                            "thirty days."})
        assert_problem(unchanged, 422, "no statement was changed; edit a statement, tick "
                                       "Remove, or choose Approve")
        resp = web.client.post(f"/ui/jobs/{job_id}/review", headers={"X-CSRF-Token": csrf}, data={
            "action": "edit", "comment": "softened",
            "text:payment:0": "The Customer pays each invoice within thirty days.",
            "text:termination:0": "Either party may end the Agreement on ninety days' notice.",
            "delete:termination:0": "1"})
        assert resp.status_code == 200, resp.text
        assert "queued" in resp.text
        assert run_job(settings, job_id) == "succeeded"
        result = web.client.get(f"/ui/jobs/{job_id}").text
        assert "The Customer pays each invoice within thirty days." in result
        assert "ninety days&#39; notice" not in result and "ninety days' notice" not in result
        assert "softened" in result


def test_reject_from_the_page_fails_the_job_with_the_comment(
        embedded_settings: Settings, tmp_path: Path,
        run_job: Callable[[Settings, str], str]) -> None:
    promise = draft(("payment", "Payment is guaranteed within thirty days.", "thirty days"))
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"by_agent": {
        "retriever": RETRIEVER, "summarizer": [promise],
        "compliance checker": [final({"verdict": "pass", "findings": []})]}}))
    settings = embedded_settings.model_copy(update={"llm_backend": "scripted",
                                                    "llm_script": script})
    with open_api(settings, base_url=BASE) as web:
        csrf = _sign_in(web, _key(web))
        job_id = _submit(web, csrf, CONTRACT)
        assert run_job(settings, job_id) == "needs_review"
        resp = web.client.post(f"/ui/jobs/{job_id}/review", headers={"X-CSRF-Token": csrf},
                               data={"action": "reject", "comment": "start over"})
        assert resp.status_code == 200 and "queued" in resp.text
        assert run_job(settings, job_id) == "failed: rejected_in_review"
        panel = web.client.get(f"/ui/jobs/{job_id}").text
        assert "The job failed" in panel
        assert "a reviewer rejected the summary: start over" in panel
