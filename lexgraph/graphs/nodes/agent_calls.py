"""What the agentic nodes share: the agent kit, the guard hook's audit sink, the contract as
the clause finder reads it, and the grounded facts the agents are given."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lexgraph.agents.crews import AgentKit
from lexgraph.agents.llm_bridge import UsageLedger
from lexgraph.core.guard import AuditEntry
from lexgraph.core.pii import Pseudonymizer, PseudonymMap, get_detector
from lexgraph.core.summary import KeyTerm, load_profiles
from lexgraph.core.summary.compose import Composed, compose_extractive
from lexgraph.core.vectorstore.base import Passage
from lexgraph.graphs.nodes.state_view import clause_finder
from lexgraph.graphs.state import GraphContext, JobState
from lexgraph.tools.guard_hook import GuardRecord, GuardSink
from lexgraph.tools.tool_tracing import trace_guard_decision


def audit_sink(ctx: GraphContext, state: JobState, records: list[dict[str, Any]]) -> GuardSink:
    """The hook's sink: the job's audit log first (a call is allowed only once its decision
    is stored), then the state's guard log that the result lists."""
    def sink(record: GuardRecord) -> None:
        if ctx.audit is not None:
            ctx.audit(state["job_id"], state["tenant_id"], [AuditEntry(
                stage=record.stage, subject=record.tool, action=record.action,
                categories=record.categories, reason=record.reason, guard=record.guard,
                model=record.model, latency_ms=record.latency_ms,
                content_sha256=record.content_sha256, cached=record.cached)])
        records.append(record.as_dict())
        trace_guard_decision(record)  # never raises: a trace must not fail the guard
    return sink


def kit(ctx: GraphContext, state: JobState, ledger: UsageLedger) -> AgentKit:
    assert ctx.llm is not None
    return AgentKit(ctx.llm, ledger, load_profiles()[state["profile"]],
                    instructions=state.get("instructions"),
                    context_window=ctx.settings.llm_context_window)


def contract_reading(ctx: GraphContext, profile: str, sources: Mapping[str, Passage],
                     pages: Mapping[str, Sequence[str]]) -> Composed | None:
    """The contract as the clause finder reads it (classified clauses by section, key
    terms); None for other profiles."""
    finder = clause_finder(ctx, profile)
    if finder is None:
        return None
    return compose_extractive(load_profiles()[profile], list(sources.values()),
                              finder=finder, pages=pages)


def facts(ctx: GraphContext, state: JobState, terms: Sequence[KeyTerm]) -> list[dict[str, str]]:
    """Key terms as grounded facts for the agents: label, value and the chunk stating it.
    Values pass through the job's pseudonymizer, so a model never reads a name in clear."""
    found = [t for t in terms if t.found]
    if not found:
        return []
    pmap = PseudonymMap.from_state(state["pii"]) if state.get("pii") else PseudonymMap()
    pseudonymizer = Pseudonymizer(pmap, get_detector(ctx.settings))
    return [{"label": t.label, "chunk_id": t.citation.chunk_id,
             "value": pseudonymizer.pseudonymize(t.value).text if t.value else ""}
            for t in found if t.citation is not None]
