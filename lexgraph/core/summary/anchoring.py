"""Where a citation's quote sits in the original text.

One rule for every reader of a citation: the citation's own offsets when they hold the quote,
else the quote found word for word. A reviewer's draft places each quote inside its chunk
(the draft's offsets may refer to the pseudonymized text a model read); the web page places
a citation in its page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Anchor:
    """Where a quote sits in a page: ``exact`` when the citation's own offsets hold it."""

    start: int
    end: int
    exact: bool


def anchor(text: str, start: int, end: int, quote: str) -> Anchor | None:
    """Locate ``quote`` in ``text``, trusting the offsets first and the words second."""
    if quote and 0 <= start <= end <= len(text) and text[start:end] == quote:
        return Anchor(start, end, True)
    if not quote:
        return None
    found = text.find(quote)
    if found >= 0:
        return Anchor(found, found + len(quote), False)
    return None


def within_chunk(chunk: Mapping[str, Any], quote: str) -> tuple[int, int]:
    """Page offsets of ``quote`` inside the chunk when it is there word for word, else of the
    whole chunk."""
    # No offsets to trust: they may index the pseudonymized text, not the chunk's own.
    spot = anchor(chunk["text"], -1, -1, quote) if quote.strip() else None
    if spot is None:
        return chunk["start"], chunk["end"]
    return chunk["start"] + spot.start, chunk["start"] + spot.end


def reanchor_draft(draft: Sequence[Mapping[str, Any]], chunks: Mapping[str, Mapping[str, Any]],
                   reidentify: Callable[[str], str]) -> list[dict[str, Any]]:
    """A draft's sections as its reader sees them: statements re-identified, each citation
    placed again in the original text of the chunk it names (``chunks`` by id: document,
    page, page offsets and text). A citation of a chunk the job did not read is left out;
    the compliance findings say so."""
    sections = []
    for section in draft:
        statements = []
        for statement in section.get("statements", []):
            citations = []
            for citation in statement.get("citations", []):
                chunk = chunks.get(citation.get("chunk_id"))
                if chunk is None:
                    continue
                start, end = within_chunk(chunk, reidentify(citation.get("quote") or ""))
                citations.append({"chunk_id": chunk["id"], "document_id": chunk["document_id"],
                                  "document": chunk["document"], "page": chunk["page"],
                                  "start": start, "end": end,
                                  "quote": chunk["text"][start - chunk["start"]:
                                                         end - chunk["start"]]})
            statements.append({"text": reidentify(statement.get("text", "")),
                               "citations": citations})
        sections.append({"key": section.get("key"), "title": section.get("title"),
                         "statements": statements})
    return sections
