"""Extractive mode: verbatim source sentences per section, ranked by embedding similarity to the
section's query, with maximal marginal relevance so one section does not repeat itself.

This is the offline default and the fallback when no model is reachable: nothing is generated,
so every statement is its own citation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from lexgraph.core.embeddings.base import Embedder
from lexgraph.core.ingest.chunking import sentence_spans
from lexgraph.core.summary.profiles import Profile
from lexgraph.core.summary.schema import Citation, Section, Statement
from lexgraph.core.vectorstore.base import Passage

_WORD = re.compile(r"[A-Za-z]{2,}")
_BLANK = re.compile(r"\n[ \t]*\n\s*")
# "4. Governing Law", "ARTICLE II", "## Term", "CONFIDENTIALITY": a caption line, in Title Case
# or capitals; a wrapped line of running text is not one.
_CAPTION = re.compile(
    r"(#{1,6}\s+.+|(?:(?:ARTICLE|Article|SECTION|Section|§)\s*)?[\dIVXLC]+(?:\.\d+)*\.?"
    r"(?:\s+(?:[A-Z][\w'\u2019-]*|and|of|or|the|to|for|in)){0,8}|[A-Z][A-Z0-9 ,&'\u2019-]{2,60})"
)
MIN_WORDS = 6
MAX_WORDS = 90


@dataclass(frozen=True)
class Candidate:
    passage: Passage
    start: int  # offsets inside passage.text
    end: int

    @property
    def text(self) -> str:
        return self.passage.text[self.start:self.end]

    def citation(self) -> Citation:
        p = self.passage
        return Citation(chunk_id=p.id, document_id=p.document_id, document=p.document,
                        page=p.page, start=p.start + self.start, end=p.start + self.end,
                        quote=self.text)

    @property
    def order(self) -> tuple[str, int, int]:
        return (self.passage.id.rsplit(":", 2)[0], self.passage.page, self.passage.start
                + self.start)


def _drop_captions(text: str, start: int, end: int) -> tuple[int, int]:
    """Skip leading lines that are captions ("4. Governing Law"), not part of the sentence."""
    while True:
        newline = text.find("\n", start, end)
        if newline < 0:
            return start, end
        line = text[start:newline].strip()
        if line and not _CAPTION.fullmatch(line):
            return start, end
        start = newline + 1
        while start < end and text[start].isspace():
            start += 1


def candidates(passages: Sequence[Passage]) -> list[Candidate]:
    """Sentences worth stating on their own: enough words, not a caption, not a whole page."""
    found: list[Candidate] = []
    for passage in passages:
        text = passage.text
        for start, end in sentence_spans(text):
            # A sentence never runs across a blank line: what the splitter glued on there
            # is a heading ("## 4. Term") or the number of the next clause.
            cuts = [m.span() for m in _BLANK.finditer(text, start, end)]
            bounds = [start, *(c for span in cuts for c in span), end]
            for seg_start, seg_end in zip(bounds[::2], bounds[1::2], strict=True):
                seg_start, seg_end = _drop_captions(text, seg_start, seg_end)
                words = _WORD.findall(text[seg_start:seg_end])
                if MIN_WORDS <= len(words) <= MAX_WORDS:
                    found.append(Candidate(passage, seg_start, seg_end))
    return found


def summarize_extractive(profile: Profile, retrieved: Mapping[str, Sequence[Passage]],
                         embedder: Embedder, *, per_section: int = 3, diversity: float = 0.35,
                         min_similarity: float = 0.2) -> list[Section]:
    """Pick up to ``per_section`` sentences for each section from the retrieved passages.

    Every sentence goes to the one section whose query it matches best (a payment clause is
    not spent on "obligations" just because that section comes first), then each section
    takes its most relevant, least redundant sentences.
    """
    seen: set[tuple[str, int]] = set()
    pool: list[Candidate] = []
    for spec in profile.sections:
        for c in candidates(retrieved.get(spec.key, ())):
            if (c.passage.id, c.start) not in seen:
                seen.add((c.passage.id, c.start))
                pool.append(c)
    homes: dict[str, list[int]] = {spec.key: [] for spec in profile.sections}
    vectors = np.zeros((0, 0), dtype=np.float32)
    relevance = np.zeros((0, 0), dtype=np.float32)
    if pool:
        vectors = embedder.embed([c.text for c in pool])
        queries = np.stack([embedder.embed_query(spec.query) for spec in profile.sections])
        relevance = vectors @ queries.T
        for i, row in enumerate(relevance):
            best = int(np.argmax(row))
            if row[best] >= min_similarity:
                homes[profile.sections[best].key].append(i)
    sections: list[Section] = []
    for column, spec in enumerate(profile.sections):
        picks: list[int] = []
        home = homes[spec.key]
        for _ in range(min(per_section, len(home))):
            best_i, best_score = -1, -np.inf
            for i in home:
                if i in picks:
                    continue
                redundancy = max((float(vectors[i] @ vectors[j]) for j in picks), default=0.0)
                score = (1 - diversity) * float(relevance[i, column]) - diversity * redundancy
                if score > best_score:
                    best_i, best_score = i, score
            picks.append(best_i)
        chosen = sorted((pool[i] for i in picks), key=lambda c: c.order)
        sections.append(Section(key=spec.key, title=spec.title, statements=[
            Statement(text=" ".join(c.text.split()), citations=[c.citation()], support=1.0)
            for c in chosen
        ]))
    return sections


def lead_sentences(text: str, n: int = 3) -> list[str]:
    """The first ``n`` sentences: the classic baseline extractive summaries are measured against."""
    return [" ".join(text[s:e].split()) for s, e in sentence_spans(text)[:n]]
