"""Extractive summaries by profile: bills section by section, contracts from classified clauses
with a key-terms table, opinions by the court's signposts; the word budget; rendering."""

from __future__ import annotations

import re

import pytest

from lexgraph.core.clauses import load_clause_finder
from lexgraph.core.ingest.chunking import chunk_pages
from lexgraph.core.ingest.indexing import to_passage
from lexgraph.core.ingest.sentences import is_fragment
from lexgraph.core.summary import KeyTerm, load_profiles
from lexgraph.core.summary.budget import word_budget
from lexgraph.core.summary.citations import check_key_terms
from lexgraph.core.summary.compose import Composed, compose_extractive
from lexgraph.core.summary.key_terms import read_date, read_duration, read_law, read_parties
from lexgraph.core.summary.render import render_summary
from lexgraph.core.summary.units import statement_units
from lexgraph.core.vectorstore.base import Passage

BILL = """SECTION 1. SHORT TITLE.

    This Act may be cited as the ``Rural Water Access Improvement Act of 2021''.

SEC. 2. FINDINGS.

    Congress finds the following:
            (1) Many rural communities lack safe drinking water.
            (2) Aging pipes waste a third of treated water in some
        counties.

SEC. 3. GRANTS FOR RURAL WATER SYSTEMS.

    (a) In General.--The Secretary of Agriculture shall establish a
program to award grants to eligible rural water systems to replace
lead service lines and to repair distribution pipes.
    (b) Priority.--In awarding grants under subsection (a), the
Secretary shall give priority to systems serving fewer than 10,000
residents.

SEC. 4. AMENDMENT TO THE SAFE DRINKING WATER ACT.

    Section 1452(a) of the Safe Drinking Water Act (42 U.S.C. 300j-
12(a)) is amended by adding at the end the following: ``States may
use up to 10 percent of a capitalization grant for technical
assistance to rural systems.''.

SEC. 5. AUTHORIZATION OF APPROPRIATIONS.

    There are authorized to be appropriated to carry out section 3
$50,000,000 for each of fiscal years 2022 through 2026.
"""

CONTRACT = """MASTER SUPPLY AGREEMENT

This Master Supply Agreement (the "Agreement") is entered into as of March 3, 2020 by and
between Northwind Foods, Inc., a Delaware corporation ("Supplier"), and Blue Harbor Trading
LLC, a New York limited liability company ("Buyer").

1. Term. This Agreement shall commence on the Effective Date and continue for an initial term
of three (3) years, and shall automatically renew for successive one (1) year terms unless
either party gives notice of non-renewal at least ninety (90) days before the end of the
then-current term.

2. Payment. Buyer shall pay each invoice within thirty (30) days of receipt.

3. Assignment. Neither party may assign this Agreement without the prior written consent of
the other party, which shall not be unreasonably withheld.

4. Limitation of Liability. In no event shall either party's aggregate liability under this
Agreement exceed the amounts paid by Buyer in the twelve (12) months preceding the claim.

5. Insurance. Supplier shall maintain commercial general liability insurance with limits of
not less than $2,000,000 per occurrence.

6. Governing Law. This Agreement shall be governed by and construed in accordance with the
laws of the State of Delaware, without regard to its conflict of laws principles.
"""

OPINION = """NOTICE: This opinion is subject to formal revision before publication in the
preliminary print of the United States Reports.

Syllabus

Held: A State may not exclude religious schools from a generally available tuition program
solely because of their religious character.

JUSTICE SMITH delivered the opinion of the Court.

Parents in Maine brought this action against the Commissioner of Education after the State
refused tuition assistance for schools that offer religious instruction. The District Court
granted summary judgment to the Commissioner, and the Court of Appeals affirmed that ruling.
The question presented is whether the exclusion violates the Free Exercise Clause. We hold
that it does, because the program singles out religious schools for exclusion from a public
benefit. Under our precedent such a rule triggers strict scrutiny, which the State cannot
satisfy here.

The judgment of the Court of Appeals is reversed, and the case is remanded for further
proceedings consistent with this opinion.
"""


