"""Migration 0007 (jobs.length) on SQLite and PostgreSQL: up from 0006 with jobs in it, down,
up again. Jobs from before the column read as the default length everywhere they are read."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session

from lexgraph.core.db.migrate import current_revision, upgrade
from lexgraph.core.db.models import Base, Job
from lexgraph.core.jobs.lifecycle import Lifecycle
from lexgraph.core.jobs.views import job_resource
from tests.integration import test_migration_webhooks
from tests.integration.test_migration_webhooks import _downgrade

# A fresh, empty database of each topology, as the webhooks migration test has it.
empty_engine = test_migration_webhooks.empty_engine


def _job_columns(engine: Engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("jobs")}


def test_0007_upgrades_existing_jobs_to_the_default_length(empty_engine: Engine) -> None:
    upgrade(empty_engine, "0006")
    assert "length" not in _job_columns(empty_engine)
    created = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO tenants (id, name, created_at) VALUES ('t1', 'acme', :c)"),
                     {"c": created})
        conn.execute(text("INSERT INTO matters (id, tenant_id, name, created_at) "
                          "VALUES ('m1', 't1', 'm', :c)"), {"c": created})
        for job_id, status in (("j1", "succeeded"), ("j2", "queued")):
            conn.execute(text(
                "INSERT INTO jobs (id, tenant_id, matter_id, status, profile, progress, "
                "attempts, created_at, updated_at) VALUES (:id, 't1', 'm1', :status, "
                "'general', 0.0, 0, :c, :c)"), {"id": job_id, "status": status, "c": created})

    upgrade(empty_engine)
    assert current_revision(empty_engine) >= "0007"
    assert "length" in _job_columns(empty_engine)
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT length FROM jobs ORDER BY id")).all() == [
            (None,), (None,)]
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], diff  # the migrations build exactly the schema the models describe
    with Session(empty_engine) as s:
        old = s.execute(select(Job).where(Job.id == "j1")).unique().scalar_one()
        assert job_resource(old)["length"] == "standard"
    # A worker picking up a queued job from before the upgrade runs it at the default length.
    claimed = Lifecycle(empty_engine, lease_seconds=60).claim("j2", "worker-1")
    assert claimed is not None and claimed.length == "standard"

    with empty_engine.begin() as conn:
        conn.execute(text("UPDATE jobs SET length = '400' WHERE id = 'j1'"))
    with Session(empty_engine) as s:
        budget = s.execute(select(Job).where(Job.id == "j1")).unique().scalar_one()
        assert job_resource(budget)["length"] == 400

    _downgrade(empty_engine, "0006")
    assert "length" not in _job_columns(empty_engine)
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM jobs")).scalar_one() == 2
    upgrade(empty_engine)
    assert "length" in _job_columns(empty_engine)
