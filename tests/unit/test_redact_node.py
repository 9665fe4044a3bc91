"""The graph's redact node fails closed: a chunk the recognizers cannot screen never reaches a
model as written."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from langgraph.runtime import Runtime

from lexgraph.core.config.settings import Settings
from lexgraph.graphs.nodes.redact import WITHHELD_CHUNK, redact
from lexgraph.graphs.nodes.state_view import model_passages
from lexgraph.graphs.state import GraphContext

# A lone surrogate, as text decoded with errors="surrogateescape" carries for a byte that is
# not UTF-8: the recognizers' tokenizer cannot encode it and raises.
UNSCREENABLE = "Payment to Marguerite Okonkwo-Halvorsen, SSN 123-45-6789 \udcff is due."


def _runtime() -> Runtime[GraphContext]:
    # redact reads the settings only; the other services stay unbuilt.
    context = GraphContext(settings=Settings(), blobs=None, embedder=None,  # type: ignore[arg-type]
                           vectors=None, guard=None)  # type: ignore[arg-type]
    return Runtime(context=context)


def _state(*texts: str) -> dict[str, Any]:
    return {"job_id": "job_redact", "quarantined": [],
            "chunks": [{"id": f"d:1:{n}", "document_id": "d", "document": "consulting.txt",
                        "page": 1, "page_end": 1, "start": 0, "end": len(text), "heading": "",
                        "text": text} for n, text in enumerate(texts)]}


def test_a_chunk_that_cannot_be_screened_is_withheld(caplog: pytest.LogCaptureFixture) -> None:
    ok = "The Consultant, Marguerite Okonkwo-Halvorsen, SSN 123-45-6789, agrees."
    state = _state(ok, UNSCREENABLE)
    with caplog.at_level(logging.WARNING):
        update = redact(state, _runtime())  # type: ignore[arg-type]
    assert update["redacted"]["d:1:1"] == WITHHELD_CHUNK
    screened = update["redacted"]["d:1:0"]
    assert "Okonkwo" not in screened and "6789" not in screened and "<PERSON_1>" in screened
    seen = " ".join(p.text for p in model_passages({**state, **update}).values())  # type: ignore[arg-type]
    assert "Okonkwo" not in seen and "123-45-6789" not in seen
    assert "d:1:1" in caplog.text and "Okonkwo" not in caplog.text
