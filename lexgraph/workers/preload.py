"""Everything a job needs loaded before an orchestrator worker takes its first message, and
the marker that says so.

Loaded on first use instead, the embedding model, the personal-data recognizers and the clause
finder cost the first job after a start several times its own run time. ``lexgraph worker``
loads them before it consumes; once Celery reports the worker ready, the worker writes
``<data_dir>/run/worker-<pid>.ready``, which `lexgraph up` and `lexgraph summarize` wait for
before they call the service ready.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from pathlib import Path
from typing import Any

from celery.signals import worker_ready, worker_shutdown, worker_shutting_down

from lexgraph.composition.worker import get_services
from lexgraph.core.clauses import load_clause_finder
from lexgraph.core.config.settings import Settings
from lexgraph.core.pii import get_detector
from lexgraph.core.summary import load_profiles

log = logging.getLogger(__name__)
_SAMPLE = ("This Agreement is made on 1 March 2024 between Jane Doe of 12 High Street, "
           "Springfield, and Acme Corporation; it is governed by the laws of Delaware.")


def preload(settings: Settings) -> dict[str, float]:
    """Build the worker's services and run each model once; seconds spent per part."""
    spent: dict[str, float] = {}
    start = time.perf_counter()
    context = get_services(settings).runner.context
    spent["services"] = time.perf_counter() - start
    start = time.perf_counter()
    warm_up = getattr(context.embedder, "warm_up", None)
    if callable(warm_up):
        warm_up()  # exports the ONNX file on the very first start
    else:
        context.embedder.embed_query(_SAMPLE)
    # Every job searches its profile's section queries: their vectors are made once, here.
    for profile in load_profiles().values():
        for section in profile.sections:
            context.embedder.embed_query(section.query)
    spent["embedding model"] = time.perf_counter() - start
    start = time.perf_counter()
    get_detector(settings).scan(_SAMPLE)
    spent["personal-data recognizers"] = time.perf_counter() - start
    start = time.perf_counter()
    (context.clauses or load_clause_finder()).classify([_SAMPLE])
    spent["clause finder"] = time.perf_counter() - start
    return spent


def ready_marker(settings: Settings, pid: int | None = None) -> Path:
    return settings.data_dir / "run" / f"worker-{os.getpid() if pid is None else pid}.ready"


def _settings_of(sender: Any) -> Settings | None:
    consumer = getattr(sender, "consumer", None) or sender
    app = getattr(consumer, "app", None)
    return getattr(getattr(app, "conf", None), "lexgraph_settings", None)


_marked: list[Path] = []


@worker_ready.connect
def _mark_ready(sender: Any = None, **_: Any) -> None:
    settings = _settings_of(sender)
    if settings is None:
        return
    marker = ready_marker(settings)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(f"{time.time():.3f}\n")
    _marked.append(marker)


@worker_shutting_down.connect
@worker_shutdown.connect
def _unmark_ready(**_: Any) -> None:
    # At the start of the warm shutdown already: from then on the worker takes no new job.
    while _marked:
        with contextlib.suppress(FileNotFoundError):
            _marked.pop().unlink()
