"""Word rendering of a finished job's result: the same content as the Markdown, for people who
file summaries in Word.

Each statement ends with bracketed citation numbers; the numbered sources (document, page,
quoted span) follow the summary, as footnotes would.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any

from docx import Document
from docx.shared import Pt

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Characters XML 1.0 cannot hold at all. PDF text layers do carry some (control codes, stray
# surrogates), and python-docx refuses the whole document over one of them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: object) -> str:
    return _NOT_XML.sub(" ", str(value if value is not None else ""))


def _flat(text: str, limit: int = 400) -> str:
    flat = " ".join(_text(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def render_docx(result: Mapping[str, Any]) -> bytes:
    """The result (the JSON body of ``GET /v1/jobs/{id}/result``) as a .docx file."""
    doc = Document()
    title = _text(f"{result.get('title', 'Summary')}: {result.get('matter', '')}")
    doc.core_properties.title = title
    doc.add_heading(title, level=0)
    mode = result.get("mode")
    note = ("Extractive: verbatim sentences from the sources; no language model."
            if mode == "extractive" else _text(f"Mode: {mode}."))
    doc.add_paragraph(note).runs[0].italic = True

    sources: list[str] = []

    def cite(para: Any, citation: Mapping[str, Any]) -> None:
        sources.append(_text(f"{citation.get('document', '')}, p. {citation.get('page', '?')}: ")
                       + f"“{_flat(citation.get('quote', ''))}”")
        mark = para.add_run(f"[{len(sources)}]")
        mark.font.superscript = True

    for note in result.get("notes") or []:
        doc.add_paragraph(_text(note)).runs[0].italic = True
    terms = result.get("key_terms") or []
    if terms:
        doc.add_heading("Key terms", level=1)
        table = doc.add_table(rows=1, cols=2)
        table.style = "Table Grid"
        table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Term", "Value"
        for term in terms:
            cells = table.add_row().cells
            cells[0].text = _text(term.get("label", ""))
            para = cells[1].paragraphs[0]
            if not term.get("found"):
                para.add_run("not found")
                continue
            para.add_run(_text(term.get("value") or "see the clause"))
            if term.get("citation"):
                cite(para, term["citation"])
    for section in result.get("sections", []):
        statements = section.get("statements", [])
        if not statements and section.get("expected") is False:
            continue
        doc.add_heading(_text(section.get("title", section.get("key", ""))), level=1)
        if not statements:
            doc.add_paragraph("Not found in the documents.").runs[0].italic = True
            continue
        for statement in statements:
            para = doc.add_paragraph(style="List Bullet")
            if statement.get("label"):
                para.add_run(_text(statement["label"]) + " ").bold = True
            para.add_run(_text(statement.get("text", "")))
            for citation in statement.get("citations", []):
                cite(para, citation)

    lines: list[str] = []
    for d in result.get("documents") or []:
        error = d.get("error")
        lines.append(f"{d.get('filename')}: not read: {error.get('message')} "
                     f"({error.get('code')})" if error
                     else f"{d.get('filename')}: {d.get('pages', 0)} page(s)")
    if lines:
        doc.add_heading("Documents", level=1)
        for line in lines:
            doc.add_paragraph(_text(line), style="List Bullet")

    compliance = result.get("compliance")
    if compliance:
        doc.add_heading("Checks", level=1)
        doc.add_paragraph(_text(f"Verdict: {compliance.get('verdict')}."))
        for finding in compliance.get("findings", []):
            doc.add_paragraph(_text(f"{finding.get('check')}: {finding.get('detail')}"),
                              style="List Bullet")
    review = result.get("review")
    if review:
        line = f"Human review: {review.get('action')}"
        if review.get("comment"):
            line += f" ({review['comment']})"
        doc.add_paragraph(_text(line + "."))
    quarantined = result.get("quarantined") or []
    if quarantined:
        doc.add_paragraph(f"{len(quarantined)} passage(s) were held back by screening and never "
                          "shown to a model.")
    redactions = result.get("redactions") or {}
    if redactions:
        counts = ", ".join(f"{n} {kind}" for kind, n in sorted(redactions.items()))
        doc.add_paragraph(_text(f"Personal data pseudonymized before any model saw it: "
                                f"{counts}."))

    if sources:
        doc.add_heading("Sources", level=1)
        for i, source in enumerate(sources, start=1):
            para = doc.add_paragraph(f"[{i}] {source}")
            for run in para.runs:
                run.font.size = Pt(9)

    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
