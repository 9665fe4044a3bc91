"""The nodes of the extraction graph: real work on the documents, no model involved."""

from __future__ import annotations

import re
from typing import Any

from langgraph.runtime import Runtime

from lexgraph.core.errors import JobError
from lexgraph.core.ingest.extract import extract_pages
from lexgraph.graphs.render import render_markdown
from lexgraph.graphs.state import ExtractedDocument, GraphContext, JobState

_SENTENCE = re.compile(r"[^.!?]+[.!?]+(?=\s|$)")
_HEADING = re.compile(
    r"^\s*(#{1,6}\s+\S.*|(ARTICLE|SECTION|Section|Article)\s+[\dIVXLC]+[.:]?.*|"
    r"\d+(\.\d+)*\.?\s+[A-Z][A-Za-z ,&'-]{2,80}|[A-Z][A-Z ,&'-]{3,80})\s*$"
)
_DEFINED = re.compile(r"[\"“]([A-Z][A-Za-z0-9 '-]{1,60})[\"”]")


def ingest(state: JobState, runtime: Runtime[GraphContext]) -> dict[str, Any]:
    blobs = runtime.context.blobs
    extracted: list[ExtractedDocument] = []
    for doc in state["inputs"]:
        try:
            pages = extract_pages(doc["media_type"], blobs.get(doc["blob_key"]))
            extracted.append(ExtractedDocument(id=doc["id"], filename=doc["filename"],
                                               media_type=doc["media_type"], pages=pages,
                                               error=None))
        except JobError as exc:
            extracted.append(ExtractedDocument(id=doc["id"], filename=doc["filename"],
                                               media_type=doc["media_type"], pages=[],
                                               error=exc.as_record()))
        except KeyError:
            extracted.append(ExtractedDocument(
                id=doc["id"], filename=doc["filename"], media_type=doc["media_type"], pages=[],
                error={"code": "blob_missing", "message": "the uploaded file is missing"}))
    if all(d["error"] for d in extracted):
        first = extracted[0]["error"] or {}
        raise JobError("no_readable_documents",
                       f"no document could be read: {first.get('message', 'unknown error')}")
    return {"extracted": extracted}


def analyze_text(pages: list[str]) -> dict[str, Any]:
    text = "\n".join(pages)
    lines = [ln.strip() for ln in text.splitlines()]
    headings: list[str] = []
    for line in lines:
        if line and len(line) <= 100 and _HEADING.match(line):
            heading = line.lstrip("#").strip()
            if heading not in headings:
                headings.append(heading)
    terms: list[str] = []
    for match in _DEFINED.finditer(text):
        term = match.group(1).strip()
        if term not in terms:
            terms.append(term)
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    return {
        "characters": len(text),
        "words": len(text.split()),
        "sentences": len(_SENTENCE.findall(text)),
        "paragraphs": len(paragraphs),
        "pages": len(pages),
        "headings": headings[:50],
        "defined_terms": terms[:50],
        "opening": _first_sentence(text),
    }


def _first_sentence(text: str) -> str:
    flat = " ".join(text.split())
    match = _SENTENCE.search(flat)
    sentence = (match.group(0) if match else flat).strip()
    return sentence[:300]


def analyze(state: JobState) -> dict[str, Any]:
    analyses = []
    for doc in state["extracted"]:
        entry: dict[str, Any] = {"id": doc["id"], "filename": doc["filename"],
                                 "media_type": doc["media_type"], "error": doc["error"]}
        if doc["error"] is None:
            entry.update(analyze_text(doc["pages"]))
        analyses.append(entry)
    return {"analyses": analyses}


def finalize(state: JobState) -> dict[str, Any]:
    readable = [a for a in state["analyses"] if a["error"] is None]
    totals = {
        "documents": len(state["analyses"]),
        "readable": len(readable),
        "pages": sum(a["pages"] for a in readable),
        "words": sum(a["words"] for a in readable),
        "characters": sum(a["characters"] for a in readable),
    }
    overview = (
        f"Extracted {totals['words']:,} words on {totals['pages']} page(s) from "
        f"{totals['readable']} of {totals['documents']} document(s)."
    )
    result = {
        "job_id": state["job_id"],
        "mode": "extraction",
        "matter": state["matter"],
        "profile": state["profile"],
        "overview": overview,
        "totals": totals,
        "documents": state["analyses"],
        "timings_ms": dict(state.get("timings_ms", {})),
    }
    return {"result": result, "markdown": render_markdown(result)}
