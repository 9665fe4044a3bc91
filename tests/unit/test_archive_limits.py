"""Zip and document limits hold while the work is done: nothing is inflated or extracted whole
before it is counted, and page counts come from the text, not from what a file says."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest

from lexgraph.adapters.embeddings.local import LocalEmbedder
from lexgraph.adapters.vectorstore.lancedb_store import LanceDBStore
from lexgraph.core.config.settings import Settings
from lexgraph.core.errors import JobError, PayloadTooLarge
from lexgraph.core.ingest.archive import CHUNK_BYTES, ArchiveCorrupt, SafeZip
from lexgraph.core.ingest.indexing import Indexer
from lexgraph.core.ingest.limits import (
    CHARS_PER_PAGE,
    DocumentLimits,
    DocumentTooLarge,
    IngestBudget,
    pages_of,
)
from lexgraph.core.ingest.loaders import count_pages, extract_pages
from lexgraph.core.ingest.sniff import DOCX, HTML, TEXT, docx_declared_pages, sniff
from lexgraph.core.jobs.intake import Submission, UploadedDocument, validate

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
SENTENCE = "The Supplier shall deliver the Goods to the Site on the Delivery Date. "


def _docx(paragraphs: list[str], *, app_pages: int | None = None,
          app_padding_mib: int = 0, level: int = 9) -> bytes:
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml",
                    f'<w:document xmlns:w="{W}"><w:body>{body}</w:body></w:document>')
        if app_pages is not None or app_padding_mib:
            with zf.open("docProps/app.xml", "w", force_zip64=True) as part:
                part.write(f"<Properties><Pages>{app_pages or 1}</Pages>".encode())
                block = b" " * (1 << 20)
                for _ in range(app_padding_mib):
                    part.write(block)
                part.write(b"</Properties>")
    return out.getvalue()


@pytest.fixture(scope="module")
def h1_docx() -> bytes:
    """The probe's H1 file: a ~400 KB DOCX whose docProps/app.xml is 400 MiB of spaces."""
    data = _docx(["Hello."], app_pages=1, app_padding_mib=400)
    assert len(data) < 1024 * 1024
    return data


def h2_docx() -> bytes:
    """The probe's H2 file: a small DOCX that says it has 1 page and holds ~3.6 M characters."""
    paragraphs = [SENTENCE * 50] * 1000  # 3.55 M characters
    data = _docx(paragraphs, app_pages=1)
    assert len(data) < 64 * 1024
    return data


def _vm_hwm_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_h1_docx_is_refused_without_inflating_its_parts(h1_docx: bytes) -> None:
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak to the current size
    before = _vm_hwm_kib()
    started = time.perf_counter()
    found = sniff("h1.docx", h1_docx)
    with pytest.raises(DocumentTooLarge) as err:
        count_pages(found, h1_docx, DocumentLimits())
    elapsed = time.perf_counter() - started
    grown_mib = (_vm_hwm_kib() - before) / 1024
    assert err.value.code == "docx_too_large"
    assert "zip bomb" in err.value.message
    assert found.media_type == DOCX and found.pages == 1
    assert elapsed < 1.0, elapsed
    assert grown_mib < 50, grown_mib


def test_the_declared_page_count_is_read_from_a_bounded_prefix(h1_docx: bytes) -> None:
    limits = DocumentLimits(max_unpacked_bytes=2**40, max_member_bytes=2**40, max_ratio=1e9)
    with SafeZip(h1_docx, limits) as zf:
        head = zf.read("docProps/app.xml", max_bytes=4096)
        assert len(head) == 4096 and zf.inflated <= CHUNK_BYTES
    assert docx_declared_pages(h1_docx, limits) == 1


