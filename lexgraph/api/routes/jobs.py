from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
)
from starlette.concurrency import run_in_threadpool

from lexgraph.api import models
from lexgraph.api.contract import errors
from lexgraph.api.deps import PrincipalDep, ServicesDep, SubmitterDep
from lexgraph.api.dispatch import review_and_dispatch, submit_and_dispatch
from lexgraph.api.forms import WEBHOOK_URL_PATTERN, JobCreate, parse_submission
from lexgraph.api.reviews import ReviewDecision
from lexgraph.api.validation import LINE_PATTERN, TEXT_PATTERN, Text
from lexgraph.core.errors import NotAcceptable
from lexgraph.core.jobs.audit import GuardAuditLog
from lexgraph.core.summary.docx_export import DOCX_MEDIA_TYPE, render_docx
from lexgraph.core.summary.length import LENGTH_SCHEMA
from lexgraph.core.summary.profiles import PROFILE_NAMES
from lexgraph.core.validation import MAX_INT64

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

def _inline_defs(schema: dict[str, Any]) -> dict[str, Any]:
    """Resolve pydantic's local ``#/$defs/...`` refs: inside the OpenAPI document they would
    point at its root, where no ``$defs`` exists."""
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


_SUBMIT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["matter", "files"],
                    "additionalProperties": False,
                    "properties": {
                        "matter": {"type": "string", "minLength": 1, "maxLength": 200,
                                   "pattern": LINE_PATTERN},
                        "profile": {"type": "string",
                                    "enum": list(PROFILE_NAMES),
                                    "default": "general"},
                        "instructions": {"type": "string", "pattern": TEXT_PATTERN},
                        "webhook_url": {"type": "string", "format": "uri",
                                        "pattern": WEBHOOK_URL_PATTERN},
                        "length": LENGTH_SCHEMA,
                        "cache": {"type": "boolean", "default": True},
                        "files": {"type": "array", "minItems": 1,
                                  "items": {"type": "string", "format": "binary"}},
                    },
                }
            },
            "application/json": {"schema": _inline_defs(JobCreate.model_json_schema())},
        },
    }
}


@router.post("", status_code=202, openapi_extra=_SUBMIT_BODY, operation_id="submitJob",
             summary="Submit a document-summary job", response_model=models.Job,
             response_description="The job, queued; a replay of an Idempotency-Key answers "
                                  "the first submission's job again.",
             responses=errors(409, 413, 415, 429))
async def submit_job(
    request: Request,
    svc: ServicesDep,
    who: SubmitterDep,
    idempotency_key: Annotated[str | None, Header(
        # The store checks the length itself, with its own message.
        alias="Idempotency-Key", json_schema_extra={"minLength": 1, "maxLength": 255},
        description="Makes a retried submission answer the first one's job instead of "
                    "creating another (kept 24 hours).")] = None,
) -> JSONResponse:
    submission = await parse_submission(request, svc.settings)
    outcome = await run_in_threadpool(submit_and_dispatch, svc, who, submission,
                                      idempotency_key)
    headers = dict(outcome.headers)
    if outcome.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(outcome.body, status_code=outcome.status, headers=headers)


@router.get("", summary="List jobs, newest first", operation_id="listJobs",
            response_model=models.JobList, responses=errors())
async def list_jobs(
    svc: ServicesDep,
    who: PrincipalDep,
    status: models.JobStatusFilter = None,
    matter: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200, description=(
        "`next_cursor` of the previous page."))] = None,
) -> JSONResponse:
    return JSONResponse(await run_in_threadpool(svc.store.list_jobs, who, status=status,
                                                matter=matter, limit=limit, cursor=cursor))


@router.get("/{job_id}", summary="Get a job", operation_id="getJob", response_model=models.Job,
            responses=errors(404))
async def get_job(job_id: str, svc: ServicesDep, who: PrincipalDep) -> JSONResponse:
    return JSONResponse(await run_in_threadpool(svc.store.get_job, who, job_id))


def _accept_q(ranges: list[tuple[str, float]], media_type: str) -> float:
    """q of ``media_type`` under RFC 9110: the most specific matching range decides."""
    family = media_type.split("/", 1)[0] + "/*"
    for candidate in (media_type, family, "*/*"):
        matches = [q for media, q in ranges if media == candidate]
        if matches:
            return max(matches)
    return 0.0


def _result_format(accept: str | None) -> str:
    """Content negotiation among JSON (default), Markdown and DOCX, honouring q-values."""
    if not accept or not accept.strip():
        return "json"
    ranges: list[tuple[str, float]] = []
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if not media:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append((media.lower(), q))
    # On ties the earlier wins, so "*/*" still means JSON.
    offers = [("json", _accept_q(ranges, "application/json")),
              ("markdown", _accept_q(ranges, "text/markdown")),
              ("docx", _accept_q(ranges, DOCX_MEDIA_TYPE))]
    best, q = max(offers, key=lambda offer: offer[1])
    if q == 0.0:
        raise NotAcceptable("the result is available as application/json, text/markdown or "
                            f"{DOCX_MEDIA_TYPE}")
    return best


