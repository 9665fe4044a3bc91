"""The tenant's matters by name, for pickers and filters."""

from __future__ import annotations

from sqlalchemy import Engine, select

from lexgraph.core.db.models import Matter


def matter_names(engine: Engine, tenant_id: str, limit: int = 500) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(select(Matter.name).where(Matter.tenant_id == tenant_id)
                            .order_by(Matter.name).limit(limit))
        return [row[0] for row in rows]
