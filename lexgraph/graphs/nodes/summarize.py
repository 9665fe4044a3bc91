"""The summarize node: the draft, composed from source sentences (extractive) or written by the
agents from the redacted passages, each statement citing the chunks it rests on."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from lexgraph.agents.llm_bridge import UsageLedger
from lexgraph.core.summary import Section, load_profiles
from lexgraph.core.summary.citations import cite
from lexgraph.core.summary.compose import compose_extractive
from lexgraph.core.summary.length import DEFAULT_LENGTH
from lexgraph.core.summary.schema import Citation, Statement
from lexgraph.graphs.nodes.agent_calls import audit_sink, contract_reading, facts, kit
from lexgraph.graphs.nodes.state_view import (
    agentic,
    clause_finder,
    model_passages,
    pages,
    source_passages,
)
from lexgraph.graphs.state import GraphContext, JobState
from lexgraph.tools.guard_hook import guarded


def summarize(state: JobState, runtime: Runtime[GraphContext]) -> dict[str, Any]:
    ctx = runtime.context
    profile = load_profiles()[state["profile"]]
    retrieved = state["retrieved"]
    if not agentic(ctx):
        sources = source_passages(state)
        composed = compose_extractive(
            profile, list(sources.values()), length=state.get("length", DEFAULT_LENGTH),
            finder=clause_finder(ctx, profile.name), embedder=ctx.embedder,
            retrieved={k: [sources[i] for i in ids if i in sources]
                       for k, ids in retrieved.items()}, pages=pages(state))
        return {"draft": [s.model_dump() for s in composed.sections],
                "key_terms": [t.model_dump() for t in composed.key_terms],
                "summary_notes": composed.notes}
    passages = model_passages(state)
    findings = [f["detail"] for f in (state.get("compliance") or {}).get("findings", [])]
    ledger = UsageLedger()
    agents = kit(ctx, state, ledger)
    sources = source_passages(state)
    reading = contract_reading(ctx, profile.name, sources, pages(state))
    terms = reading.key_terms if reading else []
    grounded = facts(ctx, state, terms)
    with guarded(ctx.guard, audit_sink(ctx, state, []), job_id=state["job_id"]):
        draft = agents.summarize({k: [passages[i] for i in ids if i in passages]
                                  for k, ids in retrieved.items()}, findings, grounded)
    sections = []
    titles = {s.key: s.title for s in profile.sections}
    for drafted in draft.sections:
        if drafted.key not in titles:
            continue
        statements = []
        for st in drafted.statements:
            citations = [cite(st.text, passages[c], ctx.embedder) if c in passages
                         else Citation(chunk_id=c, document_id="", document="", page=0, start=0,
                                       end=0, quote="")
                         for c in st.citations]
            statements.append(Statement(text=st.text, citations=citations))
        sections.append(Section(key=drafted.key, title=titles[drafted.key],
                                statements=statements))
    return {"draft": [s.model_dump() for s in sections], "usage": ledger.as_dicts(),
            "key_terms": [t.model_dump() for t in terms],
            "revisions": state.get("revisions", 0) + (1 if state.get("compliance") else 0)}
