"""Passage search for one matter: embed the query, search the matter's scope, return passages.

A ``Retriever`` is bound to one scope when it is made; callers above core (tools, agents) get
one already bound and have no way to name another tenant or matter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lexgraph.core.embeddings.base import Embedder
from lexgraph.core.vectorstore.base import Hit, Scope, SearchMode, VectorStore

MAX_K = 50


@dataclass(frozen=True)
class Retriever:
    embedder: Embedder
    store: VectorStore
    scope: Scope

    def search(self, query: str, k: int = 5, *, documents: Sequence[str] | None = None,
               mode: SearchMode = "hybrid") -> list[Hit]:
        query = query.strip()
        if not query:
            return []
        k = max(1, min(k, MAX_K))
        vector = self.embedder.embed_query(query)
        return self.store.search(self.scope, text=query, vector=vector, k=k,
                                 documents=documents, mode=mode)
