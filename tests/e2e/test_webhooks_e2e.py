"""Webhooks through real processes: the API, orchestrator and webhooks workers, a loopback
receiver. Every signature is verified with the ``standardwebhooks`` library."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from lexgraph.core.config.settings import Settings
from tests.e2e.conftest import make_key
from tests.receiver import Received, Receiver, verify
from tests.support import Stack, wait_for

FAST = {"webhook_allowed_networks": "127.0.0.0/8", "webhook_poll_interval_seconds": 0.2}
CONTRACT = ("SERVICES AGREEMENT\n\n1. Services\nThe Supplier shall provide the Services.\n\n"
            "2. Fees\nThe Customer shall pay within thirty days.\n")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rx = Receiver()
    yield rx
    rx.stop()


def _client(stack: Stack, key: str) -> httpx.Client:
    return httpx.Client(base_url=stack.base, headers={"Authorization": f"Bearer {key}"},
                        timeout=30)


def _endpoint(client: httpx.Client, url: str, **fields: Any) -> dict[str, Any]:
    resp = client.post("/v1/webhook-endpoints", json={"url": url, **fields})
    assert resp.status_code == 201, resp.text
    body: dict[str, Any] = resp.json()
    return body


def _submit(client: httpx.Client, **fields: Any) -> str:
    resp = client.post("/v1/jobs", json={"matter": "m", **fields, "documents": [
        {"filename": "services.txt", "text": CONTRACT}]})
    assert resp.status_code == 202, resp.text
    job_id: str = resp.json()["id"]
    return job_id


def _deliveries(client: httpx.Client, job_id: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = client.get(f"/v1/jobs/{job_id}/deliveries",
                                            params={"limit": 200}).json()["data"]
    return data


def test_a_job_s_events_reach_its_url_and_an_endpoint_signed(any_settings: Settings,
                                                             stack_factory: Any,
                                                             receiver: Receiver) -> None:
    receiver.start()
    key = make_key(any_settings)
    stack = stack_factory(any_settings, **FAST)
    stack.start_api()
    stack.start_worker("orchestrate")
    stack.start_worker("webhooks")
    with _client(stack, key) as client:
        ep = _endpoint(client, receiver.url("/endpoint"))
        job_secret = client.get("/v1/webhook-signing-secret").json()["secret"]
        job_id = _submit(client, webhook_url=receiver.url("/job"))
        wait_for(lambda: client.get(f"/v1/jobs/{job_id}").json()["status"] == "succeeded", 120,
                 "the job to succeed")
        events = client.get(f"/v1/jobs/{job_id}/events").json()["data"]
        got = receiver.wait(2 * len(events), 60)
        time.sleep(1)  # nothing more arrives: each event once per destination
        assert len(receiver.received()) == 2 * len(events)
        for path, secret in (("/job", job_secret), ("/endpoint", ep["secret"])):
            mine = [r for r in got if r.path == path]
            payloads = sorted((verify(r, secret) for r in mine), key=lambda p: p["data"]["id"])
            assert [p["data"] for p in payloads] == events
        assert len({r.webhook_id for r in got}) == len(got)
        assert {e["type"] for e in events} >= {"job.queued", "job.started", "job.progress",
                                               "job.completed"}
        assert all(d["status"] == "succeeded" for d in _deliveries(client, job_id))


def test_receiver_down_then_up(embedded_settings: Settings, stack_factory: Any,
                               receiver: Receiver) -> None:
    key = make_key(embedded_settings)
    stack = stack_factory(embedded_settings, **FAST,
                          webhook_retry_schedule=",".join(["0"] + ["1"] * 30))
    stack.start_api()
    stack.start_worker("webhooks")
    with _client(stack, key) as client:
        ep = _endpoint(client, receiver.url("/endpoint"))
        job_id = _submit(client, webhook_url=receiver.url("/job"))
        client.post(f"/v1/jobs/{job_id}/cancel")
        # The receiver is down (its port is closed): every delivery fails twice or more.
        wait_for(lambda: (ds := _deliveries(client, job_id)) and len(ds) == 4
                 and all(d["attempt_count"] >= 2 for d in ds), 60, "failed attempts")
        assert receiver.received() == []
        receiver.start()
        got = receiver.wait(4, 60)
        wait_for(lambda: all(d["status"] == "succeeded" for d in _deliveries(client, job_id)),
                 30, "every delivery to succeed")
        listed = _deliveries(client, job_id)
        time.sleep(1.5)
        assert len(receiver.received()) == 4
        assert sorted(r.webhook_id for r in got) == sorted(d["webhook_id"] for d in listed)
        job_secret = client.get("/v1/webhook-signing-secret").json()["secret"]
        for r in got:
            verify(r, ep["secret"] if r.path == "/endpoint" else job_secret)
        for d in listed:
            errors = [a["error"] for a in d["attempts"][:-1]]
            assert len(errors) >= 2 and all(e.startswith("could not deliver") for e in errors)
            assert d["attempts"][-1]["status_code"] == 200


def test_410_disables_and_retry_after_is_honoured(embedded_settings: Settings,
                                                  stack_factory: Any,
                                                  receiver: Receiver) -> None:
    def respond(r: Received) -> tuple[int, dict[str, str], bytes]:
        if r.path == "/gone":
            return 410, {}, b""
        if len([x for x in receiver.received() if x.path == "/busy"]) == 1:
            return 429, {"Retry-After": "3"}, b"slow down"
        return 200, {}, b""

    receiver.respond = respond
    receiver.start()
    key = make_key(embedded_settings)
    stack = stack_factory(embedded_settings, **FAST, webhook_retry_schedule="0,0.2,0.2")
    stack.start_api()
    stack.start_worker("webhooks")
    with _client(stack, key) as client:
        gone = _endpoint(client, receiver.url("/gone"), event_types=["job.queued"])
        busy = _endpoint(client, receiver.url("/busy"), event_types=["job.queued"])
        _submit(client)
        wait_for(lambda: not client.get(gone["links"]["self"]).json()["enabled"], 30,
                 "the endpoint answering 410 to be disabled")
        reason = client.get(gone["links"]["self"]).json()["disabled_reason"]
        assert reason.startswith("the receiver answered 410 Gone")

        first, second = wait_for(
            lambda: (b := [r for r in receiver.received() if r.path == "/busy"])[1:] and b, 30,
            "the retried delivery")[:2]
        waited = second.at - first.at
        assert 3.0 <= waited < 6.0, waited  # the schedule alone would have said 0.2 s
        assert first.webhook_id == second.webhook_id
        verify(second, busy["secret"])

        _submit(client)  # the disabled endpoint gets nothing more
        receiver.wait(4, 30)  # /gone once, /busy twice, then /busy for the new job
        time.sleep(1)
        assert [r.path for r in receiver.received()].count("/gone") == 1


@pytest.mark.parametrize("topology", ["embedded", "production"])
def test_worker_killed_mid_delivery(topology: str, request: pytest.FixtureRequest,
                                    stack_factory: Any, receiver: Receiver) -> None:
    settings: Settings = request.getfixturevalue(f"{topology}_settings")
    release = threading.Event()

    def respond(r: Received) -> tuple[int, dict[str, str], bytes]:
        if len(receiver.received()) == 1:
            release.wait(30)  # hold the first attempt open until its worker is dead
        return 200, {}, b""

    receiver.respond = respond
    receiver.start()
    key = make_key(settings)
    stack = stack_factory(settings, **FAST, webhook_timeout_seconds=5, webhook_lease_seconds=6)
    stack.start_api()
    first = stack.start_worker("webhooks")
    with _client(stack, key) as client:
        ep = _endpoint(client, receiver.url("/endpoint"), event_types=["job.queued"])
        job_id = _submit(client)
        [held] = receiver.wait(1, 30)
        first.kill()  # SIGKILL the worker's process group mid-request
        release.set()
        [d] = _deliveries(client, job_id)
        assert d["status"] == "pending" and d["attempt_count"] == 1
        assert d["attempts"][0]["finished_at"] is None  # the dead worker recorded nothing

        stack.start_worker("webhooks")
        got = receiver.wait(2, 60)
        wait_for(lambda: _deliveries(client, job_id)[0]["status"] == "succeeded", 30,
                 "the delivery to succeed")
        [d] = _deliveries(client, job_id)
    assert got[1].webhook_id == held.webhook_id == d["webhook_id"]
    assert got[1].body == held.body
    verify(got[1], ep["secret"])
    interrupted, succeeded = d["attempts"]
    assert interrupted["error"].startswith("interrupted: the worker stopped")
    assert succeeded["status_code"] == 200 and d["attempt_count"] == 2


def test_live_stream_resumes_from_last_event_id(embedded_settings: Settings,
                                                stack_factory: Any) -> None:
    key = make_key(embedded_settings)
    stack = stack_factory(embedded_settings, node_pause_seconds=1,
                          event_stream_keepalive_seconds=0.3, event_stream_poll_seconds=0.1)
    stack.start_api()
    stack.start_worker("orchestrate")
    with _client(stack, key) as client:
        job_id = _submit(client)
        path = f"/v1/jobs/{job_id}/events/stream"
        seen: list[dict[str, Any]] = []
        comments = 0

        def read(headers: dict[str, str], stop_after: int | None) -> None:
            nonlocal comments
            with client.stream("GET", path, headers=headers) as resp:
                assert resp.status_code == 200
                fields: dict[str, str] = {}
                for line in resp.iter_lines():
                    if line.startswith(":"):
                        comments += 1
                    elif line:
                        name, _, value = line.partition(": ")
                        fields[name] = value
                    elif "data" in fields:
                        seen.append({"id": int(fields["id"]), "event": fields["event"]})
                        fields = {}
                        if stop_after is not None and len(seen) >= stop_after:
                            return  # drop the connection mid-job

        read({}, stop_after=2)
        assert client.get(f"/v1/jobs/{job_id}").json()["status"] in ("queued", "running")
        read({"Last-Event-ID": str(seen[-1]["id"])}, stop_after=None)  # runs to the end
        events = client.get(f"/v1/jobs/{job_id}/events").json()["data"]
    assert [s["id"] for s in seen] == [e["id"] for e in events]
    assert [s["event"] for s in seen] == [e["type"] for e in events]
    assert seen[-1]["event"] == "job.completed"
    assert comments >= 1
