"""Request-scoped dependencies: the service container and the calling tenant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from starlette.concurrency import run_in_threadpool

from lexgraph.core.config.settings import Settings
from lexgraph.core.errors import Unauthorized
from lexgraph.core.jobs.store import JobStore, Principal


@dataclass
class Services:
    settings: Settings
    store: JobStore
    celery: Any


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


async def principal(
    svc: Annotated[Services, Depends(services)],
    authorization: Annotated[str | None, Header()] = None,
) -> Principal:
    if authorization is None:
        raise Unauthorized("send 'Authorization: Bearer <API key>'")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header must be 'Bearer <API key>'")
    return await run_in_threadpool(svc.store.authenticate, token.strip())


ServicesDep = Annotated[Services, Depends(services)]
PrincipalDep = Annotated[Principal, Depends(principal)]
