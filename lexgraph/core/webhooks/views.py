"""The public JSON shape of webhook endpoints, deliveries and attempts, and of the payload."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from lexgraph.core.db.models import JobEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from lexgraph.core.jobs.views import event_resource, iso


def endpoint_resource(ep: WebhookEndpoint, *, secret: str | None = None) -> dict[str, Any]:
    base = f"/v1/webhook-endpoints/{ep.id}"
    body: dict[str, Any] = {
        "id": ep.id,
        "object": "webhook_endpoint",
        "url": ep.url,
        "description": ep.description,
        "event_types": ep.event_types,
        "enabled": ep.enabled,
        "disabled_reason": ep.disabled_reason,
        "previous_secret_expires_at": iso(ep.previous_secret_expires_at)
        if ep.previous_secret else None,
        "created_at": iso(ep.created_at),
        "updated_at": iso(ep.updated_at),
        "links": {"self": base, "deliveries": f"{base}/deliveries",
                  "rotate_secret": f"{base}/rotate-secret"},
    }
    if secret is not None:
        body["secret"] = secret
    return body


def attempt_resource(a: WebhookAttempt) -> dict[str, Any]:
    return {
        "number": a.number,
        "url": a.url,
        "started_at": iso(a.started_at),
        "finished_at": iso(a.finished_at),
        "duration_ms": None if a.duration_ms is None else round(a.duration_ms, 1),
        "status_code": a.status_code,
        "error": a.error,
    }


def delivery_resource(d: WebhookDelivery,
                      attempts: Sequence[WebhookAttempt] = ()) -> dict[str, Any]:
    return {
        "id": d.id,
        "object": "webhook_delivery",
        "webhook_id": d.webhook_id,
        "event_id": d.event_id,
        "event_type": d.event_type,
        "job_id": d.job_id,
        "endpoint_id": d.endpoint_id,
        "url": d.url,
        "status": d.status,
        "attempt_count": d.attempt_count,
        "next_attempt_at": iso(d.next_attempt_at),
        "last_status_code": d.last_status_code,
        "last_error": d.last_error,
        "created_at": iso(d.created_at),
        "updated_at": iso(d.updated_at),
        "completed_at": iso(d.completed_at),
        "attempts": [attempt_resource(a) for a in attempts],
        "links": {"self": f"/v1/deliveries/{d.id}",
                  "redeliver": f"/v1/deliveries/{d.id}/redeliver"},
    }


def payload(event: JobEvent) -> bytes:
    """The body every destination receives for ``event``: the same bytes on every attempt.

    The Standard Webhooks envelope (type, timestamp, data) around the same event object that
    ``GET /v1/jobs/{id}/events`` and the live stream return.
    """
    resource = event_resource(event)
    envelope = {"type": event.type, "timestamp": resource["created_at"], "data": resource}
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode()
