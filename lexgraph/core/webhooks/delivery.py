"""One delivery attempt: claim the delivery under a lease, have the sender POST the signed event
(``WebhookSender``; over HTTP in ``lexgraph.adapters.webhooks``), record what came back.

The lease makes a delivery safe to hand out more than once: only one worker holds it at a
time, and a worker killed mid-attempt simply stops renewing it, so once it lapses the
scheduler hands the delivery to another worker, which sends the same message (same
``webhook-id``) again. Receivers deduplicate on ``webhook-id``; delivery is at least once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import sessionmaker

from lexgraph.core.config.settings import Settings
from lexgraph.core.db import leases
from lexgraph.core.db.engine import rowcount
from lexgraph.core.db.models import (
    JobEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from lexgraph.core.identity import worker_identity
from lexgraph.core.jobs.views import iso
from lexgraph.core.observability import metrics
from lexgraph.core.webhooks.store import ensure_signing_secret, valid_secrets
from lexgraph.core.webhooks.views import payload

# A receiver may push its next attempt out with Retry-After, but not indefinitely.
RETRY_AFTER_CAP_SECONDS = 24 * 3600.0


@dataclass(frozen=True)
class Claim:
    delivery_id: str
    attempt_id: int
    owner: str
    webhook_id: str
    url: str
    body: bytes
    secrets: list[str]
    endpoint_id: str | None
    retry_step: int
    event_at: datetime | None = None  # when the event happened, for the delivery lag metric


@dataclass(frozen=True)
class Outcome:
    duration_ms: float
    ok: bool = False
    status_code: int | None = None
    error: str | None = None
    retry_after: float | None = None
    gone: bool = False


class WebhookSender(Protocol):
    """Sends one claimed delivery and says what came back; never raises for the receiver's
    failures, which are the outcome (``lexgraph.adapters.webhooks.http_sender``)."""

    def send(self, claim: Claim) -> Outcome: ...

    def close(self) -> None: ...


class Deliverer:
    def __init__(self, engine: Engine, settings: Settings, sender: WebhookSender) -> None:
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.settings = settings
        self.sender = sender

    def close(self) -> None:
        self.sender.close()

    def deliver(self, delivery_id: str, owner: str | None = None) -> str:
        """Make the delivery's due attempt; returns what happened (for logs and tests)."""
        claim = self._claim(delivery_id, owner or worker_identity())
        if claim is None:
            return "skipped"
        out = self.sender.send(claim)
        metrics.webhook_attempt(out.status_code, out.duration_ms)
        outcome = self._finish(claim, out)
        metrics.webhook_outcome(outcome, claim.event_at)
        return outcome

    # Claim --------------------------------------------------------------------------------

    def _claim(self, delivery_id: str, owner: str) -> Claim | None:
        # Few statements on purpose: a delivery's two transactions are most of its cost.
        now = utcnow()
        d = WebhookDelivery
        with self.sessions.begin() as s:
            row = s.execute(update(d).where(
                d.id == delivery_id, d.status == "pending", d.next_attempt_at <= now,
                leases.free(d, now),
            ).values(**leases.taken(owner, now,
                                    timedelta(seconds=self.settings.webhook_lease_seconds)),
                     dispatched_at=None, attempt_count=d.attempt_count + 1, updated_at=now)
                .returning(d.tenant_id, d.event_id, d.endpoint_id, d.url, d.webhook_id,
                           d.attempt_count, d.retry_step)).first()
            if row is None:
                return None
            if row.attempt_count > 1:
                # An attempt still open belonged to a worker that died before recording it.
                s.execute(update(WebhookAttempt).where(
                    WebhookAttempt.delivery_id == delivery_id,
                    WebhookAttempt.finished_at.is_(None),
                ).values(finished_at=now, error="interrupted: the worker stopped before the "
                         "outcome was known; the message is sent again"))
            event = s.execute(select(JobEvent).where(JobEvent.id == row.event_id)).scalar_one()
            url = row.url
            if row.endpoint_id is not None:
                ep = s.get(WebhookEndpoint, row.endpoint_id)
                if ep is None or not ep.enabled:
                    reason = ep.disabled_reason if ep is not None else "deleted"
                    s.execute(update(d).where(d.id == delivery_id).values(
                        status="failed", completed_at=now, next_attempt_at=None,
                        **leases.RELEASED,
                        attempt_count=row.attempt_count - 1,
                        last_error=f"not sent: the endpoint is disabled ({reason})"))
                    return None
                url = ep.url
                secrets = valid_secrets(ep.secret, ep.previous_secret,
                                        ep.previous_secret_expires_at, now)
                if url != row.url:  # the endpoint was moved since the event was fanned out
                    s.execute(update(d).where(d.id == delivery_id).values(url=url))
            else:
                key = ensure_signing_secret(s, row.tenant_id)
                secrets = valid_secrets(key.secret, key.previous_secret,
                                        key.previous_secret_expires_at, now)
            attempt_id = s.execute(insert(WebhookAttempt).values(
                delivery_id=delivery_id, number=row.attempt_count, url=url, started_at=now,
            ).returning(WebhookAttempt.id)).scalar_one()
            return Claim(delivery_id=delivery_id, attempt_id=attempt_id, owner=owner,
                         webhook_id=row.webhook_id, url=url, body=payload(event),
                         secrets=secrets, endpoint_id=row.endpoint_id,
                         retry_step=row.retry_step, event_at=event.created_at)

    # Record -------------------------------------------------------------------------------

    def _finish(self, claim: Claim, out: Outcome) -> str:
        now = utcnow()
        values: dict[str, Any] = dict(**leases.RELEASED,
                                      last_status_code=out.status_code, last_error=out.error,
                                      updated_at=now)
        done = dict(next_attempt_at=None, completed_at=now)
        if out.ok:
            outcome = "succeeded"
            values.update(status="succeeded", **done)
        elif out.gone:
            outcome = "gone"
            values.update(status="failed", **done)
        else:
            delays = self.settings.webhook_retry_delays
            step = claim.retry_step + 1
            values["retry_step"] = step
            if step >= len(delays):
                outcome = "failed"
                values.update(status="failed", **done)
            else:
                delay = delays[step]
                if out.retry_after is not None:
                    cap = max(RETRY_AFTER_CAP_SECONDS, max(delays))
                    delay = max(delay, min(out.retry_after, cap))
                outcome = f"retry in {delay:g} s"
                values["next_attempt_at"] = now + timedelta(seconds=delay)
        with self.sessions.begin() as s:
            s.execute(update(WebhookAttempt).where(WebhookAttempt.id == claim.attempt_id).values(
                finished_at=now, duration_ms=out.duration_ms, status_code=out.status_code,
                error=out.error))
            # Only while the lease is ours: past it another worker has taken over and decides.
            if rowcount(s, update(WebhookDelivery).where(
                    WebhookDelivery.id == claim.delivery_id,
                    leases.held_by(WebhookDelivery, claim.owner)).values(**values)) != 1:
                return "recorded; lease lost"
            if out.gone and claim.endpoint_id is not None:
                s.execute(update(WebhookEndpoint).where(
                    WebhookEndpoint.id == claim.endpoint_id).values(
                    enabled=False, updated_at=now,
                    disabled_reason=f"the receiver answered 410 Gone at {iso(now)}"))
        return outcome
