"""Durable LangGraph checkpointers: SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lexgraph.core.errors import ConfigError


def open_checkpointer(url: str) -> tuple[Any, Any]:
    """Return (checkpointer, closer). Tables are created on first use."""
    if url.startswith("sqlite:///"):
        from langgraph.checkpoint.sqlite import SqliteSaver

        path = Path(url[len("sqlite:///"):])
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        saver = SqliteSaver(conn)
        saver.setup()
        return saver, conn.close
    if url.startswith(("postgresql", "postgres://")):
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool

        conninfo = "postgresql://" + url.split("://", 1)[1]
        # check: every connection is tested as it is handed out, so one that a database
        # restart closed is replaced instead of failing the job's next checkpoint.
        # reconnect_timeout: while the database is down, the pool keeps trying to refill for
        # this long rather than giving up on its connections for good.
        pool = ConnectionPool(conninfo, min_size=1, max_size=8, open=True,
                              check=ConnectionPool.check_connection, timeout=10,
                              reconnect_timeout=3600, kwargs={
                                  "autocommit": True, "prepare_threshold": 0,
                                  "row_factory": dict_row, "connect_timeout": 5})
        pg_saver = PostgresSaver(pool)  # type: ignore[arg-type]
        pg_saver.setup()
        return pg_saver, pool.close
    raise ConfigError(f"unsupported checkpoint URL {url.split(':', 1)[0]!r}")


def forget_threads(url: str, thread_ids: Sequence[str]) -> None:
    """Remove every checkpoint and pending write of the given threads (one per job id)."""
    if not thread_ids:
        return
    saver, close = open_checkpointer(url)
    try:
        for thread_id in thread_ids:
            saver.delete_thread(thread_id)
    finally:
        close()
