"""Citation checks: does each statement's cited passage support it?

Support is the larger of a lexical score (share of the statement's content words found in the
cited passage) and a semantic score (cosine similarity between the statement and the passage's
closest sentence). Verbatim quotes score 1.0 lexically; faithful paraphrases pass on meaning;
statements whose citation points elsewhere fail both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from lexgraph.core.embeddings.base import Embedder
from lexgraph.core.ingest.chunking import sentence_spans
from lexgraph.core.summary.schema import Citation, KeyTerm, Section
from lexgraph.core.vectorstore.base import Passage

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STOP = frozenset({
    "the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "by", "with", "as", "at",
    "from", "that", "this", "these", "those", "is", "are", "was", "were", "be", "been", "being",
    "it", "its", "their", "his", "her", "they", "them", "shall", "will", "may", "must", "any",
    "all", "such", "which", "who", "whom", "not", "no", "under", "into", "than", "then",
    "there", "here", "each", "other", "per", "upon",
})
DEFAULT_THRESHOLD = 0.6


def content_words(text: str) -> set[str]:
    return {t for t in _TOKEN.findall(text.lower()) if t not in _STOP and len(t) > 1}


@dataclass(frozen=True)
class Check:
    section: str
    index: int
    statement: str
    supported: bool
    score: float
    lexical: float
    semantic: float
    reason: str | None


def best_span(statement: str, passage: Passage, embedder: Embedder) -> tuple[int, int, float]:
    """The sentence of ``passage`` closest in meaning to ``statement``: (start, end, cosine),
    offsets inside the passage text."""
    spans = sentence_spans(passage.text) or [(0, len(passage.text))]
    vectors = embedder.embed([passage.text[s:e] for s, e in spans])
    sims = vectors @ embedder.embed_query(statement)
    i = int(np.argmax(sims))
    return spans[i][0], spans[i][1], float(sims[i])


def cite(statement: str, passage: Passage, embedder: Embedder) -> Citation:
    start, end, _ = best_span(statement, passage, embedder)
    return Citation(chunk_id=passage.id, document_id=passage.document_id,
                    document=passage.document, page=passage.page, start=passage.start + start,
                    end=passage.start + end, quote=passage.text[start:end])


Pages = Mapping[str, Sequence[str]]  # document id -> the text of each page


def quoted_text(citation: Citation, passages: Mapping[str, Passage],
                pages: Pages | None = None) -> str | None:
    """The cited text when the quote is verbatim at its offsets in admissible text, else None.

    A quote lies inside its chunk, or — given the documents' pages — runs on from it into the
    next chunks of the same page, all of them admissible (a sentence cut by a chunk border)."""
    passage = passages.get(citation.chunk_id)
    if passage is None:
        return None
    offset = citation.start - passage.start
    if passage.text[offset:offset + len(citation.quote)] == citation.quote:
        return passage.text
    page_texts = pages.get(passage.document_id) if pages else None
    if not page_texts or not 0 < passage.page <= len(page_texts):
        return None
    page = page_texts[passage.page - 1]
    if not passage.start <= citation.start < passage.end \
            or page[citation.start:citation.end] != citation.quote:
        return None
    covered = passage.end
    same_page = sorted((p for p in passages.values()
                        if p.document_id == passage.document_id and p.page == passage.page
                        and p.start >= passage.end), key=lambda p: p.start)
    for following in same_page:
        if covered >= citation.end:
            break
        if page[covered:following.start].strip() and following.start < citation.end \
                and any(ch.isalpha() for ch in page[covered:following.start]):
            return None  # the quote runs over text no admissible chunk holds
        covered = max(covered, following.end)
    if covered < citation.end:
        return None
    return page[passage.start:covered]


def verify(sections: Sequence[Section], passages: Mapping[str, Passage], embedder: Embedder,
           *, threshold: float = DEFAULT_THRESHOLD, pages: Pages | None = None) -> list[Check]:
    """Check every statement. ``passages`` holds what may be cited (quarantined chunks are not
    in it, so citing one fails)."""
    checks: list[Check] = []
    for section in sections:
        for index, statement in enumerate(section.statements):
            checks.append(_check(section.key, index, statement.text, statement.citations,
                                 passages, embedder, threshold, pages))
    return checks


def _check(section: str, index: int, text: str, citations: Sequence[Citation],
           passages: Mapping[str, Passage], embedder: Embedder, threshold: float,
           pages: Pages | None = None) -> Check:
    def result(ok: bool, score: float, lex: float, sem: float, reason: str | None) -> Check:
        return Check(section, index, text, ok, round(score, 4), round(lex, 4), round(sem, 4),
                     reason)

    if not citations:
        return result(False, 0.0, 0.0, 0.0, "the statement cites no passage")
    words = content_words(text)
    best_lex = best_sem = 0.0
    for citation in citations:
        passage = passages.get(citation.chunk_id)
        if passage is None:
            return result(False, 0.0, 0.0, 0.0,
                          f"cites {citation.chunk_id}, which is not an admissible passage")
        cited = quoted_text(citation, passages, pages)
        if cited is None:
            return result(False, 0.0, 0.0, 0.0,
                          f"the quote attributed to {citation.chunk_id} is not at its offsets")
        found = content_words(cited)
        lexical = len(words & found) / len(words) if words else 0.0
        best_lex = max(best_lex, lexical)
        if lexical >= threshold:
            continue  # the passage says it in so many words; meaning needs no second look
        _, _, semantic = best_span(text, passage, embedder)
        best_sem = max(best_sem, semantic)
    score = max(best_lex, best_sem)
    if score >= threshold:
        return result(True, score, best_lex, best_sem, None)
    return result(False, score, best_lex, best_sem,
                  f"support {score:.2f} is below {threshold:.2f}: the cited passage does not "
                  "say this")


def _flat(text: str) -> str:
    return " ".join(text.split()).lower()


def check_key_terms(terms: Sequence[KeyTerm], passages: Mapping[str, Passage],
                    pages: Pages | None = None) -> list[str]:
    """Why each reported key term is not supported by its cited clause: the clause must be an
    admissible passage's text at its offsets, and the value must be read there."""
    problems: list[str] = []
    for term in terms:
        if not term.found:
            continue
        citation = term.citation
        if citation is None:
            problems.append(f"{term.label} is reported without the clause that states it")
            continue
        passage = passages.get(citation.chunk_id)
        if passage is None:
            problems.append(f"{term.label} cites {citation.chunk_id}, which is not an "
                            "admissible passage")
            continue
        if quoted_text(citation, passages, pages) is None:
            problems.append(f"{term.label}: the cited clause is not at its offsets")
            continue
        if term.value:
            quote = _flat(citation.quote)
            # "Acme, Inc. (Company); Beta LLC (Distributor)": each name must be in the clause.
            names = [re.sub(r"\s*\([^()]*\)$", "", part) for part in term.value.split("; ")]
            missing = [n for n in names if _flat(n) not in quote]
            if missing:
                problems.append(f"{term.label}: the cited clause does not say "
                                f"{', '.join(repr(m) for m in missing)}")
    return problems
