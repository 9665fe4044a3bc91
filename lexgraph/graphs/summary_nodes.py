"""The nodes after ingest: screen, redact, retrieve, summarize, check, review, finalize.

With no LLM configured (extractive mode) the same nodes run: retrieval and checks are
unchanged, and the summary is verbatim source sentences chosen by embedding similarity.
With an LLM, the CrewAI agents do the retrieval, writing and reviewing; the deterministic
checks still run and can only make the compliance verdict stricter.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from lexgraph.agents.crews import AgentKit
from lexgraph.agents.llm_bridge import UsageLedger
from lexgraph.core.clauses import ClauseFinder, load_clause_finder
from lexgraph.core.embeddings.base import Embedder
from lexgraph.core.errors import JobError
from lexgraph.core.guard import AuditEntry, ChunkScreening, DocumentScreener
from lexgraph.core.pii import Pseudonymizer, PseudonymMap, get_detector, scan_pii
from lexgraph.core.pii.types import PiiDetector
from lexgraph.core.retrieval import Retriever
from lexgraph.core.summary import ComplianceFinding, ComplianceReport, Section, load_profiles
from lexgraph.core.summary.citations import Check, Pages, check_key_terms, cite, verify
from lexgraph.core.summary.compose import Composed, compose_extractive
from lexgraph.core.summary.length import DEFAULT_LENGTH
from lexgraph.core.summary.policy import check_policy
from lexgraph.core.summary.render import render_summary
from lexgraph.core.summary.schema import Citation, KeyTerm, Statement
from lexgraph.core.tracing import record as trace_record
from lexgraph.core.vectorstore.base import Hit, Passage, Scope
from lexgraph.graphs import prescan
from lexgraph.graphs.interrupts import check_stop
from lexgraph.graphs.state import ChunkRef, GraphContext, JobState
from lexgraph.tools.guard_hook import GuardRecord, GuardSink, guarded
from lexgraph.tools.search_passages import SearchPassagesTool
from lexgraph.tools.summary_checks import CheckPolicyTool, ScanPiiTool, VerifyCitationsTool
from lexgraph.tools.tool_tracing import trace_guard_decision

log = logging.getLogger(__name__)
_SEVERITY = {"pass": 0, "revise": 1, "escalate": 2}


def _passage(chunk: ChunkRef, text: str | None = None) -> Passage:
    return Passage(id=chunk["id"], document_id=chunk["document_id"], document=chunk["document"],
                   page=chunk["page"], page_end=chunk["page_end"], start=chunk["start"],
                   end=chunk["end"], heading=chunk["heading"],
                   text=chunk["text"] if text is None else text)


def _admissible(state: JobState) -> list[ChunkRef]:
    held = {q["chunk_id"] for q in state.get("quarantined", [])}
    return [c for c in state.get("chunks", []) if c["id"] not in held]


def _model_passages(state: JobState) -> dict[str, Passage]:
    """What a model may read: admissible chunks, with personal data replaced."""
    redacted = state.get("redacted", {})
    return {c["id"]: _passage(c, redacted.get(c["id"], c["text"])) for c in _admissible(state)}


def _source_passages(state: JobState) -> dict[str, Passage]:
    return {c["id"]: _passage(c) for c in _admissible(state)}


def _pages(state: JobState) -> dict[str, list[str]]:
    """The documents' original page texts: what extractive quotes and citations index."""
    return {d["id"]: d["pages"] for d in state.get("extracted", [])}


def _clause_finder(ctx: GraphContext, profile: str) -> ClauseFinder | None:
    """Contracts are read through the clause finder; other profiles never load it."""
    if profile != "contract":
        return None
    return ctx.clauses if ctx.clauses is not None else load_clause_finder()


def _agentic(ctx: GraphContext) -> bool:
    return ctx.llm is not None


def _sections(raw: Sequence[Mapping[str, Any]]) -> list[Section]:
    return [Section.model_validate(s) for s in raw]


# screen_documents ---------------------------------------------------------------------------


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


# redact -------------------------------------------------------------------------------------


WITHHELD_CHUNK = "[withheld: personal-data screening failed on this passage]"


