"""Loaders: the corpus parses with correct page numbers; each kind of bad file has its own error."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest

from lexgraph.core.errors import JobError
from lexgraph.core.ingest.limits import DocumentLimits
from lexgraph.core.ingest.loaders import extract_pages
from lexgraph.core.ingest.sniff import DOCX, HTML, PDF, TEXT, sniff
from tests.documents import (
    CONTRACTS,
    FUSE_PDF,
    FUSE_TXT,
    OPINION_PDF,
    ORDER_PDF,
    corrupt_pdf,
    documents,
    docx_bomb,
    encrypted_pdf,
    needs_shared,
    scanned_pdf,
    text_pdf,
    word_document,
)


def _flat(text: str) -> str:
    # NFKC: this PDF's font maps ";" to U+037E GREEK QUESTION MARK, which NFKC folds back.
    return " ".join(unicodedata.normalize("NFKC", text).split())


def test_court_opinion_pages_carry_their_own_page_numbers() -> None:
    pages = extract_pages(PDF, OPINION_PDF.read_bytes())
    assert len(pages) == 17
    # The court's ECF stamp prints "Page: N" on every page: page N of ours must carry N.
    for number, text in enumerate(pages, start=1):
        assert re.findall(r"Page: (\d+) ", text) == [str(number)], number
    assert "No. 20-1507" in pages[0]
    assert pages[2].startswith("- 3 - \nSELYA, Circuit Judge.")
    assert "I. BACKGROUND" in pages[3]
    assert "BARRON, Circuit Judge, concurring" in pages[16]


def test_contract_pdf_pages_follow_the_printed_page_numbers() -> None:
    pages = extract_pages(PDF, FUSE_PDF.read_bytes())
    assert len(pages) == 20
    assert "Distributorship agreement" in pages[0]
    # The printed number at the foot of each page after the cover is one less than its index.
    for number in range(2, 21):
        assert pages[number - 1].endswith(
            f"\n{number - 1}\nSource: FUSE MEDICAL, INC., 10-K, 3/21/2019"), number
    assert "Commencement Date: means the date of this agreement." in pages[1]
    assert "1.10 A reference to writing or written includes faxes and e-mail." in pages[2]
    assert pages[4].startswith("3. Distributor's undertakings")
    assert pages[18].startswith("Schedule 4 Prices\nAria Stem $610")


def test_contract_pdf_text_matches_its_plain_text_twin() -> None:
    pdf = _flat(" ".join(extract_pages(PDF, FUSE_PDF.read_bytes())))
    lines = [_flat(line) for line in FUSE_TXT.read_text(encoding="utf-8").splitlines()]
    sentences = [s for line in lines for s in re.split(r"(?<=[.;:])\s+", line) if len(s) > 40]
    found = [s for s in sentences if s in pdf]
    assert len(sentences) > 150
    assert len(found) / len(sentences) > 0.9, [s for s in sentences if s not in pdf][:5]


@needs_shared(ORDER_PDF)
def test_pleading_paper_order_keeps_its_five_pages() -> None:
    pages = extract_pages(PDF, ORDER_PDF.read_bytes())
    assert len(pages) == 5
    assert "SUGGESTION OF REMAND AND" in pages[0]
    assert "Schedule A \u2013 Cases that Should Be Remanded by the Panel" in pages[1]
    assert "Schedule B \u2013 Direct-Filed Cases to Be Transferred" in pages[2]
    assert "Exhibit 1 \u2013 MDL Orders" in pages[3]


@pytest.mark.parametrize("path", documents([FUSE_TXT], sorted(CONTRACTS.glob("*.txt"))))
def test_plain_text_contracts_load_verbatim(path: Path) -> None:
    data = path.read_bytes()
    assert sniff(path.name, data).media_type == TEXT
    pages = extract_pages(TEXT, data)
    assert pages == [data.decode("utf-8")]


def test_docx_keeps_headings_tables_and_page_breaks() -> None:
    data = word_document([
        ("title", "Lease Agreement"), ("h1", "1. Rent"),
        ("p", "The Tenant shall pay rent monthly."), ("pagebreak", ""),
        ("h2", "1.1 Deposit"), ("p", "A deposit of two months' rent is held."),
        ("table", "Item|Amount\nRent|1,000"),
    ])
    assert sniff("lease.docx", data).media_type == DOCX
    pages = extract_pages(DOCX, data)
    assert len(pages) == 2
    assert pages[0] == "# Lease Agreement\n\n# 1. Rent\n\nThe Tenant shall pay rent monthly."
    assert pages[1] == ("## 1.1 Deposit\n\nA deposit of two months' rent is held.\n\n"
                        "Item | Amount\nRent | 1,000")


def test_html_through_the_loader() -> None:
    html = b"<html><body><h2>Notice</h2><p>The lease ends.</p><script>x()</script></body></html>"
    assert extract_pages(HTML, html) == ["## Notice\n\nThe lease ends."]


def test_text_pdf_is_read_page_by_page() -> None:
    assert extract_pages(PDF, text_pdf(["First page.", "Second page."])) == [
        "First page.", "Second page."]


@pytest.mark.parametrize(("kind", "data", "code", "words"), [
    ("scan", scanned_pdf(), "pdf_no_text", "scan: its 2 page(s) are images"),
    ("encrypted", encrypted_pdf(), "pdf_encrypted", "password-protected"),
    ("corrupt", corrupt_pdf(), "pdf_corrupt", "damaged"),
    ("docx bomb", docx_bomb(), "docx_too_large", "zip bomb"),
    ("docx not a zip", b"PK\x03\x04 broken", "docx_corrupt", "damaged"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 20 else "")
def test_bad_files_have_their_own_error(kind: str, data: bytes, code: str, words: str) -> None:
    media_type = DOCX if "docx" in kind else PDF
    with pytest.raises(JobError) as err:
        extract_pages(media_type, data)
    assert err.value.code == code
    assert words in err.value.message


def test_sniff_accepts_the_bad_files_so_the_job_can_report_them() -> None:
    for data in (scanned_pdf(), encrypted_pdf(), corrupt_pdf()):
        assert sniff("x.pdf", data).media_type == PDF
    assert sniff("bomb.docx", docx_bomb()).media_type == DOCX


def test_bomb_limit_is_configurable() -> None:
    small = docx_bomb(unpacked_mib=3)
    with pytest.raises(JobError, match="compressed more than 100 to 1"):
        extract_pages(DOCX, small)
    lenient = DocumentLimits(max_ratio=10_000)
    with pytest.raises(JobError, match="unpacks to 3 MiB"):
        extract_pages(DOCX, small, limits=replace(lenient, max_unpacked_bytes=2 * 1024 * 1024))
    pages = extract_pages(DOCX, small, limits=replace(lenient, max_unpacked_bytes=8 * 1024 * 1024))
    assert len(pages[0]) == 3 * 1024 * 1024 and set(pages[0]) == {"0"}