def _passages(text: str, chars: int = 600) -> list[Passage]:
    return [to_passage(c, "doc.txt") for c in chunk_pages("doc_1", [text], max_chars=chars)]


def _compose(text: str, profile: str, length: str | int = "standard") -> Composed:
    finder = load_clause_finder() if profile == "contract" else None
    return compose_extractive(load_profiles()[profile], _passages(text), length=length,
                              finder=finder)


def _assert_verbatim(composed: Composed, text: str) -> None:
    for citation in composed.citations():
        assert text[citation.start:citation.end] == citation.quote


def test_a_bill_reads_short_title_then_its_sections_in_order() -> None:
    composed = _compose(BILL, "legislation")
    purpose, provisions = composed.sections
    assert purpose.key == "purpose" and "may be cited as" in purpose.statements[0].text
    offsets = [st.citations[0].start for st in provisions.statements]
    assert offsets == sorted(offsets) and provisions.statements
    assert all(st.label and st.label.startswith("SEC.") for st in provisions.statements)
    texts = [st.text for s in composed.sections for st in s.statements]
    assert not any(is_fragment(t) for t in texts)
    assert not any(t.startswith(("SEC.", "SECTION")) for t in texts)  # captions are labels
    assert any("42 U.S.C. 300j- 12(a))" in t or "U.S.C." in t for t in texts) or all(
        not t.endswith("U.S.C.") for t in texts)
    _assert_verbatim(composed, BILL)


def test_length_options_order_the_budget() -> None:
    words = 1300
    brief, standard, detailed = (word_budget(n, words, "legislation")
                                 for n in ("brief", "standard", "detailed"))
    assert brief < standard < detailed
    assert word_budget(250, words, "legislation") == 250
    assert word_budget("standard", 5000, "contract") > word_budget("standard", 5000,
                                                                    "legislation")
    short = _compose(BILL, "legislation", "brief").text().split()
    long = _compose(BILL, "legislation", "detailed").text().split()
    assert len(short) < len(long)


def test_a_contract_gets_key_terms_read_from_the_cited_clause() -> None:
    composed = _compose(CONTRACT, "contract", 400)
    terms = {t.key: t for t in composed.key_terms}
    law = terms["governing_law"]
    assert law.found and law.value == "Delaware" and law.citation is not None
    assert "governed by" in law.citation.quote
    parties = terms["parties"]
    assert parties.found and parties.value is not None
    assert "Northwind Foods, Inc." in parties.value and "Blue Harbor Trading LLC" in parties.value
    assert terms["agreement_date"].found is False or terms["agreement_date"].value == (
        "March 3, 2020")
    # What the contract never says is "not found", with no clause and no value.
    for key in ("liquidated_damages", "non_compete", "audit_rights"):
        assert not terms[key].found and terms[key].value is None and terms[key].citation is None
    sections = {s.key: s for s in composed.sections}
    law_section = [st.category for st in sections["governing_law"].statements]
    assert law_section == ["Governing Law"]
    for section in composed.sections:
        allowed = set(next(s.clauses for s in load_profiles()["contract"].sections
                           if s.key == section.key))
        for statement in section.statements:
            assert statement.category is None or statement.category in allowed
    assert check_key_terms(composed.key_terms, {p.id: p for p in _passages(CONTRACT)}) == []
    _assert_verbatim(composed, CONTRACT)


def test_check_key_terms_rejects_a_value_its_clause_does_not_say() -> None:
    composed = _compose(CONTRACT, "contract", 400)
    law = next(t for t in composed.key_terms if t.key == "governing_law")
    forged = law.model_copy(update={"value": "California"})
    passages = {p.id: p for p in _passages(CONTRACT)}
    (problem,) = check_key_terms([forged], passages)
    assert "does not say 'California'" in problem
    unsourced = KeyTerm(key="x", label="X", found=True, value="1 year")
    assert "without the clause" in check_key_terms([unsourced], passages)[0]


