from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select

from lexgraph.core.db.engine import make_engine
from lexgraph.core.db.migrate import upgrade
from lexgraph.core.db.models import Tenant
from lexgraph.core.utc import as_utc

PARIS = timezone(timedelta(hours=1))


def test_as_utc_takes_naive_as_utc_and_converts_aware() -> None:
    assert as_utc(datetime(2026, 1, 2, 3, 4, 5)) == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    moved = as_utc(datetime(2026, 1, 2, 4, 4, 5, tzinfo=PARIS))
    assert moved.tzinfo is UTC and moved == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_sqlite_stores_naive_utc_and_reads_back_aware(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    engine = make_engine(url)
    upgrade(engine)
    moment = datetime(2026, 1, 2, 4, 4, 5, tzinfo=PARIS)
    with engine.begin() as conn:
        conn.execute(Tenant.__table__.insert().values(id="t1", name="one", created_at=moment))
        # Stored as before: the naive UTC wall time, so older rows read the same way.
        stored = conn.exec_driver_sql("SELECT created_at FROM tenants").scalar_one()
        assert stored.startswith("2026-01-02 03:04:05")
        read = conn.execute(select(Tenant.created_at)).scalar_one()
        assert read.tzinfo is UTC and read == moment
        # A naive bound value compares as UTC.
        naive = datetime(2026, 1, 2, 3, 4, 4)
        assert conn.execute(select(Tenant.id).where(Tenant.created_at > naive)).scalar_one()
    engine.dispose()
