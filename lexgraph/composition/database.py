"""The database engine every process opens first, migrated when the settings say so."""

from __future__ import annotations

from sqlalchemy import Engine

from lexgraph.core.config.settings import Settings
from lexgraph.core.db.engine import make_engine
from lexgraph.core.db.migrate import upgrade


def open_database(settings: Settings, *, pool_size: int = 5,
                  migrate: bool | None = None) -> Engine:
    """The engine for ``settings``' database, its data directories made. ``migrate`` None
    follows ``auto_migrate``; the ``migrate`` command passes True."""
    settings.ensure_dirs()
    engine = make_engine(settings.resolved_database_url, pool_size=pool_size)
    if settings.auto_migrate if migrate is None else migrate:
        upgrade(engine)
    return engine
