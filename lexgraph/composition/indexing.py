"""What pre-indexing a matter needs: the configured encoder and vector store."""

from __future__ import annotations

from lexgraph.composition.embeddings import make_embedder
from lexgraph.composition.vectorstores import open_vector_store
from lexgraph.core.config.settings import Settings
from lexgraph.core.ingest.indexing import Indexer
from lexgraph.core.vectorstore import VectorStore


def open_indexer(settings: Settings) -> tuple[Indexer, VectorStore]:
    """An indexer and the store it writes to; the caller closes the store."""
    store = open_vector_store(settings)
    return Indexer(make_embedder(settings), store, chunk_chars=settings.chunk_max_chars,
                   max_unpacked_bytes=settings.docx_max_unpacked_bytes), store
