"""Accepting a job: validate, store the uploads, then the job, its documents and its first
events in one transaction, answered from an earlier result when one fits (result_cache)."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, bindparam, func, insert, null, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from lexgraph.core.config.settings import Settings
from lexgraph.core.db.models import ApiKey, Document, Job, JobEvent, JobStatus, Result, utcnow
from lexgraph.core.errors import TooManyRequests
from lexgraph.core.ids import id_floor, new_id
from lexgraph.core.jobs import result_cache
from lexgraph.core.jobs.idempotency import IdempotencyKeys, StoredResponse
from lexgraph.core.jobs.intake import PreparedDocument, Submission, validate
from lexgraph.core.jobs.tenants import Principal, Tenants
from lexgraph.core.jobs.usage import UsageStore
from lexgraph.core.jobs.views import job_resource
from lexgraph.core.storage.blobs import BlobStore
from lexgraph.core.summary.length import parse_length
from lexgraph.core.tracing.job_runs import JobRuns

log = logging.getLogger(__name__)
# The submission's statements, built once: building and keying a statement costs more CPU
# than PostgreSQL spends running it.
_INSERT_JOB = insert(cast(Table, Job.__table__))
_INSERT_DOCUMENTS = insert(cast(Table, Document.__table__))
_INSERT_RESULT = insert(cast(Table, Result.__table__))
_INSERT_EVENT = insert(cast(Table, JobEvent.__table__))
_ADMIT_KEY = (ApiKey.id == bindparam("key_id"), ApiKey.revoked_at.is_(None))
_ADMIT = select(ApiKey.id, null()).where(*_ADMIT_KEY)
_ADMIT_AND_LOOK = select(ApiKey.id, result_cache.source(
    bindparam("tenant_id"), bindparam("cache_key"))).where(*_ADMIT_KEY)
# What a new job's row leaves null, as job_resource reads it.
_UNSET_JOB_COLUMNS = {"stage": None, "error": None, "started_at": None, "finished_at": None}


@dataclass(frozen=True)
class SubmitOutcome:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]
    replayed: bool
    job_id: str
    # Set when an earlier job's result answered the submission: nothing is left to queue.
    cached_from: str | None = None


class Submissions:
    def __init__(self, engine: Engine, sessions: sessionmaker[Session], blobs: BlobStore,
                 settings: Settings, *, tenants: Tenants, usage: UsageStore, runs: JobRuns,
                 check_webhook_url: Callable[[str], None] | None = None) -> None:
        self.engine = engine
        self.blobs = blobs
        self.settings = settings
        self.tenants = tenants
        self.usage = usage
        self.runs = runs
        # Refuses a job's webhook_url that must never be called (see core/webhooks/ssrf.py).
        self.check_webhook_url = check_webhook_url
        self.sessions = sessions
        self.idempotency = IdempotencyKeys(self.sessions, settings)
        self.pipeline_version = result_cache.PipelineVersions(settings)

    def submit(self, who: Principal, sub: Submission, idempotency_key: str | None) -> SubmitOutcome:
        prepared = validate(sub, self.settings)
        if sub.webhook_url is not None and self.check_webhook_url is not None:
            self.check_webhook_url(sub.webhook_url)
        fingerprint = sub.fingerprint(prepared)
        if idempotency_key is not None:
            stored = self.idempotency.reserve(who.tenant_id, idempotency_key, fingerprint)
            if stored is not None:
                return SubmitOutcome(stored.status, stored.headers, stored.body, True,
                                     str(stored.body.get("id", "")))
        try:
            self._check_tenant_limits(who)
            return self._create_job(who, sub, prepared, idempotency_key)
        except BaseException:
            if idempotency_key is not None:
                self.idempotency.release(who.tenant_id, idempotency_key)
            raise

    def _check_tenant_limits(self, who: Principal) -> None:
        """Refuse a tenant's submission over its rate or its queue (429 with Retry-After), so
        one tenant's burst cannot fill the queue ahead of everyone else's jobs. Counted from
        the jobs table, so every API process enforces the same limit; two submissions racing
        may overshoot it by one."""
        per_minute = self.settings.tenant_submissions_per_minute
        max_queued = self.settings.tenant_max_queued_jobs
        if not per_minute and not max_queued:
            return
        now = time.time()
        with self.sessions() as s:
            if per_minute:
                recent = list(s.execute(
                    select(Job.created_at).where(Job.tenant_id == who.tenant_id,
                                                 Job.id >= id_floor("job", now - 60))
                    .order_by(Job.id.desc()).limit(per_minute)).scalars())
                if len(recent) >= per_minute:
                    # Room again once the oldest of the last ``per_minute`` is a minute old.
                    oldest = recent[-1].timestamp()
                    raise TooManyRequests(
                        f"more than {per_minute} jobs submitted in the last minute; "
                        f"at most {per_minute} a minute per tenant",
                        retry_after=math.ceil(oldest + 60 - now))
            if max_queued:
                queued = s.execute(select(func.count()).select_from(Job).where(
                    Job.tenant_id == who.tenant_id,
                    Job.status == JobStatus.queued.value)).scalar_one()
                if queued >= max_queued:
                    raise TooManyRequests(
                        f"{queued} of the tenant's jobs are waiting to start; at most "
                        f"{max_queued} may wait at once, so submit more as they start",
                        retry_after=30)

    def _create_job(self, who: Principal, sub: Submission, prepared: list[PreparedDocument],
                    idempotency_key: str | None) -> SubmitOutcome:
        # Blobs first, so no job ever points at a missing file; if the job is not stored after
        # all, the blobs this request added are removed again (see _drop_orphans).
        added: list[str] = []
        keys: list[str] = []
        try:
            for doc in prepared:
                existed = self.blobs.exists(doc.sha256)
                keys.append(self.blobs.put(doc.data))
                if not existed:
                    added.append(keys[-1])
            try:
                return self._insert_job(who, sub, prepared, keys, idempotency_key)
            except IntegrityError:
                # Only a stale cached matter id is worth a second try, looked up afresh.
                if not self.tenants.forget_matter(who.tenant_id, sub.matter):
                    raise
                return self._insert_job(who, sub, prepared, keys, idempotency_key)
        except BaseException:
            self._drop_orphans(added)
            raise

    def _drop_orphans(self, keys: list[str]) -> None:
        """Remove uploads of a submission that was not stored: they hold personal data that no
        job refers to. A blob some document row refers to stays (the same file sent in an
        earlier or concurrent submission that was stored)."""
        if not keys:
            return
        try:
            with self.sessions() as s:
                used = set(s.execute(select(Document.blob_key).where(
                    Document.blob_key.in_(keys))).scalars())
        except Exception:
            # Unreachable, the database cannot have stored another submission's row either.
            used = set()
        for key in dict.fromkeys(keys):
            if key in used:
                continue
            try:
                self.blobs.delete(key)
            except Exception:
                log.warning("could not remove the upload %s of a failed submission", key[:12])

    def _insert_job(self, who: Principal, sub: Submission, prepared: list[PreparedDocument],
                    keys: list[str], idempotency_key: str | None) -> SubmitOutcome:
        now = utcnow()
        job_id = new_id("job")
        cache_key = result_cache.cache_key(who.tenant_id, sub, prepared, self.pipeline_version())
        opened = self.runs.open_submitted(
            job_id, created_at=now, tenant_id=who.tenant_id, tenant_name=who.tenant_name,
            matter=sub.matter, profile=sub.profile, instructions=sub.instructions,
            documents=[{"filename": d.filename, "media_type": d.media_type, "pages": d.pages,
                        "size": len(d.data)} for d in prepared])
        # A plain connection rather than an ORM session: every statement here is Core, and
        # the session's bookkeeping would cost more CPU than some of them.
        with self.engine.begin() as conn:
            # Looked up in the transaction that stores the job: a source deleted meanwhile
            # takes its result row with it, and nothing is copied from it.
            found = self._admit(conn, who, cache_key,
                                look=sub.cache and self.settings.result_cache)
            matter_id = self.tenants.matter_id(conn, who.tenant_id, sub.matter)
            if found is not None:
                opened = None  # nothing runs, so there is no run to trace
            job_row = dict(id=job_id, tenant_id=who.tenant_id, matter_id=matter_id,
                           status=JobStatus.queued.value, profile=sub.profile,
                           instructions=sub.instructions, webhook_url=sub.webhook_url,
                           length=str(parse_length(sub.length)), progress=0.0,
                           attempts=0, created_at=now, updated_at=now, dispatched_at=now,
                           trace=opened.trace.to_state() if opened is not None else None,
                           cache_key=cache_key, cached_from=None)
            if found is not None:
                job_row.update(status=JobStatus.succeeded.value, progress=1.0, stage="done",
                               started_at=now, finished_at=now, cache_key=None,
                               cached_from=found.job_id)
            doc_rows = [
                dict(id=new_id("doc"), job_id=job_id, position=i, filename=d.filename,
                     media_type=d.media_type, size=len(d.data), sha256=d.sha256,
                     blob_key=key, pages=d.pages)
                for i, (d, key) in enumerate(zip(prepared, keys, strict=True))
            ]
            # Core inserts rather than the unit of work: on the submission hot path its
            # bookkeeping costs more CPU than the rows. ``job`` stays transient; it only
            # renders the response.
            # The events go in as rows too, in this transaction (the outbox convention).
            conn.execute(_INSERT_JOB, job_row)
            conn.execute(_INSERT_DOCUMENTS, doc_rows)
            events = [dict(job_id=job_id, tenant_id=who.tenant_id, type="job.queued",
                           data={"status": "queued"}, created_at=now)]
            if found is not None:
                copied, markdown = result_cache.copy_for(found, job_id,
                                                         [str(row["id"]) for row in doc_rows])
                conn.execute(_INSERT_RESULT, dict(job_id=job_id, body=copied,
                                                  markdown=markdown, created_at=now))
                events.append(dict(job_id=job_id, tenant_id=who.tenant_id, type="job.completed",
                                   data={"status": "succeeded", "cached_from": found.job_id},
                                   created_at=now))
            for event in events:  # one by one: event ids follow the order they happened in
                conn.execute(_INSERT_EVENT, event)
            # Rendered from the rows just written, through plain attribute holders: ORM
            # instances would pay for instrumentation and state tracking they never use here.
            # Columns the insert leaves unset are null, as the database has them.
            job = SimpleNamespace(**{**_UNSET_JOB_COLUMNS, **job_row},
                                  documents=[SimpleNamespace(**row) for row in doc_rows])
            body = job_resource(cast(Job, job), matter_name=sub.matter,
                                usage=self.usage.none())
            headers = {"Location": f"/v1/jobs/{job_id}"}
            if idempotency_key is not None:
                self.idempotency.complete(conn, who.tenant_id, idempotency_key,
                                          StoredResponse(202, headers, body))
        self.tenants.remember_matter(who.tenant_id, sub.matter, matter_id)
        if opened is not None:
            opened.post()  # only once the job exists: a rolled-back job leaves no run behind
        return SubmitOutcome(202, headers, body, False, job_id,
                             found.job_id if found is not None else None)

    def _admit(self, conn: Connection, who: Principal, cache_key: str,
               look: bool) -> result_cache.CachedResult | None:
        """Refuse a key revoked since it was verified, and find the job whose result answers
        this submission, in one statement of the submission's transaction."""
        row = conn.execute(_ADMIT_AND_LOOK if look else _ADMIT, {
            "key_id": who.key_id, "tenant_id": who.tenant_id, "cache_key": cache_key}).first()
        if row is None:
            raise self.tenants.refuse_key(who)
        return result_cache.load(conn, row[1]) if row[1] is not None else None
