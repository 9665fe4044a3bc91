"""The source text behind citations: one page of a job's document, as ingestion extracted it.

A citation's ``start``/``end`` index into this ``text``, so a client can show the quoted span
in its page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from lexgraph.api import models
from lexgraph.api.contract import errors
from lexgraph.api.deps import PrincipalDep, ServicesDep
from lexgraph.core.validation import MAX_INT64

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


@router.get("/{job_id}/documents/{document_id}/pages/{page}",
            summary="One page of a job's document, as extracted (citations index into it)",
            operation_id="getDocumentPage", response_model=models.DocumentPage,
            responses=errors(404))
async def document_page(job_id: str, document_id: str,
                        page: Annotated[int, Path(ge=1, le=MAX_INT64)], svc: ServicesDep,
                        who: PrincipalDep) -> JSONResponse:
    found = await run_in_threadpool(svc.sources.page, who.tenant_id, job_id, document_id, page)
    return JSONResponse({"object": "document_page", "job_id": found.job_id,
                         "document_id": found.document_id, "document": found.document,
                         "page": found.page, "pages": found.pages, "text": found.text})
