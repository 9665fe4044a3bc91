"""Sentence segmentation for legal text, and the rules that say which sentences can stand alone.

Extractive summaries quote whole source sentences, each with its exact offsets, so a sentence
here is always a verbatim slice: ``text[start:end]``, trimmed of surrounding whitespace. The
generic splitter in ``chunking.sentence_spans`` stays as it is (chunk ids depend on it); this
module is stricter about what legal documents do to sentences:

* citations and names end in dots without ending the sentence ("42 U.S.C. 1395 et seq.",
  "Pub. L. 104-193", "Acme Co., Ltd.", "J. Smith", "SEC. 2.");
* statutes and contracts enumerate: "(1) ...; and" / "(2) ..." items each stand as a statement,
  while the lead-in ("The Secretary shall--") does not;
* text is hard-wrapped, sometimes with blank lines inside a sentence, and interrupted by page
  furniture (page numbers, pleading line numbers, running headers) that must never join one;
* captions, notice addresses, signature blocks and publishers' notices look like sentences but
  say nothing a summary should quote.

``legal_sentences`` finds the spans, ``statement_problem`` says why one cannot be a statement,
``clean_statement_spans`` combines both, ``page_furniture`` finds running headers and page
numbers across pages, and ``is_fragment`` is the quality bench's measure of broken sentences.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lexgraph.core.ingest.chunking import trim_span

__all__ = [
    "clean_statement_spans",
    "is_fragment",
    "legal_sentences",
    "page_furniture",
    "statement_problem",
    "trim_furniture",
]

# --------------------------------------------------------------------------------------------
# Abbreviations
# --------------------------------------------------------------------------------------------

# A dot after these never ends a sentence: citation and reference words are always followed by
# what they cite ("42 U.S.C. 1395", "110 Stat. 2105", "No. 20-1507", "Smith v. Jones").
_NEVER_FINAL = frozenset({
    "u.s.c", "u.s.c.a", "usc", "pub", "stat", "no", "nos", "sec", "secs", "art", "arts", "para",
    "paras", "subpara", "cl", "subd", "subch", "ch", "chap", "mr", "mrs", "ms", "dr", "prof", "hon",
    "v", "vs", "e.g", "i.e", "cf", "viz", "approx", "dept", "fig", "figs", "p", "pp", "vol",
    "ex", "rev", "supp", "cir", "ct", "app", "doc", "docs", "ed", "sess", "cong", "reg", "regs",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "c.f.r", "cfr", "f.r", "fed", "l.ed", "s.ct", "f.2d", "f.3d", "f.4th", "f.supp", "u.s.a",
    "st", "ave", "blvd", "rd", "ste", "mt", "ft",
})
# These end names and lists and so may also end a sentence ("... with Beta Inc. The parties");
# they end one only when a word that typically opens a sentence follows.
_MAYBE_FINAL = frozenset({
    "inc", "ltd", "co", "corp", "llc", "l.l.c", "plc", "llp", "l.p", "lp", "n.a", "s.a", "b.v",
    "n.v", "u.s", "u.k", "d.c", "etc", "seq", "al", "jr", "sr", "esq", "ag", "gmbh",
})
_SENTENCE_OPENERS = frozenset({
    "The", "This", "These", "That", "Those", "Such", "Each", "Every", "Any", "All", "No", "None",
    "In", "If", "Notwithstanding", "Except", "Upon", "Nothing", "Neither", "Either", "It", "Its",
    "Subject", "For", "As", "On", "Unless", "Where", "When", "Whereas", "WHEREAS", "Now", "NOW",
    "A", "An", "Both", "There", "Accordingly", "However", "Further", "Furthermore", "Moreover",
    "Following", "After", "Before", "During", "To", "We", "They", "He", "She", "Our", "Their",
    "THE", "THIS", "IN", "NOTWITHSTANDING", "EXCEPT", "Sections", "Section", "Article", "SEC",
})
# A single capital before a dot is an initial ("J. Smith", "C. R. Bard") unless it names a
# part of a document, as in "attached as Exhibit A. The parties ...".
_PART_WORDS = frozenset({
    "exhibit", "schedule", "annex", "appendix", "attachment", "part", "article", "section",
    "subsection", "paragraph", "clause", "item", "class", "series", "title", "chapter",
    "subtitle", "tranche", "phase", "plan", "option", "tier", "level", "table", "form",
})
# Abbreviated section words only ever precede a caption's number; "section 5." may end a sentence.
_SECTION_ABBR = frozenset({"Sec.", "SEC.", "SECTION", "§", "§§", "Art.", "ART.", "ARTICLE"})
# The whole candidate is only a caption's number ("SEC. 2.", "4.2.", "ARTICLE IV."), which the
# next words complete.
_NUMBER_ONLY = re.compile(
    r"[`'\"\u201c(]*(?:(?:SEC\.|SECTION|Sec\.|Section|ARTICLE|Article|ART\.|Art\.|§§?|PART|Part|"
    r"TITLE|Title|CHAPTER|Chapter)\s*)?(?:\d{1,4}[A-Za-z]?(?:\.\d{1,4})*|[IVXLC]{1,7})\.?",
)

# --------------------------------------------------------------------------------------------
# Boundaries inside a block of running text
# --------------------------------------------------------------------------------------------

# An enumerator opening the next item: "(a)", "(iv)", "(12)", "(A)", "1.2", "A." (with BillSum's
# `` quotes in front when the item is quoted amending text).
_ITEM = (r"[`'\"\u201c]*(?:\((?:[a-z]{1,2}|[ivxlc]{1,6}|\d{1,3}|[A-Z]{1,2}|[IVXLC]{1,6})\)"
         r"|\d{1,3}(?:\.\d{1,3})+\.?\s|[A-Z]\.(?=\s*\S))")
_BOUNDARY = re.compile(
    # Sentence end: terminal punctuation, closing quotes/brackets, whitespace, then something
    # that can open a sentence.
    r"(?P<stop>[.!?])(?:''|[\"\u201d\u2019')\]])*\s+(?=[`'\"\u201c\u2018(\[]*[A-Z0-9§]|-\s?\d|[a-z]{1,2}\.\s+[A-Z]|"
    + _ITEM + ")"
    # End of an enumerated item before the next one: "...; and (2) ...".
    r"|;(?:\s+(?:and|or|and/or))?\s+(?=" + _ITEM + ")"
    # A lead-in before its first item: "as follows: (1) ..." / "The Secretary shall-- (A)".
    r"|(?::|--)\s+(?=" + _ITEM + ")"
    # A wide gap on one line (CUAD's flattened layout: "4. EXCLUSIVITY   During the term");
    # only a boundary when what precedes it is a caption, checked by the caller.
    r"|(?<=\S)(?P<gap>[ \t]{3,})(?=\S)"
)

# --------------------------------------------------------------------------------------------
# Lines
# --------------------------------------------------------------------------------------------

# Page furniture: a line holding only a page number ("6", "-6-", "- 6 -", "Page 6", "Page 6 of
# 20", "ii") or a pleading-paper line number. Such a line never belongs to a sentence.
_FURNITURE_LINE = re.compile(
    r"\s*(?:-\s*\d{1,4}\s*-|\d{1,4}|[ivxlc]{1,6}|\[\s*\d{1,4}\s*\]|"
    r"(?:Page|PAGE|Pg\.)\s*\d{1,4}(?:\s*(?:of|OF|/)\s*\d{1,4})?)\s*"
    # Court-filing stamps: "Case: 20-1507 Document: 00117684624 Page: 3 Date Filed: ...",
    # "Case 2:15-md-02641-DGC Document 21593 Filed 07/23/20 Page 2 of 8".
    r"|\s*Case:?\s+\S+\s+Document:?\s+\S+.{0,80}?\bPage:?\s*\d+.*"
)
_LETTER = re.compile(r"[^\W\d_]")
_LOWER = re.compile(r"[a-z]")
_CAPTION_NUMBER = re.compile(
    r"[`'\"\u201c]*(?:(?:SEC\.|SECTION|Sec\.|Section|ARTICLE|Article|ART\.|PART|Part|TITLE|Title|"
    r"CHAPTER|Chapter|SCHEDULE|Schedule|EXHIBIT|Exhibit|ANNEX|Annex|APPENDIX|Appendix|"
    r"SUBTITLE|Subtitle)\s*(?:\d{1,4}[A-Za-z]?(?:\.\d{1,4})*|[IVXLC]{1,7}|[A-Z])\.?"
    r"|\d{1,3}(?:\.\d{1,3})*\.?|\((?:[a-z]{1,4}|[A-Z]{1,3}|\d{1,3})\)|[A-Z]\.)(?:\s+|$|(?=[A-Za-z]))"
)
_SMALL_WORDS = frozenset({
    "a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to",
    "with", "under", "upon", "into", "between", "&", "-", "\u2013", "\u2014", "/",
})
_VERBISH = frozenset({
    "is", "are", "was", "were", "be", "been", "shall", "will", "may", "must", "has", "have",
    "had", "does", "do", "did", "can", "should", "would", "agrees", "means", "includes",
})
_ENDS_SENTENCE = re.compile(r"(?:[.!?;:]|--|;\s+(?:and|or))(?:''|[\"\u201d\u2019')\]])*\s*$")


def _is_caption(line: str) -> bool:
    """A heading line: all capitals, or a (numbered) short title without a verb."""
    stripped = line.strip().strip("`'\"\u201c\u201d")
    if not stripped or not _LETTER.search(stripped):
        return False
    words = stripped.split()
    if not _LOWER.search(stripped):
        # All capitals: a caption unless it is a long shouted sentence (a disclaimer in capitals
        # is a real clause).
        return len(words) <= 15 or not stripped.endswith(".")
    number = _CAPTION_NUMBER.match(stripped)
    rest = stripped[number.end():] if number else stripped
    rest_words = rest.split()
    if not rest_words:
        return number is not None
    if len(rest_words) > 12 or rest.rstrip().endswith((",", ":", ";")) \
            or re.search(r";\s*(?:and|or)$", rest) or ".--" in rest.rstrip("-") \
            or rest.count("(") != rest.count(")"):
        return False
    if not number and len(rest_words) > 6:
        return False
    titled = all(
        w[0].isupper() or w[0].isdigit() or w.lower().strip(",.") in _SMALL_WORDS
        or not _LETTER.match(w[0])
        for w in rest_words
    )
    if not titled or any(w.lower().strip(",.") in _VERBISH for w in rest_words):
        return False
    # "Effective Date." alone is a caption; "The Company." is not worth the risk either way, so a
    # period is allowed only on a numbered caption or a single-phrase title.
    if number is not None or not rest.rstrip().endswith("."):
        return True
    return len(rest_words) <= 4 and not any(c.isdigit() for c in rest)


def _is_caps(line: str) -> bool:
    return bool(_LETTER.search(line)) and not _LOWER.search(line)


def _boundary_ok(text: str, seg_start: int, match: re.Match[str]) -> bool:
    """Whether a candidate boundary really ends the sentence begun at ``seg_start``."""
    if match.group("gap") is not None:
        before = text[seg_start:match.start()]
        return "\n" not in before.strip() and _is_caption(before)
    if match.group("stop") != ".":
        return True
    dot = match.start()
    word_start = dot
    while word_start > seg_start and not text[word_start - 1].isspace():
        word_start -= 1
    token = text[word_start:dot].lstrip("`'\"\u201c\u2018([").lower()
    if token in _NEVER_FINAL:
        return False
    if _NUMBER_ONLY.fullmatch(text, seg_start, dot + 1):
        return False
    nxt = text[match.end():match.end() + 40].lstrip("`'\"\u201c\u2018([")
    next_word = nxt.split(None, 1)[0].rstrip(",.;:") if nxt.split() else ""
    if token.rstrip(".").isdigit() and _previous_word(text, seg_start, word_start) in _SECTION_ABBR:
        return False  # "``Sec. 7257. Definitions" quotes a section caption
    if token in _MAYBE_FINAL:
        return next_word in _SENTENCE_OPENERS
    if len(token) == 1 and token.isalpha():
        previous = _previous_word(text, seg_start, word_start).strip("`'\"\u201c(,")
        return previous.lower() in _PART_WORDS
    return True


def _previous_word(text: str, seg_start: int, word_start: int) -> str:
    prev_end = word_start
    while prev_end > seg_start and text[prev_end - 1].isspace():
        prev_end -= 1
    prev_start = prev_end
    while prev_start > seg_start and not text[prev_start - 1].isspace():
        prev_start -= 1
    return text[prev_start:prev_end].lstrip("`'\"\u201c")


def _split_block(text: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    cursor = start
    for match in _BOUNDARY.finditer(text, start, end):
        if match.start() <= cursor:
            continue
        if not _boundary_ok(text, cursor, match):
            continue
        cut = match.start() if match.group("gap") is not None else match.end()
        s, e = trim_span(text, cursor, cut)
        if s < e:
            out.append((s, e))
        cursor = match.end()
    s, e = trim_span(text, cursor, end)
    if s < e:
        out.append((s, e))


def legal_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans of ``text[start:end]`` as offsets into ``text``, trimmed of whitespace.

    Lines are read first: page-furniture lines are dropped, caption lines become spans of their
    own, and the rest are joined into blocks of running text (a blank line only ends a block when
    the text before it ends a sentence or an enumerated item). Each block is then cut at sentence
    ends, between enumerated items and after a caption followed by a wide gap.
    """
    end = len(text) if end is None else min(end, len(text))
    start = max(0, start)
    spans: list[tuple[int, int]] = []
    block: tuple[int, int] | None = None  # running text collected so far
    caption: tuple[int, int] | None = None  # caption lines collected so far
    blank_since = False
    blanks = 0

    def flush_block() -> None:
        nonlocal block
        if block is not None:
            _split_block(text, block[0], block[1], spans)
            block = None

    def flush_caption() -> None:
        nonlocal caption
        if caption is not None:
            s, e = caption
            # A long run of capital lines is an all-caps paragraph, not a caption, unless it
            # opens with a section number ("SEC. 4. ALLOCATION OF ... CONSUMERS.").
            if len(text[s:e].split()) > 15 and not _CAPTION_NUMBER.match(text, s, e):
                _split_block(text, s, e, spans)
            else:
                spans.append(caption)
            caption = None

    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        line_end = end if nl < 0 else nl
        s, e = trim_span(text, pos, line_end)
        pos = line_end + 1
        if s >= e:
            blanks = blanks + 1 if blank_since else 1
            blank_since = True
            continue
        line = text[s:e]
        if _FURNITURE_LINE.fullmatch(line):
            flush_block()
            flush_caption()
            blank_since = False
            continue
        if caption is not None and not blank_since and _is_caps(line) \
                and not text[caption[0]:caption[1]].endswith("."):
            caption = (caption[0], e)  # a caption wrapped over lines
            continue
        if _is_caption(line) and not _continues(text, block, blank_since, line) \
                and _stands_alone(text, line, pos, end):
            flush_block()
            flush_caption()
            caption = (s, e)
            blank_since = False
            continue
        flush_caption()
        # Two blank lines or more end a block whatever precedes them: layout, not wrapping
        # (an EDGAR "Source: …" line before the contract's first paragraph).
        if block is not None and blank_since and (
                blanks >= 2 or _ENDS_SENTENCE.search(text, block[0], block[1])
                or (_short_last_line(text, block) and not line[:1].islower())):
            flush_block()
        block = (block[0], e) if block is not None else (s, e)
        blank_since = False
    flush_block()
    flush_caption()
    return spans


