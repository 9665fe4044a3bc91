"""Text per page from the formats the intake accepts, or a JobError saying why a file is unreadable.

``pages[i]`` is the text of page ``i + 1`` exactly as extracted; chunk offsets index into these
strings, so the loaders never post-process a page after it is returned.

PDF goes through langchain-community's pdfium parser (fast, keeps page order, serialises pdfium,
which is not thread-safe); DOCX through a streaming read of its main part (see archive.py for
the zip limits); HTML, Markdown and plain text through our own
code, which keeps headings visible to the chunker and needs no extra dependency.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import replace
from html.parser import HTMLParser
from typing import Any

from lexgraph.core.errors import JobError
from lexgraph.core.ingest.archive import ArchiveCorrupt, SafeZip
from lexgraph.core.ingest.limits import DocumentLimits, DocumentTooLarge, pages_of
from lexgraph.core.ingest.sniff import (
    DOCX,
    HTML,
    MARKDOWN,
    PDF,
    TEXT,
    Sniffed,
    decode_text,
    docx_declared_pages,
)

DEFAULT_MAX_UNPACKED_BYTES = DocumentLimits().max_unpacked_bytes
# Word's own styles.xml is tens of KiB; the part is read whole, so it is bounded on its own.
_MAX_STYLES_BYTES = 4 * 1024 * 1024
# One paragraph or table is held whole while it is read; a Word table of a thousand rows has
# some 50,000 elements, so this bounds the tree (tens of MiB) and not real documents.
_MAX_ELEMENTS_PER_BLOCK = 500_000
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING_STYLE = re.compile(r"^(?:heading|überschrift|titre)\s*(\d)$", re.IGNORECASE)


class _HTMLText(HTMLParser):
    _SKIP = frozenset({"script", "style", "template", "noscript", "head"})
    _HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
    _BLOCK = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
                        "section", "article", "blockquote", "pre", "table", "ul", "ol", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip += 1
        elif tag in self._HEADINGS:
            # Keep heading structure visible to the chunker and the analysis, Markdown-style.
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


# PDF ----------------------------------------------------------------------------------------


def _pdf_parser() -> Any:
    with warnings.catch_warnings():
        # langchain-community announces its sunset on import; the parser itself is what we
        # want, and the notice would otherwise be attributed to this module.
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        from langchain_community.document_loaders.parsers.pdf import PyPDFium2Parser
    return PyPDFium2Parser


def _pdf_pages(data: bytes) -> list[str]:
    import pypdfium2
    from langchain_core.documents.base import Blob

    parser_cls = _pdf_parser()
    try:
        docs = list(parser_cls(mode="page").lazy_parse(Blob.from_data(data, mime_type=PDF)))
    except pypdfium2.PdfiumError as exc:
        if getattr(exc, "err_code", None) == pypdfium2.raw.FPDF_ERR_PASSWORD:
            raise JobError("pdf_encrypted", "the PDF is password-protected; upload an "
                           "unprotected copy") from exc
        raise JobError("pdf_corrupt", "the PDF is damaged or not a PDF and could not be "
                       "opened; upload the original file again") from exc
    pages: list[str] = [""] * max((d.metadata.get("page", 0) for d in docs), default=-1)
    pages.append("")
    for doc in docs:
        # The parser ends every page with one newline of its own; it is not document text.
        pages[int(doc.metadata["page"])] = doc.page_content.removesuffix("\n")
    if not any(p.strip() for p in pages):
        if _pdf_has_images(data, parser_cls):
            raise JobError("pdf_no_text", f"the PDF is a scan: its {len(pages)} page(s) are "
                           "images without a text layer; run OCR on it and upload it again")
        raise JobError("pdf_no_text", "the PDF has no text layer; if it is a scan, run OCR on "
                       "it and upload it again")
    return pages


def _pdf_has_images(data: bytes, parser_cls: Any) -> bool:
    import pypdfium2
    import pypdfium2.raw as pdfium_c

    # The parser's own lock: pdfium must never run in two threads at once.
    with parser_cls._lock:
        pdf = pypdfium2.PdfDocument(data)
        try:
            for page in pdf:
                try:
                    if any(True for _ in page.get_objects(
                            filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2)):
                        return True
                finally:
                    page.close()
        finally:
            pdf.close()
    return False


# DOCX ---------------------------------------------------------------------------------------


def _xml_parser_options() -> dict[str, Any]:
    # No entities, no DTD, no network, and libxml2's default caps on a single text node and on
    # depth: a package part is data, never instructions to the parser.
    return {"resolve_entities": False, "no_network": True, "load_dtd": False,
            "huge_tree": False, "remove_comments": True, "remove_pis": True}


def _docx_styles(zf: SafeZip) -> dict[str, str]:
    """Style id -> style name, from word/styles.xml; empty when the part is missing or bad."""
    from lxml import etree

    if "word/styles.xml" not in zf.names():
        return {}
    try:
        raw = zf.read("word/styles.xml", max_bytes=_MAX_STYLES_BYTES + 1)
        if len(raw) > _MAX_STYLES_BYTES:
            return {}  # headings are then read as plain paragraphs; the text is unchanged
        root = etree.fromstring(raw, etree.XMLParser(**_xml_parser_options()))
    except (etree.XMLSyntaxError, ArchiveCorrupt, ValueError):
        return {}
    styles: dict[str, str] = {}
    for style in root.iter(f"{_W}style"):
        style_id = style.get(f"{_W}styleId")
        name = style.find(f"{_W}name")
        if style_id is not None:
            styles[style_id] = (name.get(f"{_W}val") or "") if name is not None else ""
    return styles


class _DocxPages:
    """Walks the body in order; a page ends at an explicit or last-rendered page break."""

    def __init__(self, max_chars: int | None) -> None:
        self.pages: list[list[str]] = [[]]
        self.chars = 0
        self.max_chars = max_chars

    def text(self, value: str) -> None:
        self.chars += len(value)
        if self.max_chars is not None and self.chars > self.max_chars:
            raise DocumentTooLarge(
                "document_too_long", f"the Word document holds more than {self.max_chars:,} "
                "characters of text, more than this job may ingest")
        self.pages[-1].append(value)

    def page_break(self) -> None:
        # Word writes a rendered break right after an explicit one; only text between
        # breaks makes a page, so the pair counts once.
        if "".join(self.pages[-1]).strip():
            self.pages.append([])

    def result(self) -> list[str]:
        return ["".join(p).strip("\n") for p in self.pages]


def _paragraph(p: Any, styles: dict[str, str], out: _DocxPages) -> None:
    style = p.find(f"{_W}pPr/{_W}pStyle")
    name = styles.get(style.get(f"{_W}val"), style.get(f"{_W}val")) if style is not None else ""
    prefix = ""
    match = _HEADING_STYLE.match(name or "")
    if match:
        prefix = "#" * min(6, max(1, int(match.group(1)))) + " "
    elif (name or "").lower() == "title":
        prefix = "# "
    parts: list[str] = []

    def flush() -> None:
        line = "".join(parts)
        if line.strip():
            out.text(prefix + line + "\n")
        parts.clear()

    for node in p.iter():
        tag = node.tag
        if tag == f"{_W}t":
            parts.append(node.text or "")
        elif tag in (f"{_W}tab", f"{_W}ptab"):
            parts.append("\t")
        elif tag == f"{_W}br":
            if node.get(f"{_W}type") == "page":
                flush()
                out.page_break()
            else:
                parts.append("\n")
        elif tag == f"{_W}cr":
            parts.append("\n")
        elif tag == f"{_W}lastRenderedPageBreak":
            flush()
            out.page_break()
        elif tag in (f"{_W}noBreakHyphen", f"{_W}softHyphen"):
            parts.append("-" if tag.endswith("noBreakHyphen") else "")
    flush()
    out.text("\n")


def _table(tbl: Any, styles: dict[str, str], out: _DocxPages) -> None:
    for row in tbl.iter(f"{_W}tr"):
        cells = []
        for cell in row.iter(f"{_W}tc"):
            texts = ["".join(t.text or "" for t in p.iter(f"{_W}t")) for p in cell.iter(f"{_W}p")]
            cells.append(" ".join(t for t in texts if t.strip()))
        if any(c.strip() for c in cells):
            out.text(" | ".join(cells) + "\n")
    out.text("\n")


def _body_children(zf: SafeZip) -> Iterator[Any]:
    """Top-level elements of the document body, each complete, then dropped once used, so the
    parsed tree never holds more than one paragraph or table at a time."""
    from lxml import etree

    body_tag = f"{_W}body"
    wanted = (f"{_W}p", f"{_W}tbl", f"{_W}sdt")
    seen_body = False
    # Elements parsed since the last top-level one was dropped: what the tree holds now.
    held = 0
    events = etree.iterparse(zf.open("word/document.xml"), events=("start", "end"),
                             **_xml_parser_options())
    for event, elem in events:
        if event == "start":
            seen_body = seen_body or elem.tag == body_tag
            held += 1
            if held > _MAX_ELEMENTS_PER_BLOCK:
                raise DocumentTooLarge(
                    "docx_too_large", f"the Word document has a paragraph or table of more "
                    f"than {_MAX_ELEMENTS_PER_BLOCK:,} parts; it was not read")
            continue
        parent = elem.getparent()
        if parent is None or parent.tag != body_tag:
            continue
        if elem.tag in wanted:
            yield elem
        elem.clear()
        parent.remove(elem)
        held = 0
    if not seen_body:
        raise JobError("docx_corrupt", "the Word document has no body")


def _docx_pages(data: bytes, limits: DocumentLimits) -> list[str]:
    from lxml import etree

    corrupt = JobError("docx_corrupt", "the Word document is damaged (not a readable ZIP "
                       "package); upload the original file again")
    try:
        zf = SafeZip(data, limits, what="the Word document", code="docx_too_large")
    except ArchiveCorrupt as exc:
        raise corrupt from exc
    with zf:
        if "word/document.xml" not in zf.names():
            raise JobError("docx_corrupt", "the Word document has no main part "
                           "(word/document.xml)")
        styles = _docx_styles(zf)
        out = _DocxPages(limits.max_chars)
        try:
            for child in _body_children(zf):
                if child.tag == f"{_W}p":
                    _paragraph(child, styles, out)
                elif child.tag == f"{_W}tbl":
                    _table(child, styles, out)
                else:
                    for p in child.iter(f"{_W}p"):
                        _paragraph(p, styles, out)
        except (etree.XMLSyntaxError, ArchiveCorrupt) as exc:
            raise JobError("docx_corrupt", "the Word document is damaged and could not be "
                           "read; open and save it again in Word, then upload it") from exc
    pages = out.result()
    if not any(p.strip() for p in pages):
        raise JobError("docx_empty", "the Word document contains no text")
    return pages


# Entry point --------------------------------------------------------------------------------


def extract_pages(media_type: str, data: bytes, *,
                  max_unpacked_bytes: int | None = None,
                  limits: DocumentLimits | None = None) -> list[str]:
    """Return the document's text, one string per page; raise JobError for unreadable files
    and DocumentTooLarge (a JobError) for files over ``limits``."""
    limits = limits or DocumentLimits()
    if max_unpacked_bytes is not None:
        limits = replace(limits, max_unpacked_bytes=max_unpacked_bytes)
    if media_type == PDF:
        pages = _pdf_pages(data)
    elif media_type == DOCX:
        return _docx_pages(data, limits)
    else:
        text = decode_text(data)
        if text is None:
            raise JobError("not_text", "the document is not UTF-8 text")
        if media_type == HTML:
            text = html_to_text(text)
        elif media_type not in (TEXT, MARKDOWN):
            raise JobError("unsupported", f"no loader for {media_type}")
        pages = text.split("\f")
    if limits.max_chars is not None and sum(len(p) for p in pages) > limits.max_chars:
        raise DocumentTooLarge("document_too_long", f"the document holds more than "
                               f"{limits.max_chars:,} characters of text, more than this job "
                               "may ingest")
    return pages


def count_pages(found: Sniffed, data: bytes, limits: DocumentLimits) -> int:
    """Pages of a document as the page limit counts them: PDF pages as the file has them; for
    every other format the text actually extracted, 3,000 characters a page (a DOCX never
    counts fewer pages than Word wrote in it). Extraction stops at ``limits.max_chars`` with
    DocumentTooLarge; a file that cannot be read counts one page and is reported by the job."""
    if found.media_type == PDF:
        return found.pages
    try:
        pages = extract_pages(found.media_type, data, limits=limits)
    except DocumentTooLarge:
        raise
    except JobError:
        return max(1, found.pages)
    counted = pages_of(pages)
    if found.media_type == DOCX:
        counted = max(counted, docx_declared_pages(data, limits))
    return counted
