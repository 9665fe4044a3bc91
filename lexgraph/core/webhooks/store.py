"""Tenant-scoped webhook operations behind the API: endpoints, secrets, deliveries.

Every query filters by tenant, so another tenant's endpoint or delivery is a 404, not a 403.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from lexgraph.core.config.settings import Settings
from lexgraph.core.db import leases
from lexgraph.core.db.engine import rowcount
from lexgraph.core.db.models import (
    Job,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookSigningSecret,
    utcnow,
)
from lexgraph.core.errors import Conflict, NotFound, Unprocessable
from lexgraph.core.ids import new_id
from lexgraph.core.jobs.events import EVENT_TYPES
from lexgraph.core.jobs.store import Principal
from lexgraph.core.jobs.views import iso
from lexgraph.core.validation import check_line
from lexgraph.core.webhooks.signing import new_secret
from lexgraph.core.webhooks.ssrf import UnsafeUrl, UrlGuard
from lexgraph.core.webhooks.views import delivery_resource, endpoint_resource

DELIVERY_STATUSES = ("pending", "succeeded", "failed")
_ENDPOINT_ID = re.compile(r"whe_[0-9a-z]{26}")
_DELIVERY_ID = re.compile(r"dlv_[0-9a-z]{26}")
MAX_DESCRIPTION = 500


def insert_ignore(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """INSERT the rows, skipping any that would break a unique constraint."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(table).values(rows).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.execute(sqlite_insert(table).values(rows).on_conflict_do_nothing())


def valid_secrets(current: str, previous: str | None, previous_expires_at: datetime | None,
                  now: datetime) -> list[str]:
    """The secrets that sign a message now: the current one, and the previous one in its grace."""
    found = [current]
    if previous and previous_expires_at is not None and previous_expires_at > now:
        found.append(previous)
    return found


def ensure_signing_secret(session: Session, tenant_id: str) -> WebhookSigningSecret:
    """The tenant's default signing secret, created on first need (safe under races)."""
    found = session.get(WebhookSigningSecret, tenant_id)
    if found is not None:
        return found
    insert_ignore(session, WebhookSigningSecret.__table__,
                  [{"tenant_id": tenant_id, "secret": new_secret(), "created_at": utcnow()}])
    return session.execute(select(WebhookSigningSecret).where(
        WebhookSigningSecret.tenant_id == tenant_id)).scalar_one()


def _event_types(value: Any) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Unprocessable("event_types must be a list of event type names, or null for all")
    if not value:
        raise Unprocessable("event_types must name at least one event type; "
                            "omit it (or send null) to receive every type")
    unknown = sorted({v for v in value if v not in EVENT_TYPES})
    if unknown:
        raise Unprocessable(f"unknown event types {', '.join(unknown)}; "
                            f"choose among {', '.join(EVENT_TYPES)}")
    return [t for t in EVENT_TYPES if t in value]


