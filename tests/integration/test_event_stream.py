"""GET /v1/jobs/{id}/events/stream: server-sent events, resumable, ending with the job."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from lexgraph.core.config.settings import Settings
from tests.integration.conftest import Api, assert_problem, open_api

Runner = Callable[[Settings, str], str]


def parse_sse(text: str) -> tuple[list[dict[str, Any]], list[str]]:
    """(messages as {"id", "event", "data"}, comment lines) of an event-stream body."""
    messages, comments = [], []
    for block in text.split("\n\n"):
        fields: dict[str, Any] = {}
        for line in block.split("\n"):
            if line.startswith(":"):
                comments.append(line[1:].strip())
            elif line:
                name, _, value = line.partition(": ")
                fields[name] = value
        if "data" in fields:
            fields["data"] = json.loads(fields["data"])
            messages.append(fields)
    return messages, comments


@pytest.fixture
def finished_job(any_api: Api, run_job: Runner) -> tuple[Api, dict[str, str], str]:
    auth = any_api.tenant("acme")
    job_id = any_api.submit(auth).json()["id"]
    assert run_job(any_api.settings, job_id) == "succeeded"
    return any_api, auth, job_id


def _events(api: Api, auth: dict[str, str], job_id: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = api.client.get(f"/v1/jobs/{job_id}/events",
                                                headers=auth).json()["data"]
    return data


def test_stream_sends_every_event_then_ends(finished_job: tuple[Api, dict[str, str], str]
                                            ) -> None:
    api, auth, job_id = finished_job
    resp = api.client.get(f"/v1/jobs/{job_id}/events/stream", headers=auth)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/event-stream")
    assert resp.headers["cache-control"] == "no-cache"
    assert resp.text.startswith("retry: ")
    messages, _ = parse_sse(resp.text)
    events = _events(api, auth, job_id)
    assert [m["data"] for m in messages] == events
    assert [m["id"] for m in messages] == [str(e["id"]) for e in events]
    assert [m["event"] for m in messages] == [e["type"] for e in events]
    assert messages[-1]["event"] == "job.completed"


@pytest.mark.parametrize("how", ["header", "query", "both"])
def test_stream_resumes_after_last_event_id_without_gaps_or_duplicates(
        finished_job: tuple[Api, dict[str, str], str], how: str) -> None:
    api, auth, job_id = finished_job
    events = _events(api, auth, job_id)
    for cut in range(len(events)):
        last_seen = events[cut]["id"]
        headers, params = dict(auth), {}
        if how in ("header", "both"):
            headers["Last-Event-ID"] = str(last_seen)
        if how == "query":
            params["after"] = last_seen
        if how == "both":
            params["after"] = 0  # the browser's first URL; the header is where it resumes
        resp = api.client.get(f"/v1/jobs/{job_id}/events/stream", headers=headers,
                              params=params)
        messages, _ = parse_sse(resp.text)
        assert [m["data"] for m in messages] == events[cut + 1:]


def test_stream_of_a_cancelled_job_ends_with_the_cancellation(any_api: Api) -> None:
    auth = any_api.tenant("acme")
    job_id = any_api.submit(auth).json()["id"]
    any_api.client.post(f"/v1/jobs/{job_id}/cancel", headers=auth)
    messages, _ = parse_sse(any_api.client.get(f"/v1/jobs/{job_id}/events/stream",
                                               headers=auth).text)
    assert [m["event"] for m in messages] == ["job.queued", "job.cancelled"]


def test_stream_is_tenant_scoped_and_checks_its_input(api: Api) -> None:
    acme, globex = api.tenant("acme"), api.tenant("globex")
    job_id = api.submit(acme).json()["id"]
    path = f"/v1/jobs/{job_id}/events/stream"
    assert_problem(api.client.get(path, headers=globex), 404, f"no job {job_id!r}")
    assert_problem(api.client.get("/v1/jobs/job_missing/events/stream", headers=acme), 404,
                   "no job 'job_missing'")
    assert_problem(api.client.get(path, headers={**acme, "Last-Event-ID": "seven"}), 400,
                   "Last-Event-ID must be an event id from this stream (a non-negative integer)")
    assert api.client.get(path, params={"after": -1}, headers=acme).status_code == 422
    assert api.client.get(path).status_code == 401


def test_keep_alive_comments_while_nothing_happens(embedded_settings: Settings) -> None:
    settings = embedded_settings.model_copy(update={"event_stream_keepalive_seconds": 0.2,
                                                    "event_stream_poll_seconds": 0.05})
    with open_api(settings) as api:
        key, who = api.store.create_key("acme")
        auth = {"Authorization": f"Bearer {key}"}
        job_id = api.submit(auth).json()["id"]

        def cancel_later() -> None:
            time.sleep(0.7)
            api.store.cancel(who, job_id)

        # The stream waits with keep-alives until the job is cancelled, then sends the
        # cancellation and ends.
        threading.Thread(target=cancel_later, daemon=True).start()
        resp = api.client.get(f"/v1/jobs/{job_id}/events/stream", headers=auth)
    messages, comments = parse_sse(resp.text)
    assert [m["event"] for m in messages] == ["job.queued", "job.cancelled"]
    assert comments.count("keep-alive") >= 2
