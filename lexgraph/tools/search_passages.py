"""``search_passages``: hybrid search over one job's matter, as a CrewAI tool.

The tool is built around a ``Retriever`` already bound to the job's tenant and matter; its
arguments (query, k, document) cannot name another scope, so an agent, or a prompt injected into
a document, has no way to reach across the ethical wall.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from crewai.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from lexgraph.core.retrieval import Retriever
from lexgraph.core.vectorstore.base import Hit


class SearchPassagesArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(..., min_length=1, max_length=2000,
                       description="What to look for: words, a defined term, a clause number "
                       "or a question.")
    k: int = Field(5, ge=1, le=20, description="How many passages to return.")
    document: str | None = Field(
        None, description="Only search this document: its id (doc_...) or file name.")


def passage_dict(hit: Hit) -> dict[str, Any]:
    p = hit.passage
    return {"chunk_id": p.id, "document_id": p.document_id, "document": p.document,
            "page": p.page, "heading": p.heading, "text": p.text,
            "score": round(hit.score, 6)}


class SearchPassagesTool(BaseTool):
    name: str = "search_passages"
    description: str = (
        "Search the documents of this matter for passages (hybrid keyword + semantic search). "
        "Returns a JSON list of passages, best first, each with chunk_id (cite it), document, "
        "document_id, page, heading and text. Use `document` to search one document only."
    )
    args_schema: type[BaseModel] = SearchPassagesArgs

    _retriever: Retriever = PrivateAttr()
    _documents: dict[str, str] = PrivateAttr(default_factory=dict)

    def __init__(self, retriever: Retriever, documents: Mapping[str, str] | None = None,
                 **kwargs: Any) -> None:
        """``documents`` maps the matter's document ids to file names, so the agent may name a
        document either way."""
        super().__init__(**kwargs)
        self._retriever = retriever
        self._documents = dict(documents or {})

    def _resolve(self, document: str) -> list[str]:
        if document in self._documents:
            return [document]
        by_name = [doc_id for doc_id, name in self._documents.items() if name == document]
        return by_name or [document]

    def _run(self, query: str, k: int = 5, document: str | None = None) -> str:
        documents = self._resolve(document) if document else None
        hits = self._retriever.search(query, k, documents=documents)
        return json.dumps([passage_dict(h) for h in hits], ensure_ascii=False)
