"""Reading jobs back: get, list with cursors and filters, cancel, events, and the result."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from lexgraph.core.config.settings import Settings
from lexgraph.core.db.models import Result
from tests.integration.conftest import Api, assert_problem, make_pdf

Runner = Callable[[Settings, str], str]
STATUSES = "queued, running, needs_review, succeeded, failed, cancelled"
CONTRACT = (
    "MASTER SUPPLY AGREEMENT\n\n"
    'This Agreement is made between Bellring Brands, Inc. (the "Buyer") and Acme Foods LLC '
    '(the "Supplier"). The Supplier shall deliver the Products monthly. Either party may '
    "terminate on ninety days' notice.\n"
)


def _walk(api: Api, auth: dict[str, str], **params: Any) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        resp = api.client.get("/v1/jobs", headers=auth, params=query)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["object"] == "list"
        pages.append([j["id"] for j in body["data"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


def test_get_job(any_api: Api) -> None:
    auth = any_api.tenant("acme")
    created = any_api.submit(auth).json()
    resp = any_api.client.get(f"/v1/jobs/{created['id']}", headers=auth)
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/json"
    assert resp.json() == created
    assert created["created_at"].endswith("Z")


def test_get_unknown_job_is_404(api: Api) -> None:
    resp = api.client.get("/v1/jobs/job_nope", headers=api.tenant("acme"))
    problem = assert_problem(resp, 404, "no job 'job_nope'")
    assert problem["instance"] == "/v1/jobs/job_nope"


def test_list_walks_every_page_without_duplicates_or_gaps(any_api: Api) -> None:
    auth = any_api.tenant("acme")
    created = [any_api.submit(auth).json()["id"] for _ in range(7)]

    pages = _walk(any_api, auth, limit=2)

    assert [len(p) for p in pages] == [2, 2, 2, 1]
    flat = [job_id for page in pages for job_id in page]
    assert flat == sorted(created, reverse=True)  # newest first, each exactly once
    # A page that ends exactly at the last job says so: no empty trailing page.
    assert [len(p) for p in _walk(any_api, auth, limit=7)] == [7]


def test_jobs_created_during_a_walk_do_not_shift_it(any_api: Api) -> None:
    auth = any_api.tenant("acme")
    created = [any_api.submit(auth).json()["id"] for _ in range(5)]
    first = any_api.client.get("/v1/jobs", headers=auth, params={"limit": 2}).json()
    newer = any_api.submit(auth).json()["id"]
    rest = _walk(any_api, auth, limit=2, cursor=first["next_cursor"])
    flat = [j["id"] for j in first["data"]] + [job_id for page in rest for job_id in page]
    assert flat == sorted(created, reverse=True)
    assert newer not in flat


def test_list_filters_by_status_and_matter(any_api: Api) -> None:
    auth = any_api.tenant("acme")
    a1 = any_api.submit(auth, matter="alpha").json()["id"]
    a2 = any_api.submit(auth, matter="alpha").json()["id"]
    b1 = any_api.submit(auth, matter="beta").json()["id"]
    assert any_api.client.post(f"/v1/jobs/{a2}/cancel", headers=auth).status_code == 200

    def ids(**params: Any) -> list[str]:
        return [j for page in _walk(any_api, auth, limit=1, **params) for j in page]

    assert ids(matter="alpha") == [a2, a1]
    assert ids(matter="beta") == [b1]
    assert ids(matter="gamma") == []
    assert ids(status="queued") == [b1, a1]
    assert ids(status="cancelled") == [a2]
    assert ids(status="queued", matter="alpha") == [a1]
    assert ids(status="succeeded") == []


def test_list_rejects_bad_parameters(api: Api) -> None:
    auth = api.tenant("acme")
    assert_problem(api.client.get("/v1/jobs", headers=auth, params={"status": "done"}), 422,
                   f"status must be one of {STATUSES}")
    assert_problem(api.client.get("/v1/jobs", headers=auth, params={"limit": 0}), 422,
                   "limit: Input should be greater than or equal to 1")
    assert_problem(api.client.get("/v1/jobs", headers=auth, params={"limit": 201}), 422,
                   "limit: Input should be less than or equal to 200")
    problem = assert_problem(
        api.client.get("/v1/jobs", headers=auth, params={"limit": "ten"}), 422,
        "limit: Input should be a valid integer, unable to parse string as an integer")
    assert problem["errors"] == [
        {"field": "limit",
         "message": "Input should be a valid integer, unable to parse string as an integer"}]
    for cursor in ("garbage", "am9iXw", "!!!"):
        assert_problem(api.client.get("/v1/jobs", headers=auth, params={"cursor": cursor}), 400,
                       "the cursor is not valid; pass next_cursor from a previous page")


def test_empty_list(api: Api) -> None:
    resp = api.client.get("/v1/jobs", headers=api.tenant("acme"))
    assert resp.json() == {"object": "list", "data": [], "next_cursor": None}


# Cancel ------------------------------------------------------------------------------------


def test_cancel_queued_job_then_again_is_409(any_api: Api, run_job: Runner) -> None:
    auth = any_api.tenant("acme")
    job_id = any_api.submit(auth).json()["id"]

    resp = any_api.client.post(f"/v1/jobs/{job_id}/cancel", headers=auth)
    assert resp.status_code == 200, resp.text
    job = resp.json()
    assert job["status"] == "cancelled"
    assert job["finished_at"] is not None
    assert any_api.client.get(f"/v1/jobs/{job_id}", headers=auth).json()["status"] == "cancelled"

    again = any_api.client.post(f"/v1/jobs/{job_id}/cancel", headers=auth)
    assert_problem(again, 409, f"job {job_id!r} is already cancelled and cannot be cancelled")

    events = any_api.client.get(f"/v1/jobs/{job_id}/events", headers=auth).json()["data"]
    assert [(e["type"], e["data"]) for e in events] == [
        ("job.queued", {"status": "queued"}),
        ("job.cancelled", {"status": "cancelled", "previous": "queued"}),
    ]
    # A worker that receives the job afterwards leaves it alone.
    assert run_job(any_api.settings, job_id) == "skipped: cancelled"
    assert_problem(any_api.client.get(f"/v1/jobs/{job_id}/result", headers=auth), 409,
                   f"job {job_id!r} was cancelled and has no result")


def test_cancel_finished_job_is_409(api: Api, run_job: Runner) -> None:
    auth = api.tenant("acme")
    job_id = api.submit(auth).json()["id"]
    assert run_job(api.settings, job_id) == "succeeded"
    resp = api.client.post(f"/v1/jobs/{job_id}/cancel", headers=auth)
    assert_problem(resp, 409, f"job {job_id!r} is already succeeded and cannot be cancelled")


# Events ------------------------------------------------------------------------------------


def test_events_follow_the_job_and_page_with_after(api: Api, run_job: Runner) -> None:
    auth = api.tenant("acme")
    job_id = api.submit(auth).json()["id"]
    url = f"/v1/jobs/{job_id}/events"

    queued = api.client.get(url, headers=auth).json()
    assert queued["object"] == "list"
    assert [e["type"] for e in queued["data"]] == ["job.queued"]
    assert queued["next_after"] is None
    [event] = queued["data"]
    assert event["job_id"] == job_id
    assert event["created_at"].endswith("Z")

    assert run_job(api.settings, job_id) == "succeeded"
    everything = api.client.get(url, headers=auth, params={"limit": 500}).json()["data"]
    types = [e["type"] for e in everything]
    assert types[:2] == ["job.queued", "job.started"]
    assert types[-1] == "job.completed"
    assert set(types[2:-1]) == {"job.progress"}
    ids = [e["id"] for e in everything]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)

    paged: list[int] = []
    after = 0
    while True:
        page = api.client.get(url, headers=auth, params={"after": after, "limit": 2}).json()
        paged += [e["id"] for e in page["data"]]
        if page["next_after"] is None:
            break
        after = page["next_after"]
    assert paged == ids


def test_events_reject_bad_parameters(api: Api) -> None:
    auth = api.tenant("acme")
    job_id = api.submit(auth).json()["id"]
    url = f"/v1/jobs/{job_id}/events"
    assert_problem(api.client.get(url, headers=auth, params={"after": -1}), 422,
                   "after: Input should be greater than or equal to 0")
    assert_problem(api.client.get(url, headers=auth, params={"limit": 501}), 422,
                   "limit: Input should be less than or equal to 500")


# Result ------------------------------------------------------------------------------------


def test_result_is_409_until_the_job_finishes(api: Api) -> None:
    auth = api.tenant("acme")
    job_id = api.submit(auth).json()["id"]
    for accept in ("application/json", "text/markdown"):
        resp = api.client.get(f"/v1/jobs/{job_id}/result", headers={**auth, "Accept": accept})
        assert_problem(resp, 409, f"job {job_id!r} is queued; its result is not ready yet")


def _stored_result(api: Api, job_id: str) -> Result:
    with api.store.sessions() as s:
        found = s.execute(select(Result).where(Result.job_id == job_id)).scalar_one()
        return found


@pytest.fixture
def finished(api: Api, run_job: Runner) -> tuple[dict[str, str], str]:
    auth = api.tenant("acme")
    pdf = make_pdf(2, "The motion is granted")
    resp = api.upload(auth, [("supply.txt", CONTRACT.encode(), "text/plain"),
                             ("order.pdf", pdf, "application/pdf")],
                      matter="bellring", profile="contract")
    assert resp.status_code == 202, resp.text
    job_id = resp.json()["id"]
    assert run_job(api.settings, job_id) == "succeeded"
    return auth, job_id


def test_result_as_json(api: Api, finished: tuple[dict[str, str], str]) -> None:
    auth, job_id = finished
    job = api.client.get(f"/v1/jobs/{job_id}", headers=auth).json()
    assert job["status"] == "succeeded"
    assert job["progress"] == 1.0
    assert job["started_at"] and job["finished_at"]

    for accept in (None, "application/json", "*/*", "application/*",
                   "text/markdown;q=0.5, application/json", "application/json, text/markdown"):
        headers = {**auth, **({"Accept": accept} if accept else {})}
        resp = api.client.get(f"/v1/jobs/{job_id}/result", headers=headers)
        assert resp.status_code == 200, (accept, resp.text)
        assert resp.headers["content-type"] == "application/json", accept
        body = resp.json()
        assert body == _stored_result(api, job_id).body
        assert body["job_id"] == job_id
        assert body["matter"] == "bellring"
        assert [d["filename"] for d in body["documents"]] == ["supply.txt", "order.pdf"]


def test_result_as_markdown(api: Api, finished: tuple[dict[str, str], str]) -> None:
    auth, job_id = finished
    for accept in ("text/markdown", "text/*", "text/markdown, application/json;q=0.9",
                   "application/json;q=0, */*", "TEXT/MARKDOWN; Q=1"):
        resp = api.client.get(f"/v1/jobs/{job_id}/result", headers={**auth, "Accept": accept})
        assert resp.status_code == 200, (accept, resp.text)
        assert resp.headers["content-type"] == "text/markdown; charset=utf-8", accept
        assert resp.text == _stored_result(api, job_id).markdown
        assert "supply.txt" in resp.text and "order.pdf" in resp.text


@pytest.mark.parametrize("accept", ["image/png", "text/html", "application/xml, text/plain",
                                    "application/json;q=0, text/markdown;q=0",
                                    "*/*;q=0"])
def test_result_with_unsupported_accept_is_406(api: Api, finished: tuple[dict[str, str], str],
                                               accept: str) -> None:
    auth, job_id = finished
    resp = api.client.get(f"/v1/jobs/{job_id}/result", headers={**auth, "Accept": accept})
    assert_problem(resp, 406, "the result is available as application/json, text/markdown or "
                              "application/vnd.openxmlformats-officedocument."
                              "wordprocessingml.document")


def test_result_of_failed_job_is_409_with_the_reason(api: Api, run_job: Runner) -> None:
    auth = api.tenant("acme")
    # A PDF without a text layer is accepted at intake and fails when the worker reads it.
    job_id = api.upload(auth, [("scan.pdf", make_pdf(1), "application/pdf")]).json()["id"]
    assert run_job(api.settings, job_id).startswith("failed")
    job = api.client.get(f"/v1/jobs/{job_id}", headers=auth).json()
    assert job["status"] == "failed"
    resp = api.client.get(f"/v1/jobs/{job_id}/result", headers=auth)
    assert_problem(resp, 409, f"job {job_id!r} failed and has no result: {job['error']['message']}")