def _short_last_line(text: str, block: tuple[int, int]) -> bool:
    """A short last line before a blank line ends a paragraph or a line of an address or
    signature block; a sentence wrapped over a blank line fills its lines."""
    line_start = text.rfind("\n", block[0], block[1]) + 1
    return block[1] - max(line_start, block[0]) < 40


def _stands_alone(text: str, line: str, pos: int, end: int) -> bool:
    """Whether a caption-looking line is not the first line of a wrapped sentence: capitals and
    keyword captions always stand; a mixed-case one needs a blank line (or the end) after it,
    its own closing punctuation, or to be a short numbered title ("12. Termination")."""
    if _is_caps(line) or line.rstrip().endswith((".", "--", ":")):
        return True
    nl = text.find("\n", pos, end)
    following = text[pos:end if nl < 0 else nl].strip()
    if not following:
        return True
    number = _CAPTION_NUMBER.match(line)
    return number is not None and len(line[number.end():].split()) <= 5 \
        and following[:1].isupper()


def _continues(text: str, block: tuple[int, int] | None, blank_since: bool, line: str) -> bool:
    """Whether a caption-looking line is really the next line of a wrapped sentence."""
    if block is None:
        return False
    tail = text[max(block[0], block[1] - 80):block[1]]
    if _ENDS_SENTENCE.search(tail):
        return False
    last = tail.rstrip()[-1:]
    # A sentence cut mid-way ("... the" / "...,") goes on, even across a blank line, unless the
    # line is a numbered or keyword caption that clearly opens a new part.
    if last.islower() or last in ",(-" or not blank_since:
        return not (blank_since and _CAPTION_NUMBER.match(line) and _is_caps(line))
    return False


