"""The web page's pure parts: session tokens, quote anchoring, the DOCX renderer, the draft a
reviewer sees."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document

from lexgraph.api.web_session import SessionCodec, load_secret
from lexgraph.core.config.settings import Settings
from lexgraph.core.errors import Forbidden
from lexgraph.core.pii import PseudonymMap
from lexgraph.core.summary.anchoring import anchor
from lexgraph.core.summary.docx_export import render_docx
from lexgraph.graphs.drafts import draft_view

NOW = 1_800_000_000.0


def test_a_session_token_round_trips_and_expires() -> None:
    codec = SessionCodec(b"k" * 32, max_age_seconds=3600)
    token = codec.issue("key_abc", now=NOW)
    session = codec.read(token, now=NOW + 10)
    assert session is not None and session.key_id == "key_abc"
    assert codec.read(token, now=NOW + 3601) is None
    assert codec.read(token, now=NOW - 600) is None  # issued in the future: a forged clock
    assert SessionCodec(b"x" * 32, 3600).read(token, now=NOW) is None
    key_id, issued, nonce, sig = token.split(".")
    assert codec.read(f"key_other.{issued}.{nonce}.{sig}", now=NOW) is None
    flipped = sig[:-1] + ("B" if sig.endswith("A") else "A")
    assert codec.read(f"{key_id}.{issued}.{nonce}.{flipped}", now=NOW) is None
    for junk in (None, "", "a.b", "a.b.c.d.e", "key.notanumber.n.s"):
        assert codec.read(junk, now=NOW) is None


def test_csrf_tokens_belong_to_one_session() -> None:
    codec = SessionCodec(b"k" * 32, max_age_seconds=3600)
    first = codec.read(codec.issue("key_abc", now=NOW), now=NOW)
    second = codec.read(codec.issue("key_abc", now=NOW), now=NOW)
    assert first is not None and second is not None
    assert codec.csrf_token(first) != codec.csrf_token(second)
    codec.check_csrf(first, codec.csrf_token(first))
    for presented in (None, "", codec.csrf_token(second)):
        try:
            codec.check_csrf(first, presented)
        except Forbidden:
            continue
        raise AssertionError(f"accepted {presented!r}")


def test_the_secret_is_made_once_per_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    first = load_secret(settings)
    assert len(first) >= 40 and load_secret(settings) == first
    assert (tmp_path / "var" / "web-session.key").stat().st_mode & 0o077 == 0
    configured = Settings(data_dir=tmp_path / "var", web_session_secret="s3cret")
    assert load_secret(configured) == b"s3cret"


def test_anchor_trusts_offsets_then_words() -> None:
    text = "1. Rent\nThe Tenant shall pay rent. The Tenant shall pay rent."
    second = text.rindex("The Tenant")
    end = second + len("The Tenant shall pay rent.")
    exact = anchor(text, second, end, "The Tenant shall pay rent.")
    assert exact is not None and exact.exact and (exact.start, exact.end) == (second, end)
    moved = anchor(text, 0, 5, "The Tenant shall pay rent.")
    assert moved is not None and not moved.exact and text[moved.start:moved.end].startswith("The")
    assert anchor(text, 0, 5, "not there") is None
    assert anchor(text, 0, 0, "") is None


def test_docx_has_sections_citations_and_survives_control_characters() -> None:
    result = {
        "title": "Contract summary", "matter": "harbour\x0c", "mode": "extractive",
        "sections": [
            {"key": "payment", "title": "Payment", "statements": [
                {"text": "Rent is paid\x00 monthly.", "citations": [
                    {"document": "lease.pdf", "page": 2, "quote": "Rent is paid\x0b monthly."}]}]},
            {"key": "term", "title": "Term", "statements": []},
            {"key": "restrictions", "title": "Restrictions", "statements": [],
             "expected": False}],
        "key_terms": [
            {"key": "governing_law", "label": "Governing law", "found": True,
             "value": "Delaware", "citation": {"document": "lease.pdf", "page": 3,
                                               "quote": "governed by the laws of Delaware"}},
            {"key": "non_compete", "label": "Non-compete", "found": False}],
        "notes": ["Some clauses could not be read."],
        "compliance": {"verdict": "pass", "findings": []},
        "review": {"action": "approve", "comment": "ok"},
        "quarantined": [{"chunk_id": "d:1:0"}], "redactions": {"PERSON": 2},
        "documents": [{"filename": "lease.pdf", "pages": 3, "error": None}],
    }
    doc = Document(io.BytesIO(render_docx(result)))
    texts = [p.text for p in doc.paragraphs]
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    # An empty section the reader does not expect is left out; "Term" predates the flag.
    assert headings == ["Key terms", "Payment", "Term", "Documents", "Checks", "Sources"]
    (table,) = doc.tables
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows == [["Term", "Value"], ["Governing law", "Delaware[1]"],
                    ["Non-compete", "not found"]]
    assert "Some clauses could not be read." in texts
    assert "Rent is paid  monthly.[2]" in texts
    assert "[2] lease.pdf, p. 2: “Rent is paid monthly.”" in texts
    assert "Not found in the documents." in texts
    assert "Human review: approve (ok)." in texts
    assert "Personal data pseudonymized before any model saw it: 2 PERSON." in texts


def test_the_draft_is_reidentified_and_cites_the_original_page() -> None:
    pii = {"version": PseudonymMap().to_state()["version"], "entries": [
        {"placeholder": "<PERSON_1>", "type": "PERSON", "surfaces": ["Ada Lovelace"]}]}
    page = "Heading\nThe consultant is Ada Lovelace. Fees are due in thirty days."
    chunk = {"id": "doc_1:1:0", "document_id": "doc_1", "document": "a.txt", "page": 1,
             "page_end": 1, "start": 8, "end": len(page), "heading": "Heading",
             "text": page[8:]}
    values = {
        "chunks": [chunk], "pii": pii,
        "draft": [{"key": "parties", "title": "Parties", "statements": [
            {"text": "The consultant is <PERSON_1>.", "citations": [
                {"chunk_id": "doc_1:1:0", "quote": "The consultant is <PERSON_1>."},
                {"chunk_id": "doc_9:1:0", "quote": "gone"}]},
            {"text": "Second.", "citations": [{"chunk_id": "doc_1:1:0",
                                                "quote": "<PERSON_9> wrote this"}]}]}],
        "compliance": {"verdict": "escalate", "findings": []},
    }
    view = draft_view(values)
    assert view is not None
    first, second = view["sections"][0]["statements"]
    assert first["text"] == "The consultant is Ada Lovelace."
    (citation,) = first["citations"]  # the citation of an unknown chunk is dropped
    assert page[citation["start"]:citation["end"]] == citation["quote"] == (
        "The consultant is Ada Lovelace.")
    (whole,) = second["citations"]  # the quote is not in the chunk: the whole chunk is cited
    assert (whole["start"], whole["end"], whole["quote"]) == (8, len(page), page[8:])
    assert draft_view({"chunks": []}) is None
