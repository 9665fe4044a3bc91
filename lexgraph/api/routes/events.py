from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from lexgraph.api.deps import PrincipalDep, ServicesDep
from lexgraph.core.errors import UserError
from lexgraph.core.validation import MAX_INT64

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


def _resume_point(after: int | None, last_event_id: str | None) -> int:
    # A reconnecting browser sends Last-Event-ID while its URL still has the first ?after=,
    # so the header wins.
    if last_event_id is not None and last_event_id.strip():
        value = last_event_id.strip()
        # isdigit alone takes "²" and other digits int() refuses.
        if not (value.isascii() and value.isdigit()) or int(value) > MAX_INT64:
            raise UserError("Last-Event-ID must be an event id from this stream "
                            "(a non-negative integer)")
        return int(value)
    if after is not None and after > MAX_INT64:
        # The web page's stream takes ``after`` through here too, without the API's Query bound.
        raise UserError(f"after must be an event id, at most {MAX_INT64}")
    return after or 0


@router.get("/{job_id}/events/stream",
            summary="The job's events live, as server-sent events; ends after the last one",
            response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}}})
async def stream_events(
    job_id: str,
    svc: ServicesDep,
    who: PrincipalDep,
    after: Annotated[int | None, Query(ge=0, le=MAX_INT64,
                                       description="Start after this event id.")] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    start = _resume_point(after, last_event_id)
    await run_in_threadpool(svc.events.check, who.tenant_id, job_id)
    return StreamingResponse(
        svc.events.stream(who.tenant_id, job_id, start), media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
