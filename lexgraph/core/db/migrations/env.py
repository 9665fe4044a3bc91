"""Alembic environment: the URL comes from the caller (``lexgraph migrate``), never a file."""

from __future__ import annotations

from alembic import context

from lexgraph.core.db.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through lexgraph.core.db.migrate.upgrade()")
    if connection.dialect.name == "sqlite":
        # Batch operations rebuild a table by copying it and dropping the original; with
        # foreign keys enforced, that DROP cascades, and rebuilding ``jobs`` would delete every
        # job's documents and events. SQLite's own procedure for such changes turns them off.
        # (A PRAGMA starts no transaction, and it cannot take effect inside one.)
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
