"""Delivery of job events to a loopback receiver: fan-out, signatures, retries, SSRF at send time.

The relay and the deliverer run in this process (``Pump``); every signature the receiver gets
is verified with the ``standardwebhooks`` library, never with our own code.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from email.utils import formatdate
from typing import Any

import pytest
from sqlalchemy import func, select, update

from lexgraph.core.config.settings import Settings
from lexgraph.core.db.models import JobEvent, WebhookDelivery
from lexgraph.core.webhooks import Relay
from tests.integration.conftest import Api, assert_problem
from tests.integration.webhook_helpers import PUBLIC_IP, Pump, StaticDns, deliveries, open_api
from tests.receiver import Received, Receiver, signed_by, verify

LOOPBACK = {"webhook_allowed_networks": "127.0.0.0/8"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rx = Receiver()
    yield rx
    rx.stop()


def _settings(base: Settings, **changes: Any) -> Settings:
    return base.model_copy(update={**LOOPBACK, **changes})


def _endpoint(api: Api, auth: dict[str, str], url: str, **fields: Any) -> dict[str, Any]:
    resp = api.client.post("/v1/webhook-endpoints", headers=auth, json={"url": url, **fields})
    assert resp.status_code == 201, resp.text
    body: dict[str, Any] = resp.json()
    return body


def _submit_and_cancel(api: Api, auth: dict[str, str], **fields: Any) -> str:
    job_id: str = api.submit(auth, **fields).json()["id"]
    assert api.client.post(f"/v1/jobs/{job_id}/cancel", headers=auth).status_code == 200
    return job_id


def _signature_count(r: Received) -> int:
    return len(r.headers["webhook-signature"].split(" "))


def test_events_fan_out_to_the_job_url_and_subscribed_endpoints(any_settings: Settings,
                                                                receiver: Receiver) -> None:
    receiver.start()
    with open_api(_settings(any_settings)) as api:
        acme, globex = api.tenant("acme"), api.tenant("globex")
        every = _endpoint(api, acme, receiver.url("/every"))
        cancelled = _endpoint(api, acme, receiver.url("/cancelled"),
                              event_types=["job.cancelled"])
        _endpoint(api, acme, receiver.url("/completed"), event_types=["job.completed"])
        _endpoint(api, acme, receiver.url("/disabled"), enabled=False)
        foreign = _endpoint(api, globex, receiver.url("/globex"))
        job_id = _submit_and_cancel(api, acme, webhook_url=receiver.url("/job"))
        pump = Pump(api)
        try:
            pump.until(lambda: len(receiver.received()) >= 5)
            pump.once()  # nothing else is due
        finally:
            pump.close()
        got = receiver.received()
        assert sorted((r.path, r.json["type"]) for r in got) == [
            ("/cancelled", "job.cancelled"), ("/every", "job.cancelled"),
            ("/every", "job.queued"), ("/job", "job.cancelled"), ("/job", "job.queued")]

        job_secret = api.client.get("/v1/webhook-signing-secret", headers=acme).json()["secret"]
        secrets = {"/every": every["secret"], "/cancelled": cancelled["secret"],
                   "/job": job_secret}
        events = {e["id"]: e for e in api.client.get(f"/v1/jobs/{job_id}/events",
                                                     headers=acme).json()["data"]}
        for r in got:
            payload = verify(r, secrets[r.path])
            assert payload == r.json
            for other_path, other in secrets.items():
                if other_path != r.path:
                    assert not signed_by(r, other)
            assert not signed_by(r, foreign["secret"])
            assert set(payload) == {"type", "timestamp", "data"}
            assert payload["data"] == events[payload["data"]["id"]]
            assert payload["timestamp"] == payload["data"]["created_at"]
            assert r.headers["content-type"] == "application/json"
            assert r.headers["user-agent"].startswith("lexgraph-webhooks/")
            assert abs(int(r.headers["webhook-timestamp"]) - r.at) < 10

        listed = deliveries(api, acme, job=job_id)
        assert len(listed) == 5 and all(d["status"] == "succeeded" for d in listed)
        assert sorted(d["webhook_id"] for d in listed) == sorted(r.webhook_id for r in got)
        assert len({r.webhook_id for r in got}) == 5  # one message id per event and destination
        attempt = listed[0]["attempts"][0]
        assert attempt["status_code"] == 200 and attempt["error"] is None
        assert attempt["duration_ms"] >= 0 and attempt["started_at"] <= attempt["finished_at"]


def test_rotation_signs_with_both_secrets_during_the_grace_period(embedded_settings: Settings,
                                                                  receiver: Receiver) -> None:
    receiver.start()
    with open_api(_settings(embedded_settings, webhook_secret_grace_seconds=2.0)) as api:
        auth = api.tenant("acme")
        ep = _endpoint(api, auth, receiver.url("/ep"), event_types=["job.queued"])
        old_job = api.client.get("/v1/webhook-signing-secret", headers=auth).json()["secret"]
        new = api.client.post(ep["links"]["rotate_secret"], headers=auth).json()["secret"]
        new_job = api.client.post("/v1/webhook-signing-secret/rotate",
                                  headers=auth).json()["secret"]
        pump = Pump(api)
        try:
            api.submit(auth, webhook_url=receiver.url("/job"))
            pump.until(lambda: len(receiver.received()) == 2)
            for r in receiver.received():
                old, current = (ep["secret"], new) if r.path == "/ep" else (old_job, new_job)
                assert _signature_count(r) == 2
                assert signed_by(r, old) and signed_by(r, current)

            time.sleep(2.1)  # the grace period is over: the old secrets sign nothing more
            api.submit(auth, webhook_url=receiver.url("/job"))
            pump.until(lambda: len(receiver.received()) == 4)
        finally:
            pump.close()
        for r in receiver.received()[2:]:
            old, current = (ep["secret"], new) if r.path == "/ep" else (old_job, new_job)
            assert _signature_count(r) == 1
            assert signed_by(r, current) and not signed_by(r, old)


def test_receiver_down_then_up_gets_each_event_with_its_original_id(
        any_settings: Settings, receiver: Receiver) -> None:
    settings = _settings(any_settings, webhook_retry_schedule=",".join(["0"] + ["0.3"] * 20))
    with open_api(settings) as api:
        auth = api.tenant("acme")
        ep = _endpoint(api, auth, receiver.url("/ep"))
        job_id = _submit_and_cancel(api, auth, webhook_url=receiver.url("/job"))
        pump = Pump(api)
        try:
            # Down: the port is closed. Every delivery fails at least twice.
            pump.until(lambda: (ds := deliveries(api, auth, job=job_id)) and len(ds) == 4
                       and all(d["attempt_count"] >= 2 for d in ds))
            assert receiver.received() == []
            receiver.start()
            pump.until(lambda: all(d["status"] == "succeeded"
                                   for d in deliveries(api, auth, job=job_id)))
        finally:
            pump.close()
        listed = deliveries(api, auth, job=job_id)
        got = receiver.received()
        assert sorted(r.webhook_id for r in got) == sorted(d["webhook_id"] for d in listed)
        assert len(got) == 4  # each event once per destination, none lost, none twice
        for d in listed:
            *failed, last = d["attempts"]
            assert len(failed) >= 2 and last["status_code"] == 200
            for attempt in failed:
                assert attempt["status_code"] is None
                assert attempt["error"].startswith("could not deliver: ConnectError")
            assert [a["number"] for a in d["attempts"]] == list(range(1, len(d["attempts"]) + 1))
        secret = api.client.get("/v1/webhook-signing-secret", headers=auth).json()["secret"]
        for r in got:
            verify(r, ep["secret"] if r.path == "/ep" else secret)


def test_a_delivery_that_fails_every_attempt_is_marked_failed(embedded_settings: Settings,
                                                              receiver: Receiver) -> None:
    receiver.respond = lambda _r: (500, {}, b"boom\n  database   down")
    receiver.start()
    with open_api(_settings(embedded_settings, webhook_retry_schedule="0,0.1,0.2")) as api:
        auth = api.tenant("acme")
        ep = _endpoint(api, auth, receiver.url("/ep"))
        api.submit(auth)
        pump = Pump(api)
        try:
            [d] = pump.until(lambda: [d for d in deliveries(api, auth, endpoint=ep["id"])
                                      if d["status"] == "failed"])
        finally:
            pump.close()
    assert d["attempt_count"] == 3 and d["next_attempt_at"] is None
    assert d["last_status_code"] == 500 and d["last_error"] == "HTTP 500: boom database down"
    assert [a["status_code"] for a in d["attempts"]] == [500, 500, 500]
    got = receiver.received()
    assert len(got) == 3 and {r.webhook_id for r in got} == {d["webhook_id"]}
    assert got[1].at - got[0].at >= 0.1 and got[2].at - got[1].at >= 0.2


@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_retry_after_is_honoured(embedded_settings: Settings, receiver: Receiver,
                                 form: str) -> None:
    def respond(r: Received) -> tuple[int, dict[str, str], bytes]:
        if len(receiver.received()) > 1:
            return 200, {}, b""
        value = "2" if form == "seconds" else formatdate(time.time() + 3, usegmt=True)
        return 503, {"Retry-After": value}, b"busy"

    receiver.respond = respond
    receiver.start()
    # Without Retry-After the second attempt would come 0.1 s after the first.
    with open_api(_settings(embedded_settings, webhook_retry_schedule="0,0.1,0.1")) as api:
        auth = api.tenant("acme")
        ep = _endpoint(api, auth, receiver.url("/ep"))
        api.submit(auth)
        pump = Pump(api)
        try:
            pump.until(lambda: len(receiver.received()) == 2, interval=0.02)
        finally:
            pump.close()
        [d] = deliveries(api, auth, endpoint=ep["id"])
    first, second = receiver.received()
    waited = second.at - first.at
    # An HTTP date has whole seconds, so "now + 3 s" may mean as little as 2 s from now.
    assert 2.0 <= waited < 4.0, waited
    assert first.webhook_id == second.webhook_id
    assert d["status"] == "succeeded"
    assert [a["status_code"] for a in d["attempts"]] == [503, 200]
    assert d["attempts"][0]["error"] == "HTTP 503: busy"


def test_410_disables_the_endpoint(any_settings: Settings, receiver: Receiver) -> None:
    receiver.respond = lambda _r: (410, {}, b"")
    receiver.start()
    with open_api(_settings(any_settings)) as api:
        auth = api.tenant("acme")
        ep = _endpoint(api, auth, receiver.url("/ep"))
        api.submit(auth)
        pump = Pump(api)
        try:
            pump.until(lambda: not api.client.get(ep["links"]["self"],
                                                  headers=auth).json()["enabled"])
            shown = api.client.get(ep["links"]["self"], headers=auth).json()
            assert shown["disabled_reason"].startswith("the receiver answered 410 Gone at ")
            [d] = deliveries(api, auth, endpoint=ep["id"])
            assert d["status"] == "failed" and d["attempt_count"] == 1
            assert d["last_error"] == "HTTP 410 Gone: the receiver asked not to be sent more"

            # A disabled endpoint gets nothing new, and its deliveries cannot be resent.
            api.submit(auth)
            pump.once()
            time.sleep(0.3)
            pump.once()
            assert len(receiver.received()) == 1
            assert len(deliveries(api, auth, endpoint=ep["id"])) == 1
            resp = api.client.post(d["links"]["redeliver"], headers=auth)
            assert resp.status_code == 409
            assert "is disabled (the receiver answered 410 Gone" in resp.json()["detail"]

            # Re-enabled (the receiver is back): the redelivery goes through.
            receiver.respond = lambda _r: (204, {}, b"")
            api.client.patch(ep["links"]["self"], headers=auth, json={"enabled": True})
            assert api.client.post(d["links"]["redeliver"], headers=auth).status_code == 202
            pump.until(lambda: len(receiver.received()) == 2)
        finally:
            pump.close()
        got = receiver.received()
        assert got[0].webhook_id == got[1].webhook_id
        verify(got[1], ep["secret"])


def test_410_from_a_job_url_stops_that_delivery(embedded_settings: Settings,
                                                receiver: Receiver) -> None:
    receiver.respond = lambda _r: (410, {}, b"")
    receiver.start()
    with open_api(_settings(embedded_settings)) as api:
        auth = api.tenant("acme")
        job_id = api.submit(auth, webhook_url=receiver.url("/job")).json()["id"]
        pump = Pump(api)
        try:
            [d] = pump.until(lambda: [d for d in deliveries(api, auth, job=job_id)
                                      if d["status"] == "failed"])
        finally:
            pump.close()
    assert d["endpoint_id"] is None and d["attempt_count"] == 1


def test_a_redirect_is_not_followed_even_to_a_metadata_address(embedded_settings: Settings,
                                                               receiver: Receiver) -> None:
    metadata = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
    receiver.respond = lambda _r: (302, {"Location": metadata}, b"")
    receiver.start()
    with open_api(_settings(embedded_settings, webhook_retry_schedule="0,60")) as api:
        auth = api.tenant("acme")
        ep = _endpoint(api, auth, receiver.url("/ep"))
        api.submit(auth)
        pump = Pump(api)
        try:
            [d] = pump.until(lambda: [d for d in deliveries(api, auth, endpoint=ep["id"])
                                      if d["attempt_count"] == 1 and d["attempts"][0]
                                      ["finished_at"]])
        finally:
            pump.close()
    assert len(receiver.received()) == 1
    assert d["attempts"][0]["status_code"] == 302
    assert d["last_error"] == (f"HTTP 302: redirect to {metadata!r} not followed; a webhook URL "
                               "must answer itself")
    assert d["status"] == "pending"  # a failed attempt like any other: retried on schedule


def test_dns_rebinding_to_a_private_address_is_refused_at_delivery(
        embedded_settings: Settings) -> None:
    dns = StaticDns({"hooks.example.com": [PUBLIC_IP]})
    with open_api(embedded_settings, dns) as api:
        auth = api.tenant("acme")
        ep = _endpoint(api, auth, "http://hooks.example.com/hook")
        # After registration the name starts pointing inside the network.
        dns.records["hooks.example.com"] = ["10.0.0.8"]
        api.submit(auth)
        pump = Pump(api, dns)
        try:
            [d] = pump.until(lambda: [d for d in deliveries(api, auth, endpoint=ep["id"])
                                      if d["attempt_count"] == 1 and d["last_error"]])
        finally:
            pump.close()
    assert d["last_error"] == (
        "refused before connecting: hooks.example.com resolves to 10.0.0.8, which is a private "
        "address; webhooks may only reach public addresses (operators can admit internal "
        "networks with LEXGRAPH_WEBHOOK_ALLOWED_NETWORKS)")
    assert d["attempts"][0]["status_code"] is None


def test_delivery_connects_to_the_checked_address_and_names_the_host(
        embedded_settings: Settings, receiver: Receiver) -> None:
    # The name resolves (in the test DNS only) to the loopback receiver, which the allow-list
    # admits. Had the HTTP client looked the name up itself, the tests' network guard would
    # have refused the lookup: the request reached the address that was checked.
    receiver.start()
    dns = StaticDns({"hooks.example.com": ["127.0.0.1"]})
    with open_api(_settings(embedded_settings), dns) as api:
        auth = api.tenant("acme")
        ep = _endpoint(api, auth, f"http://hooks.example.com:{receiver.port}/in?x=1")
        api.submit(auth)
        pump = Pump(api, dns)
        try:
            [r] = pump.until(lambda: receiver.received())
        finally:
            pump.close()
    assert r.path == "/in?x=1"
    assert r.headers["host"] == f"hooks.example.com:{receiver.port}"
    verify(r, ep["secret"])


def test_an_attempt_that_takes_too_long_is_a_failure(embedded_settings: Settings,
                                                     receiver: Receiver) -> None:
    def slow(_r: Received) -> tuple[int, dict[str, str], bytes]:
        time.sleep(1.5)
        return 200, {}, b""

    receiver.respond = slow
    receiver.start()
    settings = _settings(embedded_settings, webhook_timeout_seconds=0.5,
                         webhook_lease_seconds=3, webhook_retry_schedule="0,60")
    with open_api(settings) as api:
        auth = api.tenant("acme")
        ep = _endpoint(api, auth, receiver.url("/ep"))
        api.submit(auth)
        pump = Pump(api)
        try:
            [d] = pump.until(lambda: [d for d in deliveries(api, auth, endpoint=ep["id"])
                                      if d["last_error"]])
        finally:
            pump.close()
    attempt = d["attempts"][0]
    assert attempt["error"] == "no answer within 0.5 s"
    assert 450 <= attempt["duration_ms"] < 1400


def test_redeliver_sends_the_same_message_again(any_settings: Settings,
                                                receiver: Receiver) -> None:
    receiver.start()
    with open_api(_settings(any_settings)) as api:
        auth = api.tenant("acme")
        ep = _endpoint(api, auth, receiver.url("/ep"))
        api.submit(auth)
        pump = Pump(api)
        try:
            pump.until(lambda: receiver.received())
            [d] = deliveries(api, auth, endpoint=ep["id"])
            resp = api.client.post(d["links"]["redeliver"], headers=auth)
            assert resp.status_code == 202, resp.text
            assert resp.json()["status"] == "pending"
            pump.until(lambda: len(receiver.received()) == 2)
        finally:
            pump.close()
        first, second = receiver.received()
        assert first.webhook_id == second.webhook_id == d["webhook_id"]
        assert first.body == second.body
        verify(second, ep["secret"])
        [d] = deliveries(api, auth, endpoint=ep["id"])
        assert d["status"] == "succeeded" and d["attempt_count"] == 2
        assert_problem(api.client.post("/v1/deliveries/dlv_nope/redeliver", headers=auth), 404,
                       "no delivery 'dlv_nope'")


def test_fan_out_and_scheduling_are_safe_to_repeat(any_settings: Settings) -> None:
    with open_api(_settings(any_settings)) as api:
        auth = api.tenant("acme")
        _endpoint(api, auth, "http://127.0.0.1:9/a")
        _endpoint(api, auth, "http://127.0.0.1:9/b")
        for _ in range(3):
            api.submit(auth)
        relay, other = Relay(api.store.engine, api.settings), Relay(api.store.engine,
                                                                    api.settings)
        assert relay.fan_out() == 3
        # As if a second relay had read the same events before the first committed.
        with api.store.sessions.begin() as s:
            s.execute(update(JobEvent).values(relayed_at=None))
        assert other.fan_out() == 3
        with api.store.sessions() as s:
            assert s.execute(select(func.count()).select_from(WebhookDelivery)).scalar() == 6
        due = relay.due()
        assert len(due) == 6 and other.due() == []  # handed out once
