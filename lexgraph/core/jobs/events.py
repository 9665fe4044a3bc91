"""Outbox writes: callers pass their open session so the event commits with the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from lexgraph.core.db.models import JobEvent, utcnow

# Every type emit() is called with; webhook endpoints subscribe to these.
EVENT_TYPES: tuple[str, ...] = (
    "job.queued", "job.started", "job.progress", "job.needs_review", "job.completed",
    "job.failed", "job.cancelled",
)
# The last event of a job: a live stream ends after it.
TERMINAL_EVENT_TYPES = frozenset({"job.completed", "job.failed", "job.cancelled"})


def emit(session: Session, job_id: str, tenant_id: str, type_: str, **data: Any) -> JobEvent:
    event = JobEvent(job_id=job_id, tenant_id=tenant_id, type=type_, data=data,
                     created_at=utcnow())
    session.add(event)
    return event
