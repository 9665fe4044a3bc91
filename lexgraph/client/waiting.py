"""The bookkeeping of ``wait``: where to resume the event stream, how long to pause between
reconnections, when to give up. Shared by the sync and async clients."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import quote

import httpx

from lexgraph.api import models
from lexgraph.client.calls import settled_status
from lexgraph.client.errors import ProblemError, WaitTimeout
from lexgraph.client.sse import Message

FINISHED = frozenset({"succeeded", "failed", "cancelled"})
# Longest pause between two reconnections, however often the stream broke.
MAX_PAUSE = 10.0


class Follow:
    def __init__(self, job_id: str, until: frozenset[str] | set[str],
                 timeout: float | None) -> None:
        self.path = f"/v1/jobs/{quote(job_id, safe='')}/events/stream"
        self.until = until
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.last_id: str | None = None
        self.retry_ms = 2000
        self.failures = 0
        self.pause = 0.0

    def done(self, job: models.Job) -> bool:
        """Whether ``wait`` returns ``job``: a status it waits for, or one it never leaves."""
        return job.status in self.until or job.status in FINISHED

    def headers(self) -> dict[str, str]:
        headers = {"Accept": "text/event-stream"}
        if self.last_id is not None:
            headers["Last-Event-ID"] = self.last_id
        return headers

    def read_timeout(self, base: httpx.Timeout) -> httpx.Timeout:
        if self.deadline is None:
            return base
        left = max(0.1, self.deadline - time.monotonic())
        return httpx.Timeout(base.connect, read=min(left, base.read or left),
                             write=base.write, pool=base.pool)

    def check_deadline(self) -> None:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise WaitTimeout(f"the job did not reach {', '.join(sorted(self.until))} in time")

    def take(self, message: Message,
             on_event: Callable[[models.JobEvent], None] | None) -> str | None:
        """Record ``message``; the status it announces when ``wait`` may stop there."""
        if message.retry is not None:
            self.retry_ms = message.retry
        if message.id is None or not message.data:
            return None
        event = models.JobEvent.model_validate_json(message.data)
        self.last_id = message.id
        self.failures = 0
        if on_event is not None:
            on_event(event)
        status = settled_status(event.type)
        return status if status is not None and (status in self.until or status in FINISHED) \
            else None

    def problem(self, error: ProblemError) -> None:
        """An error answer to the stream request: waited out when retrying can help."""
        if error.status not in (429, 503):
            raise error
        self.failures += 1
        self.pause = min(error.retry_after or self.retry_ms / 1000, MAX_PAUSE)

    def dropped(self) -> None:
        """The stream ended or broke before the job settled: the first reconnection is at
        once, later ones after the server's advised delay, doubling."""
        self.failures += 1
        self.pause = 0.0 if self.failures == 1 else min(
            self.retry_ms / 1000 * 2 ** (self.failures - 2), MAX_PAUSE)
        self.check_deadline()
