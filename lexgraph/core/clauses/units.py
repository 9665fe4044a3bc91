"""Cut a contract into the units a clause finder scores: its sentences, never across a blank line.

Units keep their offsets into the original text, so a hit can be highlighted where it was found;
their ``text`` has every run of whitespace collapsed to one space, which is the form the finders
were trained on (CUAD's annotations match the contracts once whitespace is collapsed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lexgraph.core.ingest.chunking import sentence_spans

_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_WHITESPACE = re.compile(r"\s+")
_LETTER = re.compile(r"[^\W\d_]")
# Tables and run-on lists can go thousands of characters without a sentence end; a unit that
# long would carry every category's vocabulary at once.
MAX_UNIT_CHARS = 1500


@dataclass(frozen=True)
class Unit:
    start: int  # offsets into the original text
    end: int
    text: str  # text[start:end] with whitespace runs collapsed to one space


def collapse_whitespace(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def _blocks(text: str) -> list[tuple[int, int]]:
    blocks: list[tuple[int, int]] = []
    cursor = 0
    for match in _BLANK_LINE.finditer(text):
        blocks.append((cursor, match.start()))
        cursor = match.end()
    blocks.append((cursor, len(text)))
    return blocks


def _split_long(text: str, start: int, end: int) -> list[tuple[int, int]]:
    pieces: list[tuple[int, int]] = []
    while end - start > MAX_UNIT_CHARS:
        cut = text.rfind(" ", start, start + MAX_UNIT_CHARS)
        cut = max(cut, text.rfind("\n", start, start + MAX_UNIT_CHARS))
        if cut <= start + MAX_UNIT_CHARS // 2:
            cut = start + MAX_UNIT_CHARS
        pieces.append((start, cut))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        pieces.append((start, end))
    return pieces


def contract_units(text: str) -> list[Unit]:
    """The sentences of ``text`` (cut at blank lines too), skipping those without a letter."""
    units: list[Unit] = []
    for block_start, block_end in _blocks(text):
        for s, e in sentence_spans(text, block_start, block_end):
            for ps, pe in _split_long(text, s, e):
                piece = text[ps:pe]
                if _LETTER.search(piece):
                    units.append(Unit(ps, pe, collapse_whitespace(piece)))
    return units
