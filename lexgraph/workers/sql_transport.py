"""kombu's SQL transport (the embedded broker) with a poll interval of our choosing.

kombu polls an idle SQL queue once a second, and reads the interval from the transport
options, but its SQL channel hands every transport option on to ``create_engine``, which
refuses one it does not know. So the stock transport cannot be told to poll faster through
Celery's settings: every hop of a job (API to worker, worker to webhooks) waited up to a
second. This channel keeps the interval out of the engine's arguments.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import sqlalchemy as kombu_sql
from sqlalchemy import create_engine

# Transport options that are kombu's, not the engine's.
_NOT_ENGINE = frozenset({"polling_interval", "queue_tablename", "message_tablename",
                         "callback", "errback", "max_retries", "interval_start",
                         "interval_step", "interval_max", "retry_errors"})


class Channel(kombu_sql.Channel):
    def _engine_from_config(self) -> Any:
        conninfo = self.connection.client
        options = {k: v for k, v in conninfo.transport_options.items() if k not in _NOT_ENGINE}
        return create_engine(conninfo.hostname, **options)


class Transport(kombu_sql.Transport):
    Channel = Channel


def plain_url(url: str) -> str:
    """``sqla+sqlite:///…`` → ``sqlite:///…``: with the prefix, kombu would pick its own
    transport whatever Celery's ``broker_transport`` says."""
    return url.split("+", 1)[1] if url.startswith("sqla+") else url
