"""``GuardAuditLog``: the job's audit log of screening decisions, in the jobs database.

Workers append a job's ``AuditEntry`` rows as decisions are made (a tool call is allowed only
once its decision is stored); the API reads them back, tenant-scoped, oldest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Engine, Table, insert, select
from sqlalchemy.orm import sessionmaker

from lexgraph.core.db.models import GuardAudit, Job, utcnow
from lexgraph.core.errors import NotFound
from lexgraph.core.guard.audit import AuditEntry
from lexgraph.core.jobs.views import iso


def audit_resource(row: GuardAudit) -> dict[str, Any]:
    return {"id": row.id, "object": "guard_decision", "job_id": row.job_id,
            "stage": row.stage, "subject": row.subject, "verdict": row.action,
            "categories": list(row.categories or []), "reason": row.reason, "guard": row.guard,
            "model": row.model, "latency_ms": row.latency_ms,
            "content_sha256": row.content_sha256, "cached": row.cached,
            "created_at": iso(row.created_at)}


class GuardAuditLog:
    def __init__(self, engine: Engine) -> None:
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    def append(self, job_id: str, tenant_id: str, entries: Sequence[AuditEntry]) -> None:
        """Store ``entries`` in one transaction; raises when they cannot be stored."""
        if not entries:
            return
        now = utcnow()
        rows = [dict(job_id=job_id, tenant_id=tenant_id, stage=e.stage, subject=e.subject[:200],
                     action=e.action, categories=list(e.categories), reason=e.reason,
                     guard=e.guard[:120], model=(e.model or None) and e.model[:300],
                     latency_ms=e.latency_ms, content_sha256=e.content_sha256,
                     cached=e.cached, created_at=now) for e in entries]
        with self.sessions.begin() as s:
            s.execute(insert(cast(Table, GuardAudit.__table__)), rows)

    def list(self, tenant_id: str, job_id: str, *, after: int = 0, limit: int = 100,
             stage: str | None = None) -> dict[str, Any]:
        """A page of the job's decisions, oldest first; ``NotFound`` for another tenant's."""
        limit = max(1, min(limit, 500))
        with self.sessions() as s:
            owner = s.execute(select(Job.id).where(Job.id == job_id,
                                                   Job.tenant_id == tenant_id)).scalar()
            if owner is None:
                raise NotFound(f"no job {job_id!r}")
            q = select(GuardAudit).where(GuardAudit.job_id == job_id,
                                         GuardAudit.tenant_id == tenant_id,
                                         GuardAudit.id > after)
            if stage is not None:
                q = q.where(GuardAudit.stage == stage)
            rows = list(s.execute(q.order_by(GuardAudit.id).limit(limit)).scalars())
        return {"object": "list", "data": [audit_resource(r) for r in rows],
                "next_after": rows[-1].id if len(rows) == limit else None}
