"""Extractive summaries by profile: one entry point for the job graph and the quality bench.

Every profile works from the same statement candidates (complete sentences and enumerated
items of the admissible passages) and the same word budget; each knows its documents:
legislation follows the bill section by section, contracts are built from classified clauses
with a key-terms table, court opinions follow the court's signposts, and anything else takes
the sentences closest to each section's query.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from lexgraph.core.clauses.base import ClauseFinder
from lexgraph.core.embeddings.base import Embedder
from lexgraph.core.summary.budget import word_budget
from lexgraph.core.summary.citations import Pages
from lexgraph.core.summary.contract import summarize_contract
from lexgraph.core.summary.extractive import summarize_extractive
from lexgraph.core.summary.legislation import summarize_bill
from lexgraph.core.summary.opinion import summarize_opinion
from lexgraph.core.summary.profiles import Profile
from lexgraph.core.summary.schema import Citation, KeyTerm, Section, Statement
from lexgraph.core.summary.units import Unit, statement_units
from lexgraph.core.vectorstore.base import Passage

_SHORT_TITLE = re.compile(r"\bmay be cited as\b|\bpurpose of this (?:Act|title)\b",
                          re.IGNORECASE)
_ENGLISH = frozenset({"the", "of", "and", "to", "in", "a", "is", "that", "for", "be", "by",
                      "shall", "this", "or", "any", "with", "as", "on"})


@dataclass
class Composed:
    sections: list[Section]
    key_terms: list[KeyTerm] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    budget: int = 0

    def text(self) -> str:
        """The statements in the order a reader meets them."""
        return " ".join(st.text for s in self.sections for st in s.statements)

    def citations(self) -> list[Citation]:
        cited = [c for s in self.sections for st in s.statements for c in st.citations]
        return cited + [t.citation for t in self.key_terms if t.citation is not None]


def _words(passages: Sequence[Passage]) -> int:
    return sum(len(p.text.split()) for p in passages)


def _reads_as_english(passages: Sequence[Passage]) -> bool:
    words = [w.lower() for p in passages[:20] for w in p.text.split()]
    return not words or sum(w in _ENGLISH for w in words) / len(words) >= 0.08


def _bill_sections(profile: Profile, chosen: Sequence[Unit]) -> list[Section]:
    purpose: list[Statement] = []
    provisions: list[Statement] = []
    for unit in chosen:
        statement = unit.statement()
        if unit.part:
            statement.label = unit.part
        (purpose if _SHORT_TITLE.search(unit.text) else provisions).append(statement)
    by_key = {"purpose": purpose, "provisions": provisions}
    return [Section(key=s.key, title=s.title, statements=by_key.get(s.key, []))
            for s in profile.sections]


def _fill_by_meaning(profile: Profile, composed: Composed,
                     retrieved: Mapping[str, Sequence[Passage]], embedder: Embedder) -> None:
    """A contract whose clauses the finder barely recognizes (a short lease, an unusual
    form) still gets a summary: its empty sections take the sentences closest in meaning to
    their queries, one each, never one already stated."""
    empty = [s for s in composed.sections if not s.statements]
    if not empty:
        return
    stated = {(c.chunk_id, c.start) for c in composed.citations()}
    keys = {s.key for s in empty}
    subset = profile.model_copy(update={"sections": tuple(s for s in profile.sections
                                                          if s.key in keys)})
    for filled in summarize_extractive(subset, retrieved, embedder, per_section=1):
        section = next(s for s in empty if s.key == filled.key)
        section.statements = [st for st in filled.statements
                              if (st.citations[0].chunk_id, st.citations[0].start) not in stated]
        stated.update((st.citations[0].chunk_id, st.citations[0].start)
                      for st in section.statements)


def compose_extractive(profile: Profile, passages: Sequence[Passage], *,
                       length: str | int | None = "standard",
                       finder: ClauseFinder | None = None, embedder: Embedder | None = None,
                       retrieved: Mapping[str, Sequence[Passage]] | None = None,
                       pages: Pages | None = None) -> Composed:
    """The summary of ``passages`` (the job's admissible chunks) under ``profile``; with the
    documents' ``pages``, sentences that run across two chunks are candidates too."""
    budget = word_budget(length, _words(passages), profile.name)
    units = statement_units(passages, pages)
    notes: list[str] = []
    if passages and not _reads_as_english(passages):
        notes.append("The documents do not read as English text; summaries and clause "
                     "finding work on English documents, so little or nothing was found.")
    if profile.name == "legislation":
        composed = Composed(_bill_sections(profile, summarize_bill(units, budget)))
    elif profile.name == "contract" and finder is not None:
        contract = summarize_contract(profile, units, finder, budget, passages)
        composed = Composed(contract.sections, contract.key_terms)
        if embedder is not None and retrieved and len(composed.text().split()) < budget / 2:
            _fill_by_meaning(profile, composed, retrieved, embedder)
        if not any(t.found for t in contract.key_terms):
            notes.append("No clause of the kinds in the key-terms table was recognized with "
                         "confidence; the table lists every term as not found.")
    elif profile.name == "court_opinion":
        composed = Composed(summarize_opinion(profile, units, budget))
    else:
        if embedder is None:
            raise ValueError("the general profile ranks sentences by embedding similarity")
        # Sentences of about 30 words: share the budget out across the sections.
        per_section = max(1, round(budget / 30 / max(len(profile.sections), 1)))
        sections = summarize_extractive(profile, retrieved or {}, embedder,
                                        per_section=per_section)
        composed = Composed(sections)
    if passages and not units:
        notes.append("No complete sentence was found in the documents' text.")
    composed.notes = notes
    composed.budget = budget
    return composed
