"""Migration 0002 (webhooks) on SQLite and PostgreSQL: up from 0001 with data, down, up again."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from lexgraph.core.config.settings import Settings
from lexgraph.core.db.engine import make_engine
from lexgraph.core.db.migrate import alembic_config, current_revision, upgrade
from lexgraph.core.db.models import Base
from tests.conftest import PG_ADMIN_URL

WEBHOOK_TABLES = {"webhook_endpoints", "webhook_signing_secrets", "webhook_deliveries",
                  "webhook_attempts"}


@pytest.fixture
def empty_engine(any_settings: Settings, tmp_path) -> Iterator[Engine]:
    """An engine on a database with no tables at all, of the topology under test."""
    if any_settings.is_sqlite:
        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
        yield engine
        engine.dispose()
        return
    import psycopg

    name = f"lexgraph_mig_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    engine = make_engine(f"{base}/{name}")
    yield engine
    engine.dispose()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _downgrade(engine: Engine, revision: str) -> None:
    cfg = alembic_config()
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
        conn.commit()


def test_0002_upgrades_existing_data_and_downgrades(empty_engine: Engine) -> None:
    upgrade(empty_engine, "0001")
    created = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO tenants (id, name, created_at) VALUES ('t1', 'acme', :c)"),
                     {"c": created})
        conn.execute(text("INSERT INTO matters (id, tenant_id, name, created_at) "
                          "VALUES ('m1', 't1', 'm', :c)"), {"c": created})
        conn.execute(text(
            "INSERT INTO jobs (id, tenant_id, matter_id, status, profile, webhook_url, "
            "progress, attempts, created_at, updated_at) VALUES ('j1', 't1', 'm1', "
            "'succeeded', 'general', 'https://hooks.example.com/x', 1.0, 1, :c, :c)"),
            {"c": created})
        conn.execute(text("INSERT INTO job_events (job_id, tenant_id, type, data, created_at) "
                          "VALUES ('j1', 't1', 'job.completed', '{}', :c)"), {"c": created})

    upgrade(empty_engine)
    assert current_revision(empty_engine) is not None
    tables = set(inspect(empty_engine).get_table_names())
    assert tables >= WEBHOOK_TABLES
    with empty_engine.connect() as conn:
        # An event from before webhooks existed is not sent now: it counts as relayed.
        relayed = conn.execute(text("SELECT relayed_at FROM job_events")).scalar_one()
        assert relayed is not None
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], diff  # the migrations build exactly the schema the models describe

    _downgrade(empty_engine, "0001")
    assert not set(inspect(empty_engine).get_table_names()) & WEBHOOK_TABLES
    assert "relayed_at" not in {c["name"] for c in inspect(empty_engine).get_columns(
        "job_events")}
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM job_events")).scalar_one() == 1
    upgrade(empty_engine)
    assert set(inspect(empty_engine).get_table_names()) >= WEBHOOK_TABLES
