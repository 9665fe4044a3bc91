from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, WithJsonSchema
from pydantic.config import JsonDict
from starlette.concurrency import run_in_threadpool

from lexgraph.api import models
from lexgraph.api.contract import errors
from lexgraph.api.deps import PrincipalDep, ServicesDep
from lexgraph.api.forms import WEBHOOK_URL_PATTERN
from lexgraph.api.validation import Line
from lexgraph.core.jobs.events import EVENT_TYPES
from lexgraph.core.webhooks.ssrf import MAX_URL_LENGTH
from lexgraph.core.webhooks.store import MAX_DESCRIPTION

router = APIRouter(tags=["webhooks"])
_TYPES_HELP = "Event types to receive, among " + ", ".join(EVENT_TYPES) + "; null for all."
# The store checks these values itself, with the messages its tests and clients know; the
# document states the same limits so generated clients and fuzzers stay within them.
_URL: JsonDict = {"minLength": 1, "maxLength": MAX_URL_LENGTH, "format": "uri",
                  "pattern": WEBHOOK_URL_PATTERN}
_DESCRIPTION: JsonDict = {"maxLength": MAX_DESCRIPTION}
EventTypes = Annotated[list[Line] | None, WithJsonSchema({
    "anyOf": [{"type": "array", "minItems": 1,
               "items": {"type": "string", "enum": list(EVENT_TYPES)}},
              {"type": "null"}]})]


class EndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Line = Field(description="Where events are POSTed; an absolute http(s) URL.",
                      json_schema_extra=_URL)
    event_types: EventTypes = Field(None, description=_TYPES_HELP)
    description: Line | None = Field(None, json_schema_extra=_DESCRIPTION)
    enabled: StrictBool = True


