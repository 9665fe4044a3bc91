"""Everything one API process holds, built at start from ``Settings`` and closed at shutdown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from lexgraph.api.deps import Services
from lexgraph.api.web_deps import WebServices, make_web_services
from lexgraph.composition.database import open_database
from lexgraph.composition.jobs import job_store
from lexgraph.composition.tracing import configure_tracing
from lexgraph.composition.vectorstores import vector_store_opener
from lexgraph.core.config.settings import Settings
from lexgraph.core.jobs.sources import SourceText
from lexgraph.core.jobs.stream import EventFeed
from lexgraph.core.jobs.wakeup import EventWakeup
from lexgraph.core.observability.collectors import QueueDepthCollector, TenantJobsCollector
from lexgraph.core.observability.exposition import build_registry
from lexgraph.core.webhooks import UrlGuard, WebhookStore
from lexgraph.core.webhooks.ssrf import Resolver
from lexgraph.workers.celery_app import QUEUES, make_celery


@dataclass
class ApiContainer:
    services: Services
    web: WebServices
    metrics: CollectorRegistry
    close: Callable[[], None]


def build_api(settings: Settings, resolver: Resolver | None = None) -> ApiContainer:
    """``resolver`` replaces DNS for the webhook URL checks (tests)."""
    # As many pooled connections as the API has threads (see api/app.py).
    engine = open_database(settings, pool_size=settings.api_threads)
    webhooks = WebhookStore(engine, settings,
                            UrlGuard(settings.webhook_allowed_network_list, resolver))
    tracer = configure_tracing(settings)
    store = job_store(settings, engine, check_webhook_url=webhooks.check_job_webhook_url,
                      tracer=tracer)
    celery = make_celery(settings)
    wakeup = EventWakeup(engine)
    wakeup.start()
    feed = EventFeed(engine, poll_seconds=settings.event_stream_poll_seconds,
                     keepalive_seconds=settings.event_stream_keepalive_seconds, wakeup=wakeup)
    services = Services(settings=settings, store=store, celery=celery, webhooks=webhooks,
                        events=feed, sources=SourceText(engine, store.blobs, settings),
                        open_vectors=vector_store_opener(settings))
    web = make_web_services(settings, engine)
    registry = build_registry([QueueDepthCollector(celery.connection_for_read, QUEUES),
                               TenantJobsCollector(engine, settings.metrics_tenant_limit)])

    def close() -> None:
        web.close()
        wakeup.close()
        tracer.flush()  # root runs of the last submissions, feedback
        engine.dispose()

    return ApiContainer(services, web, registry, close)
