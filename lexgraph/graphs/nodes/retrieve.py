"""The retrieve node: each profile section's passages, by search, and with an LLM by the
retrieval agent too."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from lexgraph.agents.llm_bridge import UsageLedger
from lexgraph.core.retrieval.screened import ScreenedRetriever
from lexgraph.core.summary import load_profiles
from lexgraph.core.vectorstore.base import Scope
from lexgraph.graphs.nodes.agent_calls import audit_sink, contract_reading, facts, kit
from lexgraph.graphs.nodes.state_view import agentic, model_passages, pages, source_passages
from lexgraph.graphs.state import GraphContext, JobState
from lexgraph.tools.guard_hook import guarded
from lexgraph.tools.search_passages import SearchPassagesTool


def retrieve(state: JobState, runtime: Runtime[GraphContext]) -> dict[str, Any]:
    ctx = runtime.context
    profile = load_profiles()[state["profile"]]
    scope = Scope(state["tenant_id"], state["matter_id"])
    sources = source_passages(state)
    base = ScreenedRetriever(ctx.embedder, ctx.vectors, scope, admissible=sources)
    k = ctx.settings.retrieval_k
    job_docs = {d["id"] for d in state["inputs"]}
    retrieved: dict[str, list[str]] = {}
    for spec in profile.sections:
        hits = base.search(spec.query, k, documents=sorted(job_docs))
        retrieved[spec.key] = [h.passage.id for h in hits]
    update: dict[str, Any] = {"retrieved": retrieved}
    if agentic(ctx):
        ledger = UsageLedger()
        audit: list[dict[str, Any]] = []
        screened = ScreenedRetriever(ctx.embedder, ctx.vectors, scope,
                                     admissible=model_passages(state))
        tool = SearchPassagesTool(screened, {d["id"]: d["filename"] for d in state["inputs"]})
        agents = kit(ctx, state, ledger)
        reading = contract_reading(ctx, profile.name, sources, pages(state))
        grounded = facts(ctx, state, reading.key_terms if reading else [])
        with guarded(ctx.guard, audit_sink(ctx, state, audit), job_id=state["job_id"]):
            plan = agents.retrieve(tool, grounded)
        # The chunks of the clauses the finder classified join the sections they belong to.
        for section in reading.sections if reading else []:
            ids = [c.chunk_id for st in section.statements for c in st.citations]
            plan[section.key] = list(dict.fromkeys([*ids, *plan.get(section.key, [])]))
        for key, ids in plan.items():
            if key in retrieved:
                picked = [i for i in ids if i in sources]
                retrieved[key] = list(dict.fromkeys(picked + retrieved[key]))[:k]
        update.update(retrieved=retrieved, usage=ledger.as_dicts(), guard_log=audit)
    return update