# --------------------------------------------------------------------------------------------
# Statement problems: one table, checked in order
# --------------------------------------------------------------------------------------------

_I = re.IGNORECASE
_PROBLEM_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # Supreme Court slip opinions open with the reporter's notice and the syllabus disclaimer;
    # a summary once quoted the notice as its first statement.
    ("boilerplate", re.compile(r"^\W*NOTICE:\s+This opinion is subject to formal revision", _I)),
    ("boilerplate", re.compile(r"preliminary print of the United States Reports", _I)),
    ("boilerplate", re.compile(r"^\W*\(?Slip Opinion\)?", _I)),
    ("boilerplate", re.compile(r"syllabus constitutes no part of the opinion", _I)),
    ("boilerplate", re.compile(r"^\W*Cite as:\s", _I)),
    ("boilerplate", re.compile(r"reporter of decisions", _I)),
    # EDGAR renderings carry the filing source on their own line.
    ("boilerplate", re.compile(r"^\W*Source:\s")),
    # Redaction markers and the confidential-treatment legends around them.
    ("boilerplate", re.compile(r"^\W*(?:\[\s*(?:\*\s*){2,}\]|\*{3,})\s*$")),
    ("boilerplate", re.compile(r"(?:[Cc]onfidential [Tt]reatment|CONFIDENTIAL TREATMENT) "
                               r"(?:[Hh]as [Bb]een |HAS BEEN )?(?:[Rr]equested|REQUESTED)")),
    ("boilerplate", re.compile(r"(?:confidential material|portions of this (?:page|exhibit|"
                               r"document)) (?:have been |has been )?(?:redacted|omitted)", _I)),
    ("boilerplate", re.compile(r"filed (?:separately )?with the (?:Securities and Exchange )?"
                               r"Commission|Rule 24b-2", _I)),
    # "Page 6 of 20" and table-of-contents lines with dot leaders.
    ("boilerplate", re.compile(r"^\W*Page\s+\d+\s+of\s+\d+\W*$", _I)),
    ("boilerplate", re.compile(r"\.{4,}|(?:\. ){4,}")),
    ("boilerplate", re.compile(r"\bTABLE OF CONTENTS\b|^\W*Table of Contents\b")),
    # A table of contents without leaders: several "3.32 Records and Audits 34" entries.
    ("boilerplate", re.compile(r"(?:\b\d{1,2}\.\d{1,2}\s?[A-Z][^.;:]{2,60}?\s\d{1,3}\s+){3}")),
    # Court-filing headers stamped on every page.
    ("furniture", re.compile(r"\bCase:?\s+[\d:-]+[\w-]*\s+Document:?\s+\S+.*\bPage:?\s*\d+", _I)),
    ("furniture", re.compile(r"^\W*Case\s+\d+:\d+-\w+-\d+.*\bDocument\s+\d+", _I)),
    # Execution blocks: they record who signed, not what was agreed.
    ("signature", re.compile(r"^\W*IN WITNESS WHEREOF", _I)),
    ("signature", re.compile(r"\b(?:By|BY):\s*(?:_{2,}|/s/|$)")),
    ("signature", re.compile(r"^\W*(?:By|Name|Title|Its|Signature|Attest|ATTEST):")),
    ("signature", re.compile(r"\b(?:Name|Title|Date|Its):[\s\S]*?\b(?:Name|Title|Date|Its):")),
    ("signature", re.compile(r"_{5,}")),
    # An enrolled bill's attestation ("Passed the House of Representatives May 16, 2016.").
    ("signature", re.compile(r"^\W*Passed the (?:House of Representatives|Senate)\b")),
    # Notice and contact blocks: where to send mail is not a term of the agreement.
    ("address", re.compile(r"\b(?:Attention|Attn\.?|ATTENTION|ATTN\.?)\s*:")),
    ("address", re.compile(r"\b(?:[Tt]el(?:ephone)?|TEL(?:EPHONE)?|[Pp]hone|PHONE|[Ff]ax|FAX|"
                           r"[Ff]acsimile|FACSIMILE|[Tt]elecop(?:y|ier)|TELECOP(?:Y|IER)|"
                           r"[Ee]-?mail|E-?MAIL)(?:\s+No\.?)?\s*:")),
    ("address", re.compile(r"(?<!\S)[Cc]/[Oo]\s")),
)
# A street line together with a city/state/zip: an address, unless it sits inside a long sentence
# (a contract's parties clause names each party's place of business).
_STREET = re.compile(
    r"\b\d{1,6}\s+(?:[A-Z0-9][\w.'-]*\s+){1,5}(?:Street|St\.|Avenue|Ave\.|Road|Rd\.|Boulevard|"
    r"Blvd\.|Drive|Dr\.|Lane|Ln\.|Way|Place|Pl\.|Court|Ct\.|Parkway|Pkwy\.|Plaza|Highway|Hwy\.|"
    r"Suite|Floor|Square|Circle|Terrace)\b"
)
_CITY_STATE_ZIP = re.compile(
    r"\b[A-Z][a-z]+,?\s+(?:[A-Z]{2}|[A-Z][a-z]+)\.?,?\s+\d{5}(?:-\d{4})?\b"
)

