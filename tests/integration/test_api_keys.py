"""Keys: listed, created, revoked and rotated through the admin API and the CLI; revocation and
sign-out take effect on the very next request, key cache or not, page session or API call."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lexgraph.api.deps import KeyCache
from lexgraph.core.config.settings import Settings, get_settings
from lexgraph.core.jobs.keys import Keys
from tests.integration.conftest import Api, assert_problem, open_api
from tests.integration.test_web_routes import BASE, _sign_in


@pytest.fixture
def kapi(any_settings: Settings) -> Iterator[Api]:
    # A key cache that would keep a revoked key alive for a minute, were it not told.
    settings = any_settings.model_copy(update={"api_key_cache_seconds": 60.0})
    with open_api(settings, base_url=BASE) as api:
        yield api


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_admin_lists_creates_revokes_and_rotates_its_tenants_keys(kapi: Api) -> None:
    admin_key, admin = kapi.store.create_key("acme", admin=True)
    plain_key, plain = kapi.store.create_key("acme")
    other_key, other = kapi.store.create_key("globex", admin=True)
    admin_auth = _bearer(admin_key)

    listed = kapi.client.get("/v1/keys", headers=admin_auth)
    assert listed.status_code == 200, listed.text
    rows = listed.json()["data"]
    assert [(k["id"], k["admin"], k["revoked_at"]) for k in rows] == [
        (admin.key_id, True, None), (plain.key_id, False, None)]
    assert all(k["tenant"] == "acme" and plain_key.startswith(k["prefix"]) is (k["id"] ==
               plain.key_id) for k in rows)
    assert "key_hash" not in rows[0] and "key" not in rows[0]

    # A plain key may not manage keys; another tenant's key is not found.
    assert_problem(kapi.client.get("/v1/keys", headers=_bearer(plain_key)), 403,
                   "this API key may not manage keys; use an admin key "
                   "('lexgraph keys create --admin')")
    assert kapi.client.post(f"/v1/keys/{other.key_id}/revoke",
                            headers=admin_auth).status_code == 404
    assert kapi.client.get("/v1/jobs", headers=_bearer(other_key)).status_code == 200

    # Warm the cache, then revoke: the very next request is refused.
    assert kapi.client.get("/v1/jobs", headers=_bearer(plain_key)).status_code == 200
    revoked = kapi.client.post(f"/v1/keys/{plain.key_id}/revoke", headers=admin_auth)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert kapi.client.get("/v1/jobs", headers=_bearer(plain_key)).status_code == 401
    again = kapi.client.post(f"/v1/keys/{plain.key_id}/revoke", headers=admin_auth)
    assert again.json() == revoked.json()  # idempotent

    created = kapi.client.post("/v1/keys", headers=admin_auth, json={"admin": False})
    assert created.status_code == 201 and created.json()["key"].startswith("lxg_")
    assert kapi.client.get("/v1/jobs", headers=_bearer(created.json()["key"])).status_code == 200

    # Rotating the admin key itself: the new one has the same rights, the old one is dead.
    rotated = kapi.client.post(f"/v1/keys/{admin.key_id}/rotate", headers=admin_auth)
    assert rotated.status_code == 201, rotated.text
    body = rotated.json()
    assert body["admin"] is True and body["replaces"]["id"] == admin.key_id
    assert body["replaces"]["revoked_at"]
    assert kapi.client.get("/v1/keys", headers=admin_auth).status_code == 401
    assert kapi.client.get("/v1/keys", headers=_bearer(body["key"])).status_code == 200


def test_revoking_a_key_ends_its_web_sessions(kapi: Api) -> None:
    admin_key, _ = kapi.store.create_key("acme", admin=True)
    key, who = kapi.store.create_key("acme")
    _sign_in(kapi, key)
    assert kapi.client.get("/ui/jobs").status_code == 200
    kapi.client.post(f"/v1/keys/{who.key_id}/revoke", headers=_bearer(admin_key))
    assert kapi.client.get("/ui/jobs").status_code == 401
    assert 'action="/signin"' in kapi.client.get("/").text


def test_sign_out_ends_the_session_on_the_server(kapi: Api) -> None:
    key, _ = kapi.store.create_key("acme")
    csrf = _sign_in(kapi, key)
    cookie = dict(kapi.client.cookies)
    assert kapi.client.get("/ui/jobs").status_code == 200
    out = kapi.client.post("/signout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    # A copy of the cookie kept from before the sign-out is refused.
    kapi.client.cookies.clear()
    kapi.client.cookies.update(cookie)
    assert kapi.client.get("/ui/jobs").status_code == 401
    # Signing in again makes a new session that works.
    kapi.client.cookies.clear()
    _sign_in(kapi, key)
    assert kapi.client.get("/ui/jobs").status_code == 200


def test_cli_lists_revokes_and_rotates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from lexgraph.cli import app

    monkeypatch.setenv("LEXGRAPH_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        made = runner.invoke(app, ["keys", "create", "--tenant", "acme", "--admin"])
        assert made.exit_code == 0, made.output
        key = made.stdout.strip().splitlines()[-1]
        listed = runner.invoke(app, ["keys", "list"])
        assert listed.exit_code == 0, listed.output
        [line] = [row for row in listed.stdout.splitlines() if row.startswith("key_")]
        key_id = line.split("\t")[0]
        assert "\tacme\t" in line and "\tadmin\t" in line and line.endswith("active")
        assert key[:10] in line and key not in listed.stdout

        rotated = runner.invoke(app, ["keys", "rotate", key_id])
        assert rotated.exit_code == 0, rotated.output
        new_key = rotated.stdout.strip().splitlines()[-1]
        assert new_key.startswith("lxg_") and new_key != key
        listed = runner.invoke(app, ["keys", "list", "--tenant", "acme"]).stdout
        assert f"{key_id}\tacme" in listed and "revoked" in listed
        assert runner.invoke(app, ["keys", "revoke", "key_nope"]).exit_code == 1

        with open_api(Settings(data_dir=tmp_path / "var")) as api:
            assert api.client.get("/v1/jobs", headers=_bearer(key)).status_code == 401
            assert api.client.get("/v1/keys", headers=_bearer(new_key)).status_code == 200
    finally:
        get_settings.cache_clear()


def test_a_key_revoked_elsewhere_stops_within_a_second_despite_the_cache(
        any_settings: Settings) -> None:
    settings = any_settings.model_copy(update={"api_key_cache_seconds": 300.0})
    # Two API processes on one database, as behind a load balancer.
    with open_api(settings) as first, open_api(settings) as second:
        key, who = first.store.create_key("acme")
        other_key, _ = first.store.create_key("acme")
        for api in (first, second):
            for auth in (_bearer(key), _bearer(other_key)):
                assert api.client.get("/v1/jobs", headers=auth).status_code == 200
        Keys(first.store).revoke(who.key_id)  # as `lexgraph keys revoke` does
        time.sleep(KeyCache.REVOCATION_CHECK_SECONDS + 0.1)
        for api in (first, second):
            assert api.client.get("/v1/jobs", headers=_bearer(key)).status_code == 401
            # Other keys are looked up again and still work.
            assert api.client.get("/v1/jobs", headers=_bearer(other_key)).status_code == 200
