"""Documents the ingestion tests build: real files of each kind, good and bad.

The real documents most tests need ship in ``tests/data/`` (origins and licences in its
README). The rest of the shared corpus (``../shared/corpus``: the other contracts, the
pleading-paper order) is only beside some checkouts: tests of those files skip without it.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CORPUS

DATA = Path(__file__).resolve().parent / "data"
_FUSE = "FuseMedicalInc_20190321_10-K_EX-10.43_11575454_EX-10.43_Distributor_Agreement"
FUSE_PDF = DATA / f"cuad_{_FUSE}.pdf"
FUSE_TXT = DATA / f"{_FUSE}.txt"  # CUAD's own plain-text rendering of the same contract
OPINION_PDF = DATA / "usca1_20-1507_Calvary_Chapel_of_Bangor_v_Mills_opinion.pdf"

# Shared corpus only.
SHARED_ABSENT = (f"the shared corpus is not at {CORPUS} (a plain clone has only the documents "
                 "in tests/data/)")
CONTRACTS = CORPUS / "contracts"  # the 5 CUAD contracts as plain text, FUSE_TXT among them
ORDER_PDF = CORPUS / "pdf" / ("azd_MDL_15-02641_In_re_Bard_IVC_Filters_suggestion_of_remand_and_"
                              "transfer_order.pdf")  # 590 KB: too big to ship


def needs_shared(path: Path) -> pytest.MarkDecorator:
    """Skips a test that reads ``path`` of the shared corpus when the corpus is absent."""
    return pytest.mark.skipif(not CORPUS.is_dir(), reason=f"{SHARED_ABSENT}; needs {path.name}")


def documents(shipped: Iterable[Path], shared: Iterable[Path]) -> list[Any]:
    """Parameters for a test run on each of several documents: the ``shipped`` ones, then the
    ``shared`` corpus's others (by name), or, without the corpus, one skipped parameter
    standing for them. Ids are the file names' first 24 characters."""
    params = [pytest.param(p, id=p.name[:24]) for p in shipped]
    if not CORPUS.is_dir():
        return [*params, pytest.param(None, id="shared-corpus",
                                      marks=pytest.mark.skip(reason=SHARED_ABSENT))]
    names = {p.name for p in shipped}
    return params + [pytest.param(p, id=p.name[:24]) for p in shared if p.name not in names]


def scanned_pdf(text: str = "MASTER SERVICES AGREEMENT", pages: int = 2) -> bytes:
    """What a scanner makes: each page one bitmap with the words drawn in it, no text layer."""
    from PIL import Image, ImageDraw

    images = []
    for n in range(pages):
        image = Image.new("L", (850, 1100), color=255)
        ImageDraw.Draw(image).text((80, 100), f"{text} - page {n + 1}", fill=0)
        images.append(image)
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=100.0)
    return out.getvalue()


def text_pdf(pages: list[str]) -> bytes:
    """A PDF with a real text layer, one line of text per page."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    for text in pages:
        page = writer.add_blank_page(width=612, height=792)
        font = writer._add_object(DictionaryObject({
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }))
        page[NameObject("/Resources")] = DictionaryObject({
            NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
        content = DecodedStreamObject()
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        content.set_data(f"BT /F1 11 Tf 72 720 Td ({escaped}) Tj ET".encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(content)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_pdf(text: str = "Confidential settlement terms.") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf([text]))))
    writer.encrypt(user_password="s3cret", owner_password="owner", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def corrupt_pdf() -> bytes:
    """A PDF header and trailer around bytes that are no PDF structure at all."""
    good = text_pdf(["This text is lost."])
    return good[:16] + bytes(range(256)) * 8 + b"\n%%EOF\n"


def docx_bomb(unpacked_mib: int = 80) -> bytes:
    """A small DOCX whose main part inflates to ``unpacked_mib`` MiB of zeros."""
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    head = f'<w:document xmlns:w="{w}"><w:body><w:p><w:r><w:t>'.encode()
    tail = b"</w:t></w:r></w:p></w:body></w:document>"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("word/document.xml", "w", force_zip64=True) as part:
            part.write(head)
            block = b"0" * (1024 * 1024)
            for _ in range(unpacked_mib):
                part.write(block)
            part.write(tail)
    return out.getvalue()


def word_document(blocks: list[tuple[str, str]]) -> bytes:
    """A DOCX written by python-docx. ``blocks``: (kind, text) with kind one of "title",
    "h1", "h2", "p", "pagebreak" or "table" (cells separated by "|", rows by "\\n")."""
    import docx
    from docx.enum.text import WD_BREAK

    document = docx.Document()
    for kind, text in blocks:
        if kind == "title":
            document.add_heading(text, level=0)
        elif kind in ("h1", "h2"):
            document.add_heading(text, level=int(kind[1]))
        elif kind == "p":
            document.add_paragraph(text)
        elif kind == "pagebreak":
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        elif kind == "table":
            rows = [row.split("|") for row in text.split("\n")]
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