def redact(state: JobState, runtime: Runtime[GraphContext]) -> dict[str, Any]:
    """Pseudonymize every admissible chunk; the map stays in the job's state only.

    Fails closed: a chunk whose screening raised is what models see as ``WITHHELD_CHUNK``,
    never as written, and a detector that cannot load fails the job.
    """
    pmap = PseudonymMap.from_state(state["pii"]) if state.get("pii") else PseudonymMap()
    detector: PiiDetector = get_detector(runtime.context.settings)
    scanned = prescan.take(state["job_id"]) if state.get("job_id") else None
    if scanned is not None:
        # Ingest started the scan of every chunk; what it found is what the detector finds.
        scanned.wait()
        detector = prescan.PrescannedDetector(detector, scanned)
    pseudonymizer = Pseudonymizer(pmap, detector)
    redacted: dict[str, str] = {}
    withheld: list[str] = []
    for n, chunk in enumerate(_admissible(state)):
        if n % 32 == 0:
            check_stop()  # outside the try: a stop is not a screening failure
        try:
            redacted[chunk["id"]] = pseudonymizer.pseudonymize(chunk["text"]).text
        except Exception:
            # Neither the exception nor its traceback is logged: either may quote the text.
            redacted[chunk["id"]] = WITHHELD_CHUNK
            withheld.append(chunk["id"])
    if withheld:
        log.warning("personal-data screening failed on %d chunk(s) of job %s; withheld from "
                    "the models: %s", len(withheld), state.get("job_id"), ", ".join(withheld))
    return {"redacted": redacted, "pii": pmap.to_state(), "redactions": pmap.counts()}


# retrieve -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScreenedRetriever(Retriever):
    """A job's retriever as agents see it: no quarantined chunk, personal data replaced."""

    admissible: Mapping[str, Passage] = None  # type: ignore[assignment]

    def search(self, query: str, k: int = 5, **kwargs: Any) -> list[Hit]:
        hits = super().search(query, k + 10, **kwargs)
        kept = [Hit(self.admissible[h.passage.id], h.score) for h in hits
                if h.passage.id in self.admissible]
        return kept[:k]


def _audit(ctx: GraphContext, state: JobState, records: list[dict[str, Any]]) -> GuardSink:
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


def retrieve(state: JobState, runtime: Runtime[GraphContext]) -> dict[str, Any]:
    ctx = runtime.context
    profile = load_profiles()[state["profile"]]
    scope = Scope(state["tenant_id"], state["matter_id"])
    sources = _source_passages(state)
    base = ScreenedRetriever(ctx.embedder, ctx.vectors, scope, admissible=sources)
    k = ctx.settings.retrieval_k
    job_docs = {d["id"] for d in state["inputs"]}
    retrieved: dict[str, list[str]] = {}
    for spec in profile.sections:
        hits = base.search(spec.query, k, documents=sorted(job_docs))
        retrieved[spec.key] = [h.passage.id for h in hits]
    update: dict[str, Any] = {"retrieved": retrieved}
    if _agentic(ctx):
        ledger = UsageLedger()
        audit: list[dict[str, Any]] = []
        screened = ScreenedRetriever(ctx.embedder, ctx.vectors, scope,
                                     admissible=_model_passages(state))
        tool = SearchPassagesTool(screened, {d["id"]: d["filename"] for d in state["inputs"]})
        kit = _kit(ctx, state, ledger)
        reading = _contract_reading(ctx, profile.name, sources, _pages(state))
        facts = _facts(ctx, state, reading.key_terms if reading else [])
        with guarded(ctx.guard, _audit(ctx, state, audit), job_id=state["job_id"]):
            plan = kit.retrieve(tool, facts)
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


def _kit(ctx: GraphContext, state: JobState, ledger: UsageLedger) -> AgentKit:
    assert ctx.llm is not None
    return AgentKit(ctx.llm, ledger, load_profiles()[state["profile"]],
                    instructions=state.get("instructions"),
                    context_window=ctx.settings.llm_context_window)


# summarize ----------------------------------------------------------------------------------


