"""Serve the series: the API's ``/metrics`` body and each worker's small HTTP listener.

A process that shares its port with others (``lexgraph api --workers N``) writes its samples
to files under ``PROMETHEUS_MULTIPROC_DIR`` and any one of them sums every process's files
when scraped; prometheus-client picks that mode when the variable is set before it is first
imported, so ``use_multiprocess_dir`` must run before the server processes start.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector, CollectorRegistry

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST


def use_multiprocess_dir(path: Path) -> Path:
    """Start each run with an empty directory: files of processes from an earlier run would
    otherwise be summed into this one's counters. An operator's own setting wins."""
    existing = os.environ.get(MULTIPROC_ENV)
    if existing:
        return Path(existing)
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    os.environ[MULTIPROC_ENV] = str(path)
    return path


class _Forward(Collector):
    def __init__(self, source: CollectorRegistry) -> None:
        self._source = source

    def collect(self) -> Iterator[Metric]:
        yield from self._source.collect()


def build_registry(extra: Iterable[Collector] = ()) -> CollectorRegistry:
    """This process's series (or every process's, in multiprocess mode) plus ``extra``."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Forward(REGISTRY))
    for collector in extra:
        registry.register(collector)
    return registry


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)


def start_listener(host: str, port: int, registry: CollectorRegistry) -> Any:
    """Serve ``registry`` at ``http://host:port/metrics`` from a daemon thread."""
    from prometheus_client import start_http_server

    server, _thread = start_http_server(port, addr=host, registry=registry)
    log.info("metrics on http://%s:%d/metrics", host, port)
    return server
