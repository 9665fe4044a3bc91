"""``AsyncClient``: the API over an asyncio httpx client; the same methods as ``Client``,
awaited."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, overload

import httpx

from lexgraph.api import models
from lexgraph.client import calls
from lexgraph.client.calls import SETTLED, Call, FileInput, ResultFormat
from lexgraph.client.errors import ProblemError, problem_error
from lexgraph.client.sse import Decoder
from lexgraph.client.waiting import Follow

RETRY_STATUSES = frozenset({429, 503})


class AsyncClient:
    """The lexgraph API. Use it as a context manager, or call ``close()``.

    ``max_retries``: how often a 429 or 503 (or a dropped connection) is retried for requests
    that are safe to repeat, waiting what Retry-After says (at most ``max_retry_wait`` s).
    """

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 60.0,
                 max_retries: int = 3, max_retry_wait: float = 30.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout,
                                  headers={"Authorization": f"Bearer {api_key}"},
                                  transport=transport)
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    # Transport ----------------------------------------------------------------------------

    async def _send(self, call: Call) -> httpx.Response:
        return await self._http.request(call.method, call.path, params=call.params or None,
                                  json=call.json, data=call.data, files=call.files,
                                  headers=call.headers)

    async def _run(self, call: Call) -> Any:
        attempt = 0
        while True:
            try:
                response = await self._send(call)
            except httpx.TransportError:
                if not call.retryable or attempt >= self.max_retries:
                    raise
                await asyncio.sleep(min(2.0 ** attempt, self.max_retry_wait))
                attempt += 1
                continue
            if response.is_success:
                return call.parse(response)
            error = problem_error(response)
            if (response.status_code in RETRY_STATUSES and call.retryable
                    and attempt < self.max_retries):
                await asyncio.sleep(self._backoff(error, attempt))
                attempt += 1
                continue
            raise error

    def _backoff(self, error: ProblemError, attempt: int) -> float:
        wait = error.retry_after if error.retry_after is not None else 2.0 ** attempt
        return min(wait, self.max_retry_wait)

    # Jobs ---------------------------------------------------------------------------------

    async def submit(self, *, matter: str, files: Sequence[FileInput] | None = None,
                     text: str | None = None, filename: str = "document.txt",
                     profile: str = "general", length: str | int | None = None,
                     instructions: str | None = None, webhook_url: str | None = None,
                     idempotency_key: str | None = None, cache: bool = True) -> models.Job:
        """Submit documents (``files``: paths or (name, bytes) pairs) or one ``text`` as a job.

        An Idempotency-Key is made when none is given, so retries never create a second job.
        ``cache=False`` runs the job even when an identical earlier job's result could answer it.
        """
        job: models.Job = await self._run(calls.submit(
            matter=matter, files=files, text=text, filename=filename, profile=profile,
            length=length, instructions=instructions, webhook_url=webhook_url,
            idempotency_key=idempotency_key, cache=cache))
        return job

    async def get_job(self, job_id: str) -> models.Job:
        job: models.Job = await self._run(calls.get_job(job_id))
        return job

    async def list_jobs(self, *, status: str | None = None, matter: str | None = None,
                        limit: int | None = None, cursor: str | None = None) -> models.JobList:
        page: models.JobList = await self._run(calls.list_jobs(status, matter, limit, cursor))
        return page

    async def iter_jobs(self, *, status: str | None = None, matter: str | None = None,
                        page_size: int = 100) -> AsyncIterator[models.Job]:
        """Every job, newest first, fetching pages as the iteration goes."""
        cursor: str | None = None
        while True:
            page = await self.list_jobs(status=status, matter=matter, limit=page_size,
                                        cursor=cursor)
            for item in page.data:
                yield item
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    async def cancel(self, job_id: str) -> models.Job:
        job: models.Job = await self._run(calls.cancel(job_id))
        return job

    async def delete_job(self, job_id: str) -> models.Deletion:
        """Delete a finished job and its data; deleting it again answers the same record."""
        done: models.Deletion = await self._run(calls.delete_job(job_id))
        return done

    async def delete_matter(self, matter: str) -> models.Deletion:
        """Delete a matter with all its (finished) jobs and their data."""
        done: models.Deletion = await self._run(calls.delete_matter(matter))
        return done

    @overload
    async def result(self, job_id: str, format: Literal["json"] = ...) -> models.JobResult: ...
    @overload
    async def result(self, job_id: str, format: Literal["markdown"]) -> str: ...
    @overload
    async def result(self, job_id: str, format: Literal["docx"]) -> bytes: ...

    async def result(self, job_id: str, format: ResultFormat = "json") -> Any:
        """The finished job's result: a typed model, Markdown text or DOCX bytes."""
        return await self._run(calls.result(job_id, format))

    async def list_events(self, job_id: str, *, after: int | None = None,
                          limit: int | None = None) -> models.JobEventList:
        page: models.JobEventList = await self._run(calls.list_events(job_id, after, limit))
        return page

    async def iter_events(self, job_id: str, *, after: int = 0) -> AsyncIterator[models.JobEvent]:
        """The job's events so far, oldest first."""
        while True:
            page = await self.list_events(job_id, after=after, limit=500)
            for item in page.data:
                yield item
            if page.next_after is None:
                return
            after = page.next_after

    async def wait(self, job_id: str, *, until: frozenset[str] | set[str] = SETTLED,
                   timeout: float | None = None,
                   on_event: Callable[[models.JobEvent], None] | None = None) -> models.Job:
        """Follow the job's event stream until it reaches a status in ``until`` (by default:
        finished, or waiting for review), and return the job then.

        A dropped stream is resumed where it broke (Last-Event-ID), so no event is missed or
        repeated; ``on_event`` sees each event once, in order. Raises ``WaitTimeout`` after
        ``timeout`` seconds.
        """
        follow = Follow(job_id, until, timeout)
        job = await self.get_job(job_id)
        while not follow.done(job):
            follow.check_deadline()
            if await self._follow_stream(follow, on_event):
                job = await self.get_job(job_id)
                if follow.done(job):
                    break
                continue
            # The stream ended or broke: see where the job stands, then resume.
            job = await self.get_job(job_id)
            if not follow.done(job):
                follow.dropped()
                await asyncio.sleep(follow.pause)
        return job

    async def _follow_stream(self, follow: Follow,
                             on_event: Callable[[models.JobEvent], None] | None) -> bool:
        """Read the stream until an event says the job may have settled (True), or until it
        ends or breaks (False)."""
        try:
            async with self._http.stream("GET", follow.path, headers=follow.headers(),
                                   timeout=follow.read_timeout(self._http.timeout)) as r:
                if not r.is_success:
                    await r.aread()
                    follow.problem(problem_error(r))
                    await asyncio.sleep(follow.pause)
                    return False
                decoder = Decoder()
                async for line in r.aiter_lines():
                    message = decoder.feed(line)
                    if message is not None and follow.take(message, on_event) is not None:
                        return True
        except httpx.TransportError:
            pass
        return False

    async def audit(self, job_id: str, *, after: int | None = None, limit: int | None = None,
                    stage: Literal["document", "call", "result"] | None = None,
                    ) -> models.GuardDecisionList:
        page: models.GuardDecisionList = await self._run(calls.audit(job_id, after, limit, stage))
        return page

    async def review(self, job_id: str, action: Literal["approve", "edit", "reject"], *,
                     edits: Sequence[Mapping[str, Any]] | None = None,
                     comment: str | None = None) -> models.Job:
        """Decide on a job in needs_review; ``edits``: {section, index, text | delete}."""
        job: models.Job = await self._run(calls.review(job_id, action, edits, comment))
        return job

    async def feedback(self, job_id: str, score: float, *, comment: str | None = None,
                       correction: str | None = None) -> models.Feedback:
        made: models.Feedback = await self._run(calls.feedback(job_id, score, comment, correction))
        return made

    async def document_page(self, job_id: str, document_id: str, page: int) -> models.DocumentPage:
        found: models.DocumentPage = await self._run(calls.document_page(job_id, document_id, page))
        return found

    # Webhooks -----------------------------------------------------------------------------

    async def create_endpoint(self, url: str, *, event_types: Sequence[str] | None = None,
                              description: str | None = None,
                              enabled: bool = True) -> models.WebhookEndpointWithSecret:
        """Register an endpoint; the answer carries its signing secret, shown only here."""
        made: models.WebhookEndpointWithSecret = await self._run(
            calls.create_endpoint(url, event_types, description, enabled))
        return made

    async def list_endpoints(self, *, limit: int | None = None,
                             cursor: str | None = None) -> models.WebhookEndpointList:
        page: models.WebhookEndpointList = await self._run(calls.list_endpoints(limit, cursor))
        return page

    async def get_endpoint(self, endpoint_id: str) -> models.WebhookEndpoint:
        found: models.WebhookEndpoint = await self._run(calls.get_endpoint(endpoint_id))
        return found

    async def update_endpoint(self, endpoint_id: str, **changes: Any) -> models.WebhookEndpoint:
        """Change ``url``, ``event_types``, ``description`` or ``enabled``."""
        found: models.WebhookEndpoint = await self._run(calls.update_endpoint(endpoint_id, changes))
        return found

    async def delete_endpoint(self, endpoint_id: str) -> None:
        await self._run(calls.delete_endpoint(endpoint_id))

    async def rotate_endpoint_secret(self, endpoint_id: str) -> models.WebhookEndpointWithSecret:
        found: models.WebhookEndpointWithSecret = await self._run(
            calls.rotate_endpoint_secret(endpoint_id))
        return found

    async def list_endpoint_deliveries(self, endpoint_id: str, *, status: str | None = None,
                                       limit: int | None = None,
                                       cursor: str | None = None) -> models.WebhookDeliveryList:
        page: models.WebhookDeliveryList = await self._run(calls.list_deliveries(
            calls.endpoint_deliveries_path(endpoint_id), status, limit, cursor))
        return page

    async def list_job_deliveries(self, job_id: str, *, status: str | None = None,
                                  limit: int | None = None,
                                  cursor: str | None = None) -> models.WebhookDeliveryList:
        page: models.WebhookDeliveryList = await self._run(calls.list_deliveries(
            calls.job_deliveries_path(job_id), status, limit, cursor))
        return page

    async def get_delivery(self, delivery_id: str) -> models.WebhookDelivery:
        found: models.WebhookDelivery = await self._run(calls.get_delivery(delivery_id))
        return found

    async def redeliver(self, delivery_id: str) -> models.WebhookDelivery:
        found: models.WebhookDelivery = await self._run(calls.redeliver(delivery_id))
        return found

    async def signing_secret(self) -> models.SigningSecret:
        found: models.SigningSecret = await self._run(calls.signing_secret())
        return found

    async def rotate_signing_secret(self) -> models.SigningSecret:
        found: models.SigningSecret = await self._run(calls.rotate_signing_secret())
        return found

    # Usage, keys, health ------------------------------------------------------------------

    async def usage(self, *, since: datetime | None = None,
                    until: datetime | None = None) -> models.TenantUsage:
        found: models.TenantUsage = await self._run(calls.usage(since, until))
        return found

    async def list_keys(self) -> models.ApiKeyList:
        found: models.ApiKeyList = await self._run(calls.list_keys())
        return found

    async def create_key(self, *, admin: bool = False) -> models.CreatedApiKey:
        made: models.CreatedApiKey = await self._run(calls.create_key(admin))
        return made

    async def revoke_key(self, key_id: str) -> models.ApiKey:
        found: models.ApiKey = await self._run(calls.revoke_key(key_id))
        return found

    async def rotate_key(self, key_id: str) -> models.RotatedApiKey:
        made: models.RotatedApiKey = await self._run(calls.rotate_key(key_id))
        return made

    async def health(self) -> models.Health:
        found: models.Health = await self._run(calls.health())
        return found

    async def ready(self) -> models.Readiness:
        found: models.Readiness = await self._run(calls.ready())
        return found

