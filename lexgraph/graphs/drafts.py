"""The draft a reviewer decides on: read from the job's last checkpoint while it waits in
needs_review.

A waiting job has no result yet; its draft lives only in the graph state. The reader sees it
re-identified (the placeholders replaced by the values they stand for), as the final result
would show it. A draft's quote offsets may refer to the pseudonymized text a model read, so each
citation is placed again in the original page: at its quote when the chunk holds it word for
word, otherwise over the whole cited chunk.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from lexgraph.core.pii import PseudonymMap
from lexgraph.graphs.checkpointer import open_checkpointer


def _narrow(chunk: dict[str, Any], quote: str) -> tuple[int, int]:
    """Page offsets of ``quote`` inside the chunk when it is there word for word, else of the
    whole chunk."""
    found = chunk["text"].find(quote) if quote.strip() else -1
    if found < 0:
        return chunk["start"], chunk["end"]
    return chunk["start"] + found, chunk["start"] + found + len(quote)


def draft_view(values: dict[str, Any]) -> dict[str, Any] | None:
    """Sections of the draft in ``values`` (a checkpoint's channel values), or None."""
    draft = values.get("draft")
    if not draft:
        return None
    pmap = PseudonymMap.from_state(values["pii"]) if values.get("pii") else PseudonymMap()
    chunks = {c["id"]: c for c in values.get("chunks", [])}
    sections = []
    for section in draft:
        statements = []
        for statement in section.get("statements", []):
            citations = []
            for citation in statement.get("citations", []):
                chunk = chunks.get(citation.get("chunk_id"))
                if chunk is None:
                    continue  # cites nothing the job read; the compliance findings say so
                start, end = _narrow(chunk, pmap.reidentify(citation.get("quote") or ""))
                citations.append({"chunk_id": chunk["id"], "document_id": chunk["document_id"],
                                  "document": chunk["document"], "page": chunk["page"],
                                  "start": start, "end": end,
                                  "quote": chunk["text"][start - chunk["start"]:
                                                         end - chunk["start"]]})
            statements.append({"text": pmap.reidentify(statement.get("text", "")),
                               "citations": citations})
        sections.append({"key": section.get("key"), "title": section.get("title"),
                         "statements": statements})
    return {"sections": sections, "compliance": values.get("compliance"),
            "quarantined": values.get("quarantined", []),
            "redactions": values.get("redactions", {})}


class DraftReader:
    """Opens the checkpointer on first use, so API processes that never show a draft never
    connect to it."""

    def __init__(self, checkpoint_url: str, key: bytes) -> None:
        self.checkpoint_url = checkpoint_url
        self.key = key
        self._saver: Any = None
        self._close: Callable[[], None] | None = None
        self._lock = threading.Lock()

    def read(self, job_id: str) -> dict[str, Any] | None:
        """The draft of ``job_id``; the caller has checked that the job is the reader's."""
        with self._lock:
            if self._saver is None:
                self._saver, self._close = open_checkpointer(self.checkpoint_url, key=self.key)
            saver = self._saver
        found = saver.get_tuple({"configurable": {"thread_id": job_id, "checkpoint_ns": ""}})
        if found is None:
            return None
        return draft_view(dict(found.checkpoint.get("channel_values", {})))

    def close(self) -> None:
        with self._lock:
            if self._close is not None:
                self._close()
            self._saver = self._close = None
