"""What the nodes after ingest read from the job's state: the admissible chunks as passages,
the documents' pages, the draft's sections."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lexgraph.core.clauses import ClauseFinder, load_clause_finder
from lexgraph.core.summary import Section
from lexgraph.core.vectorstore.base import Passage
from lexgraph.graphs.state import ChunkRef, GraphContext, JobState


def passage(chunk: ChunkRef, text: str | None = None) -> Passage:
    return Passage(id=chunk["id"], document_id=chunk["document_id"], document=chunk["document"],
                   page=chunk["page"], page_end=chunk["page_end"], start=chunk["start"],
                   end=chunk["end"], heading=chunk["heading"],
                   text=chunk["text"] if text is None else text)


def admissible(state: JobState) -> list[ChunkRef]:
    held = {q["chunk_id"] for q in state.get("quarantined", [])}
    return [c for c in state.get("chunks", []) if c["id"] not in held]


def model_passages(state: JobState) -> dict[str, Passage]:
    """What a model may read: admissible chunks, with personal data replaced."""
    redacted = state.get("redacted", {})
    return {c["id"]: passage(c, redacted.get(c["id"], c["text"])) for c in admissible(state)}


def source_passages(state: JobState) -> dict[str, Passage]:
    return {c["id"]: passage(c) for c in admissible(state)}


def pages(state: JobState) -> dict[str, list[str]]:
    """The documents' original page texts: what extractive quotes and citations index."""
    return {d["id"]: d["pages"] for d in state.get("extracted", [])}


def clause_finder(ctx: GraphContext, profile: str) -> ClauseFinder | None:
    """Contracts are read through the clause finder; other profiles never load it."""
    if profile != "contract":
        return None
    return ctx.clauses if ctx.clauses is not None else load_clause_finder()


def agentic(ctx: GraphContext) -> bool:
    return ctx.llm is not None


def sections(raw: Sequence[Mapping[str, Any]]) -> list[Section]:
    return [Section.model_validate(s) for s in raw]
