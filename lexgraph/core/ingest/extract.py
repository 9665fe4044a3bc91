"""Plain-text extraction per page, for the formats the intake accepts."""

from __future__ import annotations

import io
import re
import zipfile
from html.parser import HTMLParser
from xml.etree import ElementTree

from lexgraph.core.errors import JobError
from lexgraph.core.ingest.sniff import DOCX, HTML, MARKDOWN, PDF, TEXT, decode_text

_MAX_DOCX_XML = 64 * 1024 * 1024  # an unpacked document.xml beyond this is a zip bomb
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class _HTMLText(HTMLParser):
    _SKIP = {"script", "style", "template", "noscript", "head"}
    _HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
    _BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section",
              "article", "blockquote", "pre", "table", "ul", "ol", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip += 1
        elif tag in self._HEADINGS:
            # Keep heading structure visible to the text analysis, Markdown-style.
            self.parts.append("\n\n" + "#" * int(tag[1]) + " ")
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skip:
            self._skip -= 1
        elif tag in self._BLOCK:
            self.parts.append("\n\n" if tag in self._HEADINGS else "\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    return re.sub(r"\n\s*\n+", "\n\n", text).strip()


def _pdf_pages(data: bytes) -> list[str]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise JobError("pdf_encrypted", "the PDF is encrypted; upload an unprotected copy")
        pages = [page.extract_text() or "" for page in reader.pages]
    except JobError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise JobError("pdf_corrupt", f"the PDF could not be read ({exc})") from exc
    if not any(p.strip() for p in pages):
        raise JobError(
            "pdf_no_text", "the PDF has no text layer (a scan?); run OCR on it and upload again"
        )
    return pages


def _docx_pages(data: bytes) -> list[str]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        info = zf.getinfo("word/document.xml")
    except (zipfile.BadZipFile, KeyError) as exc:
        raise JobError("docx_corrupt", "the Word document could not be opened") from exc
    if info.file_size > _MAX_DOCX_XML:
        raise JobError("docx_too_large", "the Word document unpacks to more than 64 MiB")
    try:
        root = ElementTree.fromstring(zf.read(info))
    except ElementTree.ParseError as exc:
        raise JobError("docx_corrupt", "the Word document's XML is damaged") from exc
    paragraphs = []
    for para in root.iter(f"{_W}p"):
        paragraphs.append("".join(t.text or "" for t in para.iter(f"{_W}t")))
    return ["\n".join(paragraphs)]


def extract_pages(media_type: str, data: bytes) -> list[str]:
    """Return the document's text, one string per page; raise JobError for unreadable files."""
    if media_type == PDF:
        return _pdf_pages(data)
    if media_type == DOCX:
        return _docx_pages(data)
    text = decode_text(data)
    if text is None:
        raise JobError("not_text", "the document is not UTF-8 text")
    if media_type == HTML:
        text = html_to_text(text)
    elif media_type not in (TEXT, MARKDOWN):
        raise JobError("unsupported", f"no extractor for {media_type}")
    return text.split("\f")
