"""Which errors count as an outage: real exceptions from the real drivers, not look-alikes."""

from __future__ import annotations

import errno
import socket
import sqlite3
from pathlib import Path

import httpx
import pytest
import redis
from kombu import Connection
from sqlalchemy import create_engine, text

from lexgraph.core.errors import JobError, Unavailable
from lexgraph.core.llm.base import LLMUnavailable
from lexgraph.core.outages import outage_of
from lexgraph.core.storage.blobs import LocalBlobStore


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _raised(fn: object) -> BaseException:
    try:
        fn()  # type: ignore[operator]
    except BaseException as exc:
        return exc
    raise AssertionError("nothing was raised")


def test_database_unreachable(closed_port: int) -> None:
    engine = create_engine(f"postgresql+psycopg://x@127.0.0.1:{closed_port}/x")
    assert outage_of(_raised(lambda: engine.connect())) == "database"


def test_sqlite_locked_is_an_outage_but_a_missing_table_is_not(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.05})
    with engine.connect() as conn:
        assert outage_of(_raised(lambda: conn.execute(text("SELECT * FROM t")))) == "database"
        conn.rollback()
        holder.execute("COMMIT")
        assert outage_of(_raised(lambda: conn.execute(text("SELECT * FROM nope")))) is None


def test_broker_unreachable(closed_port: int) -> None:
    client = redis.Redis(port=closed_port, socket_connect_timeout=1)
    assert outage_of(_raised(client.ping)) == "broker"
    conn = Connection(f"redis://127.0.0.1:{closed_port}/0", connect_timeout=1)
    assert outage_of(_raised(lambda: conn.ensure_connection(max_retries=1))) == "broker"


def test_model_server_unreachable(closed_port: int) -> None:
    err = _raised(lambda: httpx.get(f"http://127.0.0.1:{closed_port}/v1/models", timeout=1))
    assert outage_of(err) == "model server"
    assert outage_of(LLMUnavailable("the server could not be reached")) == "model server"


def test_blob_store_gone(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    (tmp_path / "blobs").rmdir()
    (tmp_path / "blobs").write_text("a file where the folder was")
    err = _raised(lambda: store.put(b"data"))
    assert isinstance(err, Unavailable) and outage_of(err) == "blob store"
    assert outage_of(_raised(store.check_writable)) == "blob store"


def test_wrapped_outages_are_followed_to_their_cause() -> None:
    try:
        try:
            raise OSError(errno.EIO, "Input/output error")
        except OSError as exc:
            raise JobError("audit_unavailable", "could not record") from exc
    except JobError as wrapped:
        assert outage_of(wrapped) == "storage"


def test_bugs_and_bad_input_are_not_outages() -> None:
    assert outage_of(ValueError("bad")) is None
    assert outage_of(KeyError("x")) is None
    assert outage_of(JobError("no_readable_documents", "nothing to read")) is None
    assert outage_of(FileNotFoundError(errno.ENOENT, "missing")) is None
    # An error raised while handling an outage is not the outage: our own errors say their
    # cause with ``from``.
    try:
        try:
            raise ConnectionError("reset")
        except ConnectionError:
            raise JobError("bad_review_edit", "the edit is not valid") from None
    except JobError as exc:
        assert outage_of(exc) is None
