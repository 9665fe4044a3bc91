"""The webhook management API: endpoints, secrets, deliveries, tenant isolation, SSRF refusals."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lexgraph.core.config.settings import Settings
from tests.integration.conftest import Api, assert_problem
from tests.integration.webhook_helpers import PUBLIC_IP, Pump, StaticDns, open_api

HOOK = "https://hooks.example.com/lexgraph"
ADVICE = ("webhooks may only reach public addresses (operators can admit internal networks "
          "with LEXGRAPH_WEBHOOK_ALLOWED_NETWORKS)")


@pytest.fixture
def dns() -> StaticDns:
    return StaticDns({"hooks.example.com": [PUBLIC_IP],
                      "intranet.example.com": ["10.20.30.40"],
                      "mixed.example.com": [PUBLIC_IP, "192.168.0.9"]})


@pytest.fixture
def wapi(any_settings: Settings, dns: StaticDns) -> Iterator[Api]:
    with open_api(any_settings, dns) as api:
        yield api


def test_endpoint_lifecycle(wapi: Api) -> None:
    auth = wapi.tenant("acme")
    resp = wapi.client.post("/v1/webhook-endpoints", headers=auth, json={
        "url": HOOK, "event_types": ["job.failed", "job.completed"], "description": "ERP"})
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert resp.headers["location"] == f"/v1/webhook-endpoints/{created['id']}"
    assert created["secret"].startswith("whsec_")
    # Known types come back in one canonical order whatever order they were sent in.
    assert created["event_types"] == ["job.completed", "job.failed"]
    assert (created["url"], created["description"], created["enabled"]) == (HOOK, "ERP", True)

    shown = wapi.client.get(created["links"]["self"], headers=auth).json()
    assert "secret" not in shown  # shown once, at creation
    assert shown == {k: v for k, v in created.items() if k != "secret"}

    patched = wapi.client.patch(created["links"]["self"], headers=auth,
                                json={"event_types": None, "enabled": False})
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["event_types"] is None and body["enabled"] is False
    assert body["disabled_reason"] == "disabled through the API"
    assert body["description"] == "ERP"  # untouched: absent from the PATCH
    again = wapi.client.patch(created["links"]["self"], headers=auth, json={"enabled": True})
    assert again.json()["enabled"] is True and again.json()["disabled_reason"] is None

    listed = wapi.client.get("/v1/webhook-endpoints", headers=auth).json()
    assert [e["id"] for e in listed["data"]] == [created["id"]]

    assert wapi.client.delete(created["links"]["self"], headers=auth).status_code == 204
    assert_problem(wapi.client.get(created["links"]["self"], headers=auth), 404,
                   f"no webhook endpoint {created['id']!r}")


def test_endpoint_list_pages(wapi: Api) -> None:
    auth = wapi.tenant("acme")
    ids = [wapi.client.post("/v1/webhook-endpoints", headers=auth,
                            json={"url": f"{HOOK}/{n}"}).json()["id"] for n in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        page = wapi.client.get("/v1/webhook-endpoints", headers=auth,
                               params={"limit": 2, **({"cursor": cursor} if cursor else {})}
                               ).json()
        seen += [e["id"] for e in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids


@pytest.mark.parametrize(("body", "detail"), [
    ({"url": HOOK, "event_types": ["job.finished"]},
     "unknown event types job.finished; choose among job.queued, job.started, job.progress, "
     "job.needs_review, job.completed, job.failed, job.cancelled"),
    ({"url": HOOK, "event_types": []},
     "event_types must name at least one event type; omit it (or send null) to receive every "
     "type"),
    ({"url": "ftp://hooks.example.com/x"}, "url: an absolute http(s) URL is required"),
    ({"url": "/relative"}, "url: an absolute http(s) URL is required"),
    ({"url": "https://user:pw@hooks.example.com/x"},
     "url: the URL must not carry credentials; receivers authenticate deliveries by their "
     "signature"),
    ({"url": HOOK, "description": "x" * 501}, "description must be at most 500 characters"),
])
def test_endpoint_validation(wapi: Api, body: dict, detail: str) -> None:
    resp = wapi.client.post("/v1/webhook-endpoints", headers=wapi.tenant("acme"), json=body)
    assert_problem(resp, 422, detail)


def test_unknown_fields_are_refused(wapi: Api) -> None:
    resp = wapi.client.post("/v1/webhook-endpoints", headers=wapi.tenant("acme"),
                            json={"url": HOOK, "secret": "whsec_mine"})
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "secret"


# SSRF at registration: one test per kind of address ----------------------------------------

REFUSED = [
    ("http://127.0.0.1/hook", "127.0.0.1 is a loopback address"),
    ("http://127.8.9.10:8080/hook", "127.8.9.10 is a loopback address"),
    ("http://[::1]/hook", "::1 is a loopback address"),
    ("http://10.0.0.1/hook", "10.0.0.1 is a private address"),
    ("http://10.255.255.254/hook", "10.255.255.254 is a private address"),
    ("http://172.16.0.1/hook", "172.16.0.1 is a private address"),
    ("http://172.31.255.254/hook", "172.31.255.254 is a private address"),
    ("http://192.168.0.1/hook", "192.168.0.1 is a private address"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a cloud metadata address"),
    ("http://[fd00:ec2::254]/latest/meta-data/", "fd00:ec2::254 is a cloud metadata address"),
    ("http://169.254.10.1/hook", "169.254.10.1 is a link-local address"),
    ("http://[fe80::1]/hook", "fe80::1 is a link-local address"),
    ("http://100.64.0.1/hook", "100.64.0.1 is a shared (CGNAT) address"),
    ("http://0.0.0.0/hook", "0.0.0.0 is an unspecified address"),
    ("http://224.0.0.251/hook", "224.0.0.251 is a multicast address"),
    ("http://[fc00::5]/hook", "fc00::5 is a private address"),
    ("http://[::ffff:10.1.1.1]/hook", "::ffff:10.1.1.1 is a private address"),
    ("http://intranet.example.com/hook",
     "intranet.example.com resolves to 10.20.30.40, which is a private address"),
    ("http://mixed.example.com/hook",
     "mixed.example.com resolves to 192.168.0.9, which is a private address"),
]


@pytest.mark.parametrize(("url", "reason"), REFUSED, ids=[u for u, _ in REFUSED])
def test_endpoint_to_internal_address_is_refused(wapi: Api, url: str, reason: str) -> None:
    resp = wapi.client.post("/v1/webhook-endpoints", headers=wapi.tenant("acme"),
                            json={"url": url})
    body = assert_problem(resp, 422, f"url: {reason}; {ADVICE}")
    assert body["errors"] == [{"field": "url", "message": f"{reason}; {ADVICE}"}]
    assert wapi.client.get("/v1/webhook-endpoints", headers=wapi.tenant("acme")).json()[
        "data"] == []


def test_localhost_resolves_to_loopback_and_is_refused(embedded_settings: Settings) -> None:
    # The system resolver: "localhost" is answered locally, no DNS server is asked.
    with open_api(embedded_settings) as api:
        resp = api.client.post("/v1/webhook-endpoints", headers=api.tenant("acme"),
                               json={"url": "http://localhost:8080/hook"})
    assert resp.status_code == 422
    assert resp.json()["detail"].startswith("url: localhost resolves to ")
    assert "which is a loopback address" in resp.json()["detail"]


def test_patch_to_internal_address_is_refused(wapi: Api) -> None:
    auth = wapi.tenant("acme")
    created = wapi.client.post("/v1/webhook-endpoints", headers=auth, json={"url": HOOK}).json()
    resp = wapi.client.patch(created["links"]["self"], headers=auth,
                             json={"url": "http://192.168.1.1/x"})
    assert_problem(resp, 422, f"url: 192.168.1.1 is a private address; {ADVICE}")
    assert wapi.client.get(created["links"]["self"], headers=auth).json()["url"] == HOOK


@pytest.mark.parametrize("url", ["http://10.0.0.1/hook", "http://intranet.example.com/hook",
                                 "http://[::1]:9000/hook"])
def test_job_webhook_url_to_internal_address_is_refused(wapi: Api, url: str) -> None:
    resp = wapi.submit(wapi.tenant("acme"), webhook_url=url)
    assert resp.status_code == 422, resp.text
    body = resp.json()
    assert body["detail"].startswith("webhook_url: ") and body["detail"].endswith(ADVICE)
    assert body["errors"][0]["field"] == "webhook_url"
    assert wapi.counts()["jobs"] == 0


def test_unresolvable_name_is_accepted_and_checked_at_delivery(wapi: Api) -> None:
    # DNS for a new receiver may come later; every attempt checks again before connecting.
    resp = wapi.client.post("/v1/webhook-endpoints", headers=wapi.tenant("acme"),
                            json={"url": "https://not-yet.example.com/hook"})
    assert resp.status_code == 201, resp.text


def test_allow_list_admits_internal_networks(embedded_settings: Settings,
                                             dns: StaticDns) -> None:
    settings = embedded_settings.model_copy(
        update={"webhook_allowed_networks": "10.20.0.0/16,127.0.0.1/32"})
    with open_api(settings, dns) as api:
        auth = api.tenant("acme")
        for url in ("http://intranet.example.com/hook", "http://127.0.0.1:9/hook"):
            resp = api.client.post("/v1/webhook-endpoints", headers=auth, json={"url": url})
            assert resp.status_code == 201, resp.text
        # Only the listed networks: the rest of 127/8 and 10/8 stays refused.
        for url in ("http://127.0.0.2/hook", "http://10.0.0.1/hook"):
            resp = api.client.post("/v1/webhook-endpoints", headers=auth, json={"url": url})
            assert resp.status_code == 422, resp.text


# Secrets -----------------------------------------------------------------------------------


def test_rotate_endpoint_secret(wapi: Api) -> None:
    auth = wapi.tenant("acme")
    created = wapi.client.post("/v1/webhook-endpoints", headers=auth, json={"url": HOOK}).json()
    rotated = wapi.client.post(created["links"]["rotate_secret"], headers=auth)
    assert rotated.status_code == 200, rotated.text
    body = rotated.json()
    assert body["secret"].startswith("whsec_") and body["secret"] != created["secret"]
    assert body["previous_secret_expires_at"] is not None
    assert "secret" not in wapi.client.get(created["links"]["self"], headers=auth).json()


def test_tenant_signing_secret_is_made_once_and_rotates(wapi: Api) -> None:
    auth = wapi.tenant("acme")
    first = wapi.client.get("/v1/webhook-signing-secret", headers=auth).json()
    assert first["secret"].startswith("whsec_") and first["rotated_at"] is None
    assert wapi.client.get("/v1/webhook-signing-secret", headers=auth).json() == first
    other = wapi.client.get("/v1/webhook-signing-secret", headers=wapi.tenant("globex")).json()
    assert other["secret"] != first["secret"]
    rotated = wapi.client.post("/v1/webhook-signing-secret/rotate", headers=auth).json()
    assert rotated["secret"] != first["secret"]
    assert rotated["rotated_at"] is not None and rotated["previous_secret_expires_at"]
    assert wapi.client.get("/v1/webhook-signing-secret", headers=auth).json() == rotated


# Isolation ---------------------------------------------------------------------------------


def test_tenants_never_see_each_others_endpoints_or_deliveries(any_settings: Settings) -> None:
    settings = any_settings.model_copy(update={"webhook_allowed_networks": "127.0.0.1/32"})
    with open_api(settings) as api:
        acme, globex = api.tenant("acme"), api.tenant("globex")
        ep = api.client.post("/v1/webhook-endpoints", headers=acme,
                             json={"url": "http://127.0.0.1:9/hook"}).json()
        job_id = api.submit(acme).json()["id"]
        pump = Pump(api)
        try:
            pump.relay.tick()  # fan out: one delivery, left pending (port 9 is closed anyway)
        finally:
            pump.close()
        delivery = api.client.get(f"{ep['links']['deliveries']}", headers=acme).json()["data"][0]

        missing_ep = f"no webhook endpoint {ep['id']!r}"
        for method, path in [("GET", ep["links"]["self"]), ("PATCH", ep["links"]["self"]),
                             ("DELETE", ep["links"]["self"]),
                             ("POST", ep["links"]["rotate_secret"]),
                             ("GET", ep["links"]["deliveries"])]:
            resp = api.client.request(method, path, headers=globex,
                                      json={} if method == "PATCH" else None)
            assert_problem(resp, 404, missing_ep)
        for method, path in [("GET", f"/v1/deliveries/{delivery['id']}"),
                             ("POST", f"/v1/deliveries/{delivery['id']}/redeliver")]:
            assert_problem(api.client.request(method, path, headers=globex), 404,
                           f"no delivery {delivery['id']!r}")
        assert_problem(api.client.get(f"/v1/jobs/{job_id}/deliveries", headers=globex), 404,
                       f"no job {job_id!r}")
        assert api.client.get("/v1/webhook-endpoints", headers=globex).json()["data"] == []
        # Still all there for their owner.
        assert api.client.get(ep["links"]["self"], headers=acme).status_code == 200
        assert api.client.get(f"/v1/deliveries/{delivery['id']}",
                              headers=acme).json()["id"] == delivery["id"]


def test_endpoints_need_a_key(wapi: Api) -> None:
    resp = wapi.client.get("/v1/webhook-endpoints")
    assert resp.status_code == 401 and resp.headers["www-authenticate"] == "Bearer"
