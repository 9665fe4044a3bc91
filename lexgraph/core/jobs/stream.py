"""A job's events as a live server-sent-events stream, resumable from any event id.

Each event is sent once, in id order, as ``id:`` (the event id, which a browser sends back as
``Last-Event-ID`` when it reconnects), ``event:`` (the type) and ``data:`` (the same JSON as
``GET /v1/jobs/{id}/events``). The stream ends after the job's terminal event.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import anyio.to_thread
from sqlalchemy import Engine, select
from sqlalchemy.orm import sessionmaker

from lexgraph.core.db.models import Job, JobEvent, JobStatus
from lexgraph.core.errors import NotFound
from lexgraph.core.jobs.events import TERMINAL_EVENT_TYPES
from lexgraph.core.jobs.views import event_resource
from lexgraph.core.jobs.wakeup import EventWakeup

_PAGE = 200
RECONNECT_MS = 2000


def sse_message(event: dict[str, Any]) -> str:
    data = json.dumps(event, separators=(",", ":"))
    return f"id: {event['id']}\nevent: {event['type']}\ndata: {data}\n\n"


class EventFeed:
    def __init__(self, engine: Engine, *, poll_seconds: float, keepalive_seconds: float,
                 wakeup: EventWakeup | None = None) -> None:
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.poll_seconds = poll_seconds
        self.keepalive_seconds = keepalive_seconds
        # Ends a wait as soon as the job's next event commits (PostgreSQL); without it a
        # stream learns of an event at its next poll.
        self.wakeup = wakeup

    def _status(self, tenant_id: str, job_id: str) -> str:
        with self.sessions() as s:
            status = s.execute(select(Job.status).where(
                Job.id == job_id, Job.tenant_id == tenant_id)).scalar()
        if status is None:
            raise NotFound(f"no job {job_id!r}")
        return status

    def check(self, tenant_id: str, job_id: str) -> None:
        """Raise NotFound before a stream starts, while an error can still be a 404."""
        self._status(tenant_id, job_id)

    def poll(self, tenant_id: str, job_id: str, after: int) -> tuple[bool, list[dict[str, Any]]]:
        """(whether the job had finished, the events after ``after``).

        The status is read before the events: a job seen finished has its terminal event
        committed (the same transaction wrote both), so the events read next include it.
        """
        finished = JobStatus(self._status(tenant_id, job_id)).terminal
        with self.sessions() as s:
            rows = s.execute(select(JobEvent).where(JobEvent.job_id == job_id,
                                                    JobEvent.id > after)
                             .order_by(JobEvent.id).limit(_PAGE)).scalars()
            return finished, [event_resource(e) for e in rows]

    async def stream(self, tenant_id: str, job_id: str, after: int) -> AsyncIterator[str]:
        yield f"retry: {RECONNECT_MS}\n\n"
        last_sent = time.monotonic()
        while True:
            finished, events = await anyio.to_thread.run_sync(self.poll, tenant_id, job_id,
                                                              after)
            for event in events:
                yield sse_message(event)
                after = event["id"]
                last_sent = time.monotonic()
                if event["type"] in TERMINAL_EVENT_TYPES:
                    return
            if len(events) == _PAGE:
                continue
            if finished:
                return  # the client resumed after the terminal event: nothing more will come
            if time.monotonic() - last_sent >= self.keepalive_seconds:
                yield ": keep-alive\n\n"
                last_sent = time.monotonic()
            if self.wakeup is not None:
                await self.wakeup.wait(job_id, self.poll_seconds)
            else:
                await anyio.sleep(self.poll_seconds)
