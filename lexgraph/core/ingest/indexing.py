"""Parse -> chunk -> embed -> index, one document at a time, under a tenant + matter scope."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from lexgraph.core.embeddings.base import Embedder
from lexgraph.core.errors import JobError
from lexgraph.core.ingest.chunking import Chunk, chunk_pages
from lexgraph.core.ingest.limits import DocumentLimits, IngestBudget, pages_of
from lexgraph.core.ingest.loaders import extract_pages
from lexgraph.core.ingest.sniff import PDF
from lexgraph.core.vectorstore.base import Passage, Scope, VectorStore

# Chunks embedded per call: about a second of CPU for the packaged model at the longest chunks,
# the most a cancel waits and the longest one job keeps the embedder from the others.
EMBED_BATCH = 64


@dataclass
class IndexedDocument:
    document_id: str
    filename: str
    media_type: str
    pages: list[str] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)
    error: dict[str, str] | None = None


def embedding_text(chunk: Chunk) -> str:
    """What gets embedded: the chunk, with its clause heading when the chunk does not start
    with it, so a sub-clause on its own still carries what it is about."""
    if chunk.heading and not chunk.text.lstrip("# ").startswith(chunk.heading[:40]):
        return f"{chunk.heading}\n{chunk.text}"
    return chunk.text


def to_passage(chunk: Chunk, filename: str) -> Passage:
    return Passage(id=chunk.id, document_id=chunk.document_id, document=filename,
                   page=chunk.page, page_end=chunk.page_end, start=chunk.start, end=chunk.end,
                   heading=chunk.heading, text=chunk.text)


class Indexer:
    def __init__(self, embedder: Embedder, store: VectorStore, *, chunk_chars: int = 1000,
                 max_unpacked_bytes: int | None = None,
                 limits: DocumentLimits | None = None) -> None:
        self.embedder = embedder
        self.store = store
        self.chunk_chars = chunk_chars
        self.limits = limits or DocumentLimits()
        if max_unpacked_bytes is not None:
            self.limits = replace(self.limits, max_unpacked_bytes=max_unpacked_bytes)

    def parse(self, document_id: str, media_type: str, data: bytes,
              budget: IngestBudget | None = None) -> tuple[list[str], list[Chunk]]:
        """Pages and chunks; with ``budget``, extraction stops once the job's characters are
        spent and the pages are counted again from the text (the intake's count is not
        trusted), so no file makes the chunker or the embedder work past the budget."""
        limits = self.limits if budget is None else self.limits.with_chars(budget.chars_left)
        pages = extract_pages(media_type, data, limits=limits)
        if budget is not None:
            budget.spend(pages, counted_pages=len(pages) if media_type == PDF
                         else pages_of(pages))
        return pages, chunk_pages(document_id, pages, self.chunk_chars)

    def index(self, scope: Scope, document_id: str, filename: str, media_type: str,
              data: bytes, *, progress: Callable[[int], None] | None = None,
              budget: IngestBudget | None = None,
              check: Callable[[], None] | None = None,
              parsed: Callable[[list[Chunk]], None] | None = None) -> IndexedDocument:
        """Index one document. An unreadable file, or one over the job's ``budget``, is
        reported in ``error``; a failing embedder or store raises, since no other document
        would fare better. ``check`` runs before each batch of chunks is embedded and may
        raise to abandon the document (the job was cancelled); nothing is indexed then.
        ``parsed`` gets the chunks before they are embedded, so work that needs only their
        text can start alongside the encoder."""
        result = IndexedDocument(document_id, filename, media_type)
        try:
            result.pages, result.chunks = self.parse(document_id, media_type, data, budget)
        except JobError as exc:
            result.error = exc.as_record()
            return result
        if not result.chunks:
            result.error = {"code": "no_text", "message": "the document contains no text"}
            return result
        if parsed is not None:
            parsed(result.chunks)
        texts = [embedding_text(c) for c in result.chunks]
        batches = []
        # Batch by batch, so a cancel is noticed within one batch and a job with a huge
        # document holds the embedder (shared by the worker's jobs) one batch at a time.
        for start in range(0, len(texts), EMBED_BATCH):
            if check is not None:
                check()
            batches.append(self.embedder.embed(texts[start:start + EMBED_BATCH]))
        vectors = np.concatenate(batches) if len(batches) > 1 else batches[0]
        # Replace, not merge: a re-indexed document must not keep chunks it no longer has.
        self.store.delete_document(scope, document_id)
        self.store.upsert(scope, [to_passage(c, filename) for c in result.chunks], vectors)
        if progress is not None:
            progress(len(result.pages))
        return result


SUFFIXES = frozenset({".pdf", ".docx", ".html", ".htm", ".md", ".markdown", ".txt", ".text"})


def find_documents(paths: list[Path]) -> list[Path]:
    """The given files, plus the documents found under the given folders, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*")
                                if p.is_file() and p.suffix.lower() in SUFFIXES))
        elif path.is_file():
            found.append(path)
    return list(dict.fromkeys(found))


def content_document_id(data: bytes) -> str:
    """A document id from the content, so indexing the same file again replaces its chunks."""
    return "doc_" + hashlib.sha256(data).hexdigest()[:26]