_OPEN_QUOTES = "`'\"\u201c\u2018"
_CLOSERS = "\"\u201d\u2019')]"
_GOOD_START = re.compile(
    r"[`'\"\u201c\u2018]*(?:\((?:[a-z]{1,4}|[A-Z]{1,3}|\d{1,3})\)|\d{1,3}(?:\.\d{1,3})*\.?(?=[\s(\"\u201c])"
    r"|(?:[a-zA-Z]|[ivxlcIVXLC]{1,6}|\d{1,3})\)\s"
    r"|\d{1,3}(?:\.\d{1,3})+(?=[A-Z])|[a-z]{1,2}\.\s+[A-Z]|[A-Z]\.|[A-Z]|§"
    r"|\d[\d,.$%]*(?=\s+(?!and\b|or\b)[^a-z\s]))"
)
_ENUMERATED = re.compile(
    r"[`'\"\u201c\u2018]*(?:\((?:[a-z]{1,4}|[A-Z]{1,3}|\d{1,3})\)|\d{1,3}(?:\.\d{1,3})*\.?\s"
    r"|\d{1,3}(?:\.\d{1,3})+(?=[A-Z\"\u201c])|[a-z]{1,2}\.\s|[A-Z]\.)"
)
_BARE_ENUMERATOR = re.compile(r"^[`'\"\u201c]*(?:[a-zA-Z]|[ivxlcIVXLC]{1,6}|\d{1,3})\)\s")
_DEFINED_TERM = re.compile(
    r"[\"\u201c`']+[A-Z][^\"\u201d']{0,80}[\"\u201d']+\s+(?:means|shall|has|is)\b"
)
_RECITAL = re.compile(r"[`'\"\u201c\u2018]*(?:WHEREAS|Whereas)\b")
_WORD = re.compile(r"[^\W\d_][\w'\u2019-]*")