def summarize(state: JobState, runtime: Runtime[GraphContext]) -> dict[str, Any]:
    ctx = runtime.context
    profile = load_profiles()[state["profile"]]
    retrieved = state["retrieved"]
    if not _agentic(ctx):
        sources = _source_passages(state)
        composed = compose_extractive(
            profile, list(sources.values()), length=state.get("length", DEFAULT_LENGTH),
            finder=_clause_finder(ctx, profile.name), embedder=ctx.embedder,
            retrieved={k: [sources[i] for i in ids if i in sources]
                       for k, ids in retrieved.items()}, pages=_pages(state))
        return {"draft": [s.model_dump() for s in composed.sections],
                "key_terms": [t.model_dump() for t in composed.key_terms],
                "summary_notes": composed.notes}
    passages = _model_passages(state)
    findings = [f["detail"] for f in (state.get("compliance") or {}).get("findings", [])]
    ledger = UsageLedger()
    kit = _kit(ctx, state, ledger)
    sources = _source_passages(state)
    reading = _contract_reading(ctx, profile.name, sources, _pages(state))
    terms = reading.key_terms if reading else []
    facts = _facts(ctx, state, terms)
    with guarded(ctx.guard, _audit(ctx, state, []), job_id=state["job_id"]):
        draft = kit.summarize({k: [passages[i] for i in ids if i in passages]
                               for k, ids in retrieved.items()}, findings, facts)
    sections = []
    titles = {s.key: s.title for s in profile.sections}
    for drafted in draft.sections:
        if drafted.key not in titles:
            continue
        statements = []
        for st in drafted.statements:
            citations = [_cite(st.text, passages[c], ctx.embedder) if c in passages
                         else Citation(chunk_id=c, document_id="", document="", page=0, start=0,
                                       end=0, quote="")
                         for c in st.citations]
            statements.append(Statement(text=st.text, citations=citations))
        sections.append(Section(key=drafted.key, title=titles[drafted.key],
                                statements=statements))
    return {"draft": [s.model_dump() for s in sections], "usage": ledger.as_dicts(),
            "key_terms": [t.model_dump() for t in terms],
            "revisions": state.get("revisions", 0) + (1 if state.get("compliance") else 0)}


def _contract_reading(ctx: GraphContext, profile: str, sources: Mapping[str, Passage],
                      pages: Mapping[str, Sequence[str]]) -> Composed | None:
    """The contract as the clause finder reads it (classified clauses by section, key
    terms); None for other profiles."""
    finder = _clause_finder(ctx, profile)
    if finder is None:
        return None
    return compose_extractive(load_profiles()[profile], list(sources.values()),
                              finder=finder, pages=pages)


def _facts(ctx: GraphContext, state: JobState, terms: Sequence[KeyTerm]
           ) -> list[dict[str, str]]:
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


def _cite(text: str, passage: Passage, embedder: Embedder) -> Citation:
    return cite(text, passage, embedder)


# check_compliance ---------------------------------------------------------------------------


def _verify_each(sections: Sequence[Section], passages: Mapping[str, Passage],
                 embedder: Embedder, *, threshold: float,
                 pages: Pages | None) -> Iterator[Check]:
    """``verify`` a section at a time, with a stop check before each."""
    for section in sections:
        check_stop()
        yield from verify([section], passages, embedder, threshold=threshold, pages=pages)


