"""Decide what a file is from its bytes, not its name."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from lexgraph.core.errors import Unprocessable, UnsupportedMediaType
from lexgraph.core.ingest.archive import ArchiveCorrupt, SafeZip
from lexgraph.core.ingest.limits import (
    CHARS_PER_PAGE,
    DocumentLimits,
    DocumentTooLarge,
    pages_of,
)

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
HTML = "text/html"
MARKDOWN = "text/markdown"
TEXT = "text/plain"
SUPPORTED = (PDF, DOCX, HTML, MARKDOWN, TEXT)
CHARS_PER_TEXT_PAGE = CHARS_PER_PAGE
# docProps/app.xml is a few hundred bytes; its page count sits near the top.
_APP_XML_BYTES = 64 * 1024

_EXT_HINTS = {
    ".pdf": PDF,
    ".docx": DOCX,
    ".html": HTML,
    ".htm": HTML,
    ".md": MARKDOWN,
    ".markdown": MARKDOWN,
    ".txt": TEXT,
    ".text": TEXT,
}
_BINARY_EXT = {".pdf": "PDF", ".docx": "Word (DOCX)"}
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])",
                         re.IGNORECASE | re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Sniffed:
    media_type: str
    pages: int
    text: str | None  # decoded text for text formats, None for binary ones


def _ext(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:].lower() if dot >= 0 else ""


def decode_text(data: bytes) -> str | None:
    """UTF-8 (with or without BOM) or BOM-marked UTF-16; None when the bytes are not text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return None
    if _CONTROL.search(text[:65536]):
        return None
    return text


def _pdf_pages(data: bytes) -> int:
    # Page counting must not reject the upload: encrypted or damaged PDFs are accepted here and
    # reported per document when the job extracts them.
    try:
        from pypdf import PdfReader

        return max(1, len(PdfReader(io.BytesIO(data), strict=False).pages))
    except Exception:
        return 1


def docx_declared_pages(data: bytes, limits: DocumentLimits | None = None) -> int:
    """The page count Word wrote in docProps/app.xml, or 0. Only the part's first few KiB are
    inflated: the count is near the top, and the part is the file's to make as large as it
    likes."""
    try:
        with SafeZip(data, limits or DocumentLimits()) as zf:
            if "docProps/app.xml" not in zf.names():
                return 0
            head = zf.read("docProps/app.xml", max_bytes=_APP_XML_BYTES)
    except (ArchiveCorrupt, DocumentTooLarge):
        return 0
    match = re.search(rb"<(?:\w+:)?Pages>\s*(\d{1,7})\s*</(?:\w+:)?Pages>", head)
    return int(match.group(1)) if match else 0


def _is_pdf(head: bytes, data: bytes) -> bool:
    if head.lstrip().startswith(b"%PDF-"):
        return True
    # Readers accept a header anywhere in the first KiB (mail or HTTP junk in front of it), but
    # a text file that merely quotes "%PDF-" is still text: real PDFs carry binary bytes.
    return b"%PDF-" in head and decode_text(data) is None


def text_pages(text: str) -> int:
    return pages_of(text.split("\f"))


def sniff(filename: str, data: bytes, declared: str | None = None) -> Sniffed:
    """Identify ``data``; raise a UserError a person can act on when it is not acceptable."""
    if not data:
        raise Unprocessable(f"document {filename!r} is empty")
    ext = _ext(filename)
    head = data[:1024]
    if _is_pdf(head, data):
        return Sniffed(PDF, _pdf_pages(data), None)
    if data.startswith(b"PK\x03\x04"):
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
            names = set(zf.namelist())
        except zipfile.BadZipFile:
            raise UnsupportedMediaType(
                f"document {filename!r} looks like a ZIP archive but cannot be opened"
            ) from None
        if "word/document.xml" in names:
            return Sniffed(DOCX, max(1, docx_declared_pages(data)), None)
        raise UnsupportedMediaType(
            f"document {filename!r} is a ZIP archive, not a Word document; "
            "upload PDF, DOCX, HTML, Markdown or plain text"
        )
    if ext in _BINARY_EXT:
        raise UnsupportedMediaType(
            f"document {filename!r} is named as {_BINARY_EXT[ext]} but its content is not; "
            "upload the original file"
        )
    text = decode_text(data)
    if text is None:
        raise UnsupportedMediaType(
            f"document {filename!r} is neither PDF, DOCX nor UTF-8 text "
            "(HTML, Markdown, plain text); convert it before uploading"
        )
    hint = _EXT_HINTS.get(ext) or (declared.split(";")[0].strip().lower() if declared else None)
    if _HTML_START.match(head) or (hint == HTML and "<" in text[:4096]):
        media_type = HTML
    elif hint == MARKDOWN:
        media_type = MARKDOWN
    else:
        media_type = TEXT
    return Sniffed(media_type, text_pages(text), text)
