"""Jobs handed to the workers: a submission or a review decision is stored, then its job is
sent to the orchestrate queue. The JSON API and the web page submit and review through here."""

from __future__ import annotations

import logging
from typing import Any

from lexgraph.api.deps import Services
from lexgraph.api.reviews import ReviewDecision
from lexgraph.core.jobs.intake import Submission
from lexgraph.core.jobs.store import Principal, SubmitOutcome
from lexgraph.core.observability import metrics

log = logging.getLogger(__name__)


def dispatch(celery: Any, job_id: str) -> None:
    celery.send_task("lexgraph.run_job", args=[job_id], queue="orchestrate")


def submit_and_dispatch(svc: Services, who: Principal, submission: Submission,
                        idempotency_key: str | None) -> SubmitOutcome:
    # One trip to the thread pool for the whole blocking part: each hop costs a GIL hand-off
    # and a wake-up, which under load is a measurable share of a submission (bench/intake.py).
    outcome = svc.store.submit(who, submission, idempotency_key)
    if not outcome.replayed:
        metrics.job_submitted(submission.profile)
    # A job answered from an earlier result is already finished: there is nothing to run.
    if not outcome.replayed and outcome.cached_from is None:
        try:
            dispatch(svc.celery, outcome.job_id)
        except Exception:
            # The job is stored; the worker-side sweeper sends it once the broker is back.
            log.warning("could not enqueue %s; it will be re-sent", outcome.job_id, exc_info=True)
            svc.store.mark_undispatched(outcome.job_id)
    return outcome


def review_and_dispatch(svc: Services, who: Principal, job_id: str,
                        decision: ReviewDecision) -> dict[str, Any]:
    job = svc.store.review(who, job_id, decision.model_dump())
    try:
        dispatch(svc.celery, job_id)
    except Exception:
        log.warning("could not enqueue %s after review; it will be re-sent", job_id,
                    exc_info=True)
        svc.store.mark_undispatched(job_id)
    return job