def _description(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise Unprocessable("description must be a string")
    value = value.strip()
    check_line("description", value)
    if len(value) > MAX_DESCRIPTION:
        raise Unprocessable(f"description must be at most {MAX_DESCRIPTION} characters")
    return value or None


class WebhookStore:
    def __init__(self, engine: Engine, settings: Settings, guard: UrlGuard) -> None:
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.settings = settings
        self.guard = guard

    # URLs ---------------------------------------------------------------------------------

    def _url(self, url: Any, field: str) -> str:
        if not isinstance(url, str) or not url.strip():
            raise Unprocessable(f"{field}: an absolute http(s) URL is required",
                                errors=[{"field": field, "message": "an absolute http(s) URL"}])
        try:
            return self.guard.check_registration(url)
        except UnsafeUrl as exc:
            raise Unprocessable(f"{field}: {exc.detail}",
                                errors=[{"field": field, "message": exc.detail}]) from None

    def check_job_webhook_url(self, url: str) -> None:
        """Refuse a job's ``webhook_url`` that could not be delivered to safely."""
        self._url(url, "webhook_url")

    # Endpoints ----------------------------------------------------------------------------

    def _endpoint(self, s: Session, who: Principal, endpoint_id: str) -> WebhookEndpoint:
        ep = None
        if _ENDPOINT_ID.fullmatch(endpoint_id):
            ep = s.execute(select(WebhookEndpoint).where(
                WebhookEndpoint.id == endpoint_id,
                WebhookEndpoint.tenant_id == who.tenant_id)).scalar()
        if ep is None:
            raise NotFound(f"no webhook endpoint {endpoint_id!r}")
        return ep

    def create_endpoint(self, who: Principal, *, url: str, event_types: list[str] | None = None,
                        description: str | None = None, enabled: bool = True) -> dict[str, Any]:
        clean_url = self._url(url, "url")
        types = _event_types(event_types)
        text = _description(description)
        now = utcnow()
        secret = new_secret()
        ep = WebhookEndpoint(id=new_id("whe"), tenant_id=who.tenant_id, url=clean_url,
                             description=text, event_types=types, enabled=enabled,
                             disabled_reason=None if enabled else "created disabled",
                             secret=secret, created_at=now, updated_at=now)
        with self.sessions.begin() as s:
            s.add(ep)
        return endpoint_resource(ep, secret=secret)

    def list_endpoints(self, who: Principal, *, limit: int = 50,
                       cursor: str | None = None) -> dict[str, Any]:
        limit = max(1, min(limit, 200))
        with self.sessions() as s:
            q = select(WebhookEndpoint).where(WebhookEndpoint.tenant_id == who.tenant_id)
            if cursor:
                if not _ENDPOINT_ID.fullmatch(cursor):
                    raise Unprocessable("the cursor is not valid; pass next_cursor from a "
                                        "previous page")
                q = q.where(WebhookEndpoint.id > cursor)
            rows = list(s.execute(q.order_by(WebhookEndpoint.id).limit(limit + 1)).scalars())
        more = len(rows) > limit
        rows = rows[:limit]
        return {"object": "list", "data": [endpoint_resource(ep) for ep in rows],
                "next_cursor": rows[-1].id if more and rows else None}

    def get_endpoint(self, who: Principal, endpoint_id: str) -> dict[str, Any]:
        with self.sessions() as s:
            return endpoint_resource(self._endpoint(s, who, endpoint_id))

    def update_endpoint(self, who: Principal, endpoint_id: str,
                        changes: Mapping[str, Any]) -> dict[str, Any]:
        """Apply the fields present in ``changes`` (a PATCH: absent fields stay as they are)."""
        values: dict[str, Any] = {}
        if "url" in changes:
            values["url"] = self._url(changes["url"], "url")
        if "event_types" in changes:
            values["event_types"] = _event_types(changes["event_types"])
        if "description" in changes:
            values["description"] = _description(changes["description"])
        if "enabled" in changes:
            if not isinstance(changes["enabled"], bool):
                raise Unprocessable("enabled must be true or false")
            values["enabled"] = changes["enabled"]
        with self.sessions.begin() as s:
            ep = self._endpoint(s, who, endpoint_id)
            if "enabled" in values and values["enabled"] != ep.enabled:
                ep.disabled_reason = None if values["enabled"] else "disabled through the API"
            for name, value in values.items():
                setattr(ep, name, value)
            ep.updated_at = utcnow()
            return endpoint_resource(ep)

    def delete_endpoint(self, who: Principal, endpoint_id: str) -> None:
        # Its deliveries and their attempts go with it (foreign keys cascade).
        with self.sessions.begin() as s:
            s.delete(self._endpoint(s, who, endpoint_id))

    def _grace(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.settings.webhook_secret_grace_seconds)

    def rotate_endpoint_secret(self, who: Principal, endpoint_id: str) -> dict[str, Any]:
        now = utcnow()
        secret = new_secret()
        with self.sessions.begin() as s:
            ep = self._endpoint(s, who, endpoint_id)
            ep.previous_secret, ep.previous_secret_expires_at = ep.secret, self._grace(now)
            ep.secret, ep.updated_at = secret, now
            return endpoint_resource(ep, secret=secret)

    # The tenant's default secret (jobs' own webhook_url) -----------------------------------

    @staticmethod
    def _secret_resource(row: WebhookSigningSecret) -> dict[str, Any]:
        return {
            "object": "webhook_signing_secret",
            "secret": row.secret,
            "previous_secret_expires_at": iso(row.previous_secret_expires_at)
            if row.previous_secret else None,
            "created_at": iso(row.created_at),
            "rotated_at": iso(row.rotated_at),
        }

    def signing_secret(self, who: Principal) -> dict[str, Any]:
        with self.sessions.begin() as s:
            return self._secret_resource(ensure_signing_secret(s, who.tenant_id))

    def rotate_signing_secret(self, who: Principal) -> dict[str, Any]:
        now = utcnow()
        with self.sessions.begin() as s:
            row = ensure_signing_secret(s, who.tenant_id)
            row.previous_secret, row.previous_secret_expires_at = row.secret, self._grace(now)
            row.secret, row.rotated_at = new_secret(), now
            return self._secret_resource(row)

    # Deliveries ---------------------------------------------------------------------------

    def _delivery(self, s: Session, who: Principal, delivery_id: str) -> WebhookDelivery:
        d = None
        if _DELIVERY_ID.fullmatch(delivery_id):
            d = s.execute(select(WebhookDelivery).where(
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.tenant_id == who.tenant_id)).scalar()
        if d is None:
            raise NotFound(f"no delivery {delivery_id!r}")
        return d

    @staticmethod
    def _with_attempts(s: Session, rows: Sequence[WebhookDelivery]) -> list[dict[str, Any]]:
        by_delivery: dict[str, list[WebhookAttempt]] = {d.id: [] for d in rows}
        if rows:
            for a in s.execute(select(WebhookAttempt).where(
                    WebhookAttempt.delivery_id.in_(list(by_delivery)))
                    .order_by(WebhookAttempt.id)).scalars():
                by_delivery[a.delivery_id].append(a)
        return [delivery_resource(d, by_delivery[d.id]) for d in rows]

    def list_deliveries(self, who: Principal, *, endpoint_id: str | None = None,
                        job_id: str | None = None, status: str | None = None, limit: int = 50,
                        cursor: str | None = None) -> dict[str, Any]:
        """Newest first, with every attempt of each."""
        if status is not None and status not in DELIVERY_STATUSES:
            raise Unprocessable(f"status must be one of {', '.join(DELIVERY_STATUSES)}")
        limit = max(1, min(limit, 200))
        with self.sessions() as s:
            q = select(WebhookDelivery).where(WebhookDelivery.tenant_id == who.tenant_id)
            if endpoint_id is not None:
                self._endpoint(s, who, endpoint_id)
                q = q.where(WebhookDelivery.endpoint_id == endpoint_id)
            if job_id is not None:
                if s.execute(select(Job.id).where(Job.id == job_id,
                                                  Job.tenant_id == who.tenant_id)).scalar() \
                        is None:
                    raise NotFound(f"no job {job_id!r}")
                q = q.where(WebhookDelivery.job_id == job_id)
            if status is not None:
                q = q.where(WebhookDelivery.status == status)
            if cursor:
                if not _DELIVERY_ID.fullmatch(cursor):
                    raise Unprocessable("the cursor is not valid; pass next_cursor from a "
                                        "previous page")
                q = q.where(WebhookDelivery.id < cursor)
            rows = list(s.execute(q.order_by(WebhookDelivery.id.desc()).limit(limit + 1))
                        .scalars())
            more = len(rows) > limit
            rows = rows[:limit]
            return {"object": "list", "data": self._with_attempts(s, rows),
                    "next_cursor": rows[-1].id if more and rows else None}

    def get_delivery(self, who: Principal, delivery_id: str) -> dict[str, Any]:
        with self.sessions() as s:
            return self._with_attempts(s, [self._delivery(s, who, delivery_id)])[0]

    def redeliver(self, who: Principal, delivery_id: str) -> dict[str, Any]:
        """Send the same message again (same ``webhook-id``), with a fresh retry schedule."""
        now = utcnow()
        with self.sessions.begin() as s:
            d = self._delivery(s, who, delivery_id)
            if d.endpoint_id is not None:
                ep = s.get(WebhookEndpoint, d.endpoint_id)
                if ep is not None and not ep.enabled:
                    raise Conflict(f"webhook endpoint {ep.id!r} is disabled "
                                   f"({ep.disabled_reason}); enable it first")
            res = rowcount(s, update(WebhookDelivery).where(
                WebhookDelivery.id == d.id,
                leases.free(WebhookDelivery, now),
            ).values(status="pending", retry_step=0, next_attempt_at=now, dispatched_at=None,
                     completed_at=None, updated_at=now))
            if res != 1:
                raise Conflict(f"delivery {d.id!r} has an attempt under way; "
                               "redeliver after it ends")
            s.flush()
            s.refresh(d)
            return self._with_attempts(s, [d])[0]