def test_value_readers() -> None:
    assert read_date("made as of the 21st day of March, 2019 by") == "21st day of March, 2019"
    assert read_date("dated as of March 21 by") is None  # no year: no date
    assert read_law("governed by the laws of the Commonwealth of Massachusetts") == (
        "Massachusetts")
    assert read_duration("on not less than sixty (60) days' prior notice") == "sixty (60) days"
    renewal = ("continues for an initial term of one (1) year and renews unless either party "
               "gives at least twelve (12) months' prior written notice")
    assert read_duration(renewal) == "one (1) year"
    assert read_duration(renewal, re.compile(r"notice")) == "twelve (12) months"
    assert read_parties("between Acme Widgets, Inc. (\"Acme\") and Beta Labs LLC "
                        "(\"Distributor\")") == "Acme Widgets, Inc. (Acme); Beta Labs LLC " \
                                                "(Distributor)"


def test_a_flattened_clause_title_is_not_part_of_the_statement() -> None:
    text = ("16. Assignment and other dealings prohibited 16.1 The Distributor shall not assign "
            "this agreement without the prior written consent of the Supplier.")
    (unit,) = statement_units(_passages(text))
    assert unit.text.startswith("16.1 The Distributor shall not assign")
    assert text[unit.citation().start:unit.citation().end] == unit.quote


def test_a_document_with_no_clauses_gets_an_empty_table_that_says_so() -> None:
    text = ("Die Parteien vereinbaren die Lieferung von Waren. Der Vertrag beginnt mit der "
            "Unterzeichnung und endet nach zwei Jahren. Es gilt deutsches Recht.")
    composed = _compose(text, "contract")
    assert composed.key_terms and not any(t.found for t in composed.key_terms)
    assert any("English" in n for n in composed.notes)
    assert any("not found" in n for n in composed.notes)
    empty = compose_extractive(load_profiles()["contract"], [], finder=load_clause_finder())
    assert not any(t.found for t in empty.key_terms)


def test_an_opinion_by_its_signposts_without_reporter_boilerplate() -> None:
    composed = _compose(OPINION, "court_opinion", 400)
    by_key = {s.key: s for s in composed.sections}
    (disposition,) = by_key["disposition"].statements
    assert "reversed" in disposition.text and "remanded" in disposition.text
    holding = by_key["holding"].statements
    assert holding[0].text.startswith("Held:") and holding[0].label == "Syllabus"
    assert any("question presented" in st.text for st in by_key["issues"].statements)
    assert any("District Court granted" in st.text
               for st in by_key["procedural_history"].statements)
    texts = [st.text for s in composed.sections for st in s.statements]
    assert not any("formal revision" in t for t in texts)
    _assert_verbatim(composed, OPINION)


def test_markdown_has_the_key_terms_and_leaves_out_unexpected_empty_sections() -> None:
    profile = load_profiles()["contract"]
    composed = _compose(CONTRACT, "contract", 400)
    for section in composed.sections:
        section.expected = next(s.expected for s in profile.sections if s.key == section.key)
    md = render_summary(title=profile.title, matter="m", mode="extractive",
                        sections=composed.sections, profile=profile,
                        key_terms=composed.key_terms, notes=["a note"])
    assert "## Key terms" in md and "| Governing law | Delaware | [^" in md
    assert "| Non-compete | not found | |" in md
    assert "> a note" in md
    empty = [s for s in composed.sections if not s.statements]
    for section in empty:
        if section.expected:
            assert f"## {section.title}\n\n_Not found in the documents._" in md
        else:
            assert f"## {section.title}\n" not in md
    assert md.count("[^") == 2 * len(composed.citations())


@pytest.mark.parametrize("profile", ["legislation", "contract", "court_opinion"])
def test_every_profile_survives_empty_and_junk_input(profile: str) -> None:
    for text in ("", "12\n\n-3-\n\nPage 4 of 9", "%%%% #### ////"):
        finder = load_clause_finder() if profile == "contract" else None
        composed = _compose(text, profile) if text else compose_extractive(
            load_profiles()[profile], [], finder=finder)
        assert all(not s.statements for s in composed.sections)
