"""The API's response bodies as pydantic models: the OpenAPI document is written from them and
``lexgraph.client`` parses every answer with them, so server, document and client agree.

Routes return the bodies the stores build (plain dicts wrapped in a ``JSONResponse``); these
models describe those bodies. Unknown fields are kept when a client parses an answer, so a
newer server's extra fields never break an older client.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from lexgraph.core.summary.schema import KeyTerm, Section

JobStatusName = Literal["queued", "running", "needs_review", "succeeded", "failed",
                        "cancelled"]
DeliveryStatusName = Literal["pending", "succeeded", "failed"]

# Query filters the stores check themselves, with their own messages; documented as the enum
# they must be.
JobStatusFilter = Annotated[str | None, WithJsonSchema(
    {"type": "string", "enum": list(JobStatusName.__args__)})]
DeliveryStatusFilter = Annotated[str | None, WithJsonSchema(
    {"type": "string", "enum": list(DeliveryStatusName.__args__)})]
EventTypeName = Literal["job.queued", "job.started", "job.progress", "job.needs_review",
                        "job.completed", "job.failed", "job.cancelled"]


class Resource(BaseModel):
    model_config = ConfigDict(extra="allow")


class Problem(Resource):
    """An RFC 9457 problem document; every error the API answers has this body."""

    type: str = Field(description="A URI naming the kind of problem.")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str = Field(description="What went wrong, in words a person can act on.")
    instance: str | None = Field(None, description="The request path the problem is about.")
    errors: list[FieldError] | None = Field(None, description="One entry per invalid field.")


class FieldError(Resource):
    field: str
    message: str


# Jobs ---------------------------------------------------------------------------------------


class Cost(Resource):
    amount: float
    currency: str


class AgentUsage(Resource):
    agent: str
    model: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    estimated_cost: Cost


class UsageSummary(Resource):
    calls: int
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    estimated_cost: Cost
    by_agent: list[AgentUsage]


class TenantUsage(UsageSummary):
    object: Literal["usage"]
    jobs: int = Field(description="Jobs that made at least one model call in the period.")


class JobDocument(Resource):
    id: str
    filename: str
    media_type: str
    size: int
    sha256: str
    pages: int | None


class JobError(Resource):
    code: str = Field(description="Stable and machine-readable.")
    message: str


class JobLinks(Resource):
    self: str
    result: str
    events: str
    cancel: str


class Job(Resource):
    id: str
    object: Literal["job"]
    status: JobStatusName
    matter: str
    profile: str
    instructions: str | None
    webhook_url: str | None
    length: str | int = Field(description="A named length or a word budget.")
    progress: float = Field(ge=0, le=1)
    stage: str | None
    attempts: int
    error: JobError | None
    trace_url: str | None = Field(description="The job's run tree in LangSmith; null when "
                                              "tracing is off.")
    usage: UsageSummary | None
    documents: list[JobDocument]
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    cached_from: str | None = Field(None, description="The earlier identical job whose result "
                                    "answered this one; null when the job ran.")
    links: JobLinks


class JobList(Resource):
    object: Literal["list"]
    data: list[Job]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on "
                                                "the last.")


class JobEvent(Resource):
    """One state change of a job: the same object in the event list, the live stream and the
    ``data`` of a webhook payload."""

    id: int = Field(description="Increasing; resume a stream after it with Last-Event-ID.")
    job_id: str
    type: EventTypeName
    data: dict[str, Any] = Field(description="`status` on state changes; `stage` and "
                                             "`progress` on job.progress.")
    created_at: datetime


class JobEventList(Resource):
    object: Literal["list"]
    data: list[JobEvent]
    next_after: int | None = Field(description="Pass as `after` for the next page; null on "
                                               "the last.")


class GuardDecision(Resource):
    id: int
    object: Literal["guard_decision"]
    job_id: str
    stage: Literal["document", "call", "result"]
    subject: str
    verdict: str
    categories: list[str]
    reason: str | None
    guard: str
    model: str | None
    latency_ms: float | None
    content_sha256: str
    cached: bool
    created_at: datetime


class GuardDecisionList(Resource):
    object: Literal["list"]
    data: list[GuardDecision]
    next_after: int | None


class Feedback(Resource):
    id: str
    object: Literal["feedback"]
    job_id: str
    key: str
    score: float
    comment: str | None
    correction: str | None
    sent_to_langsmith: bool
    run_id: str | None
    trace_url: str | None
    created_at: datetime


class ResultDocument(Resource):
    id: str
    filename: str
    media_type: str
    pages: int
    chunks: int
    error: JobError | None


class ResultTotals(Resource):
    documents: int
    readable: int
    pages: int
    chunks: int


class JobResult(Resource):
    """A finished job's summary; every statement cites the passages it came from."""

    job_id: str
    mode: Literal["agentic", "extractive"]
    title: str
    matter: str
    profile: str
    sections: list[Section]
    key_terms: list[KeyTerm]
    notes: list[str]
    compliance: dict[str, Any] | None
    review: dict[str, Any] | None
    quarantined: list[dict[str, Any]]
    redactions: dict[str, int]
    usage: list[dict[str, Any]]
    guard: list[dict[str, Any]]
    model: str | None
    documents: list[ResultDocument]
    totals: ResultTotals


