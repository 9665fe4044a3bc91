"""The ingest node: parse, chunk, embed and index the job's documents; the personal-data scan
of the chunks starts alongside the encoder (``graphs.prescan``)."""

from __future__ import annotations

import logging
from typing import Any

from langgraph.runtime import Runtime

from lexgraph.core.config.settings import Settings
from lexgraph.core.errors import JobError
from lexgraph.core.ingest.indexing import Indexer
from lexgraph.core.ingest.limits import DocumentLimits, IngestBudget
from lexgraph.core.pii import get_detector
from lexgraph.core.vectorstore.base import Scope
from lexgraph.graphs import prescan
from lexgraph.graphs.interrupts import check_stop
from lexgraph.graphs.state import ChunkRef, ExtractedDocument, GraphContext, JobState

log = logging.getLogger(__name__)


def ingest(state: JobState, runtime: Runtime[GraphContext]) -> dict[str, Any]:
    """Parse, chunk, embed and index every document under the job's tenant + matter."""
    ctx = runtime.context
    settings = ctx.settings
    indexer = Indexer(ctx.embedder, ctx.vectors, chunk_chars=settings.chunk_max_chars,
                      limits=DocumentLimits.from_settings(settings))
    budget = IngestBudget(settings.ingest_max_chars, settings.max_pages)
    scope = Scope(state["tenant_id"], state["matter_id"])
    # Redact's detector scans each chunk while the encoder embeds it: both are CPU work, but
    # the encoder leaves the GIL while it computes, so on two cores they overlap.
    scan = _start_prescan(state, settings)
    try:
        extracted, chunks = _index_all(state, ctx, indexer, budget, scope, scan)
    except BaseException:
        if scan is not None:
            prescan.discard(state["job_id"], scan)
        raise
    if scan is not None:
        scan.close()
    if all(d["error"] for d in extracted):
        if scan is not None:
            prescan.discard(state["job_id"], scan)
        first = extracted[0]["error"] or {}
        raise JobError("no_readable_documents",
                       f"no document could be read: {first.get('message', 'unknown error')}")
    return {"extracted": extracted, "chunks": chunks}


def _start_prescan(state: JobState, settings: Settings) -> prescan.Prescan | None:
    """None where redact will scan for itself: no job id to hand the scan over by, or a
    detector that does not load (redact then fails the job, as it always has)."""
    if not state.get("job_id"):
        return None
    try:
        detector = get_detector(settings)
    except Exception:
        log.warning("the personal-data detector did not load; redact will try again",
                    exc_info=True)
        return None
    return prescan.start(state["job_id"], detector)


def _index_all(state: JobState, ctx: GraphContext, indexer: Indexer, budget: IngestBudget,
               scope: Scope, scan: prescan.Prescan | None
               ) -> tuple[list[ExtractedDocument], list[ChunkRef]]:
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
                             budget=budget, check=check_stop,
                             parsed=None if scan is None
                             else lambda found: scan.add(c.text for c in found))
        extracted.append(ExtractedDocument(id=doc["id"], filename=doc["filename"],
                                           media_type=doc["media_type"], pages=done.pages,
                                           error=done.error))
        chunks.extend(ChunkRef(id=c.id, document_id=c.document_id, document=doc["filename"],
                               page=c.page, page_end=c.page_end, start=c.start, end=c.end,
                               heading=c.heading, text=c.text) for c in done.chunks)
    return extracted, chunks
