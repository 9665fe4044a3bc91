"""One delivery attempt: claim the delivery under a lease, POST the signed event, record it.

The lease makes a delivery safe to hand out more than once: only one worker holds it at a
time, and a worker killed mid-attempt simply stops renewing it, so once it lapses the
scheduler hands the delivery to another worker, which sends the same message (same
``webhook-id``) again. Receivers deduplicate on ``webhook-id``; delivery is at least once.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
from sqlalchemy import Engine, or_, select, update
from sqlalchemy.orm import sessionmaker

from lexgraph import __version__
from lexgraph.core.config.settings import Settings
from lexgraph.core.db.engine import rowcount
from lexgraph.core.db.models import (
    JobEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from lexgraph.core.jobs.views import iso
from lexgraph.core.webhooks.signing import signature_header
from lexgraph.core.webhooks.ssrf import Unresolvable, UnsafeUrl, UrlGuard
from lexgraph.core.webhooks.store import ensure_signing_secret, valid_secrets
from lexgraph.core.webhooks.views import payload

# A receiver may push its next attempt out with Retry-After, but not indefinitely.
RETRY_AFTER_CAP_SECONDS = 24 * 3600.0
_EXCERPT_BYTES = 512


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


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


@dataclass(frozen=True)
class Outcome:
    duration_ms: float
    ok: bool = False
    status_code: int | None = None
    error: str | None = None
    retry_after: float | None = None
    gone: bool = False


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _excerpt(raw: bytes) -> str:
    return " ".join(raw.decode("utf-8", errors="replace").split())[:200]


class Deliverer:
    def __init__(self, engine: Engine, settings: Settings, guard: UrlGuard,
                 client: httpx.Client | None = None) -> None:
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.settings = settings
        self.guard = guard
        # No redirects (a 3xx could point anywhere, past the address check); no proxies from
        # the environment (a proxy would look the name up again, undoing the pinning); no
        # kept-alive connections (a pooled TLS connection would be reused for another host
        # name behind the same address, with the wrong SNI).
        self.client = client or httpx.Client(
            timeout=httpx.Timeout(settings.webhook_timeout_seconds), follow_redirects=False,
            trust_env=False, limits=httpx.Limits(max_keepalive_connections=0))

    def close(self) -> None:
        self.client.close()

    def deliver(self, delivery_id: str, owner: str | None = None) -> str:
        """Make the delivery's due attempt; returns what happened (for logs and tests)."""
        claim = self._claim(delivery_id, owner or worker_identity())
        if claim is None:
            return "skipped"
        return self._finish(claim, self._post(claim))

    # Claim --------------------------------------------------------------------------------

    def _claim(self, delivery_id: str, owner: str) -> Claim | None:
        now = utcnow()
        d = WebhookDelivery
        with self.sessions.begin() as s:
            got = rowcount(s, update(d).where(
                d.id == delivery_id, d.status == "pending", d.next_attempt_at <= now,
                or_(d.lease_expires_at.is_(None), d.lease_expires_at < now),
            ).values(lease_owner=owner,
                     lease_expires_at=now + timedelta(seconds=self.settings.webhook_lease_seconds),
                     dispatched_at=None, updated_at=now))
            if got != 1:
                return None
            delivery = s.execute(select(d).where(d.id == delivery_id)).scalar_one()
            # An attempt still open belonged to a worker that died before recording it.
            s.execute(update(WebhookAttempt).where(
                WebhookAttempt.delivery_id == delivery_id, WebhookAttempt.finished_at.is_(None),
            ).values(finished_at=now, error="interrupted: the worker stopped before the "
                     "outcome was known; the message is sent again"))
            if delivery.endpoint_id is not None:
                ep = s.get(WebhookEndpoint, delivery.endpoint_id)
                if ep is None or not ep.enabled:
                    reason = ep.disabled_reason if ep is not None else "deleted"
                    delivery.status, delivery.completed_at = "failed", now
                    delivery.next_attempt_at = delivery.lease_owner = None
                    delivery.lease_expires_at = None
                    delivery.last_error = f"not sent: the endpoint is disabled ({reason})"
                    return None
                url = ep.url
                secrets = valid_secrets(ep.secret, ep.previous_secret,
                                        ep.previous_secret_expires_at, now)
            else:
                url = delivery.url
                row = ensure_signing_secret(s, delivery.tenant_id)
                secrets = valid_secrets(row.secret, row.previous_secret,
                                        row.previous_secret_expires_at, now)
            event = s.execute(select(JobEvent).where(JobEvent.id == delivery.event_id)
                              ).scalar_one()
            delivery.attempt_count += 1
            delivery.url = url
            attempt = WebhookAttempt(delivery_id=delivery_id, number=delivery.attempt_count,
                                     url=url, started_at=now)
            s.add(attempt)
            s.flush()
            return Claim(delivery_id=delivery_id, attempt_id=attempt.id, owner=owner,
                         webhook_id=delivery.webhook_id, url=url, body=payload(event),
                         secrets=secrets, endpoint_id=delivery.endpoint_id)

    # The request --------------------------------------------------------------------------

    def _post(self, claim: Claim) -> Outcome:
        started = time.monotonic()

        def elapsed() -> float:
            return (time.monotonic() - started) * 1000

        try:
            target = self.guard.check(claim.url)
        except UnsafeUrl as exc:
            return Outcome(elapsed(), error=f"refused before connecting: {exc.detail}")
        except Unresolvable as exc:
            return Outcome(elapsed(), error=f"could not resolve the host: {exc}")
        timestamp = int(time.time())
        headers = {
            "Host": target.host_header,
            "Content-Type": "application/json",
            "User-Agent": f"lexgraph-webhooks/{__version__}",
            "webhook-id": claim.webhook_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature_header(claim.secrets, claim.webhook_id, timestamp,
                                                  claim.body),
        }
        # The connection goes to the vetted address; TLS still names (and verifies) the host.
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        timeout = self.settings.webhook_timeout_seconds
        try:
            request = self.client.build_request("POST", target.pinned_url, content=claim.body,
                                                headers=headers, extensions=extensions)
            response = self.client.send(request, stream=True)
            try:
                raw = b""
                deadline = started + timeout
                for chunk in response.iter_bytes():
                    raw += chunk
                    if len(raw) >= _EXCERPT_BYTES or time.monotonic() > deadline:
                        break
            finally:
                response.close()
        except httpx.TimeoutException:
            return Outcome(elapsed(), error=f"no answer within {timeout:g} s")
        except httpx.HTTPError as exc:
            return Outcome(elapsed(), error=f"could not deliver: {type(exc).__name__}: {exc}")
        code = response.status_code
        if 200 <= code < 300:
            return Outcome(elapsed(), ok=True, status_code=code)
        retry_after = parse_retry_after(response.headers.get("retry-after"), utcnow())
        if 300 <= code < 400:
            where = response.headers.get("location", "")
            error = (f"HTTP {code}: redirect to {where!r} not followed; a webhook URL must "
                     "answer itself")
        elif code == 410:
            return Outcome(elapsed(), status_code=code, gone=True,
                           error="HTTP 410 Gone: the receiver asked not to be sent more")
        else:
            text = _excerpt(raw)
            error = f"HTTP {code}" + (f": {text}" if text else "")
        return Outcome(elapsed(), status_code=code, error=error, retry_after=retry_after)

    # Record -------------------------------------------------------------------------------

    def _finish(self, claim: Claim, out: Outcome) -> str:
        now = utcnow()
        with self.sessions.begin() as s:
            s.execute(update(WebhookAttempt).where(WebhookAttempt.id == claim.attempt_id).values(
                finished_at=now, duration_ms=out.duration_ms, status_code=out.status_code,
                error=out.error))
            delivery = s.execute(select(WebhookDelivery).where(
                WebhookDelivery.id == claim.delivery_id,
                WebhookDelivery.lease_owner == claim.owner)).scalar()
            if delivery is None:
                # The lease lapsed mid-attempt and another worker took over; it decides.
                return "recorded; lease lost"
            delivery.lease_owner = delivery.lease_expires_at = None
            delivery.last_status_code, delivery.last_error = out.status_code, out.error
            delivery.updated_at = now
            if out.ok:
                delivery.status, delivery.completed_at = "succeeded", now
                delivery.next_attempt_at = None
                return "succeeded"
            if out.gone:
                delivery.status, delivery.completed_at = "failed", now
                delivery.next_attempt_at = None
                if claim.endpoint_id is not None:
                    s.execute(update(WebhookEndpoint).where(
                        WebhookEndpoint.id == claim.endpoint_id).values(
                        enabled=False, updated_at=now,
                        disabled_reason=f"the receiver answered 410 Gone at {iso(now)}"))
                return "gone"
            delays = self.settings.webhook_retry_delays
            delivery.retry_step += 1
            if delivery.retry_step >= len(delays):
                delivery.status, delivery.completed_at = "failed", now
                delivery.next_attempt_at = None
                return "failed"
            delay = delays[delivery.retry_step]
            if out.retry_after is not None:
                cap = max(RETRY_AFTER_CAP_SECONDS, max(delays))
                delay = max(delay, min(out.retry_after, cap))
            delivery.next_attempt_at = now + timedelta(seconds=delay)
            return f"retry in {delay:g} s"
