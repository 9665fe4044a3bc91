"""A submission checks its API key in the transaction that stores the job: a key this API
process verified before is not looked up again on its own, and a key revoked since, by any
process, is refused at once with nothing written."""

from __future__ import annotations

from lexgraph.core.config.settings import Settings
from lexgraph.core.db.engine import make_engine
from lexgraph.core.jobs.keys import Keys
from lexgraph.core.jobs.store import JobStore, hash_key
from lexgraph.core.storage.blobs import LocalBlobStore
from tests.integration.conftest import Api, assert_problem, open_api
from tests.integration.test_result_cache import MEMO, finish

REVOKED = "the API key is not valid; create one with 'lexgraph keys create'"


def _revoke_elsewhere(settings: Settings, key_id: str) -> None:
    """Revoke as another process would (the CLI): its own engine and store."""
    engine = make_engine(settings.resolved_database_url)
    try:
        store = JobStore(engine, LocalBlobStore(settings.resolved_blob_dir), settings)
        Keys(store).revoke(key_id)
    finally:
        engine.dispose()


def _key_id(api: Api, auth: dict[str, str]) -> str:
    who = api.store.known_key(hash_key(auth["Authorization"].removeprefix("Bearer ")))
    assert who is not None, "the first submission verified the key"
    return who.key_id


def test_a_key_revoked_by_another_process_is_refused_at_once(any_settings: Settings) -> None:
    with open_api(any_settings) as api:
        auth = api.tenant("acme")
        first = api.submit(auth, documents=[MEMO])
        assert first.status_code == 202, first.text
        before, blobs = api.counts(), api.blobs()

        _revoke_elsewhere(any_settings, _key_id(api, auth))
        other = api.submit(auth, documents=[{"filename": "b.txt", "text": "Another text."}])

        assert_problem(other, 401, REVOKED)
        assert api.counts() == before
        assert api.blobs() == blobs
        # And for good: the next one does not get through on the process's memory either.
        assert api.submit(auth, documents=[MEMO]).status_code == 401
        assert api.store.known_key(hash_key(auth["Authorization"][7:])) is None


def test_a_revoked_key_gets_no_cached_answer(any_settings: Settings) -> None:
    with open_api(any_settings) as api:
        auth = api.tenant("acme")
        first = api.submit(auth, documents=[MEMO])
        finish(api, first.json()["id"])
        assert api.submit(auth, documents=[MEMO]).json()["cached_from"] == first.json()["id"]
        before = api.counts()

        _revoke_elsewhere(any_settings, _key_id(api, auth))
        resp = api.submit(auth, documents=[MEMO], headers={"Idempotency-Key": "after-revoke"})

        assert_problem(resp, 401, REVOKED)
        assert api.counts() == before


def test_a_known_key_costs_no_lookup_of_its_own(any_settings: Settings) -> None:
    with open_api(any_settings) as api:
        auth = api.tenant("acme")
        assert api.submit(auth, documents=[MEMO]).status_code == 202
        lookups: list[str] = []
        original = api.store.authenticate

        def counted(key: str | None) -> object:
            lookups.append("authenticate")
            return original(key)

        api.store.authenticate = counted  # type: ignore[method-assign]
        for n in range(3):
            resp = api.submit(auth, documents=[{"filename": f"{n}.txt", "text": f"Text {n}."}])
            assert resp.status_code == 202, resp.text
        assert lookups == []
        # Other routes still verify the key on every request.
        assert api.client.get("/v1/jobs", headers=auth).status_code == 200
        assert lookups == ["authenticate"]
