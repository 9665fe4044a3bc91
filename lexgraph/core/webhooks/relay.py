"""From the outbox to deliveries, and from deliveries to the queue.

``fan_out`` turns each new ``job_events`` row into one delivery per destination (the job's own
``webhook_url`` and every enabled endpoint of the tenant subscribed to the event's type) and
marks the event relayed, all in one transaction. ``due`` picks deliveries whose next attempt
has come and stamps them, so a scheduler knows what to hand to a worker.

The schedule lives in the database, not in the broker: a delivery waiting hours for its next
attempt is a row with ``next_attempt_at``, which survives restarts of everything and never
meets a broker's visibility timeout.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, and_, or_, select, update
from sqlalchemy.orm import sessionmaker

from lexgraph.core.config.settings import Settings
from lexgraph.core.db import leases
from lexgraph.core.db.models import Job, JobEvent, WebhookDelivery, WebhookEndpoint, utcnow
from lexgraph.core.ids import new_id
from lexgraph.core.webhooks.store import insert_ignore

JOB_DESTINATION = "job"
_FAN_OUT_BATCH = 500
_INSERT_CHUNK = 200  # rows per INSERT: SQLite caps the bound parameters of one statement


class Relay:
    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.settings = settings

    def fan_out(self, limit: int = 500) -> int:
        """Create the deliveries of up to ``limit`` new events; returns how many events."""
        now = utcnow()
        first_delay = timedelta(seconds=self.settings.webhook_retry_delays[0])
        with self.sessions.begin() as s:
            # SKIP LOCKED lets several relays share the backlog on PostgreSQL; SQLite has no
            # row locks (and ignores the clause), where the unique (event, destination) key
            # turns a second fan-out of the same event into no-ops.
            events = s.execute(
                select(JobEvent.id, JobEvent.job_id, JobEvent.tenant_id, JobEvent.type,
                       Job.webhook_url)
                .join(Job, Job.id == JobEvent.job_id)
                .where(JobEvent.relayed_at.is_(None))
                .order_by(JobEvent.id).limit(limit)
                .with_for_update(skip_locked=True, of=JobEvent)
            ).all()
            if not events:
                return 0
            endpoints: dict[str, list[WebhookEndpoint]] = defaultdict(list)
            for ep in s.execute(select(WebhookEndpoint).where(
                    WebhookEndpoint.tenant_id.in_({e.tenant_id for e in events}),
                    WebhookEndpoint.enabled.is_(True))).scalars():
                endpoints[ep.tenant_id].append(ep)
            rows: list[dict[str, Any]] = []

            def add(event: Any, destination: str, url: str, endpoint_id: str | None) -> None:
                rows.append(dict(
                    id=new_id("dlv"), tenant_id=event.tenant_id, event_id=event.id,
                    job_id=event.job_id, event_type=event.type, destination=destination,
                    endpoint_id=endpoint_id, url=url, webhook_id=new_id("msg"),
                    status="pending", attempt_count=0, retry_step=0,
                    next_attempt_at=now + first_delay, created_at=now, updated_at=now))

            for event in events:
                if event.webhook_url:
                    add(event, JOB_DESTINATION, event.webhook_url, None)
                for ep in endpoints.get(event.tenant_id, ()):
                    if ep.event_types is None or event.type in ep.event_types:
                        add(event, ep.id, ep.url, ep.id)
            for start in range(0, len(rows), _INSERT_CHUNK):
                insert_ignore(s, WebhookDelivery.__table__, rows[start:start + _INSERT_CHUNK])
            s.execute(update(JobEvent).where(JobEvent.id.in_([e.id for e in events]))
                      .values(relayed_at=now))
            return len(events)

    def due(self, limit: int = 200) -> list[str]:
        """Deliveries whose attempt is due and not in hand; each is stamped as sent.

        One is handed out again when its worker's lease lapsed (the worker died mid-attempt)
        or when it was sent a lease-length ago and no worker has claimed it (a lost message).
        """
        now = utcnow()
        stale = now - timedelta(seconds=self.settings.webhook_lease_seconds)
        d = WebhookDelivery
        due = and_(d.status == "pending", d.next_attempt_at <= now,
                   leases.free(d, now),
                   or_(d.dispatched_at.is_(None), d.dispatched_at < stale))
        with self.sessions.begin() as s:
            ids = list(s.execute(select(d.id).where(due).order_by(d.next_attempt_at)
                                 .limit(limit)).scalars())
            if not ids:
                return []
            # The WHERE is evaluated again on the locked rows, so of two schedulers racing for
            # the same delivery only one gets it back.
            res = s.execute(update(d).where(d.id.in_(ids), due).values(dispatched_at=now)
                            .returning(d.id))
            return list(res.scalars())

    def tick(self) -> list[str]:
        """One round of the scheduler loop: fan out what is new, then return what is due."""
        # Bounded, so a flood of events cannot starve the retries that are due.
        for _ in range(10):
            if self.fan_out(_FAN_OUT_BATCH) < _FAN_OUT_BATCH:
                break
        return self.due()
