"""Request-scoped dependencies: the service container and the calling tenant."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from starlette.concurrency import run_in_threadpool

from lexgraph.core.config.settings import Settings
from lexgraph.core.errors import Unauthorized
from lexgraph.core.jobs.sources import SourceText
from lexgraph.core.jobs.store import JobStore, Principal, hash_key
from lexgraph.core.jobs.stream import EventFeed
from lexgraph.core.vectorstore import VectorStore
from lexgraph.core.webhooks import WebhookStore


class KeyCache:
    """API keys verified in the last ``ttl`` seconds, so a burst of requests costs one query.

    Only successful lookups are kept. A key revoked through this process (``evict``) stops
    at once. One revoked elsewhere (the CLI, another API process) stops within
    ``REVOCATION_CHECK_SECONDS``: that often at most, a request asks the database whether any
    key was revoked since the last look (``stale``/``sync``), and the cache is emptied if so.
    """

    REVOCATION_CHECK_SECONDS = 1.0

    def __init__(self, ttl: float, max_entries: int = 4096) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, tuple[Principal, float]] = {}
        self._marker: tuple[int, str | None] | None = None
        self._checked = 0.0

    def stale(self) -> bool:
        """Whether the revocations should be looked at before the cache is trusted."""
        return time.monotonic() - self._checked >= self.REVOCATION_CHECK_SECONDS

    def sync(self, marker: tuple[int, str | None]) -> None:
        """Take the database's revocation marker; a change empties the cache."""
        if self._marker is not None and marker != self._marker:
            self._entries.clear()
        self._marker = marker
        self._checked = time.monotonic()

    def get(self, digest: str) -> Principal | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if entry[1] <= time.monotonic():
            self._entries.pop(digest, None)
            return None
        return entry[0]

    def evict(self, digest: str) -> None:
        self._entries.pop(digest, None)

    def put(self, digest: str, who: Principal) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[digest] = (who, time.monotonic() + self.ttl)


@dataclass
class Services:
    settings: Settings
    store: JobStore
    celery: Any
    webhooks: WebhookStore
    events: EventFeed
    sources: SourceText
    # Opens the configured vector store (data deletion opens it per request).
    open_vectors: Callable[[], VectorStore]
    keys: KeyCache = field(init=False)

    def __post_init__(self) -> None:
        self.keys = KeyCache(self.settings.api_key_cache_seconds)


async def services(request: Request) -> Services:
    # async, though it only reads an attribute: FastAPI runs a plain ``def`` dependency in the
    # thread pool, a hand-off per request that costs more than everything else it does.
    svc: Services = request.app.state.services
    return svc


def bearer_token(authorization: str | None) -> str:
    if authorization is None:
        raise Unauthorized("send 'Authorization: Bearer <API key>'")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header must be 'Bearer <API key>'")
    return token.strip()


async def principal(
    svc: Annotated[Services, Depends(services)],
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal:
    token = bearer_token(authorization)
    if svc.keys.ttl <= 0:
        return await run_in_threadpool(svc.store.authenticate, token)
    digest = hash_key(token)
    if svc.keys.stale():
        svc.keys.sync(await run_in_threadpool(svc.store.revocation_marker))
    who = svc.keys.get(digest)
    if who is None:
        who = await run_in_threadpool(svc.store.authenticate, token)
        svc.keys.put(digest, who)
    return who


async def submitter(
    svc: Annotated[Services, Depends(services)],
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal:
    """The caller of a job submission. A key this process has verified before is taken
    without a query: the submission's own transaction refuses it if it has been revoked since
    (``JobStore.submit``), so revocation stays immediate and nothing is written for it."""
    token = bearer_token(authorization)
    who = svc.store.known_key(hash_key(token))
    if who is None:
        who = await run_in_threadpool(svc.store.authenticate, token)
    return who


ServicesDep = Annotated[Services, Depends(services)]
PrincipalDep = Annotated[Principal, Depends(principal)]
SubmitterDep = Annotated[Principal, Depends(submitter)]
