"""One contract for every vector store: ethical walls, deletion, hybrid ranking, filters, upserts.

LanceDB always runs. Weaviate runs when ``WEAVIATE_URL`` points at a Weaviate server on this
machine (e.g. ``docker compose up weaviate`` then ``WEAVIATE_URL=http://127.0.0.1:8080``;
``WEAVIATE_GRPC_PORT`` and ``WEAVIATE_API_KEY`` when not the defaults); each run uses a
collection of its own and drops it afterwards.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from lexgraph.adapters.embeddings.local import LocalEmbedder
from lexgraph.adapters.vectorstore.lancedb_store import LanceDBStore
from lexgraph.core.vectorstore import Passage, Scope, VectorStore

WEAVIATE_URL = os.environ.get("WEAVIATE_URL")

ACME_NDA = Scope("ten_acme", "mat_nda")
ACME_LEASE = Scope("ten_acme", "mat_lease")
GLOBEX_NDA = Scope("ten_globex", "mat_nda")  # same matter id, other tenant

KESTRELMOOR = (
    "The Distributor shall maintain adequate stock, keep complete books and records of all "
    "sales, allow inspection of those records on reasonable notice, comply with all export "
    "control laws, and ensure that its sub-distributors, including Kestrelmoor, are bound by "
    "obligations no less protective than these."
)
CLAUSES = {
    "doc_nda": [
        "The Receiving Party shall keep the Confidential Information secret.",
        "Either party may terminate this agreement on thirty days' written notice.",
        "The termination fee payable on early termination is two months of fees.",
        "This agreement is governed by the laws of the State of New York.",
        KESTRELMOOR,
    ],
    "doc_side": [
        "Quintarro Holdings holds the deposit in escrow until closing.",
        "Notices must be sent by registered mail to the addresses above.",
        "The kestrel nests on the open moor.",
        "Kestrel Holdings is a bird sanctuary on the moors.",
    ],
}


def _passages(document_id: str, texts: list[str], marker: str = "") -> list[Passage]:
    return [Passage(id=f"{document_id}:1:{n}", document_id=document_id,
                    document=f"{document_id}.pdf", page=1, page_end=1, start=n * 100,
                    end=n * 100 + len(t), heading="", text=t + marker)
            for n, t in enumerate(texts, start=1)]


@pytest.fixture(params=["lancedb", "weaviate"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VectorStore]:
    if request.param == "lancedb":
        lance = LanceDBStore(tmp_path / "vectors")
        yield lance
        lance.close()
        return
    if not WEAVIATE_URL:
        pytest.skip("set WEAVIATE_URL (e.g. http://127.0.0.1:8080) to run the contract "
                    "against Weaviate")
    from lexgraph.adapters.vectorstore.weaviate_store import WeaviateStore

    weaviate = WeaviateStore(WEAVIATE_URL, api_key=os.environ.get("WEAVIATE_API_KEY"),
                             grpc_port=int(os.environ.get("WEAVIATE_GRPC_PORT", "50051")),
                             collection=f"LexgraphTest{secrets.token_hex(4)}")
    yield weaviate
    weaviate.drop_collection()


class Index:
    def __init__(self, store: VectorStore, embedder: LocalEmbedder) -> None:
        self.store = store
        self.embedder = embedder

    def add(self, scope: Scope, passages: list[Passage]) -> int:
        vectors = self.embedder.embed([p.text for p in passages])
        return self.store.upsert(scope, passages, vectors)

    def search(self, scope: Scope, query: str, **options: object) -> list[Passage]:
        hits = self.store.search(scope, text=query, vector=self.embedder.embed_query(query),
                                 **options)  # type: ignore[arg-type]
        return [h.passage for h in hits]


@pytest.fixture
def index(store: VectorStore, embedder: LocalEmbedder) -> Index:
    idx = Index(store, embedder)
    for doc, texts in CLAUSES.items():
        idx.add(ACME_NDA, _passages(doc, texts))
    return idx


def test_search_finds_the_passage_with_its_provenance(index: Index) -> None:
    top = index.search(ACME_NDA, "How can the contract be ended?", k=3)
    assert top[0] == _passages("doc_nda", CLAUSES["doc_nda"])[1]
    assert index.store.count(ACME_NDA) == 9


@pytest.mark.parametrize("mode", ["hybrid", "vector", "text"])
def test_no_search_crosses_a_tenant_or_matter_wall(index: Index, mode: str) -> None:
    index.add(GLOBEX_NDA, _passages("doc_globex", ["Globex may terminate at will on notice."]))
    index.add(ACME_LEASE, _passages("doc_lease", ["The lease may terminate on notice."]))
    for scope, own in ((ACME_NDA, {"doc_nda", "doc_side"}), (GLOBEX_NDA, {"doc_globex"}),
                       (ACME_LEASE, {"doc_lease"})):
        found = index.search(scope, "terminate on notice", k=50, mode=mode)
        assert found and {p.document_id for p in found} <= own, (scope, mode)
    assert index.search(Scope("ten_acme", "mat_unknown"), "terminate", mode=mode) == []
    assert index.store.count(GLOBEX_NDA) == 1 and index.store.count(ACME_LEASE) == 1


def test_deleting_a_matter_deletes_its_vectors_only(index: Index) -> None:
    index.add(ACME_LEASE, _passages("doc_lease", ["The lease may terminate on notice."]))
    index.store.delete_matter(ACME_NDA)
    assert index.store.count(ACME_NDA) == 0
    assert index.search(ACME_NDA, "terminate", k=10) == []
    assert index.store.count(ACME_LEASE) == 1
    index.store.delete_matter(ACME_NDA)  # deleting again is harmless
    # The matter can be used again afterwards, starting empty.
    index.add(ACME_NDA, _passages("doc_new", ["A fresh start."]))
    assert [p.document_id for p in index.search(ACME_NDA, "fresh", k=10)] == ["doc_new"]


def test_deleting_a_document_leaves_the_others(index: Index) -> None:
    index.store.delete_document(ACME_NDA, "doc_side")
    assert index.store.count(ACME_NDA) == 5
    assert {p.document_id for p in index.search(ACME_NDA, "escrow deposit", k=10)} == {
        "doc_nda"}


def test_hybrid_puts_the_exact_term_first_where_vectors_alone_do_not(index: Index) -> None:
    # The one passage naming Kestrelmoor mentions it in passing; by meaning alone, short
    # passages about kestrels and moors look closer to the name than it does ...
    by_vector = index.search(ACME_NDA, "Kestrelmoor", k=9, mode="vector")
    assert by_vector[0].id != "doc_nda:1:5"
    assert [p.id for p in by_vector].index("doc_nda:1:5") > 0
    # ... while full-text search knows the exact word, and hybrid search puts it first.
    assert index.search(ACME_NDA, "Kestrelmoor", k=3, mode="text")[0].id == "doc_nda:1:5"
    assert index.search(ACME_NDA, "Kestrelmoor", k=3)[0].id == "doc_nda:1:5"


def test_document_filter(index: Index) -> None:
    found = index.search(ACME_NDA, "terminate the agreement", k=10, documents=["doc_side"])
    assert found and {p.document_id for p in found} == {"doc_side"}
    for mode in ("vector", "text"):
        found = index.search(ACME_NDA, "registered mail notices", k=10, documents=["doc_side"],
                             mode=mode)
        assert {p.document_id for p in found} == {"doc_side"}
    assert index.search(ACME_NDA, "terminate", k=10, documents=["doc_elsewhere"]) == []
    assert index.search(ACME_NDA, "terminate", k=10, documents=[]) == []
    both = index.search(ACME_NDA, "terminate notice escrow", k=10,
                        documents=["doc_nda", "doc_side"])
    assert {p.document_id for p in both} == {"doc_nda", "doc_side"}


def test_upsert_is_idempotent_and_replaces_by_id(index: Index) -> None:
    again = _passages("doc_nda", CLAUSES["doc_nda"])
    assert index.add(ACME_NDA, again) == 5
    assert index.store.count(ACME_NDA) == 9
    changed = _passages("doc_nda", CLAUSES["doc_nda"], marker=" (as amended)")[:1]
    index.add(ACME_NDA, changed)
    assert index.store.count(ACME_NDA) == 9
    top = index.search(ACME_NDA, "keep the confidential information secret", k=1)
    assert top[0].text.endswith("(as amended)")


def test_k_limits_and_scores_order_the_results(index: Index) -> None:
    for mode in ("hybrid", "vector", "text"):
        hits = index.store.search(ACME_NDA, text="terminate notice agreement",
                                  vector=index.embedder.embed_query("terminate notice"),
                                  k=2, mode=mode)  # type: ignore[arg-type]
        assert len(hits) == 2
        assert hits[0].score >= hits[1].score


def test_mismatched_vectors_are_refused(store: VectorStore) -> None:
    with pytest.raises(ValueError):
        store.upsert(ACME_NDA, _passages("d", ["one", "two"]), np.zeros((1, 384), np.float32))
