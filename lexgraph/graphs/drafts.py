"""The draft a reviewer decides on: read from the job's last checkpoint while it waits in
needs_review.

A waiting job has no result yet; its draft lives only in the graph state. The reader sees it
re-identified (the placeholders replaced by the values they stand for), as the final result
would show it, each citation placed again in the original page (``core.summary.anchoring``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from lexgraph.core.pii import PseudonymMap
from lexgraph.core.summary.anchoring import reanchor_draft
from lexgraph.graphs.checkpointer import open_checkpointer


def draft_view(values: dict[str, Any]) -> dict[str, Any] | None:
    """Sections of the draft in ``values`` (a checkpoint's channel values), or None."""
    draft = values.get("draft")
    if not draft:
        return None
    pmap = PseudonymMap.from_state(values["pii"]) if values.get("pii") else PseudonymMap()
    chunks = {c["id"]: c for c in values.get("chunks", [])}
    return {"sections": reanchor_draft(draft, chunks, pmap.reidentify),
            "compliance": values.get("compliance"),
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
