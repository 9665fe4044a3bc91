"""The job store the API and the CLI hold: one object over the parts that do the work, split
by concern — tenants and keys (``tenants``), submissions (``submission``, with idempotency in
``idempotency``), reading and cancelling jobs (``queries``), and review and feedback
(``review``). The job's trace is the business of ``core/tracing/job_runs``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from lexgraph.core.config.settings import Settings
from lexgraph.core.db.models import Result
from lexgraph.core.jobs.intake import Submission
from lexgraph.core.jobs.queries import JobQueries
from lexgraph.core.jobs.review import Reviews
from lexgraph.core.jobs.submission import Submissions, SubmitOutcome
from lexgraph.core.jobs.tenants import KEY_PREFIX, Principal, Tenants, hash_key
from lexgraph.core.jobs.usage import UsageStore
from lexgraph.core.storage.blobs import BlobStore
from lexgraph.core.tracing import Tracer
from lexgraph.core.tracing.job_runs import JobRuns

__all__ = ["KEY_PREFIX", "JobStore", "Principal", "SubmitOutcome", "hash_key"]


class JobStore:
    """Tenant-scoped operations behind the API and CLI. Every query filters by tenant."""

    def __init__(self, engine: Engine, blobs: BlobStore, settings: Settings, *,
                 check_webhook_url: Callable[[str], None] | None = None,
                 tracer: Tracer | None = None) -> None:
        self.engine = engine
        self.blobs = blobs
        self.settings = settings
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.usage = UsageStore(engine, settings)
        # Where each job's root run is opened at submission and feedback is sent.
        self.runs = JobRuns(settings, tracer)
        # One session factory for every part, as when the store was one class.
        self.tenants = Tenants(engine, self.sessions)
        self.submissions = Submissions(engine, self.sessions, blobs, settings,
                                       tenants=self.tenants,
                                       usage=self.usage, runs=self.runs,
                                       check_webhook_url=check_webhook_url)
        self.queries = JobQueries(engine, self.sessions, self.usage, self.runs)
        self.reviews = Reviews(self.sessions, self.usage, self.runs)

    @property
    def tracer(self) -> Tracer:
        return self.runs.tracer

    # Tenants and keys
    def create_key(self, tenant_name: str, *, admin: bool = False) -> tuple[str, Principal]:
        return self.tenants.create_key(tenant_name, admin=admin)

    def ensure_matter(self, tenant_name: str, matter_name: str) -> tuple[str, str]:
        return self.tenants.ensure_matter(tenant_name, matter_name)

    def authenticate(self, key: str | None) -> Principal:
        return self.tenants.authenticate(key)

    def known_key(self, digest: str) -> Principal | None:
        return self.tenants.known_key(digest)

    def revocation_marker(self) -> tuple[int, str | None]:
        return self.tenants.revocation_marker()

    def principal_for_key_id(self, key_id: str) -> Principal:
        return self.tenants.principal_for_key_id(key_id)

    # Submission
    def submit(self, who: Principal, sub: Submission, idempotency_key: str | None) -> SubmitOutcome:
        return self.submissions.submit(who, sub, idempotency_key)

    # Queries
    def get_job(self, who: Principal, job_id: str) -> dict[str, Any]:
        return self.queries.get_job(who, job_id)

    def list_jobs(self, who: Principal, *, status: str | None = None, matter: str | None = None,
                  limit: int = 50, cursor: str | None = None) -> dict[str, Any]:
        return self.queries.list_jobs(who, status=status, matter=matter, limit=limit,
                                      cursor=cursor)

    def cancel(self, who: Principal, job_id: str) -> dict[str, Any]:
        return self.queries.cancel(who, job_id)

    def events(self, who: Principal, job_id: str, *, after: int = 0,
               limit: int = 100) -> dict[str, Any]:
        return self.queries.events(who, job_id, after=after, limit=limit)

    def result(self, who: Principal, job_id: str) -> Result:
        return self.queries.result(who, job_id)

    def mark_undispatched(self, job_id: str) -> None:
        self.queries.mark_undispatched(job_id)

    def ping(self) -> None:
        self.queries.ping()

    # Review and feedback
    def review(self, who: Principal, job_id: str, decision: dict[str, Any]) -> dict[str, Any]:
        return self.reviews.review(who, job_id, decision)

    def add_feedback(self, who: Principal, job_id: str, *, score: float,
                     comment: str | None = None, correction: str | None = None,
                     key: str = "reviewer") -> dict[str, Any]:
        return self.reviews.add_feedback(who, job_id, score=score, comment=comment,
                                         correction=correction, key=key)
