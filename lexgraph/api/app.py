from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from lexgraph import __version__
from lexgraph.api import problems
from lexgraph.api.deps import Services
from lexgraph.api.routes import health, jobs
from lexgraph.core.config.settings import Settings, get_settings
from lexgraph.core.db.engine import make_engine
from lexgraph.core.db.migrate import upgrade
from lexgraph.core.jobs.store import JobStore
from lexgraph.core.storage.blobs import LocalBlobStore
from lexgraph.workers.celery_app import make_celery

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.ensure_dirs()
        engine = make_engine(settings.resolved_database_url, pool_size=20)
        if settings.auto_migrate:
            upgrade(engine)
        store = JobStore(engine, LocalBlobStore(settings.resolved_blob_dir), settings)
        celery = make_celery(settings)
        app.state.services = Services(settings=settings, store=store, celery=celery)
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(
        title="lexgraph",
        version=__version__,
        summary="Verified, cited summaries of legal documents.",
        lifespan=lifespan,
    )
    problems.install(app)
    app.include_router(health.router)
    app.include_router(jobs.router)
    return app
