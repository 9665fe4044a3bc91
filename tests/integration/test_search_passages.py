"""The search_passages CrewAI tool, called the way CrewAI calls it, over a real index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lexgraph.adapters.embeddings.local import LocalEmbedder
from lexgraph.adapters.vectorstore.lancedb_store import LanceDBStore
from lexgraph.core.ingest.indexing import Indexer
from lexgraph.core.ingest.sniff import PDF, TEXT
from lexgraph.core.retrieval import Retriever
from lexgraph.core.vectorstore import Scope
from lexgraph.tools.search_passages import SearchPassagesTool
from tests.documents import FUSE_PDF, OPINION_PDF

MATTER = Scope("ten_firm", "mat_fuse")
OTHER = Scope("ten_firm", "mat_other")


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, embedder: LocalEmbedder) -> LanceDBStore:
    store = LanceDBStore(Path(tmp_path_factory.mktemp("vectors")))
    indexer = Indexer(embedder, store)
    indexer.index(MATTER, "doc_fuse", FUSE_PDF.name, PDF, FUSE_PDF.read_bytes())
    indexer.index(MATTER, "doc_opinion", OPINION_PDF.name, PDF, OPINION_PDF.read_bytes())
    indexer.index(OTHER, "doc_secret", "secret.txt", TEXT,
                  b"The Distributor may not sell the Products outside the Territory. "
                  b"The secret price of the Products is four hundred dollars.")
    return store


@pytest.fixture
def tool(indexed: LanceDBStore, embedder: LocalEmbedder) -> SearchPassagesTool:
    return SearchPassagesTool(Retriever(embedder, indexed, MATTER),
                              documents={"doc_fuse": FUSE_PDF.name,
                                         "doc_opinion": OPINION_PDF.name})


def test_tool_returns_passages_with_provenance(tool: SearchPassagesTool) -> None:
    out = json.loads(tool.run(query="When does the Commencement Date start?", k=3))
    assert 1 <= len(out) <= 3
    top = out[0]
    assert set(top) == {"chunk_id", "document_id", "document", "page", "heading", "text",
                        "score"}
    assert top["document_id"] == "doc_fuse" and top["document"] == FUSE_PDF.name
    assert top["chunk_id"].startswith(f"doc_fuse:{top['page']}:")
    assert "Commencement Date" in top["text"]
    assert top["page"] == 2


def test_tool_searches_one_document_by_id_or_name(tool: SearchPassagesTool) -> None:
    for document in ("doc_opinion", OPINION_PDF.name):
        out = json.loads(tool.run(query="appellate jurisdiction", k=5, document=document))
        assert out and {p["document_id"] for p in out} == {"doc_opinion"}


def test_tool_cannot_reach_another_matter(tool: SearchPassagesTool) -> None:
    out = json.loads(tool.run(query="secret price of the Products four hundred dollars", k=20))
    assert out and all(p["document_id"] in ("doc_fuse", "doc_opinion") for p in out)
    assert not any("four hundred" in p["text"] for p in out)
    out = json.loads(tool.run(query="secret price", k=5, document="doc_secret"))
    assert out == []
    # The arguments have no way to name a scope at all.
    with pytest.raises(ValueError, match="arguments validation failed"):
        tool.run(query="price", matter="mat_other")


def test_crewai_structured_tool_validates_arguments(tool: SearchPassagesTool) -> None:
    structured = tool.to_structured_tool()
    assert structured.name == "search_passages"
    out = json.loads(structured.invoke({"query": "exclusive distributor Territory", "k": 2}))
    assert len(out) == 2
    schema = structured.args_schema.model_json_schema()
    assert set(schema["properties"]) == {"query", "k", "document"}
    for bad in ({"query": "x", "k": 0}, {"query": "x", "k": 21}, {"query": ""}, {"k": 3}):
        with pytest.raises(ValueError):
            tool.run(**bad)
