"""The finalize node: the result and its Markdown, re-identified for the authorized reader,
every citation anchored in the original text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langgraph.runtime import Runtime

from lexgraph.core.pii import PseudonymMap
from lexgraph.core.summary import KeyTerm, load_profiles
from lexgraph.core.summary.citations import cite
from lexgraph.core.summary.render import render_summary
from lexgraph.graphs.nodes.state_view import agentic, sections, source_passages
from lexgraph.graphs.state import GraphContext, JobState


def finalize(state: JobState, runtime: Runtime[GraphContext]) -> dict[str, Any]:
    """Re-identify for the authorized reader, anchor every citation in the original text."""
    ctx = runtime.context
    profile = load_profiles()[state["profile"]]
    pmap = PseudonymMap.from_state(state["pii"]) if state.get("pii") else PseudonymMap()
    sources = source_passages(state)
    drafted = sections(state["draft"])
    expected = {s.key for s in profile.sections if s.expected}
    for section in drafted:
        section.expected = section.key in expected
    if agentic(ctx):
        for section in drafted:
            for statement in section.statements:
                statement.text = pmap.reidentify(statement.text)
                statement.citations = [cite(statement.text, sources[c.chunk_id], ctx.embedder)
                                       for c in statement.citations if c.chunk_id in sources]
    key_terms = state.get("key_terms", [])
    if key_terms and state.get("pii"):
        key_terms = [{**t, "value": pmap.reidentify(t["value"]) if t.get("value") else None}
                     for t in key_terms]
    chunks_per_doc: dict[str, int] = {}
    for chunk in state.get("chunks", []):
        chunks_per_doc[chunk["document_id"]] = chunks_per_doc.get(chunk["document_id"], 0) + 1
    documents: list[dict[str, Any]] = [
        {"id": d["id"], "filename": d["filename"], "media_type": d["media_type"],
         "pages": len(d["pages"]), "chunks": chunks_per_doc.get(d["id"], 0), "error": d["error"]}
        for d in state["extracted"]]
    mode = "agentic" if agentic(ctx) else "extractive"
    result = {
        "job_id": state["job_id"],
        "mode": mode,
        "title": profile.title,
        "matter": state["matter"],
        "profile": state["profile"],
        "sections": [s.model_dump() for s in drafted],
        "key_terms": key_terms,
        "notes": state.get("summary_notes", []),
        "compliance": state.get("compliance"),
        "review": state.get("review"),
        "quarantined": state.get("quarantined", []),
        "redactions": state.get("redactions", {}),
        "usage": _usage_totals(state.get("usage", [])),
        # Guard decisions on agent tool calls: tool, verdict, reason, latency; no content.
        "guard": state.get("guard_log", []),
        "model": ctx.llm.model if ctx.llm is not None else None,
        "documents": documents,
        "totals": {"documents": len(documents),
                   "readable": sum(1 for d in documents if not d["error"]),
                   "pages": sum(d["pages"] for d in documents),
                   "chunks": sum(d["chunks"] for d in documents)},
    }
    markdown = render_summary(title=profile.title, matter=state["matter"], mode=mode,
                              sections=drafted, profile=profile,
                              key_terms=[KeyTerm.model_validate(t) for t in key_terms],
                              notes=state.get("summary_notes", []),
                              compliance=state.get("compliance"),
                              quarantined=state.get("quarantined", []),
                              redactions=state.get("redactions"), documents=documents)
    return {"result": result, "markdown": markdown}


def _usage_totals(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Token usage per agent and model, summed over every node run (revise rounds too)."""
    totals: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["agent"], row["model"])
        entry = totals.setdefault(key, {"agent": row["agent"], "model": row["model"],
                                        "calls": 0, "prompt_tokens": 0,
                                        "completion_tokens": 0, "total_tokens": 0})
        for field in ("calls", "prompt_tokens", "completion_tokens", "total_tokens"):
            entry[field] += row.get(field, 0)
    return list(totals.values())