class EndpointUpdate(BaseModel):
    """Only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    url: Line | None = Field(None, json_schema_extra=_URL)
    event_types: EventTypes = Field(None, description=_TYPES_HELP)
    description: Line | None = Field(None, json_schema_extra=_DESCRIPTION)
    # null is refused by the store ("enabled must be true or false"): absent or a boolean.
    enabled: StrictBool | None = Field(None, json_schema_extra={"type": "boolean"})


@router.post("/v1/webhook-endpoints", status_code=201, operation_id="createWebhookEndpoint",
             summary="Register a webhook endpoint; its signing secret is returned only here",
             response_model=models.WebhookEndpointWithSecret, responses=errors())
async def create_endpoint(body: EndpointCreate, svc: ServicesDep,
                          who: PrincipalDep) -> JSONResponse:
    created = await run_in_threadpool(
        svc.webhooks.create_endpoint, who, url=body.url, event_types=body.event_types,
        description=body.description, enabled=body.enabled)
    return JSONResponse(created, status_code=201,
                        headers={"Location": created["links"]["self"]})


@router.get("/v1/webhook-endpoints", summary="List webhook endpoints, oldest first",
            operation_id="listWebhookEndpoints", response_model=models.WebhookEndpointList,
            responses=errors())
async def list_endpoints(svc: ServicesDep, who: PrincipalDep,
                         limit: Annotated[int, Query(ge=1, le=200)] = 50,
                         cursor: Annotated[str | None, Query(max_length=200)] = None,
                         ) -> JSONResponse:
    return JSONResponse(await run_in_threadpool(svc.webhooks.list_endpoints, who, limit=limit,
                                                cursor=cursor))


@router.get("/v1/webhook-endpoints/{endpoint_id}", summary="Get a webhook endpoint",
            operation_id="getWebhookEndpoint", response_model=models.WebhookEndpoint,
            responses=errors(404))
async def get_endpoint(endpoint_id: str, svc: ServicesDep, who: PrincipalDep) -> JSONResponse:
    return JSONResponse(await run_in_threadpool(svc.webhooks.get_endpoint, who, endpoint_id))


@router.patch("/v1/webhook-endpoints/{endpoint_id}", operation_id="updateWebhookEndpoint",
              summary="Change a webhook endpoint's URL, event types, description or state",
              response_model=models.WebhookEndpoint, responses=errors(404))
async def update_endpoint(endpoint_id: str, body: EndpointUpdate, svc: ServicesDep,
                          who: PrincipalDep) -> JSONResponse:
    return JSONResponse(await run_in_threadpool(svc.webhooks.update_endpoint, who, endpoint_id,
                                                body.model_dump(exclude_unset=True)))


@router.delete("/v1/webhook-endpoints/{endpoint_id}", status_code=204,
               operation_id="deleteWebhookEndpoint",
               summary="Delete a webhook endpoint and its deliveries", responses=errors(404))
async def delete_endpoint(endpoint_id: str, svc: ServicesDep, who: PrincipalDep) -> Response:
    await run_in_threadpool(svc.webhooks.delete_endpoint, who, endpoint_id)
    return Response(status_code=204)


@router.post("/v1/webhook-endpoints/{endpoint_id}/rotate-secret",
             operation_id="rotateWebhookEndpointSecret",
             summary="Replace the endpoint's secret; the old one keeps signing for a grace "
                     "period", response_model=models.WebhookEndpointWithSecret,
             responses=errors(404))
async def rotate_endpoint_secret(endpoint_id: str, svc: ServicesDep,
                                 who: PrincipalDep) -> JSONResponse:
    return JSONResponse(await run_in_threadpool(svc.webhooks.rotate_endpoint_secret, who,
                                                endpoint_id))


@router.get("/v1/webhook-endpoints/{endpoint_id}/deliveries",
            operation_id="listEndpointDeliveries",
            summary="The endpoint's deliveries with their attempts, newest first",
            response_model=models.WebhookDeliveryList, responses=errors(404))
async def endpoint_deliveries(endpoint_id: str, svc: ServicesDep, who: PrincipalDep,
                              status: models.DeliveryStatusFilter = None,
                              limit: Annotated[int, Query(ge=1, le=200)] = 50,
                              cursor: Annotated[str | None, Query(max_length=200)] = None,
                              ) -> JSONResponse:
    return JSONResponse(await run_in_threadpool(
        svc.webhooks.list_deliveries, who, endpoint_id=endpoint_id, status=status,
        limit=limit, cursor=cursor))


@router.get("/v1/jobs/{job_id}/deliveries", operation_id="listJobDeliveries",
            summary="Deliveries of the job's events (its webhook_url and endpoints)",
            response_model=models.WebhookDeliveryList, responses=errors(404))
async def job_deliveries(job_id: str, svc: ServicesDep, who: PrincipalDep,
                         status: models.DeliveryStatusFilter = None,
                         limit: Annotated[int, Query(ge=1, le=200)] = 50,
                         cursor: Annotated[str | None, Query(max_length=200)] = None,
                         ) -> JSONResponse:
    return JSONResponse(await run_in_threadpool(
        svc.webhooks.list_deliveries, who, job_id=job_id, status=status, limit=limit,
        cursor=cursor))


@router.get("/v1/deliveries/{delivery_id}", summary="Get a delivery with its attempts",
            operation_id="getDelivery", response_model=models.WebhookDelivery,
            responses=errors(404))
async def get_delivery(delivery_id: str, svc: ServicesDep, who: PrincipalDep) -> JSONResponse:
    return JSONResponse(await run_in_threadpool(svc.webhooks.get_delivery, who, delivery_id))


@router.post("/v1/deliveries/{delivery_id}/redeliver", status_code=202,
             operation_id="redeliverDelivery",
             summary="Send a delivery again (same webhook-id), with a fresh retry schedule",
             response_model=models.WebhookDelivery, responses=errors(404, 409))
async def redeliver(delivery_id: str, svc: ServicesDep, who: PrincipalDep) -> JSONResponse:
    body = await run_in_threadpool(svc.webhooks.redeliver, who, delivery_id)
    return JSONResponse(body, status_code=202)


@router.get("/v1/webhook-signing-secret", operation_id="getSigningSecret",
            summary="The secret that signs deliveries to jobs' own webhook_url",
            response_model=models.SigningSecret, responses=errors())
async def signing_secret(svc: ServicesDep, who: PrincipalDep) -> JSONResponse:
    return JSONResponse(await run_in_threadpool(svc.webhooks.signing_secret, who))


@router.post("/v1/webhook-signing-secret/rotate", operation_id="rotateSigningSecret",
             summary="Replace the jobs' webhook secret; the old one keeps signing for a grace "
                     "period", response_model=models.SigningSecret, responses=errors())
async def rotate_signing_secret(svc: ServicesDep, who: PrincipalDep) -> JSONResponse:
    return JSONResponse(await run_in_threadpool(svc.webhooks.rotate_signing_secret, who))
