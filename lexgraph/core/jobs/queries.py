"""A tenant's jobs as clients read and steer them: one job, a page of jobs, its events, its
result; cancelling one. Every query filters by tenant."""

from __future__ import annotations

import base64
import re
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from lexgraph.core.db import leases
from lexgraph.core.db.engine import rowcount
from lexgraph.core.db.models import Job, JobEvent, JobStatus, Matter, Result, utcnow
from lexgraph.core.errors import Conflict, NotFound, Unprocessable, UserError
from lexgraph.core.jobs.events import emit
from lexgraph.core.jobs.tenants import Principal
from lexgraph.core.jobs.usage import UsageStore
from lexgraph.core.jobs.views import event_resource, job_resource
from lexgraph.core.tracing.job_runs import JobRuns

_JOB_ID = re.compile(r"job_[0-9a-z]{26}")


def tenant_job(s: Session, who: Principal, job_id: str) -> Job:
    """The job, if it is the tenant's; 404 otherwise, whoever else's it is."""
    job = s.execute(select(Job).where(Job.id == job_id, Job.tenant_id == who.tenant_id)
                    ).scalar()
    if job is None:
        raise NotFound(f"no job {job_id!r}")
    return job


class JobQueries:
    def __init__(self, engine: Engine, sessions: sessionmaker[Session], usage: UsageStore,
                 runs: JobRuns) -> None:
        self.engine = engine
        self.usage = usage
        self.runs = runs
        self.sessions = sessions

    def get_job(self, who: Principal, job_id: str) -> dict[str, Any]:
        with self.sessions() as s:
            job = tenant_job(s, who, job_id)
            return job_resource(job, usage=self.usage.for_jobs(s, [job.id])[job.id])

    def list_jobs(self, who: Principal, *, status: str | None = None, matter: str | None = None,
                  limit: int = 50, cursor: str | None = None) -> dict[str, Any]:
        if status is not None and status not in JobStatus.__members__:
            raise Unprocessable(f"status must be one of {', '.join(JobStatus.__members__)}")
        limit = max(1, min(limit, 200))
        with self.sessions() as s:
            q = select(Job).where(Job.tenant_id == who.tenant_id)
            if status:
                q = q.where(Job.status == status)
            if matter:
                q = q.join(Matter, Matter.id == Job.matter_id).where(Matter.name == matter)
            if cursor:
                q = q.where(Job.id < _decode_cursor(cursor))
            jobs = list(s.execute(q.order_by(Job.id.desc()).limit(limit + 1)).scalars())
            more = len(jobs) > limit
            jobs = jobs[:limit]
            usage = self.usage.for_jobs(s, [j.id for j in jobs])
            return {
                "object": "list",
                "data": [job_resource(j, usage=usage[j.id]) for j in jobs],
                "next_cursor": _encode_cursor(jobs[-1].id) if more and jobs else None,
            }

    def cancel(self, who: Principal, job_id: str) -> dict[str, Any]:
        with self.sessions.begin() as s:
            job = tenant_job(s, who, job_id)
            if JobStatus(job.status).terminal:
                raise Conflict(f"job {job_id!r} is already {job.status} and cannot be cancelled")
            # Read before the UPDATE: the session synchronises the loaded job to the new status.
            previous = job.status
            now = utcnow()
            res = rowcount(s, update(Job).where(Job.id == job_id, Job.status == previous).values(
                status=JobStatus.cancelled.value, finished_at=now, updated_at=now,
                **leases.RELEASED))
            if res != 1:
                raise Conflict(f"job {job_id!r} changed state; retry")
            emit(s, job_id, who.tenant_id, "job.cancelled", status="cancelled",
                 previous=previous)
            s.flush()
            s.refresh(job)
            resource = job_resource(job, usage=self.usage.for_jobs(s, [job.id])[job.id])
        self.runs.cancelled(job.trace)
        return resource

    def events(self, who: Principal, job_id: str, *, after: int = 0,
               limit: int = 100) -> dict[str, Any]:
        limit = max(1, min(limit, 500))
        with self.sessions() as s:
            tenant_job(s, who, job_id)
            rows = list(s.execute(select(JobEvent).where(
                JobEvent.job_id == job_id, JobEvent.id > after
            ).order_by(JobEvent.id).limit(limit)).scalars())
            return {"object": "list", "data": [event_resource(e) for e in rows],
                    "next_after": rows[-1].id if len(rows) == limit else None}

    def result(self, who: Principal, job_id: str) -> Result:
        with self.sessions() as s:
            job = tenant_job(s, who, job_id)
            res = s.get(Result, job_id)
            if res is None:
                if job.status == JobStatus.failed.value:
                    detail = (job.error or {}).get("message", "the job failed")
                    raise Conflict(f"job {job_id!r} failed and has no result: {detail}")
                if job.status == JobStatus.cancelled.value:
                    raise Conflict(f"job {job_id!r} was cancelled and has no result")
                raise Conflict(f"job {job_id!r} is {job.status}; its result is not ready yet")
            return res

    def mark_undispatched(self, job_id: str) -> None:
        with self.sessions.begin() as s:
            s.execute(update(Job).where(Job.id == job_id).values(dispatched_at=None))

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")


def _encode_cursor(job_id: str) -> str:
    return base64.urlsafe_b64encode(job_id.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raw = ""
    if not _JOB_ID.fullmatch(raw):
        raise UserError("the cursor is not valid; pass next_cursor from a previous page")
    return raw
