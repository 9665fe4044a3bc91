"""Legal-aware chunking: headings and numbered clauses first, sentence windows as the fallback.

Every chunk is a verbatim slice of one page's extracted text: ``pages[page - 1][start:end] ==
text``. A chunk therefore never crosses a page break (its page span is a single page), which keeps
every quote highlightable where it was found. Ids are ``<document id>:<page>:<n>`` with ``n``
counting from 1 on each page; the same text and chunk size always give the same ids, so
re-indexing a document replaces its chunks instead of adding new ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A line that opens a new part of the document: Markdown heading, ARTICLE / Section / Schedule
# captions, a top-level numbered clause with a title ("12. Termination"), or an all-caps line.
_HEADING_LINE = re.compile(
    r"^[ \t]*(?:"
    r"\#{1,6}[ \t]+\S"
    r"|(?:ARTICLE|Article|SECTION|Section|SCHEDULE|Schedule|EXHIBIT|Exhibit|PART|Part|"
    r"APPENDIX|Appendix|ANNEX|Annex|RECITALS|Recitals)\b[ \t]*[\dIVXLC]*[.:]?(?:[ \t]|$)"
    r"|\d{1,2}\.?[ \t]+[A-Z][A-Za-z ,;&'\u2019/()-]{2,80}$"
    r"|[A-Z][A-Z0-9 ,;&'\u2019()/.-]{3,80}$"
    r")",
    re.MULTILINE,
)
# A line that opens a numbered or lettered clause: "1.2", "4.1.3", "(a)", "(iv)", "(12)".
_CLAUSE_LINE = re.compile(
    r"^[ \t]*(?:\d{1,3}(?:\.\d{1,3})+\.?|\d{1,3}\.|\([a-z]{1,3}\)|\([ivxlc]{1,6}\)|\(\d{1,3}\))"
    r"[ \t]+\S",
    re.MULTILINE,
)
_BLANK_LINE = re.compile(r"\n[ \t]*\n\s*")
# Sentence ends: . ! ? (plus closing quotes/brackets) then space then a capital, digit, quote or
# bracket; also "; " before an enumerated item, and ". " or ": " before an inline clause number.
_SENTENCE_END = re.compile(
    r"(?<=[.!?])[\"”\u2019)\]]*\s+(?=[A-Z0-9\"“(])"
    r"|(?<=;)\s+(?=\(?[a-z0-9]{1,3}\)\s)"
    r"|(?<=:)\s+(?=\d{1,2}(?:\.\d{1,2})*\.?\s+[A-Z])"
)
_ABBREVIATIONS = frozenset({
    "inc", "ltd", "co", "corp", "no", "nos", "mr", "mrs", "ms", "dr", "jr", "sr", "st", "art",
    "sec", "secs", "cl", "para", "paras", "v", "vs", "etc", "e.g", "i.e", "u.s", "u.k", "plc",
    "llc", "llp", "s.a", "n.a", "approx", "dept", "fig", "cf", "id", "supp", "cir", "ct", "f",
    "app", "doc", "docs", "ex", "pp", "p", "ch", "ed", "rev", "stat", "seq", "al", "jan", "feb",
    "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
})
_LETTER = re.compile(r"[^\W\d_]")
_CLAUSE_NUMBER = re.compile(r"\(?\d+(?:\.\d+)*\.?\)?")
_CONTINUES = frozenset("abcdefghijklmnopqrstuvwxyz,")
_CAPS_LINE = re.compile(r"[A-Z][A-Z0-9 ,;&'\u2019()/.-]{3,80}")


@dataclass(frozen=True)
class Chunk:
    id: str
    document_id: str
    page: int  # 1-based page the chunk lies on
    page_end: int  # last page of the span; equal to ``page`` by construction
    start: int  # character offsets into that page's extracted text
    end: int
    text: str  # == page_text[start:end]
    heading: str  # nearest heading at or before the chunk ("" when none)


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    heading: bool


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """``start``/``end`` moved inward past whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _strip_letterless_lines(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop leading and trailing lines without letters (page numbers, pleading line numbers)."""
    start, end = trim_span(text, start, end)
    while start < end:
        nl = text.find("\n", start, end)
        line_end = end if nl < 0 else nl
        if _LETTER.search(text, start, line_end) or nl < 0:
            break
        start, end = trim_span(text, nl + 1, end)
    while start < end:
        nl = text.rfind("\n", start, end)
        if nl < 0 or _LETTER.search(text, nl + 1, end):
            break
        start, end = trim_span(text, start, nl)
    return start, end


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence boundaries inside ``text[start:end]`` as offsets into ``text``."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _SENTENCE_END.finditer(text, start, end):
        candidate = text[cursor:match.start()].strip()
        if not candidate:
            continue
        last_word = candidate.rsplit(None, 1)[-1].rstrip(".!?\"”\u2019)]").lower()
        if text[match.start() - 1] == "." and (
                last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha())
                or _CLAUSE_NUMBER.fullmatch(candidate)):
            continue  # "Inc.", "U.S.", "No. 4" or a clause number "4.2." is not a sentence end
        s, e = trim_span(text, cursor, match.start())
        if s < e:
            spans.append((s, e))
        cursor = match.end()
    s, e = trim_span(text, cursor, end)
    if s < e:
        spans.append((s, e))
    return spans


def _hard_split(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """Cut an overlong sentence at whitespace so no piece exceeds ``limit``."""
    pieces: list[tuple[int, int]] = []
    while end - start > limit:
        cut = max(text.rfind(" ", start, start + limit), text.rfind("\n", start, start + limit))
        if cut <= start + limit // 2:
            cut = start + limit
        s, e = trim_span(text, start, cut)
        if s < e:
            pieces.append((s, e))
        start, end = trim_span(text, cut, end)
    if start < end:
        pieces.append((start, end))
    return pieces


def _windows(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """Pack whole sentences into windows of at most ``limit`` characters."""
    sentences: list[tuple[int, int]] = []
    for s, e in sentence_spans(text, start, end):
        sentences.extend(_hard_split(text, s, e, limit) if e - s > limit else [(s, e)])
    windows: list[tuple[int, int]] = []
    for s, e in sentences:
        if windows and e - windows[-1][0] <= limit:
            windows[-1] = (windows[-1][0], e)
        else:
            windows.append((s, e))
    return windows


def _units(text: str, limit: int) -> list[_Unit]:
    """Split a page at headings, clause starts and blank lines; oversize parts into windows."""
    cuts: dict[int, bool] = {0: False}
    for match in _CLAUSE_LINE.finditer(text):
        cuts.setdefault(match.start(), False)
    for match in _BLANK_LINE.finditer(text):
        cuts.setdefault(match.end(), False)
    for match in _HEADING_LINE.finditer(text):
        line_end = text.find("\n", match.start())
        line = text[match.start():line_end if line_end >= 0 else len(text)].strip()
        previous = text[text.rfind("\n", 0, max(0, match.start() - 1)) + 1:match.start()].strip()
        if _CAPS_LINE.fullmatch(line) and _CAPS_LINE.fullmatch(previous):
            continue  # the next line of a multi-line caption or an all-caps paragraph
        if not line.startswith("#") and len(previous) >= 40 and previous[-1] in _CONTINUES:
            # A wrapped line that happens to start with "Schedule 2." or a number: the line
            # before it is full and its sentence goes on (a short title line is not).
            continue
        if len(line) <= 120:
            cuts[match.start()] = True
    points = sorted(cuts)
    units: list[_Unit] = []
    for i, point in enumerate(points):
        s, e = trim_span(text, point, points[i + 1] if i + 1 < len(points) else len(text))
        if s >= e:
            continue
        if e - s <= limit:
            units.append(_Unit(s, e, cuts[point]))
            continue
        for n, (ws, we) in enumerate(_windows(text, s, e, limit)):
            units.append(_Unit(ws, we, cuts[point] and n == 0))
    return units


def _heading_text(text: str, unit: _Unit) -> str:
    lines = text[unit.start:unit.end].split("\n", 3)
    heading = lines[0].strip()
    # A caption in capitals often wraps: "SUGGESTION OF REMAND AND" / "TRANSFER ORDER".
    if _CAPS_LINE.fullmatch(heading):
        for line in lines[1:3]:
            if not _CAPS_LINE.fullmatch(line.strip()):
                break
            heading += " " + line.strip()
    return " ".join(heading.lstrip("#").split())[:120]


def chunk_pages(document_id: str, pages: list[str], max_chars: int = 1000) -> list[Chunk]:
    """Cut the pages into chunks of at most ``max_chars`` characters (headings kept with their
    text; short neighbouring clauses packed together up to the limit)."""
    if max_chars < 100:
        raise ValueError("max_chars must be at least 100")
    min_chars = max_chars // 4
    chunks: list[Chunk] = []
    heading = ""
    for page_no, text in enumerate(pages, start=1):
        spans: list[tuple[int, int, str]] = []
        current: tuple[int, int, str] | None = None
        for unit in _units(text, max_chars):
            unit_heading = _heading_text(text, unit) if unit.heading else heading
            if unit.heading:
                heading = unit_heading
            if current is None:
                if _LETTER.search(text, unit.start, unit.end):
                    current = (unit.start, unit.end, unit_heading)
            elif unit.heading and current[1] - current[0] >= min_chars:
                spans.append(current)
                current = (unit.start, unit.end, unit_heading)
            elif unit.end - current[0] <= max_chars:
                current = (current[0], unit.end, current[2])
            else:
                spans.append(current)
                current = (unit.start, unit.end, unit_heading)
        if current is not None:
            spans.append(current)
        n = 0
        for s, e, chunk_heading in spans:
            s, e = _strip_letterless_lines(text, s, e)
            if s >= e or not _LETTER.search(text, s, e):
                continue
            n += 1
            chunks.append(Chunk(id=f"{document_id}:{page_no}:{n}", document_id=document_id,
                                page=page_no, page_end=page_no, start=s, end=e,
                                text=text[s:e], heading=chunk_heading))
    return chunks
