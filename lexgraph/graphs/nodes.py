"""The ingest node: parse, chunk, embed and index the job's documents."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from lexgraph.core.errors import JobError
from lexgraph.core.ingest.indexing import Indexer
from lexgraph.core.ingest.limits import DocumentLimits, IngestBudget
from lexgraph.core.vectorstore.base import Scope
from lexgraph.graphs.interrupts import check_stop
from lexgraph.graphs.state import ChunkRef, ExtractedDocument, GraphContext, JobState


def ingest(state: JobState, runtime: Runtime[GraphContext]) -> dict[str, Any]:
    """Parse, chunk, embed and index every document under the job's tenant + matter."""
    ctx = runtime.context
    settings = ctx.settings
    indexer = Indexer(ctx.embedder, ctx.vectors, chunk_chars=settings.chunk_max_chars,
                      limits=DocumentLimits.from_settings(settings))
    budget = IngestBudget(settings.ingest_max_chars, settings.max_pages)
    scope = Scope(state["tenant_id"], state["matter_id"])
    extracted: list[ExtractedDocument] = []
    chunks: list[ChunkRef] = []
    for doc in state["inputs"]:
        try:
            data = ctx.blobs.get(doc["blob_key"])
        except KeyError:
            extracted.append(ExtractedDocument(
                id=doc["id"], filename=doc["filename"], media_type=doc["media_type"], pages=[],
                error={"code": "blob_missing", "message": "the uploaded file is missing"}))
            continue
        done = indexer.index(scope, doc["id"], doc["filename"], doc["media_type"], data,
                             budget=budget, check=check_stop)
        extracted.append(ExtractedDocument(id=doc["id"], filename=doc["filename"],
                                           media_type=doc["media_type"], pages=done.pages,
                                           error=done.error))
        chunks.extend(ChunkRef(id=c.id, document_id=c.document_id, document=doc["filename"],
                               page=c.page, page_end=c.page_end, start=c.start, end=c.end,
                               heading=c.heading, text=c.text) for c in done.chunks)
    if all(d["error"] for d in extracted):
        first = extracted[0]["error"] or {}
        raise JobError("no_readable_documents",
                       f"no document could be read: {first.get('message', 'unknown error')}")
    return {"extracted": extracted, "chunks": chunks}
