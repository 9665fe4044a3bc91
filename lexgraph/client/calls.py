"""Each API operation as a ``Call``: what to send and how to read the answer.

The sync and async clients only execute calls, so both send the same requests and parse the
same models; ``OPERATIONS`` maps every operationId of the OpenAPI document to the client
method that performs it (a test keeps the two in step).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from lexgraph.api import models

ResultFormat = Literal["json", "markdown", "docx"]
DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ACCEPT: dict[str, str] = {"json": "application/json", "markdown": "text/markdown",
                          "docx": DOCX_MEDIA_TYPE}
# A file to upload: a path, or (filename, content) or (filename, content, media type).
FileInput = str | Path | tuple[str, bytes] | tuple[str, bytes, str]
# States a job leaves only when someone acts: finished, or waiting for a reviewer.
SETTLED: frozenset[str] = frozenset({"succeeded", "failed", "cancelled", "needs_review"})
_SETTLING_EVENTS = {"job.completed": "succeeded", "job.failed": "failed",
                    "job.cancelled": "cancelled", "job.needs_review": "needs_review"}

OPERATIONS: dict[str, str] = {
    "getHealth": "health",
    "getReadiness": "ready",
    "submitJob": "submit",
    "listJobs": "list_jobs",
    "getJob": "get_job",
    "getResult": "result",
    "cancelJob": "cancel",
    "deleteJob": "delete_job",
    "deleteMatter": "delete_matter",
    "listJobEvents": "list_events",
    "streamEvents": "wait",
    "getJobAudit": "audit",
    "reviewJob": "review",
    "createFeedback": "feedback",
    "getDocumentPage": "document_page",
    "createWebhookEndpoint": "create_endpoint",
    "listWebhookEndpoints": "list_endpoints",
    "getWebhookEndpoint": "get_endpoint",
    "updateWebhookEndpoint": "update_endpoint",
    "deleteWebhookEndpoint": "delete_endpoint",
    "rotateWebhookEndpointSecret": "rotate_endpoint_secret",
    "listEndpointDeliveries": "list_endpoint_deliveries",
    "listJobDeliveries": "list_job_deliveries",
    "getDelivery": "get_delivery",
    "redeliverDelivery": "redeliver",
    "getSigningSecret": "signing_secret",
    "rotateSigningSecret": "rotate_signing_secret",
    "getUsage": "usage",
    "listKeys": "list_keys",
    "createKey": "create_key",
    "revokeKey": "revoke_key",
    "rotateKey": "rotate_key",
}


@dataclass
class Call:
    method: str
    path: str
    parse: Callable[[httpx.Response], Any]
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    data: dict[str, str] | None = None
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # Whether sending it twice is harmless, so a 429/503 or a dropped connection may be
    # retried: reads, and submissions carrying an Idempotency-Key.
    retryable: bool = False


def _model(kind: type[BaseModel]) -> Callable[[httpx.Response], Any]:
    return lambda response: kind.model_validate_json(response.content)


def _nothing(response: httpx.Response) -> None:
    return None


def _query(**values: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        out[name] = value.isoformat() if isinstance(value, datetime) else value
    return out


def _read_file(item: FileInput) -> tuple[str, bytes, str]:
    if isinstance(item, str | Path):
        path = Path(item)
        return path.name, path.read_bytes(), "application/octet-stream"
    if len(item) == 3:
        return item
    return item[0], item[1], "application/octet-stream"


def submit(*, matter: str, files: Sequence[FileInput] | None, text: str | None,
           filename: str, profile: str, length: str | int | None, instructions: str | None,
           webhook_url: str | None, idempotency_key: str | None, cache: bool = True) -> Call:
    if (files is None) == (text is None):
        raise ValueError("give either files or text")
    # A key of our own makes every retry of this submission safe: the server answers the
    # first submission's job instead of creating another.
    headers = {"Idempotency-Key": idempotency_key or f"lgc-{uuid.uuid4()}"}
    call = Call("POST", "/v1/jobs", _model(models.Job), headers=headers, retryable=True)
    fields: dict[str, Any] = {"matter": matter, "profile": profile}
    if length is not None:
        fields["length"] = length
    if instructions is not None:
        fields["instructions"] = instructions
    if webhook_url is not None:
        fields["webhook_url"] = webhook_url
    if not cache:
        fields["cache"] = False
    if text is not None:
        call.json = {**fields, "documents": [{"filename": filename, "text": text}]}
    else:
        call.data = {k: str(v).lower() if isinstance(v, bool) else str(v)
                     for k, v in fields.items()}
        call.files = [("files", _read_file(f)) for f in files or ()]
    return call


def list_jobs(status: str | None, matter: str | None, limit: int | None,
              cursor: str | None) -> Call:
    return Call("GET", "/v1/jobs", _model(models.JobList), retryable=True,
                params=_query(status=status, matter=matter, limit=limit, cursor=cursor))


def get_job(job_id: str) -> Call:
    return Call("GET", f"/v1/jobs/{_seg(job_id)}", _model(models.Job), retryable=True)


def result(job_id: str, format: ResultFormat) -> Call:
    if format not in ACCEPT:
        raise ValueError(f"format must be one of {', '.join(ACCEPT)}")
    parse: Callable[[httpx.Response], Any] = {
        "json": _model(models.JobResult),
        "markdown": lambda r: r.text,
        "docx": lambda r: r.content,
    }[format]
    return Call("GET", f"/v1/jobs/{_seg(job_id)}/result", parse,
                headers={"Accept": ACCEPT[format]}, retryable=True)


def cancel(job_id: str) -> Call:
    return Call("POST", f"/v1/jobs/{_seg(job_id)}/cancel", _model(models.Job))


def delete_job(job_id: str) -> Call:
    # A repeat answers the first deletion's record, so retrying is harmless.
    return Call("DELETE", f"/v1/jobs/{_seg(job_id)}", _model(models.Deletion), retryable=True)


def delete_matter(matter: str) -> Call:
    return Call("DELETE", f"/v1/matters/{_seg(matter)}", _model(models.Deletion),
                retryable=True)


def list_events(job_id: str, after: int | None, limit: int | None) -> Call:
    return Call("GET", f"/v1/jobs/{_seg(job_id)}/events", _model(models.JobEventList),
                params=_query(after=after, limit=limit), retryable=True)


def audit(job_id: str, after: int | None, limit: int | None, stage: str | None) -> Call:
    return Call("GET", f"/v1/jobs/{_seg(job_id)}/audit", _model(models.GuardDecisionList),
                params=_query(after=after, limit=limit, stage=stage), retryable=True)


def review(job_id: str, action: str, edits: Sequence[Mapping[str, Any]] | None,
           comment: str | None) -> Call:
    body: dict[str, Any] = {"action": action}
    if edits:
        body["edits"] = [dict(e) for e in edits]
    if comment is not None:
        body["comment"] = comment
    return Call("POST", f"/v1/jobs/{_seg(job_id)}/review", _model(models.Job), json=body)


def feedback(job_id: str, score: float, comment: str | None, correction: str | None) -> Call:
    body = {k: v for k, v in (("score", score), ("comment", comment),
                              ("correction", correction)) if v is not None}
    return Call("POST", f"/v1/jobs/{_seg(job_id)}/feedback", _model(models.Feedback),
                json=body)


def document_page(job_id: str, document_id: str, page: int) -> Call:
    return Call("GET", f"/v1/jobs/{_seg(job_id)}/documents/{_seg(document_id)}/pages/{page}",
                _model(models.DocumentPage), retryable=True)


def create_endpoint(url: str, event_types: Sequence[str] | None, description: str | None,
                    enabled: bool) -> Call:
    body: dict[str, Any] = {"url": url, "enabled": enabled}
    if event_types is not None:
        body["event_types"] = list(event_types)
    if description is not None:
        body["description"] = description
    return Call("POST", "/v1/webhook-endpoints", _model(models.WebhookEndpointWithSecret),
                json=body)


def list_endpoints(limit: int | None, cursor: str | None) -> Call:
    return Call("GET", "/v1/webhook-endpoints", _model(models.WebhookEndpointList),
                params=_query(limit=limit, cursor=cursor), retryable=True)


def get_endpoint(endpoint_id: str) -> Call:
    return Call("GET", f"/v1/webhook-endpoints/{_seg(endpoint_id)}",
                _model(models.WebhookEndpoint), retryable=True)


def update_endpoint(endpoint_id: str, changes: Mapping[str, Any]) -> Call:
    return Call("PATCH", f"/v1/webhook-endpoints/{_seg(endpoint_id)}",
                _model(models.WebhookEndpoint), json=dict(changes))


def delete_endpoint(endpoint_id: str) -> Call:
    return Call("DELETE", f"/v1/webhook-endpoints/{_seg(endpoint_id)}", _nothing)


def rotate_endpoint_secret(endpoint_id: str) -> Call:
    return Call("POST", f"/v1/webhook-endpoints/{_seg(endpoint_id)}/rotate-secret",
                _model(models.WebhookEndpointWithSecret))


def list_deliveries(path: str, status: str | None, limit: int | None,
                    cursor: str | None) -> Call:
    return Call("GET", path, _model(models.WebhookDeliveryList), retryable=True,
                params=_query(status=status, limit=limit, cursor=cursor))


def endpoint_deliveries_path(endpoint_id: str) -> str:
    return f"/v1/webhook-endpoints/{_seg(endpoint_id)}/deliveries"


def job_deliveries_path(job_id: str) -> str:
    return f"/v1/jobs/{_seg(job_id)}/deliveries"


def get_delivery(delivery_id: str) -> Call:
    return Call("GET", f"/v1/deliveries/{_seg(delivery_id)}", _model(models.WebhookDelivery),
                retryable=True)


def redeliver(delivery_id: str) -> Call:
    return Call("POST", f"/v1/deliveries/{_seg(delivery_id)}/redeliver",
                _model(models.WebhookDelivery))


def signing_secret() -> Call:
    return Call("GET", "/v1/webhook-signing-secret", _model(models.SigningSecret),
                retryable=True)


def rotate_signing_secret() -> Call:
    return Call("POST", "/v1/webhook-signing-secret/rotate", _model(models.SigningSecret))


def usage(since: datetime | None, until: datetime | None) -> Call:
    return Call("GET", "/v1/usage", _model(models.TenantUsage),
                params=_query(since=since, until=until), retryable=True)


def list_keys() -> Call:
    return Call("GET", "/v1/keys", _model(models.ApiKeyList), retryable=True)


def create_key(admin: bool) -> Call:
    return Call("POST", "/v1/keys", _model(models.CreatedApiKey), json={"admin": admin})


def revoke_key(key_id: str) -> Call:
    return Call("POST", f"/v1/keys/{_seg(key_id)}/revoke", _model(models.ApiKey))


def rotate_key(key_id: str) -> Call:
    return Call("POST", f"/v1/keys/{_seg(key_id)}/rotate", _model(models.RotatedApiKey))


def health() -> Call:
    return Call("GET", "/healthz", _model(models.Health), retryable=True)


def ready() -> Call:
    return Call("GET", "/readyz", _model(models.Readiness))


def _seg(value: str) -> str:
    """``value`` as one path segment: an id never reaches another route."""
    return quote(value, safe="")


def settled_status(event_type: str) -> str | None:
    """The job state a stream event announces, if ``wait`` may stop there."""
    return _SETTLING_EVENTS.get(event_type)
