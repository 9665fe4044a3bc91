"""Celery tasks, the orchestrator's sweeper and the webhooks scheduler."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any

from celery import Task, shared_task
from celery.signals import (
    worker_process_shutdown,
    worker_ready,
    worker_shutdown,
    worker_shutting_down,
)

from lexgraph.composition.tracing import configure_tracing
from lexgraph.composition.worker import get_services, get_webhook_services, stop_runners
from lexgraph.core.config.settings import Settings
from lexgraph.core.observability import metrics
from lexgraph.core.tracing import get_tracer

log = logging.getLogger(__name__)


def _settings(task: Task) -> Settings:
    settings: Settings = task.app.conf.lexgraph_settings
    return settings


def send_job(app: Any, job_id: str) -> None:
    app.send_task("lexgraph.run_job", args=[job_id], queue="orchestrate")


@shared_task(name="lexgraph.run_job", bind=True)
def run_job(self: Task, job_id: str) -> str:
    services = get_services(_settings(self))
    if services.runner.stopping.is_set():
        # A message taken during the warm shutdown: leave the job to the workers that stay,
        # whose sweepers send it again at their next sweep.
        services.lifecycle.mark_undispatched(job_id)
        log.info("job %s: left to another worker, this one is stopping", job_id)
        return "skipped: the worker is stopping"
    outcome = services.runner.run(job_id)
    log.info("job %s: %s", job_id, outcome)
    return outcome


@shared_task(name="lexgraph.deliver_webhook", bind=True)
def deliver_webhook(self: Task, delivery_id: str) -> str:
    outcome = get_webhook_services(_settings(self)).deliverer.deliver(delivery_id)
    log.info("delivery %s: %s", delivery_id, outcome)
    return outcome


class Sweeper(threading.Thread):
    """Re-sends jobs that were never delivered or whose worker died (lease lapsed).

    Runs in every orchestrator worker; the database update that picks a job stamps it, so
    concurrent sweepers never both resend the same job.
    """

    def __init__(self, app: Any, settings: Settings) -> None:
        super().__init__(daemon=True, name="lexgraph-sweeper")
        self.app = app
        self.settings = settings
        self.stopping = threading.Event()
        self._epoch: str | None = None

    def sweep_once(self) -> list[str]:
        services = get_services(self.settings)
        redispatch_after = timedelta(seconds=self.settings.redispatch_after_seconds)
        epoch = self._broker_epoch()
        if epoch is not None and self._epoch is not None and epoch != self._epoch:
            # The broker restarted: whatever it held in memory (or had not yet written to
            # disk) is gone. Every queued job is sent again; the claim lets only one run.
            log.warning("the broker restarted; re-sending every queued job")
            redispatch_after = timedelta(0)
        if epoch is not None:
            self._epoch = epoch
        due = services.lifecycle.dispatch_due(lambda job_id: send_job(self.app, job_id),
                                              redispatch_after)
        services.lifecycle.purge_idempotency()
        if services.orphans is not None:
            try:
                services.orphans.run_if_due()
            except Exception:
                # Left for the next interval; sending jobs matters more than tidying.
                log.warning("the sweep of unreferenced uploads failed", exc_info=True)
        if due:
            metrics.sweeper_resent(len(due))
            log.info("re-sent %d job(s): %s", len(due), ", ".join(due))
        return due

    def _broker_epoch(self) -> str | None:
        """Redis's run id, which changes with every restart; None for other brokers or when
        Redis cannot be asked."""
        if not self.settings.broker_is_redis:
            return None
        try:
            with self.app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
                info = conn.default_channel.client.info("server")
                return str(info.get("run_id")) or None
        except Exception:
            log.debug("broker run id unavailable", exc_info=True)
            return None

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.sweep_once()
            except Exception:
                log.warning("sweep failed; retrying", exc_info=True)
            self.stopping.wait(self.settings.sweep_interval_seconds)


class WebhookScheduler(threading.Thread):
    """Fans new job events out into deliveries and sends each due delivery to the queue.

    It runs in every worker that consumes the ``webhooks`` queue, beside the deliveries it
    feeds, rather than in the API or a beat process of its own: there is nothing extra to
    deploy, a stack without webhooks workers does no relay work, scaling the webhooks service
    scales the relay with it, and API processes (one per uvicorn worker) stay request-only.
    Several at once are safe: fan-out is idempotent per (event, destination), and the query
    that picks due deliveries stamps them in the same statement.
    """

    def __init__(self, app: Any, settings: Settings) -> None:
        super().__init__(daemon=True, name="lexgraph-webhook-scheduler")
        self.app = app
        self.settings = settings
        self.stopping = threading.Event()

    def tick(self) -> int:
        due = get_webhook_services(self.settings).relay.tick()
        for delivery_id in due:
            self.app.send_task("lexgraph.deliver_webhook", args=[delivery_id], queue="webhooks")
        return len(due)

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                sent = self.tick()
            except Exception:
                log.warning("webhook scheduling failed; retrying", exc_info=True)
                sent = 0
            if not sent:
                self.stopping.wait(self.settings.webhook_poll_interval_seconds)


_sweeper: Sweeper | None = None
_scheduler: WebhookScheduler | None = None


@worker_ready.connect
def _start_sweeper(sender: Any = None, **_: Any) -> None:
    global _sweeper
    consumer = getattr(sender, "consumer", None) or sender
    queues = {q.name for q in consumer.task_consumer.queues} if consumer else set()
    if "orchestrate" not in queues:
        return
    app = consumer.app
    _sweeper = Sweeper(app, app.conf.lexgraph_settings)
    _sweeper.start()


@worker_ready.connect
def _start_webhook_scheduler(sender: Any = None, **_: Any) -> None:
    global _scheduler
    consumer = getattr(sender, "consumer", None) or sender
    queues = {q.name for q in consumer.task_consumer.queues} if consumer else set()
    if "webhooks" not in queues:
        return
    app = consumer.app
    _scheduler = WebhookScheduler(app, app.conf.lexgraph_settings)
    _scheduler.start()


@worker_shutting_down.connect
def _release_running_jobs(**_: Any) -> None:
    # Sent as the warm shutdown begins, before Celery waits for the running tasks: each job
    # stops after its current node and gives its lease back instead of holding it until it
    # lapses (see JobRunner.stopping).
    stop_runners()


@worker_shutdown.connect
def _stop_sweeper(**_: Any) -> None:
    if _sweeper is not None:
        _sweeper.stopping.set()
    if _scheduler is not None:
        _scheduler.stopping.set()


@worker_ready.connect
def _start_tracing(sender: Any = None, **_: Any) -> None:
    # Every worker, whatever its queues: an inference-only worker builds no job services, yet
    # its generations continue the callers' traces.
    consumer = getattr(sender, "consumer", None) or sender
    app = getattr(consumer, "app", None)
    if app is not None:
        configure_tracing(app.conf.lexgraph_settings)


@worker_shutdown.connect
@worker_process_shutdown.connect
def _flush_traces(**_: Any) -> None:
    # Runs are uploaded in batches by a background thread; what is still queued when the
    # worker stops would be lost.
    get_tracer().flush()
