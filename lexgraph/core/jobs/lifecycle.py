"""Worker-side job transitions, each guarded by the worker's lease.

A worker owns a job while its lease is fresh. A worker that dies stops heartbeating; once the
lease lapses, the sweeper sends the job again and another worker claims it and resumes the
graph from its last checkpoint.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from lexgraph.core.db import leases
from lexgraph.core.db.engine import rowcount
from lexgraph.core.db.models import (
    Document,
    IdempotencyRecord,
    Job,
    JobEvent,
    JobStatus,
    Result,
    Tenant,
    utcnow,
)
from lexgraph.core.jobs.events import emit
from lexgraph.core.summary.length import DEFAULT_LENGTH, parse_length

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DocumentRef:
    id: str
    filename: str
    media_type: str
    blob_key: str
    pages: int
    size: int


@dataclass(frozen=True)
class ClaimedJob:
    id: str
    tenant_id: str
    matter: str
    matter_id: str  # with tenant_id, the ethical wall of the job's vector-store scope
    profile: str
    instructions: str | None
    attempt: int
    documents: list[DocumentRef]
    review: dict[str, Any] | None = None  # a reviewer's decision to resume with
    trace: dict[str, Any] | None = None  # the job's root run (core.tracing.JobTrace state)
    length: str | int = DEFAULT_LENGTH  # core.summary.length: a name or a word budget


class Lifecycle:
    def __init__(self, engine: Engine, lease_seconds: float, *,
                 max_running_per_tenant: int = 0, fair: bool = False) -> None:
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.lease = timedelta(seconds=lease_seconds)
        self.max_running_per_tenant = max_running_per_tenant
        # Claims share the workers among tenants (see _fairer).
        self.fair = fair

    def _fairer(self, s: Session, job_id: str, now: datetime) -> str | None:
        """A queued job of another tenant that should run before ``job_id``, if any.

        Messages reach workers in submission order, so one tenant's burst would fill every
        worker slot it frees, however high its running cap. Instead, a worker handed a queued
        job takes the oldest queued job of the tenant with the fewest running jobs whenever
        that tenant runs strictly fewer than the job's own; the job it was handed waits for
        the next sweep to send it again. A resumed job (lease lapsed) is never swapped.
        """
        row = s.execute(select(Job.tenant_id, Job.status).where(Job.id == job_id)).first()
        if row is None or row.status != JobStatus.queued.value:
            return None

        def running_of(tenant: Any) -> Any:
            return (select(func.count()).select_from(Job)
                    .where(Job.tenant_id == tenant, Job.status == JobStatus.running.value,
                           leases.live(Job, now)).scalar_subquery())

        waiting = (select(Job.tenant_id, func.min(Job.id).label("oldest"))
                   .where(Job.status == JobStatus.queued.value,
                          or_(Job.retry_at.is_(None), Job.retry_at <= now))
                   .group_by(Job.tenant_id).subquery())
        running = running_of(waiting.c.tenant_id)
        query = select(waiting.c.tenant_id, waiting.c.oldest, running.label("running"))
        if self.max_running_per_tenant:
            query = query.where(running < self.max_running_per_tenant)
        best = s.execute(query.order_by(running, waiting.c.oldest).limit(1)).first()
        if best is None or best.tenant_id == row.tenant_id:
            return None
        own = s.execute(select(running_of(row.tenant_id))).scalar_one()
        return str(best.oldest) if best.running < own else None

    def _tenant_is_full(self, s: Session, job_id: str, now: datetime) -> bool:
        """Whether a queued job must wait because its tenant runs as many jobs as it may. The
        job is then left for the next sweep to send again (``dispatched_at`` cleared), and the
        worker moves on to the next task, which may well be another tenant's."""
        row = s.execute(select(Job.tenant_id, Job.status).where(Job.id == job_id)).first()
        if row is None or row.status != JobStatus.queued.value:
            return False  # a resumed job already holds its place
        if s.get_bind().dialect.name == "postgresql":
            # Claims of one tenant's jobs take turns, so two workers cannot both see one free
            # place and fill it twice.
            s.execute(select(Tenant.id).where(Tenant.id == row.tenant_id).with_for_update())
        running = s.execute(select(func.count()).select_from(Job).where(
            Job.tenant_id == row.tenant_id, Job.status == JobStatus.running.value,
            leases.live(Job, now))).scalar_one()
        if running < self.max_running_per_tenant:
            return False
        s.execute(update(Job).where(Job.id == job_id, Job.status == JobStatus.queued.value)
                  .values(dispatched_at=None))
        return True

    def claim(self, job_id: str, owner: str) -> ClaimedJob | None:
        """Take the job if it is queued or its previous owner's lease has lapsed, and its
        tenant is under ``max_running_per_tenant``. With ``fair``, another tenant's queued job
        may be taken instead (see ``_fairer``); the returned job's id says which."""
        now = utcnow()
        with self.sessions.begin() as s:
            instead = self._fairer(s, job_id, now) if self.fair else None
            if instead is not None and not (self.max_running_per_tenant
                                            and self._tenant_is_full(s, instead, now)):
                claimed = self._take(s, instead, owner, now)
                if claimed is not None:
                    # The job this message was for waits its turn; the next sweep resends it.
                    s.execute(update(Job).where(Job.id == job_id,
                                                Job.status == JobStatus.queued.value)
                              .values(dispatched_at=None))
                    return claimed
            if self.max_running_per_tenant and self._tenant_is_full(s, job_id, now):
                return None
            return self._take(s, job_id, owner, now)

    def _take(self, s: Session, job_id: str, owner: str, now: datetime) -> ClaimedJob | None:
        """Claim ``job_id`` in ``s`` if it is queued or its lease has lapsed."""
        res = rowcount(s, update(Job).where(
            Job.id == job_id,
            or_(Job.status == JobStatus.queued.value,
                and_(Job.status == JobStatus.running.value, leases.lapsed(Job, now))),
        ).values(status=JobStatus.running.value, **leases.taken(owner, now, self.lease),
                 attempts=Job.attempts + 1,
                 retry_at=None, updated_at=now))
        if res != 1:
            return None
        job = s.execute(select(Job).where(Job.id == job_id)).scalar_one()
        if job.started_at is None:
            job.started_at = now
        emit(s, job.id, job.tenant_id, "job.started", status="running",
             attempt=job.attempts, resumed=job.attempts > 1)
        docs = s.execute(select(Document).where(Document.job_id == job_id)
                         .order_by(Document.position)).scalars()
        return ClaimedJob(
            id=job.id, tenant_id=job.tenant_id, matter=job.matter.name,
            matter_id=job.matter_id, profile=job.profile,
            instructions=job.instructions, attempt=job.attempts,
            documents=[DocumentRef(d.id, d.filename, d.media_type, d.blob_key, d.pages,
                                   d.size) for d in docs],
            review=job.review, trace=job.trace, length=parse_length(job.length),
        )

    def _owned(self, job_id: str, owner: str) -> Any:
        return and_(Job.id == job_id, leases.held_by(Job, owner),
                    Job.status == JobStatus.running.value)

    def owns(self, job_id: str, owner: str) -> bool:
        """Whether ``owner`` still runs the job: one indexed read, cheap enough per batch."""
        with self.sessions() as s:
            return s.execute(select(Job.id).where(self._owned(job_id, owner))).first() \
                is not None

    def heartbeat(self, job_id: str, owner: str) -> bool:
        """Extend the lease; False when the job was cancelled or taken over."""
        now = utcnow()
        with self.sessions.begin() as s:
            res = rowcount(s, update(Job).where(self._owned(job_id, owner))
                            .values(**leases.extended(now, self.lease)))
            return res == 1

    def progress(self, job_id: str, owner: str, *, stage: str, progress: float,
                 **data: Any) -> bool:
        now = utcnow()
        with self.sessions.begin() as s:
            res = rowcount(s, update(Job).where(self._owned(job_id, owner)).values(
                stage=stage, progress=progress, updated_at=now,
                **leases.extended(now, self.lease)))
            if res != 1:
                return False
            tenant_id = s.execute(select(Job.tenant_id).where(Job.id == job_id)).scalar_one()
            emit(s, job_id, tenant_id, "job.progress", stage=stage,
                 progress=round(progress, 4), **data)
            return True

    def complete(self, job_id: str, owner: str, body: dict[str, Any], markdown: str) -> bool:
        now = utcnow()
        with self.sessions.begin() as s:
            res = rowcount(s, update(Job).where(self._owned(job_id, owner)).values(
                status=JobStatus.succeeded.value, progress=1.0, stage="done", finished_at=now,
                updated_at=now, **leases.RELEASED, error=None))
            if res != 1:
                return False
            # One result per job: the primary key makes a second insert impossible, and a
            # resumed run that reaches here finds the job already succeeded above.
            if s.get(Result, job_id) is None:
                s.add(Result(job_id=job_id, body=body, markdown=markdown, created_at=now))
            tenant_id = s.execute(select(Job.tenant_id).where(Job.id == job_id)).scalar_one()
            emit(s, job_id, tenant_id, "job.completed", status="succeeded")
            return True

    def needs_review(self, job_id: str, owner: str, request: dict[str, Any]) -> bool:
        """Park the job until a reviewer decides; the graph waits at its checkpoint."""
        now = utcnow()
        with self.sessions.begin() as s:
            res = rowcount(s, update(Job).where(self._owned(job_id, owner)).values(
                status=JobStatus.needs_review.value, stage="human_review", updated_at=now,
                **leases.RELEASED, review=None))
            if res != 1:
                return False
            tenant_id = s.execute(select(Job.tenant_id).where(Job.id == job_id)).scalar_one()
            emit(s, job_id, tenant_id, "job.needs_review", status="needs_review", **request)
            return True

    def fail(self, job_id: str, owner: str, code: str, message: str) -> bool:
        now = utcnow()
        with self.sessions.begin() as s:
            res = rowcount(s, update(Job).where(self._owned(job_id, owner)).values(
                status=JobStatus.failed.value, finished_at=now, updated_at=now,
                **leases.RELEASED,
                error={"code": code, "message": message}))
            if res != 1:
                return False
            tenant_id = s.execute(select(Job.tenant_id).where(Job.id == job_id)).scalar_one()
            emit(s, job_id, tenant_id, "job.failed", status="failed", code=code,
                 message=message)
            return True

    def requeue_after_outage(self, job_id: str, owner: str, *, code: str, message: str,
                             limit: int, backoff: float, backoff_max: float) -> str | None:
        """Put the job back on the queue after an outage cut its attempt short, to be sent
        again after a backoff; past ``limit`` such retries it fails with ``code``.

        Returns "requeued", "failed", or None when the job is no longer this worker's.
        """
        now = utcnow()
        with self.sessions.begin() as s:
            job = s.execute(select(Job).where(self._owned(job_id, owner))
                            .with_for_update(of=Job)).unique().scalar()
            if job is None:
                return None
            retries = (job.outage_retries or 0) + 1
            if retries > limit:
                job.status = JobStatus.failed.value
                job.finished_at = job.updated_at = now
                leases.release(job)
                job.error = {"code": code, "message": message}
                emit(s, job_id, job.tenant_id, "job.failed", status="failed", code=code,
                     message=message)
                return "failed"
            wait = min(backoff_max, backoff * 2 ** (retries - 1))
            job.status = JobStatus.queued.value
            job.outage_retries = retries
            job.retry_at = now + timedelta(seconds=wait)
            # Unsent: the sweeper sends it once retry_at has passed.
            job.dispatched_at = None
            leases.release(job)
            job.updated_at = now
            emit(s, job_id, job.tenant_id, "job.queued", status="queued", retry=retries,
                 retry_in_seconds=round(wait, 3), reason=code)
            return "requeued"

    def release(self, job_id: str, owner: str) -> bool:
        """Give the job back at once (its worker is stopping); the next worker resumes it from
        its last checkpoint without waiting for the lease to lapse."""
        now = utcnow()
        with self.sessions.begin() as s:
            res = rowcount(s, update(Job).where(self._owned(job_id, owner)).values(
                status=JobStatus.queued.value, **leases.RELEASED,
                dispatched_at=None, retry_at=None, updated_at=now))
            return res == 1

    def progress_nodes(self, job_id: str) -> list[str]:
        """The nodes whose ``job.progress`` events exist, in the order they were emitted."""
        with self.sessions() as s:
            rows = s.execute(select(JobEvent.data).where(
                JobEvent.job_id == job_id, JobEvent.type == "job.progress")
                .order_by(JobEvent.id)).scalars()
            return [str((data or {}).get("node") or (data or {}).get("stage")) for data in rows]

    def status(self, job_id: str) -> str | None:
        with self.sessions() as s:
            return s.execute(select(Job.status).where(Job.id == job_id)).scalar()

    def _due(self, redispatch_after: timedelta) -> Any:
        now = utcnow()
        stale = now - redispatch_after
        return or_(
            and_(Job.status == JobStatus.queued.value,
                 or_(Job.retry_at.is_(None), Job.retry_at <= now),
                 or_(Job.dispatched_at.is_(None), Job.dispatched_at < stale)),
            and_(Job.status == JobStatus.running.value, leases.lapsed(Job, now),
                 or_(Job.dispatched_at.is_(None), Job.dispatched_at < Job.lease_expires_at,
                     Job.dispatched_at < stale)),
        )

    def dispatch_due(self, send: Callable[[str], None], redispatch_after: timedelta,
                     limit: int = 100) -> list[str]:
        """Send the jobs that need (re)sending: never sent, sent long ago, back from an
        outage, or whose worker died. Returns the ids the broker accepted.

        A job is stamped ``dispatched_at`` only after ``send`` returned, so a send that fails
        (broker down) leaves it due for the next sweep. On PostgreSQL the rows stay locked from
        selection to stamp and other sweepers skip them; elsewhere two sweepers may both send
        a job, and the claim lets only one worker run it.
        """
        with self.sessions.begin() as s:
            query = select(Job.id).where(self._due(redispatch_after)).order_by(Job.id)
            if s.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = list(s.execute(query.limit(limit)).scalars())
            sent: list[str] = []
            for job_id in ids:
                try:
                    send(job_id)
                except Exception:
                    # The broker is most likely down: the rest would fail the same way.
                    log.warning("could not send %s; the next sweep tries again", job_id,
                                exc_info=True)
                    break
                sent.append(job_id)
            if sent:
                s.execute(update(Job).where(Job.id.in_(sent)).values(dispatched_at=utcnow()))
            return sent

    def due_for_dispatch(self, redispatch_after: timedelta, limit: int = 100) -> list[str]:
        """The ids ``dispatch_due`` would send now, without sending or stamping them."""
        with self.sessions() as s:
            return list(s.execute(select(Job.id).where(self._due(redispatch_after))
                                  .order_by(Job.id).limit(limit)).scalars())

    def mark_undispatched(self, job_id: str) -> None:
        """A queued job whose message was dropped: the next sweep sends it again."""
        with self.sessions.begin() as s:
            s.execute(update(Job).where(Job.id == job_id,
                                        Job.status == JobStatus.queued.value)
                      .values(dispatched_at=None))

    def purge_idempotency(self) -> int:
        """Drop idempotency records past their retention (at least 24 h)."""
        with self.sessions.begin() as s:
            res = rowcount(s, delete(IdempotencyRecord).where(
                IdempotencyRecord.expires_at < utcnow()))
            return res
