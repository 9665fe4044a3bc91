"""Build the Celery app from Settings. Sending tasks needs only this module (no task code)."""

from __future__ import annotations

from celery import Celery
from kombu.entity import Queue

from lexgraph.core.config.settings import Settings
from lexgraph.core.logsafety import install_secret_scrubbing
from lexgraph.workers.sql_transport import plain_url

QUEUES = ("orchestrate", "inference", "webhooks")


def make_celery(settings: Settings) -> Celery:
    install_secret_scrubbing()
    broker = settings.resolved_broker_url
    sql_broker = broker.startswith("sqla+")
    if sql_broker:
        broker = plain_url(broker)
    app = Celery("lexgraph", broker=broker,
                 include=["lexgraph.workers.tasks", "lexgraph.workers.inference"])
    options: dict[str, object] = {}
    if settings.broker_is_redis:
        # A task is redelivered only if unacknowledged for this long; it must outlast the
        # longest job, or a healthy long job would be started twice.
        options["visibility_timeout"] = settings.redis_visibility_timeout
        # kombu's own, except that losing Redis with messages in flight no longer stops the
        # worker (see redis_transport.py).
        transport: str | None = "lexgraph.workers.redis_transport:Transport"
    elif sql_broker:
        # kombu's SQL transport, but polling at our interval rather than once a second.
        transport = "lexgraph.workers.sql_transport:Transport"
        options["polling_interval"] = settings.broker_poll_interval_seconds
    else:
        transport = None
    app.conf.update(
        broker_transport=transport,
        task_queues=[Queue(name) for name in QUEUES],
        task_default_queue="orchestrate",
        task_routes={"lexgraph.run_job": {"queue": "orchestrate"},
                     "lexgraph.deliver_webhook": {"queue": "webhooks"},
                     "lexgraph.generate": {"queue": "inference"}},
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_ignore_result=True,
        worker_prefetch_multiplier=1,
        broker_transport_options=options,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
    )
    app.conf.lexgraph_settings = settings
    return app
