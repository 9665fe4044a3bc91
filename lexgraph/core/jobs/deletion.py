"""Delete a job's or a matter's data on the tenant's request.

What goes: the job rows and everything that cascades from them (documents, result, events and
their webhook deliveries, guard decisions, reviewers' feedback), the stored responses of
idempotent submissions that created them, the LangGraph checkpoints of each job's thread
(they hold the pseudonym map), the job's vectors, and every uploaded file no remaining job
refers to. What stays: the token counts in ``llm_usage`` (billing; they hold no content) and
one ``data_deletions`` row that records who deleted what and answers a repeated request.

Only finished jobs are deleted: a job still queued, running or waiting for review is refused
with 409 until it is cancelled. Deleting under a running worker would race it; the worker could
write checkpoints, vectors or a result after the deletion and leave data nobody can see. For
the same reason a job cancelled while it ran is refused for one lease period after the cancel:
its worker notices the cancel only once its current step ends.

Order: the outside stores (checkpoints, vectors) are cleared first, inside the transaction that
holds the job rows locked, so a failure there leaves the rows and the request can be repeated.
Uploaded files go last, once no row refers to them; a file that cannot be removed then is left
to the orphan sweep (core/storage/orphans.py).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from lexgraph.core.db.models import (
    DataDeletion,
    Document,
    IdempotencyRecord,
    Job,
    JobStatus,
    Matter,
    utcnow,
)
from lexgraph.core.errors import Conflict, NotFound
from lexgraph.core.ids import new_id
from lexgraph.core.jobs.views import iso
from lexgraph.core.storage.blobs import BlobStore
from lexgraph.core.vectorstore.base import Scope, VectorStore

log = logging.getLogger(__name__)

# Removes the checkpoints of the given LangGraph threads (one thread per job id).
ForgetThreads = Callable[[Sequence[str]], None]


@dataclass(frozen=True)
class Requester:
    tenant_id: str
    key_id: str


def deletion_resource(row: DataDeletion) -> dict[str, Any]:
    return {"id": row.id, "object": "deletion", "kind": row.kind,
            "jobs": list(row.jobs or []), "documents": row.documents,
            "blobs_removed": row.blobs_removed, "deleted_at": iso(row.created_at)}


def matter_target(tenant_id: str, name: str) -> str:
    """What a matter's deletion is recorded under: a digest, since the name may be personal."""
    return hashlib.sha256(f"{len(tenant_id)}:{tenant_id}|{name}".encode()).hexdigest()


