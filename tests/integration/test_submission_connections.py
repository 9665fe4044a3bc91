"""The submission path's connections to PostgreSQL and Redis: reused without a round trip or a
new client per submission, and still replaced when the server has closed them."""

from __future__ import annotations

import psycopg
import redis

from lexgraph.api.dispatch import dispatch
from lexgraph.core.config.settings import Settings
from lexgraph.core.db.engine import make_engine
from lexgraph.workers.celery_app import make_celery
from tests.support import wait_for


def _plain(url: str) -> str:
    return url.replace("+psycopg", "")


def _last_query(url: str, pid: int) -> str:
    with psycopg.connect(_plain(url), autocommit=True) as admin:
        row = admin.execute("SELECT query FROM pg_stat_activity WHERE pid = %s",
                            (pid,)).fetchone()
    assert row is not None, f"backend {pid} is gone"
    return str(row[0])


def test_checkout_of_a_healthy_connection_sends_nothing(production_settings: Settings) -> None:
    engine = make_engine(production_settings.resolved_database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid() /* before */").scalar_one()
        before = _last_query(production_settings.resolved_database_url, pid)
        with engine.connect() as conn:  # the pool's one connection, checked out again
            assert _last_query(production_settings.resolved_database_url, pid) == before
            assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one() == pid
    finally:
        engine.dispose()


def test_connection_the_server_closed_is_replaced_on_checkout(
        production_settings: Settings) -> None:
    url = production_settings.resolved_database_url
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        # What a restart or an administrator does to every idle connection in the pool.
        with psycopg.connect(_plain(url), autocommit=True) as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)

            def gone() -> bool:
                return admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s",
                                     (pid,)).fetchone() == (0,)

            wait_for(gone, 10, "the backend to exit", interval=0.05)
        with engine.connect() as conn:  # no error: the closed connection is not handed out
            assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one() != pid
    finally:
        engine.dispose()


def test_publishes_share_one_redis_client_and_all_arrive(production_settings: Settings) -> None:
    celery = make_celery(production_settings)
    queue = redis.Redis.from_url(production_settings.resolved_broker_url)
    with celery.connection_for_write() as conn:
        channel = conn.default_channel
        first = channel._create_client()
        assert channel._create_client() is first
        # A reconnected channel has a new pool: its client is built again, on that pool.
        channel._disconnect_pools()
        second = channel._create_client()
        assert second is not first and second.connection_pool is channel.pool
    for n in range(20):
        dispatch(celery, f"job_{n:026d}")
    assert queue.llen("orchestrate") == 20
