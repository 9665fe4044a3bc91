"""``GET /v1/usage``: the tenant's model tokens and estimated cost over a period."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from lexgraph.api.deps import PrincipalDep, ServicesDep
from lexgraph.core.errors import Unprocessable

router = APIRouter(tags=["usage"])


@router.get("/v1/usage", summary="Token usage and estimated cost of the caller's tenant")
async def tenant_usage(
    who: PrincipalDep,
    svc: ServicesDep,
    since: Annotated[datetime | None, Query(description="Inclusive start (ISO 8601).")] = None,
    until: Annotated[datetime | None, Query(description="Exclusive end (ISO 8601).")] = None,
) -> dict[str, Any]:
    if since is not None and until is not None and until <= since:
        raise Unprocessable("until must be later than since")
    return await run_in_threadpool(svc.store.usage.for_tenant, who.tenant_id, since=since,
                                   until=until)