class DataDeleter:
    def __init__(self, engine: Engine, blobs: BlobStore, vectors: Callable[[], VectorStore],
                 forget_threads: ForgetThreads, *, blob_grace_seconds: float,
                 settle_seconds: float) -> None:
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.blobs = blobs
        # Opened only when there are vectors to remove: a repeated request needs none.
        self.vectors = vectors
        self.forget_threads = forget_threads
        # A file stored again this recently may belong to a submission whose rows are not
        # committed yet; it is left to the orphan sweep, which waits the same period.
        self.blob_grace_seconds = blob_grace_seconds
        # How long a worker may go on after its job was cancelled (the lease period).
        self.settle = timedelta(seconds=settle_seconds)

    def delete_job(self, who: Requester, job_id: str) -> dict[str, Any]:
        """Delete one job of the tenant; repeating it answers the first deletion's record."""
        with self.sessions.begin() as s:
            job = s.execute(select(Job).where(Job.id == job_id, Job.tenant_id == who.tenant_id)
                            .with_for_update(of=Job)).scalar()
            if job is None:
                return self._earlier(s, who, "job", job_id, f"no job {job_id!r}")
            self._refuse_unfinished([job])
            keys = [d.blob_key for d in job.documents]
            self._clear_outside(s, [job], drop_scope=False)
            row = self._record(s, who, "job", job_id, [job], len(keys))
            s.delete(job)
        return self._finish(row, keys)

    def delete_matter(self, who: Requester, name: str) -> dict[str, Any]:
        """Delete a matter of the tenant and all its jobs; repeating it answers the record."""
        target = matter_target(who.tenant_id, name)
        with self.sessions.begin() as s:
            # Locked so that no job is added to the matter while it is being deleted: a job
            # insert checks its matter row (a foreign key) and waits for this transaction.
            matter = s.execute(select(Matter).where(
                Matter.tenant_id == who.tenant_id, Matter.name == name).with_for_update(of=Matter)
            ).scalar()
            if matter is None:
                return self._earlier(s, who, "matter", target, f"no matter {name!r}")
            jobs = list(s.execute(select(Job).where(Job.matter_id == matter.id)
                                  .order_by(Job.id).with_for_update(of=Job)).scalars())
            self._refuse_unfinished(jobs)
            keys = [d.blob_key for j in jobs for d in j.documents]
            self._clear_outside(s, jobs, drop_scope=True, matter_id=matter.id)
            row = self._record(s, who, "matter", target, jobs, len(keys))
            for job in jobs:
                s.delete(job)
            s.flush()
            s.delete(matter)
        return self._finish(row, keys)

    # Steps ------------------------------------------------------------------------------

    def _refuse_unfinished(self, jobs: Sequence[Job]) -> None:
        busy = [j for j in jobs if not JobStatus(j.status).terminal]
        if busy:
            first = busy[0]
            if len(busy) == 1:
                raise Conflict(f"job {first.id!r} is {first.status}; cancel it and delete it "
                               "once it has stopped")
            raise Conflict(f"{len(busy)} jobs of the matter have not finished (first "
                           f"{first.id!r}); cancel them and delete once they have stopped")
        settled = utcnow() - self.settle
        for job in jobs:
            if (job.status == JobStatus.cancelled.value and job.started_at is not None
                    and job.finished_at is not None and job.finished_at > settled):
                raise Conflict(f"job {job.id!r} was cancelled while it ran and its worker may "
                               "still be ending its current step; delete it in "
                               f"{self.settle.total_seconds():g} seconds")

    def _earlier(self, s: Session, who: Requester, kind: str, target: str,
                 missing: str) -> dict[str, Any]:
        row = s.execute(select(DataDeletion).where(
            DataDeletion.tenant_id == who.tenant_id, DataDeletion.kind == kind,
            DataDeletion.target == target).order_by(DataDeletion.id.desc())).scalar()
        if row is None:
            # Also what another tenant's job or matter looks like.
            raise NotFound(missing)
        return deletion_resource(row)

    def _clear_outside(self, s: Session, jobs: Sequence[Job], *, drop_scope: bool,
                       matter_id: str | None = None) -> None:
        if not jobs and not drop_scope:
            return
        self.forget_threads([j.id for j in jobs])
        store = self.vectors()
        try:
            if drop_scope and matter_id is not None and jobs:
                store.delete_matter(Scope(jobs[0].tenant_id, matter_id))
            for job in jobs if not drop_scope else ():
                for doc in job.documents:
                    store.delete_document(Scope(job.tenant_id, job.matter_id), doc.id)
        finally:
            store.close()
        # The stored answer of the submission that created a job repeats its instructions
        # and file names; a replay of that key after the deletion would be a new submission.
        for job in jobs:
            s.execute(delete(IdempotencyRecord).where(
                IdempotencyRecord.tenant_id == job.tenant_id,
                IdempotencyRecord.response_body["id"].as_string() == job.id))

    @staticmethod
    def _record(s: Session, who: Requester, kind: str, target: str, jobs: Sequence[Job],
                documents: int) -> DataDeletion:
        row = DataDeletion(id=new_id("del"), tenant_id=who.tenant_id, key_id=who.key_id,
                           kind=kind, target=target, jobs=[j.id for j in jobs],
                           documents=documents, blobs_removed=0, created_at=utcnow())
        s.add(row)
        return row

    def _finish(self, row: DataDeletion, keys: Sequence[str]) -> dict[str, Any]:
        removed = self._drop_unused(keys)
        if removed:
            with self.sessions.begin() as s:
                s.execute(DataDeletion.__table__.update().where(  # type: ignore[attr-defined]
                    DataDeletion.id == row.id).values(blobs_removed=removed))
            row.blobs_removed = removed
        log.info("deleted %s data: %d job(s), %d document(s), %d file(s)", row.kind,
                 len(row.jobs or []), row.documents, removed)
        return deletion_resource(row)

    def _drop_unused(self, keys: Sequence[str]) -> int:
        unique = list(dict.fromkeys(keys))
        if not unique:
            return 0
        with self.sessions() as s:
            used = set(s.execute(select(Document.blob_key).where(
                Document.blob_key.in_(unique))).scalars())
        cutoff = time.time() - self.blob_grace_seconds
        removed = 0
        for key in unique:
            if key in used:
                continue
            try:
                removed += self.blobs.delete_if_stored_before(key, cutoff)
            except Exception:
                log.warning("could not remove the upload %s; the orphan sweep will", key[:12])
        return removed
