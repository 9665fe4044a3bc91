from __future__ import annotations

import base64
import hashlib
import logging
import math
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    bindparam,
    delete,
    func,
    insert,
    null,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from lexgraph.core.config.settings import Settings
from lexgraph.core.db.engine import rowcount
from lexgraph.core.db.models import (
    ApiKey,
    Document,
    IdempotencyRecord,
    Job,
    JobEvent,
    JobFeedback,
    JobStatus,
    Matter,
    Result,
    Tenant,
    utcnow,
)
from lexgraph.core.errors import (
    Conflict,
    NotFound,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
    UserError,
)
from lexgraph.core.ids import id_floor, new_id
from lexgraph.core.jobs import result_cache
from lexgraph.core.jobs.events import emit
from lexgraph.core.jobs.intake import PreparedDocument, Submission, validate
from lexgraph.core.jobs.usage import UsageStore
from lexgraph.core.jobs.views import event_resource, iso, job_resource
from lexgraph.core.storage.blobs import BlobStore
from lexgraph.core.summary.length import parse_length
from lexgraph.core.tracing import JobTrace, NoopTracer, OpenedJob, Tracer, feedback_id
from lexgraph.core.validation import check_line

log = logging.getLogger(__name__)
KEY_PREFIX = "lxg_"
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
_JOB_ID = re.compile(r"job_[0-9a-z]{26}")
# What a new job's row leaves null, as job_resource reads it.
_UNSET_JOB_COLUMNS = {"stage": None, "error": None, "started_at": None, "finished_at": None}


@dataclass(frozen=True)
class Principal:
    tenant_id: str
    tenant_name: str
    key_id: str
    admin: bool = False


@dataclass(frozen=True)
class SubmitOutcome:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]
    replayed: bool
    job_id: str
    # Set when an earlier job's result answered the submission: nothing is left to queue.
    cached_from: str | None = None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _insert_ignore(session: Session | Connection, table: Any, values: dict[str, Any]) -> None:
    bind = session.get_bind() if isinstance(session, Session) else session
    dialect = bind.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(table).values(**values).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.execute(sqlite_insert(table).values(**values).on_conflict_do_nothing())


