"""The job store over the configured database and blob store, for the API and the CLI."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from lexgraph.composition.database import open_database
from lexgraph.core.config.settings import Settings
from lexgraph.core.jobs.store import JobStore
from lexgraph.core.storage.blobs import LocalBlobStore
from lexgraph.core.tracing import Tracer


def job_store(settings: Settings, engine: Engine | None = None, *,
              check_webhook_url: Callable[[str], None] | None = None,
              tracer: Tracer | None = None) -> JobStore:
    """A job store on ``engine``, or on a database opened (and migrated) for it."""
    return JobStore(engine if engine is not None else open_database(settings),
                    LocalBlobStore(settings.resolved_blob_dir), settings,
                    check_webhook_url=check_webhook_url, tracer=tracer)
