"""kombu's Redis transport, made to survive the loss of Redis with messages unacknowledged.

When the connection drops, the worker closes its channel, and closing gives the unacknowledged
messages back to Redis. kombu 5.7 does that after it has already torn the connection down:
building a new client then fails with ``AttributeError: 'NoneType' object has no attribute
'hostname'``, which Celery treats as unrecoverable, and the worker exits. The same happens to
the acknowledgement of a task that was running meanwhile, on the dead channel, once it ends.

Here those failures cost only the give-back or the acknowledgement: the messages stay in
Redis's unacked index, where any worker redelivers them after the visibility timeout, and a
redelivered job whose run is over or under way is skipped by its claim. The jobs database, not
the broker, is the record of every job.
"""

from __future__ import annotations

import logging
from typing import Any

from kombu.transport import redis as kombu_redis
from kombu.transport import virtual

log = logging.getLogger(__name__)


_LOST = (AttributeError, *kombu_redis.Transport.connection_errors)


class QoS(kombu_redis.QoS):
    def ack(self, delivery_tag: Any) -> None:
        try:
            super().ack(delivery_tag)
        except _LOST as exc:
            log.warning("a message could not be acknowledged, the connection to Redis was "
                        "lost (%s); it stays in the unacked index", type(exc).__name__)
            virtual.QoS.ack(self, delivery_tag)

    def reject(self, delivery_tag: Any, requeue: bool = False) -> None:
        try:
            super().reject(delivery_tag, requeue=requeue)
        except _LOST as exc:
            log.warning("a message could not be rejected, the connection to Redis was lost "
                        "(%s); it stays in the unacked index", type(exc).__name__)
            virtual.QoS.ack(self, delivery_tag)

    def restore_unacked(self, client: Any = None) -> Any:
        try:
            return super().restore_unacked(client)
        except _LOST as exc:
            log.warning("%d unacknowledged message(s) could not be given back to Redis "
                        "(%s: %s); they stay in its unacked index", len(self._delivered),
                        type(exc).__name__, exc)
            self._delivered.clear()
            return None


class Channel(kombu_redis.Channel):
    QoS = QoS

    _sync_client: Any = None

    def _create_client(self, asynchronous: bool = False) -> Any:
        # kombu builds a new redis.Redis for every publish (and every other command outside
        # the worker's poll). The object is only a front for the channel's connection pool,
        # but building it copies redis-py's response-callback tables: about a third of a
        # publish's CPU (bench/intake.py). One per pool serves every publish; redis-py
        # clients are safe to share between threads, each command taking its own pooled
        # connection. A new pool (after the channel reconnects) gets a new client.
        if asynchronous:
            return super()._create_client(asynchronous=True)
        pool = self.pool
        client = self._sync_client
        if client is None or client.connection_pool is not pool:
            client = self._sync_client = super()._create_client(asynchronous=False)
        return client


class Transport(kombu_redis.Transport):
    Channel = Channel
