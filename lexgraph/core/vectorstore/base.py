"""Records, scopes and the store Protocol."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

SearchMode = Literal["hybrid", "vector", "text"]
# Reciprocal-rank fusion constant (Cormack et al. 2009): damps the head of each ranking so
# neither the lexical nor the vector list dominates on its own.
RRF_K = 60


@dataclass(frozen=True)
class Scope:
    """The ethical wall: one tenant's one matter. Nothing crosses it."""

    tenant: str
    matter: str

    def __post_init__(self) -> None:
        if not self.tenant or not self.matter:
            raise ValueError("a scope needs both a tenant and a matter")

    @property
    def key(self) -> str:
        """A name safe for tables and Weaviate tenants; unambiguous for any pair of strings."""
        digest = hashlib.sha256(f"{len(self.tenant)}:{self.tenant}|{self.matter}".encode())
        return "m" + digest.hexdigest()[:40]


@dataclass(frozen=True)
class Passage:
    """One indexed chunk: where it is (document, page, offsets into the page text) and what
    it says."""

    id: str  # "<document id>:<page>:<n>"
    document_id: str
    document: str  # the file name, for people
    page: int
    page_end: int
    start: int
    end: int
    heading: str
    text: str


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float  # higher is better; comparable only within one result list


@runtime_checkable
class VectorStore(Protocol):
    @property
    def name(self) -> str: ...

    def upsert(self, scope: Scope, passages: Sequence[Passage],
               vectors: NDArray[np.float32]) -> int:
        """Insert or replace passages by id; returns how many were written."""
        ...

    def search(self, scope: Scope, *, text: str, vector: NDArray[np.float32], k: int = 10,
               documents: Sequence[str] | None = None,
               mode: SearchMode = "hybrid") -> list[Hit]:
        """Top ``k`` passages of the scope, optionally only from the given document ids."""
        ...

    def delete_document(self, scope: Scope, document_id: str) -> None: ...

    def delete_matter(self, scope: Scope) -> None:
        """Remove the scope and every vector in it."""
        ...

    def count(self, scope: Scope) -> int: ...

    def close(self) -> None: ...


def fuse(rankings: Sequence[Sequence[str]], k: int) -> list[tuple[str, float]]:
    """Reciprocal-rank fusion of id rankings; ties go to the id with the best single rank."""
    scores: dict[str, float] = {}
    best: dict[str, int] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (RRF_K + rank)
            best[item] = min(best.get(item, rank), rank)
    order = sorted(scores, key=lambda i: (-scores[i], best[i], i))
    return [(item, scores[item]) for item in order[:k]]
