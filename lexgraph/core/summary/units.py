"""Statement candidates: the complete sentences and enumerated items of a job's passages, in
document order, each with the section of the document it sits in.

A candidate is a verbatim span of one passage, so a statement built from it is its own exact
citation. Headings, fragments, address and signature blocks, page furniture and reporter
boilerplate never become candidates (``core.ingest.sentences`` decides what they are).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from lexgraph.core.ingest.sentences import clean_statement_spans, statement_problem
from lexgraph.core.summary.schema import Citation, Statement
from lexgraph.core.vectorstore.base import Passage

_WORD = re.compile(r"[A-Za-z]{2,}")
# "SEC. 4. GRANTS.", "SECTION 1. SHORT TITLE.", "ARTICLE 7 - TERM", "12. Termination": where a
# part of the document starts; the caption names what its sentences are about.
_PART = re.compile(
    r"^[ \t]*(?:#{1,6}[ \t]+)?((?:SECTION|SEC\.|Section|Sec\.|ARTICLE|Article)[ \t]+"
    r"[\dIVXLC]+[A-Za-z]?(?:\.|[ \t]*[-\u2013\u2014:]|[ \t]*$)[^\n]{0,160}"
    r"|\d{1,2}\.[ \t]+[A-Z][^\n]{2,80})$",
    re.MULTILINE,
)
_NUMERAL_LINE = re.compile(r"(?:[IVXLC]{1,5}|[A-Z]|\d{1,2})\.[ \t]*\n\s*(?=[A-Z])")
# A flattened layout runs the clause title into its first sub-clause: "16. Assignment and
# other dealings prohibited 16.1 The Distributor shall not assign…".
_INLINE_CAPTION = re.compile(r"(\d{1,2})\.\s+[A-Z][^.;:\n]{2,80}?\s+(?=\1\.\d{1,2}\.?\s+[A-Z])")
MIN_WORDS = 5
MAX_WORDS = 300


@dataclass(frozen=True)
class Unit:
    """One candidate statement: ``source[start:end]`` is its verbatim quote, where ``source``
    is its page's text (or its passage's, when pages are not at hand) beginning at page offset
    ``base``. ``passage`` is the chunk the quote starts in; a sentence may run on into the
    next chunk of the same page."""

    passage: Passage
    source: str
    base: int
    start: int
    end: int
    part: str  # caption of the document part it sits in ("" before the first one)
    part_index: int  # 0 before the first caption, then 1, 2, ... in document order
    index: int  # position among all candidates of the document set

    @property
    def quote(self) -> str:
        return self.source[self.start:self.end]

    @property
    def before(self) -> str:
        """The text of its page (or passage) before it."""
        return self.source[:self.start]

    @property
    def text(self) -> str:
        return " ".join(self.quote.split())

    @property
    def words(self) -> int:
        return len(self.text.split())

    def citation(self) -> Citation:
        p = self.passage
        return Citation(chunk_id=p.id, document_id=p.document_id, document=p.document,
                        page=p.page, start=self.base + self.start, end=self.base + self.end,
                        quote=self.quote)

    def statement(self) -> Statement:
        return Statement(text=self.text, citations=[self.citation()], support=1.0)


def document_order(passages: Iterable[Passage]) -> list[Passage]:
    """Passages sorted as they appear: by document, page, then offset."""
    return sorted(passages, key=lambda p: (p.document_id, p.page, p.start))


def _runs(passages: Sequence[Passage], page: str) -> list[list[Passage]]:
    """Neighbouring chunks of one page whose gap holds no words (only whitespace or page
    furniture the chunker trimmed): a sentence may run across them."""
    runs: list[list[Passage]] = []
    for passage in passages:
        if runs and not _WORD.search(page, runs[-1][-1].end, passage.start) \
                and runs[-1][-1].end <= passage.start:
            runs[-1].append(passage)
        else:
            runs.append([passage])
    return runs


def statement_units(passages: Sequence[Passage],
                    pages: Mapping[str, Sequence[str]] | None = None) -> list[Unit]:
    """Every statement candidate of ``passages``, in document order. With the documents'
    ``pages`` (document id -> page texts), sentences are read on the page, so one that runs
    across two admissible chunks is whole; without them, inside each chunk."""
    units: list[Unit] = []
    part, part_index, document = "", 0, None
    ordered = document_order(passages)
    groups: list[tuple[str, int, str, list[Passage]]] = []
    for passage in ordered:
        doc_pages = pages.get(passage.document_id) if pages else None
        page = (doc_pages[passage.page - 1] if doc_pages and 0 < passage.page <= len(doc_pages)
                else None)
        if page is None or page[passage.start:passage.end] != passage.text:
            groups.append((passage.document_id, passage.start, passage.text, [passage]))
            continue
        if groups and groups[-1][3][0].document_id == passage.document_id \
                and groups[-1][3][0].page == passage.page and groups[-1][1] == 0 \
                and groups[-1][2] is page:
            groups[-1][3].append(passage)
        else:
            groups.append((passage.document_id, 0, page, [passage]))
    for document_id, base, source, members in groups:
        if document_id != document:
            part, part_index, document = "", 0, document_id
        runs = _runs(members, source) if base == 0 else [members]
        for run in runs:
            lo = run[0].start - base
            hi = run[-1].end - base
            captions = [(m.start(), " ".join(m.group(1).split()))
                        for m in _PART.finditer(source, lo, hi)]
            for start, end in clean_statement_spans(source, lo, hi):
                numeral = _NUMERAL_LINE.match(source, start, end) \
                    or _INLINE_CAPTION.match(source, start, end)
                if numeral:  # "I.\nThe district court found…", "9. Trade marks 9.1 The…":
                    start = numeral.end()  # the part's number and title are its caption
                while captions and captions[0][0] <= start:
                    part = captions.pop(0)[1]
                    part_index += 1
                n_words = len(_WORD.findall(source, start, end))
                flat = source[start:end].split()
                if n_words < MIN_WORDS or len(flat) > MAX_WORDS \
                        or statement_problem(" ".join(flat)) is not None:
                    continue  # the statement as read, on one line, must stand too
                home = next((p for p in reversed(run) if p.start - base <= start), run[0])
                units.append(Unit(home, source, base, start, end, part, part_index,
                                  len(units)))
            for _, caption in captions:
                part, part_index = caption, part_index + 1
    return units