@router.get("/{job_id}/result", operation_id="getResult",
            summary="Get a finished job's result (JSON, Markdown or DOCX)",
            response_model=models.JobResult,
            responses={200: {"description": "The result in the format Accept asks for.",
                             "content": {"text/markdown": {"schema": {"type": "string"}},
                                         DOCX_MEDIA_TYPE: {"schema": {
                                             "type": "string", "format": "binary"}}}},
                       **errors(404, 406, 409)})
async def get_result(
    job_id: str,
    svc: ServicesDep,
    who: PrincipalDep,
    accept: Annotated[str | None, Header(
        description="Picks the format; q-values are honoured and anything else is a 406.",
        json_schema_extra={"enum": ["application/json", "text/markdown", DOCX_MEDIA_TYPE,
                                    "*/*"]})] = None,
) -> Response:
    wanted = _result_format(accept)
    res = await run_in_threadpool(svc.store.result, who, job_id)
    if wanted == "markdown":
        return PlainTextResponse(res.markdown, media_type="text/markdown; charset=utf-8")
    if wanted == "docx":
        data = await run_in_threadpool(render_docx, res.body)
        return Response(data, media_type=DOCX_MEDIA_TYPE, headers={
            "Content-Disposition": f'attachment; filename="{job_id}.docx"'})
    return JSONResponse(res.body)


@router.post("/{job_id}/cancel", summary="Cancel a job that has not finished",
             operation_id="cancelJob", response_model=models.Job, responses=errors(404, 409))
async def cancel_job(job_id: str, svc: ServicesDep, who: PrincipalDep) -> JSONResponse:
    return JSONResponse(await run_in_threadpool(svc.store.cancel, who, job_id))


@router.get("/{job_id}/events", summary="The job's events, oldest first",
            operation_id="listJobEvents", response_model=models.JobEventList,
            responses=errors(404))
async def job_events(
    job_id: str,
    svc: ServicesDep,
    who: PrincipalDep,
    after: Annotated[int, Query(ge=0, le=MAX_INT64)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> JSONResponse:
    return JSONResponse(await run_in_threadpool(svc.store.events, who, job_id, after=after,
                                                limit=limit))


@router.get("/{job_id}/audit", summary="The job's guard decisions, oldest first",
            operation_id="getJobAudit", response_model=models.GuardDecisionList,
            responses=errors(404))
async def job_audit(
    job_id: str,
    svc: ServicesDep,
    who: PrincipalDep,
    after: Annotated[int, Query(ge=0, le=MAX_INT64)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    stage: Literal["document", "call", "result"] | None = None,
) -> JSONResponse:
    """Every screening of the job's document chunks, agent tool calls and tool results: verdict,
    categories, reason, guard, model, latency, cache hit and the SHA-256 of what was
    screened (never the text)."""
    log_ = GuardAuditLog(svc.store.engine)
    return JSONResponse(await run_in_threadpool(log_.list, who.tenant_id, job_id, after=after,
                                                limit=limit, stage=stage))


@router.post("/{job_id}/review", summary="Approve, edit or reject a job waiting for review",
             operation_id="reviewJob", tags=["reviews"], response_model=models.Job,
             responses=errors(404, 409))
async def review_job(job_id: str, decision: ReviewDecision, svc: ServicesDep,
                     who: PrincipalDep) -> JSONResponse:
    return JSONResponse(await run_in_threadpool(review_and_dispatch, svc, who, job_id,
                                                decision))


class FeedbackCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: StrictFloat = Field(ge=0, le=1, allow_inf_nan=False,
                         description="The reviewer's judgement of the result, 0 (wrong) to 1 "
                         "(right).")
    comment: Text | None = Field(None, max_length=4000, description="Why, in a few words.")
    correction: Text | None = Field(None, max_length=20000,
                                   description="What the summary should have said.")


@router.post("/{job_id}/feedback", status_code=201, operation_id="createFeedback",
             summary="Leave a reviewer's feedback on a job (also sent to its LangSmith trace)",
             tags=["reviews"], response_model=models.Feedback, responses=errors(404))
async def job_feedback(job_id: str, feedback: FeedbackCreate, svc: ServicesDep,
                       who: PrincipalDep) -> JSONResponse:
    return JSONResponse(await run_in_threadpool(
        svc.store.add_feedback, who, job_id, score=feedback.score, comment=feedback.comment,
        correction=feedback.correction), status_code=201)
