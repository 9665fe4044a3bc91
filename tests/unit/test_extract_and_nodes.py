from __future__ import annotations

import io
import zipfile

import pytest

from lexgraph.core.errors import JobError
from lexgraph.core.ingest.loaders import extract_pages, html_to_text
from lexgraph.core.ingest.sniff import DOCX, HTML, MARKDOWN, PDF, TEXT


def _docx(paragraphs: list[str], pad: int = 0) -> bytes:
    ns = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    xml = f'<w:document xmlns:w="{ns}"><w:body>{body}{" " * pad}</w:body></w:document>'
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", xml)
    return buf.getvalue()


def _pdf(text: str | None, password: str | None = None) -> bytes:
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=300, height=300)
    if text is not None:
        font = DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                                 NameObject("/Subtype"): NameObject("/Type1"),
                                 NameObject("/BaseFont"): NameObject("/Helvetica")})
        page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject(
            {NameObject("/F1"): writer._add_object(font)})})
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 12 Tf 20 200 Td ({text}) Tj ET".encode())
        page[NameObject("/Contents")] = writer._add_object(stream)
    if password:
        writer.encrypt(password)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_text_formats_split_pages_on_form_feeds() -> None:
    assert extract_pages(TEXT, b"one\fTwo") == ["one", "Two"]
    assert extract_pages(MARKDOWN, b"# T\n\nBody.") == ["# T\n\nBody."]


def test_html_drops_scripts_and_keeps_headings() -> None:
    text = html_to_text("<html><head><title>t</title></head><body><h2>Terms</h2>"
                        "<p>A &amp; B agree.</p><script>steal()</script><style>x{}</style>"
                        "</body></html>")
    assert text == "## Terms\n\nA & B agree."
    assert extract_pages(HTML, b"<p>x</p>") == ["x"]


def test_docx_paragraphs_and_bomb_guard() -> None:
    assert extract_pages(DOCX, _docx(["Clause one.", "Clause two."])) == [
        "Clause one.\n\nClause two."]
    with pytest.raises(JobError) as err:
        extract_pages(DOCX, _docx(["x"], pad=65 * 1024 * 1024))
    assert err.value.code == "docx_too_large"
    with pytest.raises(JobError) as err:
        extract_pages(DOCX, b"PK\x03\x04 broken")
    assert err.value.code == "docx_corrupt"


def test_pdf_text_encrypted_and_scanned() -> None:
    assert "Hello lawyers" in extract_pages(PDF, _pdf("Hello lawyers"))[0]
    with pytest.raises(JobError) as err:
        extract_pages(PDF, _pdf("secret", password="pw"))
    assert err.value.code == "pdf_encrypted"
    with pytest.raises(JobError) as err:
        extract_pages(PDF, _pdf(None))
    assert err.value.code == "pdf_no_text"
    with pytest.raises(JobError) as err:
        extract_pages(PDF, b"%PDF-1.7\n garbage")
    assert err.value.code in ("pdf_corrupt", "pdf_no_text")
