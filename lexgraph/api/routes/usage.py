"""``GET /v1/usage``: the tenant's model tokens and estimated cost over a period."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError
from starlette.concurrency import run_in_threadpool

from lexgraph.api import models
from lexgraph.api.contract import errors
from lexgraph.api.deps import PrincipalDep, ServicesDep
from lexgraph.core.errors import Unprocessable

router = APIRouter(tags=["usage"])
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso(value: Any) -> Any:
    # pydantic would read "0" or "1700000000" as a Unix time; the parameters are ISO 8601.
    if isinstance(value, str) and not _ISO_DATE.match(value):
        raise PydanticCustomError("datetime_from_date_parsing",
                                  "Input should be an ISO 8601 date and time")
    return value


Moment = Annotated[datetime, BeforeValidator(_iso)]


@router.get("/v1/usage", summary="Token usage and estimated cost of the caller's tenant",
            operation_id="getUsage", response_model=models.TenantUsage, responses=errors())
async def tenant_usage(
    who: PrincipalDep,
    svc: ServicesDep,
    since: Annotated[Moment | None, Query(description="Inclusive start (ISO 8601).")] = None,
    until: Annotated[Moment | None, Query(description="Exclusive end (ISO 8601).")] = None,
) -> JSONResponse:
    if since is not None and until is not None and until <= since:
        raise Unprocessable("until must be later than since")
    return JSONResponse(await run_in_threadpool(svc.store.usage.for_tenant, who.tenant_id,
                                                since=since, until=until))