def _end_of(sentence: str) -> str:
    """The sentence without trailing closing quotes and brackets that balance nothing new."""
    s = sentence.rstrip()
    while s.endswith("''"):
        s = s[:-2].rstrip()
    while s and s[-1] in _CLOSERS:
        s = s[:-1].rstrip()
        while s.endswith("''"):
            s = s[:-2].rstrip()
    return s


def _fragment_reason(sentence: str) -> bool:
    s = sentence.strip()
    if not s:
        return True
    if not _GOOD_START.match(s):
        return True  # starts mid-sentence: lower case, "(as amended", "and", a stray bracket
    counted = _BARE_ENUMERATOR.sub("", s, count=1)  # "1) Provide ..." opens no bracket
    if counted.count("(") != counted.count(")") or counted.count("[") != counted.count("]"):
        return True
    if len(_WORD.findall(s)) < 3:
        return True
    body = _end_of(s)
    # Enumerated items, recitals and entries of a definitions list may end in ";".
    enumerated = bool(_ENUMERATED.match(s) or _RECITAL.match(s) or _DEFINED_TERM.match(s))
    if body.endswith((":", "--", ",", "\u2014", "\u2013")):
        return True
    if re.search(r";\s*(?:and|or|and/or)$", body):
        return not enumerated
    if body.endswith(";"):
        return not enumerated
    if not body.endswith((".", "!", "?")):
        return True
    last = body[:-1].rsplit(None, 1)[-1].lstrip(_OPEN_QUOTES + "([").lower() if body[:-1].split() \
        else ""
    return last in _NEVER_FINAL  # "(33 U.S.C." stops inside a citation