class JobStore:
    """Tenant-scoped operations behind the API and CLI. Every query filters by tenant."""

    def __init__(self, engine: Engine, blobs: BlobStore, settings: Settings, *,
                 check_webhook_url: Callable[[str], None] | None = None,
                 tracer: Tracer | None = None) -> None:
        self.engine = engine
        # Where each job's root run is opened at submission and feedback is sent.
        self.tracer: Tracer = tracer or NoopTracer()
        self.blobs = blobs
        self.settings = settings
        self.usage = UsageStore(engine, settings)
        # Refuses a job's webhook_url that must never be called (see core/webhooks/ssrf.py).
        self.check_webhook_url = check_webhook_url
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        # (tenant id, matter name) -> matter id. A matter is never renamed and outlives its
        # jobs, so the id can be reused without a query; if its row is gone after all (tenant
        # deleted, database reset) the job insert fails on the foreign key and the lookup is
        # redone (see _create_job).
        self._matter_ids: dict[tuple[str, str], str] = {}
        self.pipeline_version = result_cache.PipelineVersions(settings)
        # SHA-256 of a key -> its tenant, for keys this process has verified. Only the
        # submission path reads it, and its transaction checks the key again (_admit).
        self._known_keys: dict[str, Principal] = {}

    # Tenants and keys ---------------------------------------------------------------------

    def create_key(self, tenant_name: str, *, admin: bool = False) -> tuple[str, Principal]:
        """Create the tenant if needed and a new key for it; the key is returned only here.
        An ``admin`` key may also list, revoke and rotate the tenant's keys."""
        tenant_name = tenant_name.strip()
        if not tenant_name:
            raise Unprocessable("a tenant name is required")
        key = KEY_PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
        with self.sessions.begin() as s:
            _insert_ignore(s, Tenant.__table__,
                           {"id": new_id("ten"), "name": tenant_name, "created_at": utcnow()})
            tenant = s.execute(select(Tenant).where(Tenant.name == tenant_name)).scalar_one()
            api_key = ApiKey(id=new_id("key"), tenant_id=tenant.id, key_hash=hash_key(key),
                             prefix=key[:10], created_at=utcnow(), admin=admin)
            s.add(api_key)
        return key, Principal(tenant.id, tenant.name, api_key.id, admin)

    def ensure_matter(self, tenant_name: str, matter_name: str) -> tuple[str, str]:
        """(tenant id, matter id) by name, creating either when new (pre-indexing a matter
        before its first job)."""
        tenant_name, matter_name = tenant_name.strip(), matter_name.strip()
        if not tenant_name or not matter_name:
            raise Unprocessable("a tenant name and a matter name are required")
        if len(matter_name) > 200:
            raise Unprocessable("a matter name has at most 200 characters")
        with self.sessions.begin() as s:
            _insert_ignore(s, Tenant.__table__,
                           {"id": new_id("ten"), "name": tenant_name, "created_at": utcnow()})
            tenant_id = s.execute(select(Tenant.id).where(Tenant.name == tenant_name)
                                  ).scalar_one()
            matter_id = self._matter_id(s, tenant_id, matter_name)
        return tenant_id, matter_id

    def authenticate(self, key: str | None) -> Principal:
        if not key:
            raise Unauthorized("send 'Authorization: Bearer <API key>'")
        # Every API request starts here: one autocommit read on a plain connection spares the
        # BEGIN and ROLLBACK round trips (and the ORM session) that a transaction would cost.
        digest = hash_key(key)
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            row = conn.execute(
                select(ApiKey.id, ApiKey.tenant_id, Tenant.name, ApiKey.revoked_at, ApiKey.admin)
                .join(Tenant, Tenant.id == ApiKey.tenant_id)
                .where(ApiKey.key_hash == digest)
            ).first()
        if row is None or row.revoked_at is not None:
            self._known_keys.pop(digest, None)
            raise Unauthorized("the API key is not valid; create one with 'lexgraph keys create'")
        who = Principal(row.tenant_id, row.name, row.id, bool(row.admin))
        if len(self._known_keys) >= 10_000:
            self._known_keys.clear()
        self._known_keys[digest] = who
        return who

    def known_key(self, digest: str) -> Principal | None:
        """The tenant of a key this process verified before, without asking the database;
        only for ``submit``, which checks the key in its own transaction."""
        return self._known_keys.get(digest)

    def revocation_marker(self) -> tuple[int, str | None]:
        """Changes whenever a key is revoked: how many are, and the latest time one was."""
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            count, latest = conn.execute(
                select(func.count(ApiKey.revoked_at), func.max(ApiKey.revoked_at))).one()
        return int(count), str(latest) if latest is not None else None

    def principal_for_key_id(self, key_id: str) -> Principal:
        """The tenant behind a key known by id (a web session), refused once it is revoked."""
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            row = conn.execute(
                select(ApiKey.id, ApiKey.tenant_id, Tenant.name, ApiKey.revoked_at, ApiKey.admin)
                .join(Tenant, Tenant.id == ApiKey.tenant_id)
                .where(ApiKey.id == key_id)
            ).first()
        if row is None or row.revoked_at is not None:
            raise Unauthorized("the session's API key is no longer valid; sign in again")
        return Principal(row.tenant_id, row.name, row.id, bool(row.admin))

    # Submission ---------------------------------------------------------------------------

    def submit(self, who: Principal, sub: Submission, idempotency_key: str | None) -> SubmitOutcome:
        prepared = validate(sub, self.settings)
        if sub.webhook_url is not None and self.check_webhook_url is not None:
            self.check_webhook_url(sub.webhook_url)
        fingerprint = sub.fingerprint(prepared)
        if idempotency_key is not None:
            stored = self._reserve_key(who, idempotency_key, fingerprint)
            if stored is not None:
                return stored
        try:
            self._check_tenant_limits(who)
            return self._create_job(who, sub, prepared, idempotency_key)
        except BaseException:
            if idempotency_key is not None:
                # Nothing was created, so a retry with the same key must be free to run.
                with self.sessions.begin() as s:
                    s.execute(delete(IdempotencyRecord).where(
                        IdempotencyRecord.tenant_id == who.tenant_id,
                        IdempotencyRecord.key == idempotency_key))
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

    def _reserve_key(self, who: Principal, key: str, fingerprint: str) -> SubmitOutcome | None:
        if not key or len(key) > 255:
            raise Unprocessable("Idempotency-Key must be 1 to 255 characters")
        check_line("Idempotency-Key", key)
        now = utcnow()
        ttl = timedelta(hours=self.settings.idempotency_ttl_hours)
        for _ in range(3):
            try:
                with self.sessions.begin() as s:
                    s.add(IdempotencyRecord(tenant_id=who.tenant_id, key=key,
                                            fingerprint=fingerprint, state="in_flight",
                                            created_at=now, expires_at=now + ttl))
                return None
            except IntegrityError:
                pass
            with self.sessions.begin() as s:
                rec = s.get(IdempotencyRecord, (who.tenant_id, key))
                if rec is None:
                    continue  # the first request failed and released the key: try again
                if rec.expires_at <= now:
                    s.delete(rec)
                    continue
                if rec.fingerprint != fingerprint:
                    raise Unprocessable(
                        "this Idempotency-Key was already used with a different request; "
                        "use a new key for a new request"
                    )
                if rec.state != "done":
                    raise Conflict(
                        "a request with this Idempotency-Key is still being processed; "
                        "retry after it completes"
                    )
                headers = dict(rec.response_headers or {})
                body = dict(rec.response_body or {})
                return SubmitOutcome(rec.response_status or 202, headers, body, True,
                                     str(body.get("id", "")))
        raise Conflict("could not reserve the Idempotency-Key; retry")

    def _matter_id(self, s: Session | Connection, tenant_id: str, name: str) -> str:
        cached = self._matter_ids.get((tenant_id, name))
        if cached is not None:
            return cached
        found = s.execute(select(Matter.id).where(
            Matter.tenant_id == tenant_id, Matter.name == name)).scalar()
        if found is None:
            _insert_ignore(s, Matter.__table__, {"id": new_id("mat"), "tenant_id": tenant_id,
                                                 "name": name, "created_at": utcnow()})
            found = s.execute(select(Matter.id).where(
                Matter.tenant_id == tenant_id, Matter.name == name)).scalar_one()
        return found

    def _remember_matter(self, tenant_id: str, name: str, matter_id: str) -> None:
        # Only after the commit: until then other transactions cannot see the matter row, and
        # a concurrent job insert that borrowed its id would fail the foreign key.
        if len(self._matter_ids) >= 10_000:
            self._matter_ids.clear()
        self._matter_ids[(tenant_id, name)] = matter_id

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
                if self._matter_ids.pop((who.tenant_id, sub.matter), None) is None:
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
        opened = self._open_trace(job_id, who, sub, prepared, now)
        # A plain connection rather than an ORM session: every statement here is Core, and
        # the session's bookkeeping would cost more CPU than some of them.
        with self.engine.begin() as conn:
            # Looked up in the transaction that stores the job: a source deleted meanwhile
            # takes its result row with it, and nothing is copied from it.
            found = self._admit(conn, who, cache_key,
                                look=sub.cache and self.settings.result_cache)
            matter_id = self._matter_id(conn, who.tenant_id, sub.matter)
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
                conn.execute(update(IdempotencyRecord).where(
                    IdempotencyRecord.tenant_id == who.tenant_id,
                    IdempotencyRecord.key == idempotency_key,
                ).values(state="done", response_status=202, response_headers=headers,
                         response_body=body))
        self._remember_matter(who.tenant_id, sub.matter, matter_id)
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
            self._known_keys = {k: p for k, p in self._known_keys.items()
                                if p.key_id != who.key_id}
            raise Unauthorized("the API key is not valid; create one with 'lexgraph keys create'")
        return result_cache.load(conn, row[1]) if row[1] is not None else None

    def _open_trace(self, job_id: str, who: Principal, sub: Submission,
                    prepared: list[PreparedDocument], now: datetime) -> OpenedJob | None:
        if not self.tracer.enabled:
            return None
        settings = self.settings
        mode = "extractive" if settings.llm_backend == "none" else "agentic"
        metadata = {"tenant_id": who.tenant_id, "tenant": who.tenant_name,
                    "matter": sub.matter, "profile": sub.profile, "mode": mode,
                    "llm_backend": settings.llm_backend, "llm_model": settings.llm_model,
                    "embedding_model": settings.embedding_model}
        inputs = {"matter": sub.matter, "profile": sub.profile,
                  "instructions": sub.instructions,
                  "documents": [{"filename": d.filename, "media_type": d.media_type,
                                 "pages": d.pages, "size": len(d.data)} for d in prepared]}
        return self.tracer.open_job(job_id, created_at=now, inputs=inputs, metadata=metadata,
                                    tags=["lexgraph", f"profile:{sub.profile}",
                                          f"mode:{mode}"])

    # Queries ------------------------------------------------------------------------------

    def _job(self, s: Session, who: Principal, job_id: str) -> Job:
        job = s.execute(select(Job).where(Job.id == job_id, Job.tenant_id == who.tenant_id)
                        ).scalar()
        if job is None:
            raise NotFound(f"no job {job_id!r}")
        return job

    def get_job(self, who: Principal, job_id: str) -> dict[str, Any]:
        with self.sessions() as s:
            job = self._job(s, who, job_id)
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
            job = self._job(s, who, job_id)
            if JobStatus(job.status).terminal:
                raise Conflict(f"job {job_id!r} is already {job.status} and cannot be cancelled")
            # Read before the UPDATE: the session synchronises the loaded job to the new status.
            previous = job.status
            now = utcnow()
            res = rowcount(s, update(Job).where(Job.id == job_id, Job.status == previous).values(
                status=JobStatus.cancelled.value, finished_at=now, updated_at=now,
                lease_owner=None, lease_expires_at=None))
            if res != 1:
                raise Conflict(f"job {job_id!r} changed state; retry")
            emit(s, job_id, who.tenant_id, "job.cancelled", status="cancelled",
                 previous=previous)
            s.flush()
            s.refresh(job)
            resource = job_resource(job, usage=self.usage.for_jobs(s, [job.id])[job.id])
        self.tracer.end_job(JobTrace.from_state(job.trace), "cancelled")
        return resource

    def review(self, who: Principal, job_id: str, decision: dict[str, Any]) -> dict[str, Any]:
        """Record a reviewer's decision on a job in needs_review and queue it to resume."""
        with self.sessions.begin() as s:
            job = self._job(s, who, job_id)
            if job.status != JobStatus.needs_review.value:
                raise Conflict(f"job {job_id!r} is {job.status}, not waiting for review")
            now = utcnow()
            res = rowcount(s, update(Job).where(
                Job.id == job_id, Job.status == JobStatus.needs_review.value,
            ).values(status=JobStatus.queued.value, review=decision, updated_at=now,
                     dispatched_at=now))
            if res != 1:
                raise Conflict(f"job {job_id!r} changed state; retry")
            emit(s, job_id, who.tenant_id, "job.queued", status="queued",
                 review=decision["action"])
            s.flush()
            s.refresh(job)
            return job_resource(job, usage=self.usage.for_jobs(s, [job.id])[job.id])

    def add_feedback(self, who: Principal, job_id: str, *, score: float,
                     comment: str | None = None, correction: str | None = None,
                     key: str = "reviewer") -> dict[str, Any]:
        """Store a reviewer's feedback on the job and send it to the job's root run."""
        with self.sessions.begin() as s:
            job = self._job(s, who, job_id)
            trace = JobTrace.from_state(job.trace)
            row = JobFeedback(id=new_id("fbk"), job_id=job_id, tenant_id=who.tenant_id,
                              key=key, score=score, comment=comment, correction=correction,
                              sent=False, created_at=utcnow())
            s.add(row)
        row_id = row.id

        def mark_sent() -> None:
            with self.sessions.begin() as s:
                s.execute(update(JobFeedback).where(JobFeedback.id == row_id).values(sent=True))

        # A send that succeeds only on a background retry marks the row then.
        sent = self.tracer.feedback(trace, key=key, score=score, comment=comment,
                                    correction=correction, feedback_id=feedback_id(row.id),
                                    on_sent=mark_sent)
        if sent:
            mark_sent()
        return {"id": row.id, "object": "feedback", "job_id": job_id, "key": key,
                "score": score, "comment": comment, "correction": correction,
                "sent_to_langsmith": sent, "run_id": trace.run_id if trace else None,
                "trace_url": trace.url if trace else None, "created_at": iso(row.created_at)}

    def events(self, who: Principal, job_id: str, *, after: int = 0,
               limit: int = 100) -> dict[str, Any]:
        limit = max(1, min(limit, 500))
        with self.sessions() as s:
            self._job(s, who, job_id)
            rows = list(s.execute(select(JobEvent).where(
                JobEvent.job_id == job_id, JobEvent.id > after
            ).order_by(JobEvent.id).limit(limit)).scalars())
            return {"object": "list", "data": [event_resource(e) for e in rows],
                    "next_after": rows[-1].id if len(rows) == limit else None}

    def result(self, who: Principal, job_id: str) -> Result:
        with self.sessions() as s:
            job = self._job(s, who, job_id)
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
