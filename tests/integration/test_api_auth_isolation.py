"""Bearer authentication on every /v1 endpoint, and tenants that cannot see each other's jobs."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from lexgraph.core.db.models import ApiKey, utcnow
from tests.integration.conftest import Api, assert_problem

ENDPOINTS = [
    ("POST", "/v1/jobs"),
    ("GET", "/v1/jobs"),
    ("GET", "/v1/jobs/{id}"),
    ("GET", "/v1/jobs/{id}/result"),
    ("POST", "/v1/jobs/{id}/cancel"),
    ("GET", "/v1/jobs/{id}/events"),
]
JOB_ENDPOINTS = [e for e in ENDPOINTS if "{id}" in e[1]]

BAD_AUTH = [
    ({}, "send 'Authorization: Bearer <API key>'"),
    ({"Authorization": "Basic dXNlcjpwYXNz"},
     "the Authorization header must be 'Bearer <API key>'"),
    ({"Authorization": "Bearer"}, "the Authorization header must be 'Bearer <API key>'"),
    ({"Authorization": "Bearer    "}, "the Authorization header must be 'Bearer <API key>'"),
    ({"Authorization": "lxg_rawkeywithoutscheme"},
     "the Authorization header must be 'Bearer <API key>'"),
    ({"Authorization": "Bearer lxg_not-a-key-we-issued"},
     "the API key is not valid; create one with 'lexgraph keys create'"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS, ids=[f"{m} {p}" for m, p in ENDPOINTS])
@pytest.mark.parametrize(("headers", "detail"), BAD_AUTH,
                         ids=["missing", "basic", "bearer-no-token", "bearer-blank", "no-scheme",
                              "unknown-key"])
def test_bad_auth_is_401_everywhere(api: Api, method: str, path: str,
                                    headers: dict[str, str], detail: str) -> None:
    owner = api.tenant("acme")
    job_id = api.submit(owner).json()["id"]
    before = api.counts()

    # A body that would be refused anyway: authentication must be decided first.
    resp = api.client.request(method, path.format(id=job_id), headers=headers, content=b"{")

    problem = assert_problem(resp, 401, detail)
    assert problem["type"] == "https://lexgraph.dev/problems/unauthorized"
    assert problem["title"] == "Unauthorized"
    assert resp.headers["www-authenticate"] == "Bearer"
    assert api.counts() == before


def test_scheme_is_case_insensitive(api: Api) -> None:
    key = api.tenant("acme")["Authorization"].removeprefix("Bearer ")
    resp = api.client.get("/v1/jobs", headers={"Authorization": f"bearer {key}"})
    assert resp.status_code == 200, resp.text


def test_revoked_key_is_401(api: Api) -> None:
    auth = api.tenant("acme")
    assert api.client.get("/v1/jobs", headers=auth).status_code == 200
    with api.store.sessions.begin() as s:
        s.execute(update(ApiKey).values(revoked_at=utcnow()))
    resp = api.client.get("/v1/jobs", headers=auth)
    assert_problem(resp, 401, "the API key is not valid; create one with 'lexgraph keys create'")


def test_keys_of_one_tenant_share_its_jobs(api: Api) -> None:
    first, second = api.tenant("acme"), api.tenant("acme")
    assert first != second
    job_id = api.submit(first).json()["id"]
    assert api.client.get(f"/v1/jobs/{job_id}", headers=second).status_code == 200


@pytest.mark.parametrize(("method", "path"), JOB_ENDPOINTS,
                         ids=[f"{m} {p}" for m, p in JOB_ENDPOINTS])
def test_other_tenants_job_is_404(any_api: Api, method: str, path: str) -> None:
    acme, globex = any_api.tenant("acme"), any_api.tenant("globex")
    job_id = any_api.submit(acme).json()["id"]
    before = any_api.counts()

    resp = any_api.client.request(method, path.format(id=job_id), headers=globex)

    # The same answer as for a job that does not exist: nothing tells globex it is there.
    assert_problem(resp, 404, f"no job {job_id!r}")
    missing = any_api.client.request(method, path.format(id="job_0000000000000000000000000"),
                                     headers=globex)
    assert_problem(missing, 404, "no job 'job_0000000000000000000000000'")
    assert any_api.counts() == before
    owner_view = any_api.client.get(f"/v1/jobs/{job_id}", headers=acme).json()
    assert owner_view["status"] == "queued"


def test_lists_show_only_the_callers_jobs(any_api: Api) -> None:
    acme, globex = any_api.tenant("acme"), any_api.tenant("globex")
    acme_ids = {any_api.submit(acme, matter="shared-name").json()["id"] for _ in range(3)}
    globex_ids = {any_api.submit(globex, matter="shared-name").json()["id"] for _ in range(2)}

    def listed(auth: dict[str, str], **params: str | int) -> set[str]:
        seen: set[str] = set()
        cursor = None
        while True:
            query = {**params, **({"cursor": cursor} if cursor else {}), "limit": 1}
            page = any_api.client.get("/v1/jobs", headers=auth, params=query).json()
            seen |= {j["id"] for j in page["data"]}
            cursor = page["next_cursor"]
            if cursor is None:
                return seen

    assert listed(acme) == acme_ids
    assert listed(globex) == globex_ids
    # Same matter name in two tenants: two matters, never merged.
    assert listed(globex, matter="shared-name") == globex_ids
    assert listed(globex, status="queued") == globex_ids
    assert any_api.counts()["matters"] == 2


def test_cursor_from_another_tenant_reveals_nothing(any_api: Api) -> None:
    acme, globex = any_api.tenant("acme"), any_api.tenant("globex")
    for _ in range(3):
        any_api.submit(acme)
    page = any_api.client.get("/v1/jobs", headers=acme, params={"limit": 1}).json()
    resp = any_api.client.get("/v1/jobs", headers=globex, params={"cursor": page["next_cursor"]})
    assert resp.status_code == 200
    assert resp.json() == {"object": "list", "data": [], "next_cursor": None}