class DocumentPage(Resource):
    object: Literal["document_page"]
    job_id: str
    document_id: str
    document: str
    page: int
    pages: int
    text: str = Field(description="The page's extracted text; citations' start and end index "
                                  "into it.")


# Webhooks -----------------------------------------------------------------------------------


class EndpointLinks(Resource):
    self: str
    deliveries: str
    rotate_secret: str


class WebhookEndpoint(Resource):
    id: str
    object: Literal["webhook_endpoint"]
    url: str
    description: str | None
    event_types: list[str] | None
    enabled: bool
    disabled_reason: str | None
    previous_secret_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    links: EndpointLinks


class WebhookEndpointWithSecret(WebhookEndpoint):
    """An endpoint as created or after a secret rotation: the only answers carrying its
    signing secret."""

    secret: str = Field(description="The Standard Webhooks signing secret (`whsec_…`); shown "
                                    "only here.")


class WebhookEndpointList(Resource):
    object: Literal["list"]
    data: list[WebhookEndpoint]
    next_cursor: str | None


class DeliveryAttempt(Resource):
    number: int
    url: str
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: float | None
    status_code: int | None
    error: str | None


class DeliveryLinks(Resource):
    self: str
    redeliver: str


class WebhookDelivery(Resource):
    id: str
    object: Literal["webhook_delivery"]
    webhook_id: str = Field(description="The `webhook-id` header: the same on every attempt.")
    event_id: int
    event_type: str
    job_id: str
    endpoint_id: str | None = Field(description="Null for a job's own webhook_url.")
    url: str
    status: DeliveryStatusName
    attempt_count: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    attempts: list[DeliveryAttempt]
    links: DeliveryLinks


class WebhookDeliveryList(Resource):
    object: Literal["list"]
    data: list[WebhookDelivery]
    next_cursor: str | None


class SigningSecret(Resource):
    object: Literal["webhook_signing_secret"]
    secret: str
    previous_secret_expires_at: datetime | None
    created_at: datetime
    rotated_at: datetime | None


# Keys and health ----------------------------------------------------------------------------


class ApiKey(Resource):
    object: Literal["api_key"]
    id: str
    tenant: str
    prefix: str = Field(description="The key's first characters, to tell keys apart.")
    admin: bool
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyList(Resource):
    object: Literal["list"]
    data: list[ApiKey]


class CreatedApiKey(ApiKey):
    key: str = Field(description="The key itself; shown only here.")


class RotatedApiKey(CreatedApiKey):
    replaces: ApiKey


class Health(Resource):
    status: Literal["ok"]


class Readiness(Resource):
    status: Literal["ready"]
    checks: dict[str, str] = Field(description="`ok` per dependency: database, broker, "
                                               "blob_store.")



class Deletion(Resource):
    """A job's or a matter's data deleted on request; a repeated request answers this again."""

    id: str
    object: Literal["deletion"]
    kind: Literal["job", "matter"]
    jobs: list[str] = Field(description="The ids of the jobs deleted.")
    documents: int = Field(description="How many documents those jobs had.")
    blobs_removed: int = Field(description="Uploaded files removed at once; a file another "
                                           "job still uses is kept.")
    deleted_at: datetime


Problem.model_rebuild()
