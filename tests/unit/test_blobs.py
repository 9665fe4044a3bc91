"""The local blob store: content-addressed, idempotent, atomic, and closed to odd keys."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from lexgraph.core.storage.blobs import BlobStore, LocalBlobStore


def test_put_returns_the_sha256_and_get_returns_the_bytes(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    data = b"%PDF-1.7 the original upload"
    key = store.put(data)
    assert key == hashlib.sha256(data).hexdigest()
    assert store.get(key) == data
    assert store.exists(key)
    assert (tmp_path / "blobs" / key[:2] / key).read_bytes() == data


def test_put_is_idempotent_and_deduplicates(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    first = store.put(b"same")
    path = tmp_path / first[:2] / first
    inode = path.stat().st_ino
    old = path.stat().st_mtime - 7200
    os.utime(path, (old, old))
    assert store.put(b"same") == first
    # Not written again (a rewrite replaces the file), but marked as stored just now, so the
    # orphan sweep leaves it to the submission that is storing it.
    assert path.stat().st_ino == inode
    assert path.stat().st_mtime > old + 3600
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [path]


def test_empty_blob_round_trips(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    assert store.get(store.put(b"")) == b""


def test_missing_blob_is_a_key_error(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    key = hashlib.sha256(b"never stored").hexdigest()
    assert not store.exists(key)
    with pytest.raises(KeyError):
        store.get(key)


@pytest.mark.parametrize("key", [
    "../../etc/passwd",
    "ab/../../x",
    "A" * 64,                      # upper case is not what put() returns
    "0" * 63,
    "0" * 65,
    "",
    "/" + "0" * 63,
])
def test_keys_that_are_not_digests_are_refused(tmp_path: Path, key: str) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    (tmp_path / "secret").write_text("outside the store")
    with pytest.raises(KeyError, match="not a blob key"):
        store.get(key)
    with pytest.raises(KeyError, match="not a blob key"):
        store.exists(key)


def test_concurrent_writers_of_one_blob_leave_one_whole_file(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    data = bytes(range(256)) * 4096  # 1 MiB: large enough for writes to interleave
    start = threading.Barrier(8)
    keys: list[str] = []

    def write() -> None:
        start.wait()
        keys.append(store.put(data))

    threads = [threading.Thread(target=write) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1
    assert store.get(keys[0]) == data
    # No temporary files are left behind by the writers that lost the race.
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [keys[0]]


def test_local_store_satisfies_the_protocol(tmp_path: Path) -> None:
    store: BlobStore = LocalBlobStore(tmp_path)
    assert store.exists(store.put(b"typed"))
