"""Statement candidates: the complete sentences and enumerated items of a job's passages, in
document order, each with the section of the document it sits in.

A candidate is a verbatim span of one passage, so a statement built from it is its own exact
citation. Headings, fragments, address and signature blocks, page furniture and reporter
boilerplate never become candidates (``core.ingest.sentences`` decides what they are).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lexgraph.core.ingest.sentences import clean_statement_spans
from lexgraph.core.summary.schema import Citation, Statement
from lexgraph.core.vectorstore.base import Passage

_WORD = re.compile(r"[A-Za-z]{2,}")
# "SEC. 4. GRANTS.", "SECTION 1. SHORT TITLE.", "ARTICLE 7 - TERM", "12. Termination": where a
# part of the document starts; the caption names what its sentences are about.
_PART = re.compile(
    r"^[ \t]*(?:#{1,6}[ \t]+)?((?:SECTION|SEC\.|Section|Sec\.|ARTICLE|Article)[ \t]+[\dIVXLC]+[A-Za-z]?\.?"
    r"[^\n]{0,160}|\d{1,2}\.[ \t]+[A-Z][^\n]{2,80})$",
    re.MULTILINE,
)
MIN_WORDS = 5
MAX_WORDS = 120


@dataclass(frozen=True)
class Unit:
    """One candidate statement."""

    passage: Passage
    start: int  # offsets inside passage.text
    end: int
    part: str  # caption of the document part it sits in ("" before the first one)
    part_index: int  # 0 before the first caption, then 1, 2, ... in document order
    index: int  # position among all candidates of the document set

    @property
    def text(self) -> str:
        return " ".join(self.passage.text[self.start:self.end].split())

    @property
    def words(self) -> int:
        return len(self.text.split())

    def citation(self) -> Citation:
        p = self.passage
        return Citation(chunk_id=p.id, document_id=p.document_id, document=p.document,
                        page=p.page, start=p.start + self.start, end=p.start + self.end,
                        quote=p.text[self.start:self.end])

    def statement(self) -> Statement:
        return Statement(text=self.text, citations=[self.citation()], support=1.0)


def document_order(passages: Iterable[Passage]) -> list[Passage]:
    """Passages sorted as they appear: by document, page, then offset (chunk ids are
    ``<document>:<page>:<n>``)."""
    return sorted(passages, key=lambda p: (p.document_id, p.page, p.start))


def statement_units(passages: Sequence[Passage]) -> list[Unit]:
    """Every statement candidate of ``passages``, in document order."""
    units: list[Unit] = []
    part, part_index, document = "", 0, None
    for passage in document_order(passages):
        if passage.document_id != document:
            part, part_index, document = "", 0, passage.document_id
        text = passage.text
        captions = [(m.start(), " ".join(m.group(1).split())) for m in _PART.finditer(text)]
        for start, end in clean_statement_spans(text):
            while captions and captions[0][0] <= start:
                part = captions.pop(0)[1]
                part_index += 1
            n_words = len(_WORD.findall(text, start, end))
            if MIN_WORDS <= n_words and len(text[start:end].split()) <= MAX_WORDS:
                units.append(Unit(passage, start, end, part, part_index, len(units)))
        for _, caption in captions:
            part, part_index = caption, part_index + 1
    return units
