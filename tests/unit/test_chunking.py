"""Legal-aware chunking: structure first, bounded length, stable ids, exact offsets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lexgraph.core.ingest.chunking import chunk_pages, sentence_spans
from lexgraph.core.ingest.loaders import extract_pages
from lexgraph.core.ingest.sniff import PDF, TEXT
from tests.documents import CONTRACTS, FUSE_PDF, FUSE_TXT, OPINION_PDF, ORDER_PDF, documents

CONTRACT = """MASTER SUPPLY AGREEMENT

1. Definitions
1.1 "Goods" means the goods listed in Schedule 1.
1.2 "Price" means the price in Schedule 2.

2. Supply
2.1 The Supplier shall supply the Goods to the Buyer.
2.2 The Buyer shall pay the Price within 30 days.

3. Termination
Either party may terminate this agreement on 90 days' written notice.
"""


# Real documents: the shipped ones always, the rest of the shared corpus when it is there.
CORPUS_DOCUMENTS = documents([FUSE_PDF, OPINION_PDF, FUSE_TXT],
                             [ORDER_PDF, *sorted(CONTRACTS.glob("*"))])


def test_headings_start_chunks_and_stay_with_their_text() -> None:
    chunks = chunk_pages("doc_a", [CONTRACT], max_chars=200)
    assert [c.text.split("\n", 1)[0] for c in chunks] == [
        "MASTER SUPPLY AGREEMENT", "2. Supply", "3. Termination"]
    assert chunks[0].text.startswith("MASTER SUPPLY AGREEMENT\n\n1. Definitions\n1.1")
    assert [c.heading for c in chunks] == ["MASTER SUPPLY AGREEMENT", "2. Supply",
                                           "3. Termination"]
    assert [c.id for c in chunks] == ["doc_a:1:1", "doc_a:1:2", "doc_a:1:3"]


def test_long_clause_falls_back_to_sentence_windows() -> None:
    sentences = [f"The Supplier shall deliver batch number {n} to the Buyer's warehouse in "
                 f"Sydney on the agreed date." for n in range(30)]
    page = "7. Delivery\n" + " ".join(sentences)
    chunks = chunk_pages("d", [page], max_chars=300)
    assert len(chunks) > 5
    assert all(len(c.text) <= 300 for c in chunks)
    # Windows end on sentence boundaries, never mid-sentence.
    assert all(c.text.endswith("date.") for c in chunks)
    assert chunks[0].text.startswith("7. Delivery\nThe Supplier")
    assert {c.heading for c in chunks} == {"7. Delivery"}


def test_an_endless_sentence_is_cut_at_whitespace() -> None:
    page = "word " * 1000
    chunks = chunk_pages("d", [page], max_chars=250)
    assert all(len(c.text) <= 250 and not c.text.startswith(" ") for c in chunks)
    assert "".join(c.text.replace(" ", "") for c in chunks) == page.replace(" ", "")


def test_pages_number_ids_and_letterless_lines_are_dropped() -> None:
    pages = ["1\n2\n3\nINTRODUCTION\nThe parties met.\n- 1 -", "12\n\n", "Second part.\n2"]
    chunks = chunk_pages("doc_x", pages, max_chars=500)
    assert [(c.id, c.page, c.text) for c in chunks] == [
        ("doc_x:1:1", 1, "INTRODUCTION\nThe parties met."),
        ("doc_x:3:1", 3, "Second part."),
    ]
    assert chunks[1].heading == "INTRODUCTION"  # carried over the page break


def test_same_input_gives_the_same_ids() -> None:
    first = chunk_pages("doc_s", [CONTRACT, CONTRACT], max_chars=300)
    again = chunk_pages("doc_s", [CONTRACT, CONTRACT], max_chars=300)
    assert first == again
    assert len({c.id for c in first}) == len(first)


def test_sentences_keep_offsets_and_respect_abbreviations() -> None:
    text = "Acme Inc. signed on 1 May. See No. 4 and cl. 2.\nThen payment is due. 2.1 Next."
    spans = [text[s:e] for s, e in sentence_spans(text)]
    assert spans == ["Acme Inc. signed on 1 May.", "See No. 4 and cl. 2.",
                     "Then payment is due.", "2.1 Next."]


def test_wrapped_line_starting_with_schedule_is_not_a_heading() -> None:
    page = ("1. Definitions\nTerritory: means the territory specified in\nSchedule 2.\n"
            "Year: the period of 12 months.")
    chunks = chunk_pages("d", [page], max_chars=500)
    assert len(chunks) == 1 and chunks[0].heading == "1. Definitions"


@pytest.mark.parametrize("path", CORPUS_DOCUMENTS)
def test_corpus_chunks_are_exact_bounded_slices(path: Path) -> None:
    pages = extract_pages(PDF if path.suffix == ".pdf" else TEXT, path.read_bytes())
    chunks = chunk_pages("doc_c", pages, max_chars=1000)
    assert chunks
    for chunk in chunks:
        assert pages[chunk.page - 1][chunk.start:chunk.end] == chunk.text
        assert chunk.page == chunk.page_end
        assert 0 < len(chunk.text) <= 1000
        assert re.fullmatch(rf"doc_c:{chunk.page}:\d+", chunk.id)
    # Nothing with letters on it is left out of every chunk.
    for number, text in enumerate(pages, start=1):
        covered = [False] * len(text)
        for chunk in (c for c in chunks if c.page == number):
            covered[chunk.start:chunk.end] = [True] * (chunk.end - chunk.start)
        missed = "".join(ch if not seen else " " for ch, seen in zip(text, covered, strict=True))
        assert not re.search(r"[A-Za-z]{3}", missed), (number, missed.split()[:10])


def test_a_quote_is_highlighted_at_its_recorded_offsets() -> None:
    """What the citation view does: find the chunk, mark its span in the page text."""
    pages = extract_pages(PDF, FUSE_PDF.read_bytes())
    chunks = chunk_pages("doc_fuse", pages)
    quote = "Commencement Date: means the date of this agreement."
    chunk = next(c for c in chunks if quote in c.text)
    assert chunk.page == 2 and chunk.id.startswith("doc_fuse:2:")
    page = pages[chunk.page - 1]
    at = chunk.start + chunk.text.index(quote)
    highlighted = page[:at] + "<mark>" + page[at:at + len(quote)] + "</mark>" + \
        page[at + len(quote):]
    assert "<mark>Commencement Date: means the date of this agreement.</mark>\nControl:" in \
        highlighted
    assert highlighted.replace("<mark>", "").replace("</mark>", "") == page
    assert chunk.heading == "1. Definitions and interpretation"