def test_member_total_and_ratio_caps_are_each_enforced() -> None:
    text = "".join(f"Clause {n}: the parties agree on item {n * 7919 % 10007}. " for n in
                   range(40_000))  # ~2 MiB that compresses about 5 to 1
    data = _docx([text])
    assert extract_pages(DOCX, data)[0].startswith("Clause 0:")
    mib = 1024 * 1024
    with pytest.raises(DocumentTooLarge, match=r"part \(word/document.xml\) that unpacks"):
        extract_pages(DOCX, data, limits=DocumentLimits(max_member_bytes=mib))
    with pytest.raises(DocumentTooLarge, match="unpacks to 2 MiB"):
        extract_pages(DOCX, data, limits=DocumentLimits(max_unpacked_bytes=mib))
    with pytest.raises(DocumentTooLarge, match="compressed more than 3 to 1"):
        extract_pages(DOCX, data, limits=DocumentLimits(max_ratio=3))


def test_zero_bomb_is_refused_by_ratio_before_any_size_cap() -> None:
    bomb = _docx(["x"], app_padding_mib=20)
    with pytest.raises(DocumentTooLarge, match="compressed more than 100 to 1"):
        extract_pages(DOCX, bomb)


def test_counting_holds_when_the_declared_sizes_lie() -> None:
    data = bytearray(_docx(["A real paragraph of text."] * 2000, level=1))
    # Shrink the size the central directory declares for document.xml: zipfile stops at the
    # declared size and the CRC no longer matches; nothing past it is inflated.
    entry = bytes(data).find(b"PK\x01\x02")
    while bytes(data[entry + 46:entry + 63]) != b"word/document.xml":
        entry = bytes(data).find(b"PK\x01\x02", entry + 4)
        assert entry >= 0
    data[entry + 24:entry + 28] = (100).to_bytes(4, "little")
    with SafeZip(bytes(data), DocumentLimits()) as zf, pytest.raises(ArchiveCorrupt):
        zf.read("word/document.xml")
    with pytest.raises(JobError) as err:
        extract_pages(DOCX, bytes(data))
    assert err.value.code == "docx_corrupt"


def test_h2_docx_is_refused_at_intake_from_its_text_not_its_metadata() -> None:
    data = h2_docx()
    assert docx_declared_pages(data, DocumentLimits(max_ratio=10_000)) == 1
    settings = Settings(archive_max_ratio=10_000)  # let the text itself decide
    sub = Submission(matter="m", documents=[UploadedDocument("h2.docx", data)])
    with pytest.raises(PayloadTooLarge) as err:
        validate(sub, settings)
    assert err.value.detail == ("the documents have more than 1000 pages once 'h2.docx' is "
                                "read (3,000 characters of text count as a page); at most "
                                "1000 per job")
    # With the default ratio the same file is refused sooner, as a likely bomb.
    sub = Submission(matter="m", documents=[UploadedDocument("h2.docx", data)])
    with pytest.raises(PayloadTooLarge, match="zip bomb"):
        validate(sub, Settings())


def test_extraction_stops_at_the_character_budget() -> None:
    data = h2_docx()
    limits = DocumentLimits(max_ratio=10_000, max_chars=10 * CHARS_PER_PAGE)
    started = time.perf_counter()
    with pytest.raises(DocumentTooLarge) as err:
        extract_pages(DOCX, data, limits=limits)
    assert err.value.code == "document_too_long"
    assert time.perf_counter() - started < 0.5


def test_pages_count_from_extracted_text_with_metadata_as_a_floor() -> None:
    short = _docx(["One short clause."], app_pages=7)
    assert count_pages(sniff("a.docx", short), short, DocumentLimits()) == 7
    long = _docx([SENTENCE * 50] * 10, app_pages=1)  # 35,500 characters
    assert count_pages(sniff("b.docx", long), long, DocumentLimits()) == 12
    html = ("<html><body>" + "<p class='x' style='margin:0'>Word.</p>" * 4000
            + "</body></html>").encode()
    found = sniff("c.html", html)
    assert found.media_type == HTML and found.pages > 50  # counted from the markup
    assert count_pages(found, html, DocumentLimits()) == pages_of(extract_pages(HTML, html)) == 10
    text = ("a" * 2500 + "\f") * 3
    assert count_pages(sniff("d.txt", text.encode()), text.encode(), DocumentLimits()) == 4


