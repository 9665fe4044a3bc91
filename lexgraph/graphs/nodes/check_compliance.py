"""The check_compliance node: the draft's citations, key terms, and (for what a model wrote)
drafting policy and personal data, checked; ``core.summary.verdict`` decides what follows."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from langgraph.runtime import Runtime

from lexgraph.agents.llm_bridge import UsageLedger
from lexgraph.core.embeddings.base import Embedder
from lexgraph.core.pii import scan_pii
from lexgraph.core.summary import ComplianceFinding, KeyTerm, Section
from lexgraph.core.summary.citations import Check, Pages, check_key_terms, verify
from lexgraph.core.summary.policy import check_policy
from lexgraph.core.summary.verdict import (
    Verdict,
    citation_finding,
    key_term_finding,
    pii_finding,
    policy_finding,
)
from lexgraph.core.vectorstore.base import Passage
from lexgraph.graphs.interrupts import check_stop
from lexgraph.graphs.nodes.agent_calls import audit_sink, kit
from lexgraph.graphs.nodes.state_view import (
    agentic,
    model_passages,
    pages,
    sections,
    source_passages,
)
from lexgraph.graphs.state import GraphContext, JobState
from lexgraph.tools.guard_hook import guarded
from lexgraph.tools.summary_checks import CheckPolicyTool, ScanPiiTool, VerifyCitationsTool


def _verify_each(drafted: Sequence[Section], passages: Mapping[str, Passage],
                 embedder: Embedder, *, threshold: float,
                 pages: Pages | None) -> Iterator[Check]:
    """``verify`` a section at a time, with a stop check before each."""
    for section in drafted:
        check_stop()
        yield from verify([section], passages, embedder, threshold=threshold, pages=pages)


def check_compliance(state: JobState, runtime: Runtime[GraphContext]) -> dict[str, Any]:
    ctx = runtime.context
    drafted = sections(state["draft"])
    by_model = agentic(ctx)
    passages = model_passages(state) if by_model else source_passages(state)
    verdict = Verdict()
    for check in _verify_each(drafted, passages, ctx.embedder,
                              threshold=ctx.settings.citation_threshold,
                              pages=None if by_model else pages(state)):
        if not check.supported:
            verdict.add(citation_finding(check))
    for problem in check_key_terms([KeyTerm.model_validate(t) for t in state.get("key_terms", [])],
                                   source_passages(state), pages(state)):
        verdict.add(key_term_finding(problem))
    update: dict[str, Any] = {}
    if by_model:
        # Verbatim source sentences are the documents' own words; the drafting policy and the
        # personal-data scan apply to what a model wrote.
        for section in drafted:
            for index, statement in enumerate(section.statements):
                for violation in check_policy(statement.text):
                    verdict.add(policy_finding(section.key, index, violation), violation.action)
                leaks = scan_pii(statement.text, ctx.settings)
                if leaks:
                    verdict.add(pii_finding(section.key, index, (f.entity_type for f in leaks)))
        ledger = UsageLedger()
        audit: list[dict[str, Any]] = []
        tools = [VerifyCitationsTool(drafted, passages, ctx.embedder,
                                     ctx.settings.citation_threshold),
                 ScanPiiTool(lambda text: scan_pii(text, ctx.settings)), CheckPolicyTool()]
        with guarded(ctx.guard, audit_sink(ctx, state, audit), job_id=state["job_id"]):
            review = kit(ctx, state, ledger).review(drafted, tools)
        for detail in review.findings:
            verdict.note(ComplianceFinding(check="policy", detail=detail, severity="warning"))
        verdict.at_least(review.verdict)
        update.update(usage=ledger.as_dicts(), guard_log=audit)
    report = verdict.report(revisable=by_model, rounds=state.get("revisions", 0),
                            max_rounds=ctx.settings.max_revisions)
    update["compliance"] = report.model_dump()
    return update


def route_after_check(state: JobState) -> str:
    report = state.get("compliance") or {}
    return {"pass": "finalize", "revise": "summarize",
            "escalate": "human_review"}[report["verdict"]]
