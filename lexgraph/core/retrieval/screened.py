"""A job's retriever as its agents see it: no quarantined chunk, personal data replaced."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lexgraph.core.retrieval import Retriever
from lexgraph.core.vectorstore.base import Hit, Passage


@dataclass(frozen=True)
class ScreenedRetriever(Retriever):
    """Hits outside ``admissible`` are dropped; the rest come back as ``admissible`` words them
    (the pseudonymized text where a model reads them)."""

    admissible: Mapping[str, Passage] = None  # type: ignore[assignment]

    def search(self, query: str, k: int = 5, **kwargs: Any) -> list[Hit]:
        # A few extra hits, so the held-back ones do not leave the answer short.
        hits = super().search(query, k + 10, **kwargs)
        kept = [Hit(self.admissible[h.passage.id], h.score) for h in hits
                if h.passage.id in self.admissible]
        return kept[:k]
