"""The embedded SQL broker polls at the configured interval, not kombu's fixed second."""

from __future__ import annotations

from pathlib import Path

from lexgraph.core.config.settings import Settings
from lexgraph.workers.celery_app import make_celery


def test_sql_broker_transport_takes_the_poll_interval(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.broker_poll_interval_seconds < 1.0
    app = make_celery(settings)
    with app.connection_for_read() as conn:
        assert conn.transport.polling_interval == settings.broker_poll_interval_seconds
    slower = make_celery(Settings(data_dir=tmp_path, broker_poll_interval_seconds=0.5))
    with slower.connection_for_read() as conn:
        assert conn.transport.polling_interval == 0.5


def test_sql_broker_carries_a_message(tmp_path: Path) -> None:
    """The interval stays out of the database engine's arguments: a message goes through."""
    app = make_celery(Settings(data_dir=tmp_path))
    with app.connection_for_write() as conn:
        queue = conn.SimpleQueue("orchestrate")
        queue.put({"job": "j1"})
        message = queue.get(timeout=5)
        assert message.payload == {"job": "j1"}
        message.ack()
        queue.close()
    assert (tmp_path / "broker.db").is_file()


def test_redis_broker_is_left_as_it_is(tmp_path: Path) -> None:
    app = make_celery(Settings(data_dir=tmp_path, broker_url="redis://127.0.0.1:6379/0"))
    assert "polling_interval" not in app.conf.broker_transport_options
