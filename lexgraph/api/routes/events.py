from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from lexgraph.api.contract import errors
from lexgraph.api.deps import PrincipalDep, ServicesDep
from lexgraph.api.resume import resume_point
from lexgraph.core.jobs.events import EVENT_TYPES
from lexgraph.core.validation import MAX_INT64

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


# One message per event: ``id`` (send it back as Last-Event-ID to resume), ``event`` (the
# type) and ``data`` (the event object of GET /v1/jobs/{id}/events, as JSON). In OpenAPI 3.1
# the schema of an event stream describes each of its events.
_STREAM = {
    "description": "The job's events after the resume point, as server-sent events; the "
                   "stream ends after the job's terminal event. Comment lines keep an idle "
                   "connection open.",
    "content": {"text/event-stream": {"schema": {
        "type": "object",
        "required": ["id", "event", "data"],
        "properties": {
            "id": {"type": "string", "pattern": "^[0-9]+$",
                   "description": "The event id; resume after it with Last-Event-ID."},
            "event": {"type": "string", "enum": list(EVENT_TYPES)},
            "data": {"type": "string", "contentMediaType": "application/json",
                     "contentSchema": {"$ref": "#/components/schemas/JobEvent"},
                     "description": "The event as JSON, as GET /v1/jobs/{job_id}/events "
                                    "lists it."},
        },
    }}},
}


@router.get("/{job_id}/events/stream", operation_id="streamEvents",
            summary="The job's events live, as server-sent events; ends after the last one",
            response_class=StreamingResponse,
            responses={200: _STREAM, **errors(404)})
async def stream_events(
    job_id: str,
    svc: ServicesDep,
    who: PrincipalDep,
    after: Annotated[int | None, Query(ge=0, le=MAX_INT64,
                                       description="Start after this event id.")] = None,
    last_event_id: Annotated[str | None, Header(
        alias="Last-Event-ID",
        # Up to 18 digits, all within a 64-bit event id, or nothing (no resume point); the
        # route checks it itself so that a bad value is a 400 like a bad ``after``.
        json_schema_extra={"pattern": r"^\s*(0*[0-9]{1,18})?\s*$"},
        description="Resume after this event id (wins over `after`); anything but a "
                    "non-negative integer is a 400.")] = None,
) -> StreamingResponse:
    start = resume_point(after, last_event_id)
    await run_in_threadpool(svc.events.check, who.tenant_id, job_id)
    return StreamingResponse(
        svc.events.stream(who.tenant_id, job_id, start), media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
