"""The source text behind citations: one page of a job's document, as ingestion extracted it.

A citation's ``start``/``end`` index into this ``text``, so a client can show the quoted span
in its page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from starlette.concurrency import run_in_threadpool

from lexgraph.api.deps import PrincipalDep
from lexgraph.api.web_deps import WebServices, web_services

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


@router.get("/{job_id}/documents/{document_id}/pages/{page}",
            summary="One page of a job's document, as extracted (citations index into it)")
async def document_page(job_id: str, document_id: str,
                        page: Annotated[int, Path(ge=1)], request: Request,
                        who: PrincipalDep) -> dict[str, Any]:
    web: WebServices = web_services(request)
    found = await run_in_threadpool(web.sources.page, who.tenant_id, job_id, document_id, page)
    return {"object": "document_page", "job_id": found.job_id,
            "document_id": found.document_id, "document": found.document,
            "page": found.page, "pages": found.pages, "text": found.text}