def _is_heading(sentence: str) -> bool:
    s = sentence.strip()
    if s.count("(") != s.count(")"):
        return False  # "(33 U.S.C." is a cut citation, not a caption
    if "\n" in s and _is_caps(s):
        s = " ".join(s.split())
    if _is_caps(s):
        words = s.split()
        return len(words) <= 15 or not _end_of(s).endswith((".", "!", "?", ";"))
    return _is_caption(" ".join(s.split()))


def statement_problem(sentence: str) -> str | None:
    """Why ``sentence`` cannot stand as a summary statement, or None when it can.

    One of "boilerplate", "furniture", "signature", "address", "heading", "fragment".
    """
    s = sentence.strip()
    for problem, pattern in _PROBLEM_PATTERNS:
        if pattern.search(s):
            return problem
    if not s or _FURNITURE_LINE.fullmatch(s):
        return "furniture"
    if _STREET.fullmatch(s.rstrip(".,")) or _CITY_STATE_ZIP.fullmatch(s.rstrip(".,")):
        return "address"
    if _STREET.search(s) and _CITY_STATE_ZIP.search(s) and len(s.split()) < 40 \
            and not any(w.lower() in _VERBISH for w in s.split()):
        return "address"
    if _is_heading(s):
        return "heading"
    if _fragment_reason(s):
        return "fragment"
    return None


