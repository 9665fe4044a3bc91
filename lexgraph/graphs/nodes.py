"""The nodes of the extraction graph: real work on the documents, no model involved."""

from __future__ import annotations

import re
from typing import Any

from langgraph.runtime import Runtime

from lexgraph.core.errors import JobError
from lexgraph.core.ingest.indexing import Indexer
from lexgraph.core.vectorstore.base import Scope
from lexgraph.graphs.render import render_markdown
from lexgraph.graphs.state import ChunkRef, ExtractedDocument, GraphContext, JobState

# A sentence ends at . ! or ? followed by space and a capital, quote or bracket, unless the
# word before the stop is a common legal or corporate abbreviation.
_BOUNDARY = re.compile(r"(?<=[.!?])[\"\u201d)]?\s+(?=[A-Z\"\u201c(])")
_CLAUSE_NUMBER = re.compile(r"\(?[0-9]+(\.[0-9]+)*\.?\)?")
_ABBREVIATIONS = frozenset({
    "inc", "ltd", "co", "corp", "no", "nos", "mr", "mrs", "ms", "dr", "jr", "sr", "st", "art",
    "sec", "secs", "cl", "para", "paras", "v", "vs", "etc", "e.g", "i.e", "u.s", "u.k", "plc",
    "llc", "llp", "s.a", "n.a", "approx", "dept", "fig",
})
_HEADING = re.compile(
    r"^\s*(#{1,6}\s+\S.*|(ARTICLE|SECTION|Section|Article)\s+[\dIVXLC]+[.:]?.*|"
    r"\d+(\.\d+)*\.?\s+[A-Z][A-Za-z ,&'-]{2,80}|[A-Z][A-Z ,&'-]{3,80})\s*$"
)
_DEFINED = re.compile(r"[\"“]([A-Z][A-Za-z0-9 '-]{1,60})[\"”]")


def ingest(state: JobState, runtime: Runtime[GraphContext]) -> dict[str, Any]:
    """Parse, chunk, embed and index every document under the job's tenant + matter."""
    ctx = runtime.context
    settings = ctx.settings
    indexer = Indexer(ctx.embedder, ctx.vectors, chunk_chars=settings.chunk_max_chars,
                      max_unpacked_bytes=settings.docx_max_unpacked_bytes)
    scope = Scope(state["tenant_id"], state["matter_id"])
    extracted: list[ExtractedDocument] = []
    chunks: list[ChunkRef] = []
    for doc in state["inputs"]:
        try:
            data = ctx.blobs.get(doc["blob_key"])
        except KeyError:
            extracted.append(ExtractedDocument(
                id=doc["id"], filename=doc["filename"], media_type=doc["media_type"], pages=[],
                error={"code": "blob_missing", "message": "the uploaded file is missing"}))
            continue
        done = indexer.index(scope, doc["id"], doc["filename"], doc["media_type"], data)
        extracted.append(ExtractedDocument(id=doc["id"], filename=doc["filename"],
                                           media_type=doc["media_type"], pages=done.pages,
                                           error=done.error))
        chunks.extend(ChunkRef(id=c.id, document_id=c.document_id, document=doc["filename"],
                               page=c.page, page_end=c.page_end, start=c.start, end=c.end,
                               heading=c.heading, text=c.text) for c in done.chunks)
    if all(d["error"] for d in extracted):
        first = extracted[0]["error"] or {}
        raise JobError("no_readable_documents",
                       f"no document could be read: {first.get('message', 'unknown error')}")
    return {"extracted": extracted, "chunks": chunks}


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
        "sentences": sum(len(split_sentences(p)) for p in paragraphs if not _is_heading(p)),
        "paragraphs": len(paragraphs),
        "pages": len(pages),
        "headings": headings[:50],
        "defined_terms": terms[:50],
        "opening": _opening(text),
    }


def _is_heading(paragraph: str) -> bool:
    stripped = paragraph.strip()
    return len(stripped) <= 100 and "\n" not in stripped and bool(_HEADING.match(stripped))


def split_sentences(text: str) -> list[str]:
    flat = " ".join(text.split())
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(flat):
        candidate = flat[start:match.start()].strip()
        last_word = candidate.rsplit(" ", 1)[-1].rstrip(".!?\"\u201d)").lower()
        if last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
            continue
        if _CLAUSE_NUMBER.fullmatch(candidate):
            continue  # "1." or "4.2." opening a clause is a number, not a sentence
        sentences.append(candidate)
        start = match.end()
    tail = flat[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def _opening(text: str) -> str:
    """The first sentence of the first paragraph that is not a heading."""
    for paragraph in re.split(r"\n\s*\n", text):
        lines = [ln for ln in paragraph.strip().splitlines() if ln.strip()]
        while lines and _is_heading(lines[0]):
            lines.pop(0)
        sentences = split_sentences("\n".join(lines))
        if sentences:
            return sentences[0][:300]
    return ""


def analyze(state: JobState) -> dict[str, Any]:
    analyses = []
    per_document: dict[str, int] = {}
    for chunk in state.get("chunks", []):
        per_document[chunk["document_id"]] = per_document.get(chunk["document_id"], 0) + 1
    for doc in state["extracted"]:
        entry: dict[str, Any] = {"id": doc["id"], "filename": doc["filename"],
                                 "media_type": doc["media_type"], "error": doc["error"]}
        if doc["error"] is None:
            entry.update(analyze_text(doc["pages"]))
            entry["chunks"] = per_document.get(doc["id"], 0)
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
        "chunks": sum(a.get("chunks", 0) for a in readable),
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
    }
    return {"result": result, "markdown": render_markdown(result)}
