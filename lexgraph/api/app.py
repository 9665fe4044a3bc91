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
from lexgraph.api.web_deps import STATIC_DIR
from lexgraph.composition.api import build_api
from lexgraph.core.config.settings import Settings, get_settings
from lexgraph.core.logsafety import install_secret_scrubbing
from lexgraph.core.webhooks.ssrf import Resolver

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *,
               resolver: Resolver | None = None) -> FastAPI:
    """The API; ``resolver`` replaces DNS for the webhook URL checks (tests)."""
    settings = settings or get_settings()
    install_secret_scrubbing()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Every blocking call runs on a pool thread holding at most one connection: with as
        # many pooled connections as threads, none is opened and closed per request (anyio's
        # default of 40 threads against 20 + 10 overflow connections did exactly that).
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.api_threads
        built = build_api(settings, resolver)
        app.state.services = built.services
        app.state.web = built.web
        app.state.metrics_registry = built.metrics
        try:
            yield
        finally:
            built.close()

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
