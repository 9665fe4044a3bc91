"""A submission whose job is not stored leaves no upload behind, and never removes a file an
earlier job still uses."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from lexgraph.core.config.settings import Settings
from tests.integration.conftest import Api, open_api
from tests.integration.test_log_secrets import _allow_inserts, _refuse_inserts

SHARED = "Lease of Unit 4, Harbour Buildings. The deposit is two months' rent."
PRIVATE = "Medical report on Jane Roe, born 1 May 1980."


@pytest.fixture
def api_(any_settings: Settings) -> Iterator[Api]:
    with open_api(any_settings) as api:
        yield api


def _key(text: str) -> str:
    digest = hashlib.sha256(text.encode()).hexdigest()
    return f"{digest[:2]}/{digest}"


def test_failed_submission_removes_only_its_own_uploads(api_: Api) -> None:
    auth = api_.tenant("acme")
    first = api_.submit(auth, documents=[{"filename": "lease.txt", "text": SHARED}])
    assert first.status_code == 202, first.text
    assert api_.blobs() == [_key(SHARED)]

    engine = api_.store.engine
    _refuse_inserts(engine)
    try:
        resp = api_.submit(auth, documents=[{"filename": "lease.txt", "text": SHARED},
                                            {"filename": "report.txt", "text": PRIVATE}])
        multipart = api_.upload(auth, [("scan.txt", PRIVATE.encode() + b" Page 2.",
                                        "text/plain")])
    finally:
        _allow_inserts(engine)
    assert resp.status_code == 500, resp.text
    assert multipart.status_code == 500, multipart.text
    # The earlier job's file stays; the failed submissions' new files are gone.
    assert api_.blobs() == [_key(SHARED)]
    assert api_.counts()["jobs"] == 1

    again = api_.submit(auth, documents=[{"filename": "report.txt", "text": PRIVATE}])
    assert again.status_code == 202, again.text
    assert sorted(api_.blobs()) == sorted([_key(SHARED), _key(PRIVATE)])
