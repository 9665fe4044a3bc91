"""Extractive selection, citation checks, policy and rendering, on the real embedding model."""

from __future__ import annotations

import pytest

from lexgraph.adapters.embeddings.local import LocalEmbedder
from lexgraph.core.errors import ConfigError
from lexgraph.core.ingest.chunking import chunk_pages
from lexgraph.core.ingest.indexing import to_passage
from lexgraph.core.summary import load_profiles
from lexgraph.core.summary.citations import cite, verify
from lexgraph.core.summary.extractive import lead_sentences, summarize_extractive
from lexgraph.core.summary.policy import check_policy
from lexgraph.core.summary.render import render_summary
from lexgraph.core.summary.schema import Citation, Section, Statement
from lexgraph.core.vectorstore.base import Passage

PAGE = (
    "SUPPLY AGREEMENT\n\n"
    "1. Parties\nThis Agreement is made between Northwind Foods Ltd, a company registered in "
    "England, and Blue Harbor Trading Inc., a Delaware corporation.\n\n"
    "2. Payment\nThe Buyer shall pay each invoice within thirty days of receipt. Late payments "
    "bear interest at four percent per year above the base rate.\n\n"
    "3. Termination\nEither party may terminate this Agreement on ninety days' written notice. "
    "The Supplier may terminate at once if the Buyer fails to pay for sixty days.\n\n"
    "4. Governing Law\nThis Agreement is governed by the laws of England and Wales, and the "
    "courts of London have exclusive jurisdiction over any dispute.\n"
)


@pytest.fixture(scope="module")
def passages() -> list[Passage]:
    return [to_passage(c, "supply.txt") for c in chunk_pages("doc_1", [PAGE], max_chars=400)]


def test_profiles_name_the_contract_sections() -> None:
    contract = load_profiles()["contract"]
    assert [s.key for s in contract.sections] == [
        "parties", "term", "obligations", "licence_and_ip", "payment", "restrictions",
        "termination", "assignment", "liability", "confidentiality", "governing_law"]
    assert set(load_profiles()) == {"contract", "court_opinion", "legislation", "general"}


def test_extractive_picks_verbatim_cited_sentences_per_section(
        embedder: LocalEmbedder, passages: list[Passage]) -> None:
    profile = load_profiles()["contract"]
    retrieved = {s.key: passages for s in profile.sections}
    sections = summarize_extractive(profile, retrieved, embedder, per_section=1)
    by_key = {s.key: s for s in sections}
    clauses = {"parties": "1. Parties", "payment": "2. Payment",
               "termination": "3. Termination", "governing_law": "4. Governing Law"}
    bounds = [*sorted(PAGE.index(h) for h in clauses.values()), len(PAGE)]
    for key, heading in clauses.items():
        lo = PAGE.index(heading)
        hi = bounds[bounds.index(lo) + 1]
        (statement,) = by_key[key].statements
        assert lo <= statement.citations[0].start < hi, (key, statement.text)
    texts = [st.text for s in sections for st in s.statements]
    assert len(texts) == len(set(texts))  # one sentence serves one section only
    for section in sections:
        for statement in section.statements:
            (citation,) = statement.citations
            assert PAGE[citation.start:citation.end] == citation.quote  # highlightable
            assert " ".join(citation.quote.split()) == statement.text


def test_verify_accepts_support_and_rejects_misattribution(
        embedder: LocalEmbedder, passages: list[Passage]) -> None:
    by_id = {p.id: p for p in passages}
    payment = next(p for p in passages if "invoice" in p.text)
    law = next(p for p in passages if "governed by" in p.text)
    good = Statement(text="Invoices must be paid within 30 days of receipt.",
                     citations=[cite("Invoices must be paid within 30 days.", payment, embedder)])
    wrong = Statement(text="Invoices must be paid within 30 days of receipt.",
                      citations=[cite("laws of England", law, embedder)])
    uncited = Statement(text="The Buyer must insure the goods.")
    forged = Statement(text="The Buyer shall pay each invoice.", citations=[Citation(
        chunk_id=payment.id, document_id="doc_1", document="supply.txt", page=1,
        start=payment.start, end=payment.start + 5, quote="XXXXX")])
    outside = Statement(text="x", citations=[Citation(chunk_id="doc_9:1:1", document_id="doc_9",
                                                       document="q", page=1, start=0, end=1,
                                                       quote="x")])
    checks = verify([Section(key="payment", title="Payment",
                             statements=[good, wrong, uncited, forged, outside])], by_id,
                    embedder)
    assert [c.supported for c in checks] == [True, False, False, False, False]
    assert checks[1].reason is not None and "below" in checks[1].reason
    assert checks[2].reason == "the statement cites no passage"
    assert checks[3].reason is not None and "not at its offsets" in checks[3].reason
    assert checks[4].reason is not None and "not an admissible passage" in checks[4].reason


def test_policy_flags_advice_and_promises() -> None:
    assert [v.rule for v in check_policy("We recommend you should sue.")] == ["advice", "advice"]
    assert [v.action for v in check_policy("The claim is guaranteed.")] == ["escalate"]
    assert check_policy("The Buyer shall pay within thirty days.") == []


def test_markdown_has_footnotes_for_every_citation(
        embedder: LocalEmbedder, passages: list[Passage]) -> None:
    profile = load_profiles()["contract"]
    sections = summarize_extractive(profile, {s.key: passages for s in profile.sections},
                                    embedder, per_section=1)
    md = render_summary(title="Contract summary", matter="m-1", mode="extractive",
                        sections=sections, redactions={"PERSON": 2},
                        compliance={"verdict": "pass", "findings": []})
    cited = sum(len(st.citations) for s in sections for st in s.statements)
    assert md.count("[^") == 2 * cited  # one mark and one footnote each
    assert "## Payment" in md and "supply.txt, p. 1" in md
    assert "Personal data pseudonymized before any model saw it: 2 PERSON." in md


def test_lead_baseline_takes_the_first_sentences() -> None:
    text = "First one here. Second one here. Third one here. Fourth one."
    assert lead_sentences(text, 3) == ["First one here.", "Second one here.", "Third one here."]


def test_a_broken_profile_file_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import lexgraph.core.summary.profiles as profiles

    profiles.load_profiles.cache_clear()
    monkeypatch.setattr(profiles.yaml, "safe_load", lambda _: {"x": {"title": "t",
                                                                      "sections": []}})
    with pytest.raises(ConfigError, match="profile 'x'"):
        profiles.load_profiles()
    profiles.load_profiles.cache_clear()