def is_fragment(sentence: str) -> bool:
    """Whether ``sentence`` does not start or end like a complete sentence or enumerated item."""
    return _fragment_reason(sentence)


# --------------------------------------------------------------------------------------------
# Furniture
# --------------------------------------------------------------------------------------------

_LEADING_FURNITURE = re.compile(
    r"(?:-\s*\d{1,4}\s*-|(?:Page|PAGE)\s+\d{1,4}(?:\s+of\s+\d{1,4})?|\[\s*\d{1,4}\s*\])(?=\s)"
)
_LEADING_NUMBER = re.compile(r"\d{1,4}(?=\s)")


def trim_furniture(text: str, start: int, end: int) -> tuple[int, int]:
    """Move ``start`` past page numbers and line numbers that open the span ("-6- 7 the ...")."""
    start, end = trim_span(text, start, end)
    trimmed = False
    while start < end:
        match = _LEADING_FURNITURE.match(text, start, end)
        if match is None:
            number = _LEADING_NUMBER.match(text, start, end)
            if number is None:
                break
            after = text[number.end():end]
            rest = after.lstrip(" \t")
            own_line = after[:len(after) - len(rest)] == "" or rest.startswith(("\n", "\r"))
            if not (trimmed or own_line or rest[:1].islower()
                    or _LEADING_FURNITURE.match(rest) or _LEADING_NUMBER.match(rest)):
                break
            if rest[:1] in ".)":  # "7." and "7)" are enumerators
                break
            match = number
        start, end = trim_span(text, match.end(), end)
        trimmed = True
    return start, end


