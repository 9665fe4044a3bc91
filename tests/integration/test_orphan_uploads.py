"""A submission whose job is not stored leaves no upload behind, and never removes a file an
earlier job still uses; the sweep removes what a crash left, once past its grace period."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator

import pytest

from lexgraph.core.config.settings import Settings
from lexgraph.core.storage.orphans import OrphanSweep
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


def test_the_sweep_removes_old_unreferenced_uploads_only(api_: Api) -> None:
    auth = api_.tenant("acme")
    assert api_.submit(auth, documents=[{"filename": "lease.txt", "text": SHARED}]
                       ).status_code == 202
    blobs = api_.store.blobs
    orphan = blobs.put(PRIVATE.encode())
    recent = blobs.put(b"A file whose submission is still being written.")
    again = blobs.put(b"An old file a new submission is storing again.")
    old = time.time() - 7200
    root = api_.settings.resolved_blob_dir
    for key in (orphan, again, hashlib.sha256(SHARED.encode()).hexdigest()):
        os.utime(root / key[:2] / key, (old, old))
    blobs.put(b"An old file a new submission is storing again.")  # stored again: fresh

    sweep = OrphanSweep(api_.store.engine, blobs, grace_seconds=3600, interval_seconds=3600)
    assert sweep.run_if_due() == 1
    assert not blobs.exists(orphan)
    assert blobs.exists(recent) and blobs.exists(again)
    assert _key(SHARED) in api_.blobs()  # old, but a job refers to it
    # Not due again within the interval, even with a new orphan past its grace.
    orphan = blobs.put(PRIVATE.encode())
    os.utime(root / orphan[:2] / orphan, (old, old))
    assert sweep.run_if_due() == 0 and blobs.exists(orphan)
    assert sweep.run() == 1 and not blobs.exists(orphan)
