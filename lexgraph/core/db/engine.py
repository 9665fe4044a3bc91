"""Engines for the jobs database on SQLite or PostgreSQL.

The API uses them from its thread pool, as do workers and the CLI.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import CursorResult, Engine, Executable, create_engine, event
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


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    url = _sync_url(url)
    # Bound values are instructions, matter names, webhook secrets: an error message that
    # lists them would carry them into the logs.
    if url.startswith("sqlite"):
        engine = create_engine(url, poolclass=NullPool, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=10, pool_pre_ping=True,
                         hide_parameters=True)



def rowcount(session: Session, statement: Executable) -> int:
    """Execute an UPDATE or DELETE and return how many rows it touched."""
    result = session.execute(statement)
    assert isinstance(result, CursorResult)
    return int(result.rowcount)
