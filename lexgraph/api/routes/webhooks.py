from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from lexgraph.api.deps import PrincipalDep, ServicesDep
from lexgraph.api.validation import Line
from lexgraph.core.jobs.events import EVENT_TYPES

router = APIRouter(tags=["webhooks"])
_TYPES_HELP = "Event types to receive, among " + ", ".join(EVENT_TYPES) + "; null for all."


class EndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Line = Field(description="Where events are POSTed; an absolute http(s) URL.")
    event_types: list[Line] | None = Field(None, description=_TYPES_HELP)
    description: Line | None = None
    enabled: bool = True


class EndpointUpdate(BaseModel):
    """Only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    url: Line | None = None
    event_types: list[Line] | None = Field(None, description=_TYPES_HELP)
    description: Line | None = None
    enabled: bool | None = None


@router.post("/v1/webhook-endpoints", status_code=201,
             summary="Register a webhook endpoint; its signing secret is returned only here")
async def create_endpoint(body: EndpointCreate, svc: ServicesDep,
                          who: PrincipalDep) -> JSONResponse:
    created = await run_in_threadpool(
        svc.webhooks.create_endpoint, who, url=body.url, event_types=body.event_types,
        description=body.description, enabled=body.enabled)
    return JSONResponse(created, status_code=201,
                        headers={"Location": created["links"]["self"]})


@router.get("/v1/webhook-endpoints", summary="List webhook endpoints, oldest first")
async def list_endpoints(svc: ServicesDep, who: PrincipalDep,
                         limit: Annotated[int, Query(ge=1, le=200)] = 50,
                         cursor: str | None = None) -> dict[str, Any]:
    return await run_in_threadpool(svc.webhooks.list_endpoints, who, limit=limit, cursor=cursor)


@router.get("/v1/webhook-endpoints/{endpoint_id}", summary="Get a webhook endpoint")
async def get_endpoint(endpoint_id: str, svc: ServicesDep, who: PrincipalDep) -> dict[str, Any]:
    return await run_in_threadpool(svc.webhooks.get_endpoint, who, endpoint_id)


@router.patch("/v1/webhook-endpoints/{endpoint_id}",
              summary="Change a webhook endpoint's URL, event types, description or state")
async def update_endpoint(endpoint_id: str, body: EndpointUpdate, svc: ServicesDep,
                          who: PrincipalDep) -> dict[str, Any]:
    return await run_in_threadpool(svc.webhooks.update_endpoint, who, endpoint_id,
                                   body.model_dump(exclude_unset=True))


@router.delete("/v1/webhook-endpoints/{endpoint_id}", status_code=204,
               summary="Delete a webhook endpoint and its deliveries")
async def delete_endpoint(endpoint_id: str, svc: ServicesDep, who: PrincipalDep) -> Response:
    await run_in_threadpool(svc.webhooks.delete_endpoint, who, endpoint_id)
    return Response(status_code=204)


@router.post("/v1/webhook-endpoints/{endpoint_id}/rotate-secret",
             summary="Replace the endpoint's secret; the old one keeps signing for a grace "
                     "period")
async def rotate_endpoint_secret(endpoint_id: str, svc: ServicesDep,
                                 who: PrincipalDep) -> dict[str, Any]:
    return await run_in_threadpool(svc.webhooks.rotate_endpoint_secret, who, endpoint_id)


@router.get("/v1/webhook-endpoints/{endpoint_id}/deliveries",
            summary="The endpoint's deliveries with their attempts, newest first")
async def endpoint_deliveries(endpoint_id: str, svc: ServicesDep, who: PrincipalDep,
                              status: str | None = None,
                              limit: Annotated[int, Query(ge=1, le=200)] = 50,
                              cursor: str | None = None) -> dict[str, Any]:
    return await run_in_threadpool(svc.webhooks.list_deliveries, who, endpoint_id=endpoint_id,
                                   status=status, limit=limit, cursor=cursor)


@router.get("/v1/jobs/{job_id}/deliveries",
            summary="Deliveries of the job's events (its webhook_url and endpoints)")
async def job_deliveries(job_id: str, svc: ServicesDep, who: PrincipalDep,
                         status: str | None = None,
                         limit: Annotated[int, Query(ge=1, le=200)] = 50,
                         cursor: str | None = None) -> dict[str, Any]:
    return await run_in_threadpool(svc.webhooks.list_deliveries, who, job_id=job_id,
                                   status=status, limit=limit, cursor=cursor)


@router.get("/v1/deliveries/{delivery_id}", summary="Get a delivery with its attempts")
async def get_delivery(delivery_id: str, svc: ServicesDep, who: PrincipalDep) -> dict[str, Any]:
    return await run_in_threadpool(svc.webhooks.get_delivery, who, delivery_id)


@router.post("/v1/deliveries/{delivery_id}/redeliver", status_code=202,
             summary="Send a delivery again (same webhook-id), with a fresh retry schedule")
async def redeliver(delivery_id: str, svc: ServicesDep, who: PrincipalDep) -> JSONResponse:
    body = await run_in_threadpool(svc.webhooks.redeliver, who, delivery_id)
    return JSONResponse(body, status_code=202)


@router.get("/v1/webhook-signing-secret",
            summary="The secret that signs deliveries to jobs' own webhook_url")
async def signing_secret(svc: ServicesDep, who: PrincipalDep) -> dict[str, Any]:
    return await run_in_threadpool(svc.webhooks.signing_secret, who)


@router.post("/v1/webhook-signing-secret/rotate",
             summary="Replace the jobs' webhook secret; the old one keeps signing for a grace "
                     "period")
async def rotate_signing_secret(svc: ServicesDep, who: PrincipalDep) -> dict[str, Any]:
    return await run_in_threadpool(svc.webhooks.rotate_signing_secret, who)
