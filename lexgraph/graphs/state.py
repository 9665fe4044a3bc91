from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Annotated, Any, TypedDict

from lexgraph.core.clauses import ClauseFinder
from lexgraph.core.config.settings import Settings
from lexgraph.core.embeddings.base import Embedder
from lexgraph.core.guard import AuditWriter, DocumentScreener, Guard
from lexgraph.core.llm import LLMClient
from lexgraph.core.storage.blobs import BlobStore
from lexgraph.core.vectorstore.base import VectorStore


def _merge(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    return {**left, **right}


class DocumentInput(TypedDict):
    id: str
    filename: str
    media_type: str
    blob_key: str
    pages: int
    size: int


class ExtractedDocument(TypedDict):
    id: str
    filename: str
    media_type: str
    pages: list[str]
    error: dict[str, str] | None


class ChunkRef(TypedDict):
    """One indexed chunk, as retrieval and citations need it: ``text`` is
    ``extracted[document].pages[page - 1][start:end]``."""

    id: str  # "<document id>:<page>:<n>"
    document_id: str
    document: str
    page: int
    page_end: int
    start: int
    end: int
    heading: str
    text: str


class JobState(TypedDict, total=False):
    job_id: str
    tenant_id: str
    matter: str
    matter_id: str
    profile: str
    # A name from core.summary.length.LENGTH_NAMES or an int word budget.
    length: str | int
    instructions: str | None
    inputs: list[DocumentInput]
    extracted: list[ExtractedDocument]
    chunks: list[ChunkRef]
    quarantined: list[dict[str, Any]]
    # The pseudonym map holds raw personal data: it lives here (in the job's checkpoints)
    # and nowhere else; traces and logs must leave it out.
    pii: dict[str, Any]
    redacted: dict[str, str]  # chunk id -> text with personal data replaced
    redactions: dict[str, int]
    retrieved: dict[str, list[str]]  # section key -> chunk ids
    draft: list[dict[str, Any]]  # sections as core.summary.Section dumps
    key_terms: list[dict[str, Any]]  # core.summary.KeyTerm dumps (contracts)
    summary_notes: list[str]  # why little or nothing was found, for the reader
    compliance: dict[str, Any] | None
    revisions: int
    review: dict[str, Any] | None
    usage: Annotated[list[dict[str, Any]], operator.add]
    guard_log: Annotated[list[dict[str, Any]], operator.add]
    result: dict[str, Any]
    markdown: str
    timings_ms: Annotated[dict[str, float], _merge]


@dataclass(frozen=True)
class GraphContext:
    """Per-run dependencies handed to nodes through LangGraph's runtime context."""

    settings: Settings
    blobs: BlobStore
    embedder: Embedder
    vectors: VectorStore
    guard: Guard
    llm: LLMClient | None = None  # None: extractive mode
    # Screens the job's chunks in batches; None: ``guard`` alone, chunk by chunk.
    screener: DocumentScreener | None = None
    # Classifies contract clauses; None: the packaged CUAD-trained finder.
    clauses: ClauseFinder | None = None
    # Where screening decisions are kept (the job's audit log); None: the job's state only.
    audit: AuditWriter | None = None
