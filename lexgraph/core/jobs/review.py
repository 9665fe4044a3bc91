"""What reviewers do to a job: decide on one waiting in needs_review, and leave feedback."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from lexgraph.core.db.engine import rowcount
from lexgraph.core.db.models import Job, JobFeedback, JobStatus, utcnow
from lexgraph.core.errors import Conflict
from lexgraph.core.ids import new_id
from lexgraph.core.jobs.events import emit
from lexgraph.core.jobs.queries import tenant_job
from lexgraph.core.jobs.tenants import Principal
from lexgraph.core.jobs.usage import UsageStore
from lexgraph.core.jobs.views import iso, job_resource
from lexgraph.core.tracing import JobTrace, feedback_id
from lexgraph.core.tracing.job_runs import JobRuns


class Reviews:
    def __init__(self, sessions: sessionmaker[Session], usage: UsageStore,
                 runs: JobRuns) -> None:
        self.sessions = sessions
        self.usage = usage
        self.runs = runs

    def review(self, who: Principal, job_id: str, decision: dict[str, Any]) -> dict[str, Any]:
        """Record a reviewer's decision on a job in needs_review and queue it to resume."""
        with self.sessions.begin() as s:
            job = tenant_job(s, who, job_id)
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
            job = tenant_job(s, who, job_id)
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
        sent = self.runs.feedback(trace, key=key, score=score, comment=comment,
                                  correction=correction, feedback_id=feedback_id(row.id),
                                  on_sent=mark_sent)
        if sent:
            mark_sent()
        return {"id": row.id, "object": "feedback", "job_id": job_id, "key": key,
                "score": score, "comment": comment, "correction": correction,
                "sent_to_langsmith": sent, "run_id": trace.run_id if trace else None,
                "trace_url": trace.url if trace else None, "created_at": iso(row.created_at)}
