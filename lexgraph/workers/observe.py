"""A worker's logs and metrics listener, set up before Celery starts consuming."""

from __future__ import annotations

from typing import Any

from celery.signals import setup_logging

from lexgraph.core.config.settings import Settings
from lexgraph.core.observability.exposition import build_registry, start_listener
from lexgraph.core.observability.jsonlog import configure_logging


def _keep_our_logging(**_: Any) -> None:
    # A receiver on setup_logging tells Celery to leave logging alone: its own handlers
    # would print plain-text lines beside the JSON ones.
    return None


def start_worker_observability(settings: Settings, loglevel: str) -> bool:
    """Start the metrics listener when a port is set and, for JSON logs, route every record
    (Celery's included) through one JSON handler. True when Celery's start-up banner, which
    is not a log record, should be left out."""
    if settings.worker_metrics_port:
        start_listener(settings.worker_metrics_host, settings.worker_metrics_port,
                       build_registry())
    if settings.log_format != "json":
        return False
    configure_logging("json", loglevel.upper())
    setup_logging.connect(_keep_our_logging, weak=False)
    return True
