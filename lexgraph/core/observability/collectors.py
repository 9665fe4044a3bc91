"""Gauges of shared state, read when Prometheus scrapes rather than kept in a process.

Queue depths live in the broker and jobs per tenant in the database; any process could be
asked, so no process keeps a copy that would go stale or be counted twice across replicas.
Each read is short and bounded, and a failed read drops its series for that scrape (with
``lexgraph_broker_up`` / ``lexgraph_database_up`` saying why) instead of failing the scrape.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select

from lexgraph.core.db.models import Job, Tenant

log = logging.getLogger(__name__)

OTHER_TENANTS = "(other)"


class QueueDepthCollector(Collector):
    """Messages waiting in each Celery queue, as the broker counts them.

    ``connect`` returns a kombu connection (``celery_app.connection_for_read``). The count is
    the transport's own ``_size``: for Redis it sums the queue's priority lists, for the SQL
    transport it counts visible rows, so both topologies report the same way.
    """

    def __init__(self, connect: Callable[[], Any], queues: Sequence[str]) -> None:
        self._connect = connect
        self._queues = tuple(queues)

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily("lexgraph_queue_depth", "Messages waiting in a Celery queue.",
                                  labels=["queue"])
        up = GaugeMetricFamily("lexgraph_broker_up", "1 when the broker answered this scrape.")
        try:
            with self._connect() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
                channel = conn.default_channel
                sizes = [(name, int(channel._size(name))) for name in self._queues]
        except Exception:
            log.debug("queue depths unavailable", exc_info=True)
            up.add_metric([], 0)
        else:
            for name, size in sizes:
                depth.add_metric([name], size)
            up.add_metric([], 1)
        yield depth
        yield up


class TenantJobsCollector(Collector):
    """Jobs queued and running per tenant, for the ``limit`` busiest tenants; the rest are
    summed under ``(other)`` so a firm with thousands of tenants keeps a bounded label set."""

    def __init__(self, engine: Engine, limit: int) -> None:
        self._engine = engine
        self._limit = limit

    def collect(self) -> Iterator[Metric]:
        jobs = GaugeMetricFamily("lexgraph_tenant_jobs", "Jobs queued or running per tenant.",
                                 labels=["tenant", "status"])
        up = GaugeMetricFamily("lexgraph_database_up", "1 when the jobs database answered "
                               "this scrape.")
        try:
            with self._engine.connect() as conn:
                rows = conn.execute(
                    select(Tenant.name, Job.status, func.count())
                    .join(Tenant, Tenant.id == Job.tenant_id)
                    .where(Job.status.in_(("queued", "running")))
                    .group_by(Tenant.name, Job.status)).all()
        except Exception:
            log.debug("jobs per tenant unavailable", exc_info=True)
            up.add_metric([], 0)
        else:
            totals: dict[str, int] = {}
            for name, _, count in rows:
                totals[name] = totals.get(name, 0) + int(count)
            shown = set(sorted(totals, key=lambda n: (-totals[n], n))[:self._limit])
            values: dict[tuple[str, str], int] = {}
            for name, status, count in rows:
                key = (name if name in shown else OTHER_TENANTS, status)
                values[key] = values.get(key, 0) + int(count)
            for (tenant, status), count in sorted(values.items()):
                jobs.add_metric([tenant, status], count)
            up.add_metric([], 1)
        yield jobs
        yield up


# Names of the series above, for the dashboard test.
SERIES = ("lexgraph_queue_depth", "lexgraph_broker_up", "lexgraph_tenant_jobs",
          "lexgraph_database_up")
