"""A worker's logs and metrics listener, set up before Celery starts consuming."""

from __future__ import annotations

import logging
import os
import sys
import threading
from types import TracebackType
from typing import Any

from celery.signals import setup_logging

from lexgraph.core.config.settings import Settings
from lexgraph.core.observability.exposition import build_registry, start_listener
from lexgraph.core.observability.jsonlog import configure_logging

log = logging.getLogger("lexgraph.worker")


def _keep_our_logging(**_: Any) -> None:
    # A receiver on setup_logging tells Celery to leave logging alone: its own handlers
    # would print plain-text lines beside the JSON ones.
    return None


def _lines_as_records(fd: int, name: str) -> None:
    """Celery writes some notices ("Warm shutdown") straight to file descriptors 1 and 2,
    around logging, and the CLI prints progress there: each line becomes a record instead,
    so both streams stay JSON. Records go to a copy of the original stderr, so this never
    feeds itself."""
    read_fd, write_fd = os.pipe()
    os.dup2(write_fd, fd)
    os.close(write_fd)
    logger = logging.getLogger(name)

    def pump() -> None:
        with os.fdopen(read_fd, "rb") as pipe:
            for raw in pipe:
                text = raw.decode("utf-8", "replace").strip()
                if text:
                    logger.info(text)

    threading.Thread(target=pump, daemon=True, name=f"lexgraph-{name}").start()


def _log_uncaught(kind: type[BaseException], value: BaseException,
                  tb: TracebackType | None) -> None:
    # Written by the handler itself: a crash's traceback must not wait on the pump thread,
    # which may not run again before the process ends.
    log.critical("uncaught %s", kind.__name__, exc_info=(kind, value, tb))


def start_worker_observability(settings: Settings, loglevel: str) -> bool:
    """Start the metrics listener when a port is set and, for JSON logs, route every record
    (Celery's included) through one JSON handler. True when Celery's start-up banner, which
    is not a log record, should be left out."""
    if settings.worker_metrics_port:
        start_listener(settings.worker_metrics_host, settings.worker_metrics_port,
                       build_registry())
    if settings.log_format != "json":
        return False
    stream = os.fdopen(os.dup(2), "w", buffering=1, encoding="utf-8", errors="replace")
    configure_logging("json", loglevel.upper(), stream=stream)
    setup_logging.connect(_keep_our_logging, weak=False)
    _lines_as_records(1, "lexgraph.stdout")
    _lines_as_records(2, "lexgraph.stderr")
    sys.excepthook = _log_uncaught
    return True
