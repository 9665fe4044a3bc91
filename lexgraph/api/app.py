from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from lexgraph import __version__
from lexgraph.api import contract, problems
from lexgraph.api import metrics as api_metrics
from lexgraph.api.deps import Services
from lexgraph.api.metrics import RequestMetrics
from lexgraph.api.routes import (
    deletion,
    docs,
    events,
    health,
    jobs,
    keys,
    sources,
    usage,
    web,
    webhooks,
)
from lexgraph.api.validation import RefuseControlCharacters
from lexgraph.api.web_deps import STATIC_DIR, make_web_services
from lexgraph.core.config.settings import Settings, get_settings
from lexgraph.core.db.engine import make_engine
from lexgraph.core.db.migrate import upgrade
from lexgraph.core.jobs.sources import SourceText
from lexgraph.core.jobs.store import JobStore
from lexgraph.core.jobs.stream import EventFeed
from lexgraph.core.jobs.wakeup import EventWakeup
from lexgraph.core.logsafety import install_secret_scrubbing
from lexgraph.core.observability.collectors import QueueDepthCollector, TenantJobsCollector
from lexgraph.core.observability.exposition import build_registry
from lexgraph.core.storage.blobs import LocalBlobStore
from lexgraph.core.tracing import configure_tracing
from lexgraph.core.webhooks import UrlGuard, WebhookStore
from lexgraph.core.webhooks.ssrf import Resolver
from lexgraph.workers.celery_app import QUEUES, make_celery

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *,
               resolver: Resolver | None = None) -> FastAPI:
    """The API; ``resolver`` replaces DNS for the webhook URL checks (tests)."""
    settings = settings or get_settings()
    install_secret_scrubbing()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.ensure_dirs()
        # Every blocking call runs on a pool thread holding at most one connection: with as
        # many pooled connections as threads, none is opened and closed per request (anyio's
        # default of 40 threads against 20 + 10 overflow connections did exactly that).
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.api_threads
        engine = make_engine(settings.resolved_database_url, pool_size=settings.api_threads)
        if settings.auto_migrate:
            upgrade(engine)
        guard = UrlGuard(settings.webhook_allowed_network_list, resolver)
        webhooks = WebhookStore(engine, settings, guard)
        tracer = configure_tracing(settings)
        store = JobStore(engine, LocalBlobStore(settings.resolved_blob_dir), settings,
                         check_webhook_url=webhooks.check_job_webhook_url, tracer=tracer)
        celery = make_celery(settings)
        wakeup = EventWakeup(engine)
        wakeup.start()
        feed = EventFeed(engine, poll_seconds=settings.event_stream_poll_seconds,
                         keepalive_seconds=settings.event_stream_keepalive_seconds,
                         wakeup=wakeup)
        app.state.services = Services(settings=settings, store=store, celery=celery,
                                      webhooks=webhooks, events=feed,
                                      sources=SourceText(engine, store.blobs, settings))
        app.state.web = make_web_services(settings, engine)
        app.state.metrics_registry = build_registry([
            QueueDepthCollector(celery.connection_for_read, QUEUES),
            TenantJobsCollector(engine, settings.metrics_tenant_limit)])
        try:
            yield
        finally:
            app.state.web.close()
            wakeup.close()
            tracer.flush()  # root runs of the last submissions, feedback
            engine.dispose()

    app = FastAPI(
        title="lexgraph",
        version=__version__,
        summary="Verified, cited summaries of legal documents.",
        lifespan=lifespan,
        # Served from the packaged Swagger UI (routes/docs.py), not FastAPI's CDN pages.
        docs_url=None,
        redoc_url=None,
    )
    problems.install(app)
    contract.install(app)
    app.add_middleware(RefuseControlCharacters)
    # Outermost, so refusals by the other middleware are timed and counted too.
    app.add_middleware(RequestMetrics, log_requests=settings.access_log)
    if settings.metrics_enabled:
        app.include_router(api_metrics.router)
    app.include_router(health.router)
    app.include_router(jobs.router)
    app.include_router(deletion.router)
    app.include_router(events.router)
    app.include_router(webhooks.router)
    app.include_router(sources.router)
    app.include_router(usage.router)
    app.include_router(keys.router)
    app.include_router(web.router)
    app.include_router(docs.router)
    app.mount(docs.ASSETS_PATH, docs.assets(), name="docs-assets")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
