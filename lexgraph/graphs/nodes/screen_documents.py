"""The screen_documents node: chunks carrying instructions aimed at our agents, or content the
firm's guard policy blocks, are held back before any model reads them."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from langgraph.runtime import Runtime

from lexgraph.core.errors import JobError
from lexgraph.core.guard import AuditEntry, ChunkScreening, DocumentScreener
from lexgraph.core.tracing import record as trace_record
from lexgraph.graphs.state import GraphContext, JobState

log = logging.getLogger(__name__)


def screen_documents(state: JobState, runtime: Runtime[GraphContext]) -> dict[str, Any]:
    """Hold back chunks that carry instructions aimed at our agents, or content the firm's
    guard policy blocks; they never reach a model. Every chunk's screening, layer by layer,
    goes to the job's audit log."""
    ctx = runtime.context
    chunks = state.get("chunks", [])
    screener = ctx.screener or DocumentScreener(ctx.guard)
    screened = screener.screen([(c["id"], c["text"]) for c in chunks])
    _keep_audit(ctx, state, [entry for s in screened for entry in s.entries])
    trace_screening(screener, screened)
    quarantined = [{"chunk_id": chunk["id"], "document": chunk["document"],
                    "page": chunk["page"], "reason": s.decision.reason,
                    "categories": list(s.decision.categories)}
                   for chunk, s in zip(chunks, screened, strict=True) if s.quarantined]
    return {"quarantined": quarantined}


def trace_screening(screener: DocumentScreener, screened: Sequence[ChunkScreening]) -> None:
    """The node's screening as one run in the job's trace: the layers, what each cost, which
    chunks were held back or flagged and why. Chunk ids and categories only, never text; a
    trace that fails must not fail the screening."""
    try:
        spent: dict[str, float] = {}
        for item in screened:
            for entry in item.entries:
                spent[entry.guard] = round(spent.get(entry.guard, 0.0) + entry.latency_ms, 3)
        held = [{"chunk_id": s.subject, "guard": s.decision.guard,
                 "categories": list(s.decision.categories)} for s in screened if s.quarantined]
        flagged = [{"chunk_id": s.subject, "categories": list(s.decision.categories)}
                   for s in screened if s.decision.flagged]
        trace_record("guard: screen_documents", "chain",
                     inputs={"chunks": len(screened), "layers": screener.layers},
                     outputs={"quarantined": held, "flagged": flagged},
                     kind="guard", latency_ms=spent)
    except Exception:
        log.warning("could not trace the document screening", exc_info=True)


def _keep_audit(ctx: GraphContext, state: JobState, entries: Sequence[AuditEntry]) -> None:
    if ctx.audit is None or not entries:
        return
    try:
        ctx.audit(state["job_id"], state["tenant_id"], entries)
    except Exception as exc:
        log.exception("the guard audit log of %s could not be written", state["job_id"])
        raise JobError("audit_unavailable", "the guard's decisions could not be recorded, so "
                       "the job stopped; it can be retried") from exc
