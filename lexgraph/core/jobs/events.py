"""Outbox writes: callers pass their open session so the event commits with the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from lexgraph.core.db.models import JobEvent, utcnow


def emit(session: Session, job_id: str, tenant_id: str, type_: str, **data: Any) -> JobEvent:
    event = JobEvent(job_id=job_id, tenant_id=tenant_id, type=type_, data=data,
                     created_at=utcnow())
    session.add(event)
    return event