def test_text_over_the_budget_is_refused_at_intake() -> None:
    settings = Settings(max_pages=5)
    ok = UploadedDocument("ok.txt", b"x" * (CHARS_PER_PAGE * 3))
    assert [d.pages for d in validate(Submission(matter="m", documents=[ok]), settings)] == [3]
    with pytest.raises(PayloadTooLarge, match="the documents have 6 pages; at most 5"):
        validate(Submission(matter="m", documents=[ok, ok]), settings)
    # Past one page over what is left, extraction stops instead of counting on.
    doc = UploadedDocument("long.txt", "é".join(["x" * CHARS_PER_PAGE] * 4).encode())
    with pytest.raises(PayloadTooLarge, match=r"more than 5 pages once 'long\.txt' is read"):
        validate(Submission(matter="m", documents=[ok, doc]), settings)


def test_ingest_budget_refuses_the_document_that_would_overspend_it(
        tmp_path: Path, embedder: LocalEmbedder) -> None:
    indexer = Indexer(embedder, LanceDBStore(tmp_path / "vectors"))
    budget = IngestBudget(max_chars=100_000, max_pages=1000)
    first, _ = indexer.parse("doc_a", TEXT, b"y" * 60_000, budget)
    assert len(first[0]) == 60_000 and budget.chars_left == 40_000
    with pytest.raises(JobError) as err:
        indexer.parse("doc_b", TEXT, b"z" * 60_000, budget)
    assert err.value.code == "document_too_long"
    assert budget.chars_left == 40_000
    pages_budget = IngestBudget(max_chars=10**9, max_pages=3)
    indexer.parse("doc_c", TEXT, b"w" * (CHARS_PER_PAGE * 2), pages_budget)
    with pytest.raises(JobError) as err:
        indexer.parse("doc_d", TEXT, b"v" * (CHARS_PER_PAGE * 2), pages_budget)
    assert err.value.code == "too_many_pages"


def _docx_raw(document_xml: bytes, styles_xml: bytes | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", document_xml)
        if styles_xml is not None:
            zf.writestr("word/styles.xml", styles_xml)
    return out.getvalue()


def test_one_huge_paragraph_is_refused_before_its_tree_is_built() -> None:
    runs = b"<w:r><w:t>a</w:t></w:r>" * 600_000  # 1.8 M elements in one paragraph
    data = _docx_raw(f'<w:document xmlns:w="{W}"><w:body><w:p>'.encode() + runs
                     + b"</w:p></w:body></w:document>")
    Path("/proc/self/clear_refs").write_text("5")
    before = _vm_hwm_kib()
    with pytest.raises(DocumentTooLarge, match="more than 500,000 parts"):
        extract_pages(DOCX, data, limits=DocumentLimits(max_ratio=10_000))
    assert (_vm_hwm_kib() - before) / 1024 < 200


def test_oversized_styles_are_ignored_not_parsed() -> None:
    styles = (f'<w:styles xmlns:w="{W}"><w:style w:styleId="H1"><w:name w:val="heading 1"/>'
              "</w:style>").encode()
    document = (f'<w:document xmlns:w="{W}"><w:body><w:p><w:pPr><w:pStyle w:val="H1"/>'
                "</w:pPr><w:r><w:t>Terms</w:t></w:r></w:p></w:body></w:document>").encode()
    small = _docx_raw(document, styles + b"</w:styles>")
    assert extract_pages(DOCX, small) == ["# Terms"]
    padding = b"".join(f'<w:style w:styleId="S{n}"><w:name w:val="s{n}"/></w:style>'.encode()
                       for n in range(120_000))  # ~5 MiB
    big = _docx_raw(document, styles + padding + b"</w:styles>")
    assert extract_pages(DOCX, big, limits=DocumentLimits(max_ratio=10_000)) == ["Terms"]
