"""API keys through the API: an admin key lists, creates, revokes and rotates its tenant's keys.

Revocation takes effect on the next request: the database is asked on every request unless
LEXGRAPH_API_KEY_CACHE_SECONDS is set; then this process drops its cached entry at once and
others within a second (api/deps.py KeyCache).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from starlette.concurrency import run_in_threadpool

from lexgraph.api import models
from lexgraph.api.contract import errors
from lexgraph.api.deps import PrincipalDep, ServicesDep
from lexgraph.core.errors import Forbidden
from lexgraph.core.jobs.keys import Keys
from lexgraph.core.jobs.store import Principal

router = APIRouter(prefix="/v1/keys", tags=["keys"])


def admin(who: PrincipalDep) -> Principal:
    if not who.admin:
        raise Forbidden("this API key may not manage keys; use an admin key "
                        "('lexgraph keys create --admin')")
    return who


AdminDep = Annotated[Principal, Depends(admin)]


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    admin: StrictBool = Field(False, description="Whether the new key may manage keys too.")


@router.get("", summary="List the tenant's API keys (admin keys only)", operation_id="listKeys",
            response_model=models.ApiKeyList, responses=errors(403))
async def list_keys(svc: ServicesDep, who: AdminDep) -> JSONResponse:
    data = await run_in_threadpool(Keys(svc.store).list, who.tenant_id)
    return JSONResponse({"object": "list", "data": data})


@router.post("", status_code=201, operation_id="createKey",
             summary="Create an API key for the tenant; the key is returned only here",
             response_model=models.CreatedApiKey, responses=errors(403))
async def create_key(body: KeyCreate, svc: ServicesDep, who: AdminDep) -> JSONResponse:
    key, made = await run_in_threadpool(svc.store.create_key, who.tenant_name, admin=body.admin)
    listed = await run_in_threadpool(Keys(svc.store).list, who.tenant_id)
    [resource] = [k for k in listed if k["id"] == made.key_id]
    return JSONResponse({**resource, "key": key}, status_code=201)


@router.post("/{key_id}/revoke", operation_id="revokeKey",
             summary="Revoke an API key at once; its web sessions end with it",
             response_model=models.ApiKey, responses=errors(403, 404))
async def revoke_key(key_id: str, svc: ServicesDep, who: AdminDep) -> JSONResponse:
    revoked = await run_in_threadpool(Keys(svc.store).revoke, key_id, who.tenant_id)
    svc.keys.evict(revoked.key_hash)
    return JSONResponse(revoked.resource)


@router.post("/{key_id}/rotate", status_code=201, operation_id="rotateKey",
             summary="Replace an API key: a new key with the same rights, the old one revoked",
             response_model=models.RotatedApiKey, responses=errors(403, 404))
async def rotate_key(key_id: str, svc: ServicesDep, who: AdminDep) -> JSONResponse:
    key, created, revoked = await run_in_threadpool(Keys(svc.store).rotate, key_id,
                                                    who.tenant_id)
    svc.keys.evict(revoked.key_hash)
    return JSONResponse({**created, "key": key, "replaces": revoked.resource},
                        status_code=201)