def check_compliance(state: JobState, runtime: Runtime[GraphContext]) -> dict[str, Any]:
    ctx = runtime.context
    sections = _sections(state["draft"])
    agentic = _agentic(ctx)
    passages = _model_passages(state) if agentic else _source_passages(state)
    findings: list[ComplianceFinding] = []
    verdict = "pass"
    for check in _verify_each(sections, passages, ctx.embedder,
                              threshold=ctx.settings.citation_threshold,
                              pages=None if agentic else _pages(state)):
        if not check.supported:
            findings.append(ComplianceFinding(check="citations", section=check.section,
                                              statement=check.index,
                                              detail=f"{check.section} #{check.index}: "
                                                     f"{check.reason}"))
            verdict = "revise"
    for problem in check_key_terms([KeyTerm.model_validate(t) for t in state.get("key_terms", [])],
                                   _source_passages(state), _pages(state)):
        findings.append(ComplianceFinding(check="citations", section="key_terms",
                                          detail=f"key terms: {problem}"))
        verdict = "revise"
    update: dict[str, Any] = {}
    if agentic:
        # Verbatim source sentences are the documents' own words; the drafting policy and the
        # personal-data scan apply to what a model wrote.
        for section in sections:
            for index, statement in enumerate(section.statements):
                for violation in check_policy(statement.text):
                    findings.append(ComplianceFinding(
                        check="policy", section=section.key, statement=index,
                        detail=f"{section.key} #{index}: {violation.message}"))
                    verdict = _stricter(verdict, violation.action)
                leaks = scan_pii(statement.text, ctx.settings)
                if leaks:
                    kinds = ", ".join(sorted({f.entity_type for f in leaks}))
                    findings.append(ComplianceFinding(
                        check="pii", section=section.key, statement=index,
                        detail=f"{section.key} #{index}: personal data in clear ({kinds})"))
                    verdict = _stricter(verdict, "revise")
        ledger = UsageLedger()
        audit: list[dict[str, Any]] = []
        tools = [VerifyCitationsTool(sections, passages, ctx.embedder,
                                     ctx.settings.citation_threshold),
                 ScanPiiTool(lambda text: scan_pii(text, ctx.settings)), CheckPolicyTool()]
        with guarded(ctx.guard, _audit(ctx, state, audit), job_id=state["job_id"]):
            review = _kit(ctx, state, ledger).review(sections, tools)
        for detail in review.findings:
            findings.append(ComplianceFinding(check="policy", detail=detail, severity="warning"))
        verdict = _stricter(verdict, review.verdict)
        update.update(usage=ledger.as_dicts(), guard_log=audit)
    rounds = state.get("revisions", 0)
    if verdict == "revise" and (not agentic or rounds >= ctx.settings.max_revisions):
        verdict = "escalate"  # nothing left to revise with, or out of rounds
    report = ComplianceReport.model_validate({"verdict": verdict, "findings": findings,
                                              "rounds": rounds})
    update["compliance"] = report.model_dump()
    return update


def _stricter(a: str, b: str) -> str:
    return a if _SEVERITY[a] >= _SEVERITY[b] else b


def route_after_check(state: JobState) -> str:
    report = state.get("compliance") or {}
    return {"pass": "finalize", "revise": "summarize",
            "escalate": "human_review"}[report["verdict"]]


# human_review -------------------------------------------------------------------------------


def human_review(state: JobState) -> dict[str, Any]:
    """Wait for a reviewer (the job sits in needs_review), then apply their decision."""
    report = state.get("compliance") or {}
    decision: dict[str, Any] = interrupt({
        "verdict": report["verdict"],
        "findings": [f["detail"] for f in report["findings"]],
    })
    action = decision.get("action")
    if action == "reject":
        raise JobError("rejected_in_review",
                       "a reviewer rejected the summary"
                       + (f": {decision['comment']}" if decision.get("comment") else ""))
    sections = _sections(state["draft"])
    if action == "edit":
        by_key = {s.key: s for s in sections}
        deletions: dict[str, set[int]] = {}
        for edit in decision.get("edits", []):
            section = by_key.get(edit["section"])
            if section is None or not 0 <= edit["index"] < len(section.statements):
                raise JobError("bad_review_edit",
                               f"edit names no statement: {edit['section']} #{edit['index']}")
            if edit.get("delete"):
                deletions.setdefault(section.key, set()).add(edit["index"])
            else:
                section.statements[edit["index"]].text = edit["text"]
        for key, gone in deletions.items():
            by_key[key].statements = [st for i, st in enumerate(by_key[key].statements)
                                      if i not in gone]
    return {"draft": [s.model_dump() for s in sections],
            "review": {"action": action, "comment": decision.get("comment"),
                       "edits": len(decision.get("edits", []))}}


# finalize -----------------------------------------------------------------------------------


def finalize(state: JobState, runtime: Runtime[GraphContext]) -> dict[str, Any]:
    """Re-identify for the authorized reader, anchor every citation in the original text."""
    ctx = runtime.context
    profile = load_profiles()[state["profile"]]
    pmap = PseudonymMap.from_state(state["pii"]) if state.get("pii") else PseudonymMap()
    sources = _source_passages(state)
    sections = _sections(state["draft"])
    expected = {s.key for s in profile.sections if s.expected}
    for section in sections:
        section.expected = section.key in expected
    if _agentic(ctx):
        for section in sections:
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
    mode = "agentic" if _agentic(ctx) else "extractive"
    result = {
        "job_id": state["job_id"],
        "mode": mode,
        "title": profile.title,
        "matter": state["matter"],
        "profile": state["profile"],
        "sections": [s.model_dump() for s in sections],
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
                              sections=sections, profile=profile,
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
