"""Deleting a job's or a matter's data: ``DELETE /v1/jobs/{id}`` and ``/v1/matters/{matter}``.

The work is in core/jobs/deletion.py; this module wires it to the stores the settings name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from lexgraph.api import models
from lexgraph.api.contract import errors
from lexgraph.api.deps import PrincipalDep, Services, ServicesDep
from lexgraph.api.validation import Line
from lexgraph.core.jobs.deletion import DataDeleter, Requester
from lexgraph.core.jobs.store import Principal
from lexgraph.graphs.checkpointer import forget_threads

router = APIRouter(prefix="/v1")


def _deleter(svc: Services) -> DataDeleter:
    settings = svc.settings

    def forget(thread_ids: Sequence[str]) -> None:
        forget_threads(settings.resolved_checkpoint_url, thread_ids)

    return DataDeleter(svc.store.engine, svc.store.blobs, svc.open_vectors,
                       forget, blob_grace_seconds=settings.orphan_upload_grace_seconds,
                       settle_seconds=settings.job_lease_seconds)


def _requester(who: Principal) -> Requester:
    return Requester(tenant_id=who.tenant_id, key_id=who.key_id)


@router.delete("/jobs/{job_id}", tags=["jobs"], operation_id="deleteJob",
               summary="Delete a finished job and its data", response_model=models.Deletion,
               responses=errors(404, 409))
async def delete_job(job_id: str, svc: ServicesDep, who: PrincipalDep) -> JSONResponse:
    """Removes the job's documents, uploaded files no other job uses, result, events,
    checkpoints, vectors, guard decisions and feedback; token counts stay for billing.
    A job that has not finished answers 409: cancel it first. Deleting it again answers the
    same body; 404 only for a job this tenant never had."""
    deleter = _deleter(svc)
    return JSONResponse(await run_in_threadpool(deleter.delete_job, _requester(who), job_id))


@router.delete("/matters/{matter:path}", tags=["jobs"], operation_id="deleteMatter",
               summary="Delete a matter with all its jobs and their data",
               response_model=models.Deletion, responses=errors(404, 409))
async def delete_matter(
    matter: Annotated[Line, Path(min_length=1, max_length=200,
                                 description="The matter's name, as given at submission.")],
    svc: ServicesDep,
    who: PrincipalDep,
) -> JSONResponse:
    """Every job of the matter is deleted as ``DELETE /v1/jobs/{id}`` would, then the matter
    and its whole vector index. Any job that has not finished answers 409 and nothing is
    deleted. Deleting it again answers the same body until a new job uses the name."""
    deleter = _deleter(svc)
    return JSONResponse(await run_in_threadpool(deleter.delete_matter, _requester(who), matter))