def clean_statement_spans(text: str, start: int = 0, end: int | None = None
                          ) -> list[tuple[int, int]]:
    """The sentences of ``text[start:end]`` that can stand as statements, furniture trimmed."""
    kept: list[tuple[int, int]] = []
    spans = legal_sentences(text, start, end)
    i = 0
    while i < len(spans):
        s, e = spans[i]
        # A preamble laid out over lines: "… is made by and among" / "BETWEEN:" / the parties.
        joined = 0
        while i + 1 < len(spans) and joined < 5 and (
                _JOINER.search(text, s, e)
                or _AND_LINE.fullmatch(text, spans[i + 1][0], spans[i + 1][1])):
            e = spans[i + 1][1]
            i += 1
            joined += 1
        s, e = trim_furniture(text, s, e)
        if s < e and statement_problem(text[s:e]) is None:
            kept.append((s, e))
        i += 1
    return kept


# Where a sentence goes on after a line break the layout made look like an end.
_JOINER = re.compile(r"(?:\b(?:between|among)\s*:?|,\s*is|\bby\s+and)\s*$", re.IGNORECASE)
_AND_LINE = re.compile(r"(?:AND|And|and|BETWEEN|Between|between|AMONG|Among|among)\s*:?")


_DIGITS = re.compile(r"\d+")


def _furniture_key(line: str) -> str:
    return " ".join(_DIGITS.sub("#", line).split())


def page_furniture(pages: Sequence[str]) -> list[list[tuple[int, int]]]:
    """Per page, the spans of running headers/footers and page-number lines.

    A header or footer is a line among the first or last three lines of a page that recurs,
    digits ignored, on at least half the pages of a document of three pages or more.
    """
    per_page_lines: list[list[tuple[int, int]]] = []
    for page in pages:
        lines: list[tuple[int, int]] = []
        pos = 0
        while pos <= len(page):
            nl = page.find("\n", pos)
            line_end = len(page) if nl < 0 else nl
            s, e = trim_span(page, pos, line_end)
            if s < e:
                lines.append((s, e))
            if nl < 0:
                break
            pos = nl + 1
        per_page_lines.append(lines)

    candidates: list[list[tuple[int, int]]] = []
    for page, lines in zip(pages, per_page_lines, strict=True):
        body = [(s, e) for s, e in lines if not _FURNITURE_LINE.fullmatch(page[s:e])]
        edge = body[:3] + [span for span in body[-3:] if span not in body[:3]]
        candidates.append(edge)

    repeated: set[str] = set()
    if len(pages) >= 3:
        counts: dict[str, int] = {}
        for page, edge in zip(pages, candidates, strict=True):
            for key in {_furniture_key(page[s:e]) for s, e in edge}:
                counts[key] = counts.get(key, 0) + 1
        need = (len(pages) + 1) // 2
        repeated = {k for k, n in counts.items() if n >= need and len(k) >= 3
                    and _LETTER.search(k)}

    result: list[list[tuple[int, int]]] = []
    for page, lines, edge in zip(pages, per_page_lines, candidates, strict=True):
        edge_set = set(edge)
        found = [
            (s, e) for s, e in lines
            if _FURNITURE_LINE.fullmatch(page[s:e])
            or ((s, e) in edge_set and _furniture_key(page[s:e]) in repeated)
        ]
        result.append(found)
    return result
