"""Media types are decided by content; names and declared types only break ties between texts."""

from __future__ import annotations

import io
import zipfile

import pytest

from lexgraph.core.errors import Unprocessable, UnsupportedMediaType
from lexgraph.core.ingest.sniff import (
    CHARS_PER_TEXT_PAGE,
    DOCX,
    HTML,
    MARKDOWN,
    PDF,
    TEXT,
    decode_text,
    sniff,
    text_pages,
)


def _pdf(pages: int) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _zip(members: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return out.getvalue()


def test_pdf_by_content_whatever_the_name() -> None:
    data = _pdf(3)
    for name in ("order.pdf", "order.txt", "order", "order.docx"):
        found = sniff(name, data, "text/plain")
        assert (found.media_type, found.pages, found.text) == (PDF, 3, None)


def test_pdf_header_after_leading_junk() -> None:
    # Readers tolerate bytes before the header (e.g. a mail gateway's prefix).
    found = sniff("x.pdf", b"\x00\x01\x02junk\n" + _pdf(1))
    assert found.media_type == PDF


def test_text_that_mentions_the_pdf_header_stays_text() -> None:
    data = b"Exhibit list. Note: every PDF starts with the bytes %PDF-1.7 and a comment."
    found = sniff("notes.txt", data)
    assert found.media_type == TEXT


def test_damaged_pdf_is_accepted_with_one_page() -> None:
    # Rejecting it here would hide the precise reason the worker reports per document.
    found = sniff("broken.pdf", b"%PDF-1.7\n\xe2\xe3\xcf\xd3\ngarbage")
    assert (found.media_type, found.pages) == (PDF, 1)


def test_docx_pages_from_app_properties() -> None:
    data = _zip({"word/document.xml": "<w:document/>",
                 "docProps/app.xml": "<Properties><Pages>7</Pages></Properties>"})
    found = sniff("contract.docx", data)
    assert (found.media_type, found.pages) == (DOCX, 7)
    assert sniff("contract.bin", _zip({"word/document.xml": "<w:document/>"})).pages == 1


def test_zip_that_is_not_docx_is_415() -> None:
    with pytest.raises(UnsupportedMediaType) as err:
        sniff("sheet.docx", _zip({"xl/workbook.xml": "<workbook/>"}))
    assert err.value.detail == ("document 'sheet.docx' is a ZIP archive, not a Word document; "
                                "upload PDF, DOCX, HTML, Markdown or plain text")


def test_truncated_zip_is_415() -> None:
    with pytest.raises(UnsupportedMediaType, match="looks like a ZIP archive but cannot be opened"):
        sniff("a.docx", _zip({"word/document.xml": "<w/>"})[:30])


@pytest.mark.parametrize(("name", "kind"), [("brief.pdf", "PDF"), ("brief.DOCX", "Word (DOCX)")])
def test_text_named_as_binary_format_is_415(name: str, kind: str) -> None:
    with pytest.raises(UnsupportedMediaType) as err:
        sniff(name, b"plain words")
    assert err.value.status == 415
    assert err.value.detail == (f"document {name!r} is named as {kind} but its content is not; "
                                "upload the original file")


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",           # image
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,  # legacy .doc (OLE)
    b"abc\x00def",                                   # NUL in otherwise ASCII
    b"caf\xe9",                                      # Latin-1, not UTF-8
], ids=["png", "ole", "nul", "latin1"])
def test_binary_content_is_415(data: bytes) -> None:
    with pytest.raises(UnsupportedMediaType) as err:
        sniff("file.txt", data)
    assert err.value.detail == ("document 'file.txt' is neither PDF, DOCX nor UTF-8 text "
                                "(HTML, Markdown, plain text); convert it before uploading")


def test_empty_document_is_422() -> None:
    with pytest.raises(Unprocessable) as err:
        sniff("blank.txt", b"")
    assert (err.value.status, err.value.detail) == (422, "document 'blank.txt' is empty")


@pytest.mark.parametrize(("name", "data", "declared", "expected"), [
    ("page.txt", b"<!DOCTYPE html><html><body>x</body></html>", None, HTML),
    ("page", b"  <!-- saved -->\n<html lang='en'><p>x</p></html>", None, HTML),
    ("page.htm", b"<p>fragment</p>", None, HTML),
    ("page", b"<p>fragment</p>", "text/html; charset=utf-8", HTML),
    ("page.html", b"no markup at all", None, TEXT),
    ("notes.md", b"# Title\n\nBody", None, MARKDOWN),
    ("notes", b"# Title\n\nBody", "text/markdown", MARKDOWN),
    ("notes.txt", b"# Title", "text/markdown", TEXT),  # the name outranks the declared type
    ("notes", b"plain", None, TEXT),
    ("notes.csv", b"a,b\n1,2", "text/csv", TEXT),
], ids=["doctype", "comment-then-html", "htm-fragment", "declared-html", "html-without-markup",
        "md-ext", "md-declared", "ext-beats-declared", "plain", "csv"])
def test_text_formats(name: str, data: bytes, declared: str | None, expected: str) -> None:
    found = sniff(name, data, declared)
    assert found.media_type == expected
    assert found.text == data.decode()


def test_text_page_count() -> None:
    assert text_pages("short") == 1
    assert text_pages("x" * CHARS_PER_TEXT_PAGE) == 1
    assert text_pages("x" * (CHARS_PER_TEXT_PAGE + 1)) == 2
    assert text_pages("a\fb\fc") == 3  # form feeds are explicit page breaks
    assert sniff("long.txt", b"y" * (CHARS_PER_TEXT_PAGE * 4 + 1)).pages == 5


def test_decode_text_handles_boms() -> None:
    assert decode_text("\ufeffhello".encode()) == "hello"
    assert decode_text("hello".encode("utf-16")) == "hello"
    assert decode_text(b"\xff\xfe\x00") is None  # odd-length UTF-16
    assert decode_text(b"tab\tnew\nline\rfeed\f") == "tab\tnew\nline\rfeed\f"
    assert decode_text(b"bell\x07") is None
