"""Extractive mode: verbatim source sentences per section, ranked by embedding similarity to the
section's query, with maximal marginal relevance so one section does not repeat itself.

This is the offline default and the fallback when no model is reachable: nothing is generated,
so every statement is its own citation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from lexgraph.core.embeddings.base import Embedder
from lexgraph.core.ingest.chunking import sentence_spans
from lexgraph.core.summary.profiles import Profile
from lexgraph.core.summary.schema import Section
from lexgraph.core.summary.units import Unit, statement_units
from lexgraph.core.vectorstore.base import Passage


def candidates(passages: Sequence[Passage]) -> list[Unit]:
    """Sentences worth stating on their own: complete sentences and enumerated items of each
    passage (never a heading, fragment, address block or boilerplate; see
    ``core.summary.units``)."""
    return statement_units(passages)


def summarize_extractive(profile: Profile, retrieved: Mapping[str, Sequence[Passage]],
                         embedder: Embedder, *, per_section: int = 3, diversity: float = 0.35,
                         min_similarity: float = 0.2) -> list[Section]:
    """Pick up to ``per_section`` sentences for each section from the retrieved passages.

    Every sentence goes to the one section whose query it matches best (a payment clause is
    not spent on "obligations" just because that section comes first), then each section
    takes its most relevant, least redundant sentences.
    """
    seen: set[tuple[str, int]] = set()
    pool: list[Unit] = []
    for spec in profile.sections:
        for c in candidates(retrieved.get(spec.key, ())):
            if (c.passage.id, c.start) not in seen:
                seen.add((c.passage.id, c.start))
                pool.append(c)
    homes: dict[str, list[int]] = {spec.key: [] for spec in profile.sections}
    vectors = np.zeros((0, 0), dtype=np.float32)
    relevance = np.zeros((0, 0), dtype=np.float32)
    if pool:
        vectors = embedder.embed([c.quote for c in pool])
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
        chosen = sorted((pool[i] for i in picks),
                        key=lambda c: (c.passage.document_id, c.passage.page, c.base + c.start))
        sections.append(Section(key=spec.key, title=spec.title, statements=[
            c.statement() for c in chosen
        ]))
    return sections


def lead_sentences(text: str, n: int = 3) -> list[str]:
    """The first ``n`` sentences: the classic baseline extractive summaries are measured against."""
    return [" ".join(text[s:e].split()) for s, e in sentence_spans(text)[:n]]
