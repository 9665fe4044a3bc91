"""Engines for the jobs database on SQLite or PostgreSQL.

The API uses them from its thread pool, as do workers and the CLI.
"""

from __future__ import annotations

import select
from typing import Any

from sqlalchemy import CursorResult, Engine, Executable, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool


def _sync_url(url: str) -> str:
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets the API read while a worker writes; busy_timeout turns lock contention into a
    # short wait instead of an error.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _drop_if_server_spoke(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
    """Replace a pooled PostgreSQL connection the server has closed, without a round trip.

    An idle connection receives nothing unless the server is ending it: a restart or an
    administrator's termination sends an error message and closes the socket, which is then
    readable. A zero-timeout poll of the socket finds that at the cost of a system call, where
    ``pool_pre_ping`` sent a ``SELECT 1`` and waited for it on every checkout (a few per cent
    of a job submission's CPU, bench/intake.py). Raising ``DisconnectionError`` makes the
    pool discard the connection and check out another (a new one if need be).
    """
    try:
        if dbapi_conn.closed:
            raise DisconnectionError("the connection is closed")
        fd = dbapi_conn.pgconn.socket
    except DisconnectionError:
        raise
    except Exception as exc:  # psycopg raises when the connection is already broken
        raise DisconnectionError(str(exc)) from exc
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    if poller.poll(0):
        raise DisconnectionError("the server sent data to an idle connection (closing it)")


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    url = _sync_url(url)
    # Bound values are instructions, matter names, webhook secrets: an error message that
    # lists them would carry them into the logs.
    if url.startswith("sqlite"):
        engine = create_engine(url, poolclass=NullPool, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    psycopg = url.startswith("postgresql+psycopg:")
    # Another driver keeps SQLAlchemy's ping, a round trip per checkout.
    engine = create_engine(url, pool_size=pool_size, max_overflow=10, pool_pre_ping=not psycopg,
                           hide_parameters=True)
    if psycopg:
        event.listen(engine, "checkout", _drop_if_server_spoke)
    return engine



def rowcount(session: Session, statement: Executable) -> int:
    """Execute an UPDATE or DELETE and return how many rows it touched."""
    result = session.execute(statement)
    assert isinstance(result, CursorResult)
    return int(result.rowcount)
