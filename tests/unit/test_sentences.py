"""Legal sentence segmentation and the statement rules (lexgraph.core.ingest.sentences)."""

from __future__ import annotations

import random
import time

import pytest

from lexgraph.core.ingest.sentences import (
    clean_statement_spans,
    is_fragment,
    legal_sentences,
    page_furniture,
    statement_problem,
    trim_furniture,
)

# Modelled on BillSum bill text: indented hard-wrapped lines, ``quotes'', blank lines.
BILL = """SECTION 1. SHORT TITLE.

    This Act may be cited as the ``Rural Clinic Support Act of 2009''.

SEC. 2. FINDINGS.

    The Congress finds as follows:
            (1) Rural clinics serve 12,000,000 patients each year.
            (2) Section 1861(aa) of the Social Security Act (42 U.S.C.\x20
        1395x(aa)) defines a rural health clinic.

SEC. 3. PAYMENTS TO RURAL HEALTH CLINICS FOR CERTAIN MEDICAL\x20
              SERVICES FURNISHED TO ELIGIBLE INDIVIDUALS.

    (a) In General.--Section 1833(f) of the Social Security Act (42\x20
U.S.C. 1395l(f)) is amended--
            (1) in paragraph (2), by striking ``2010''; and
            (2) by adding at the end the following new sentence: ``The\x20
        limit shall be increased by 5 percent.''.
    (b) Effective Date.--The amendments made by subsection (a) shall\x20
apply to services furnished on or after January 1, 2010.
"""

# Modelled on a CUAD contract: long lines, numbered captions, a notice block, signatures.
CONTRACT = """DISTRIBUTION AGREEMENT

This Distribution Agreement is entered into as of March 3, 2015 by and between Acme Co., Ltd. \
and Beta Inc. (the "Distributor").

1. Appointment

1.1 Acme hereby appoints the Distributor as its exclusive distributor in the Territory \
described in Exhibit A. The Distributor accepts the appointment.

1.2 The Distributor shall:

(a) use its best efforts to promote the Products;

(b) maintain adequate inventory; and

(c) comply with all applicable laws.

12. Notices

All notices shall be in writing and delivered to the addresses below.

Acme Co., Ltd.
1200 Harbor Boulevard
Long Beach, CA 90802
Attention: General Counsel
Fax: (562) 555-0100

IN WITNESS WHEREOF, the parties have executed this Agreement as of the date first written above.

By: ______________________
Name: J. Smith
Title: President
"""

NOTICE = ("NOTICE: This opinion is subject to formal revision before publication in the "
          "preliminary print of the United States Reports. Readers are requested to notify the "
          "Reporter of Decisions, Supreme Court of the United States, Washington, D. C. 20543, of "
          "any typographical or other formal errors.")


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in legal_sentences(text)]


def flat(text: str) -> str:
    return " ".join(text.split())


# --- legal_sentences --------------------------------------------------------------------------

def test_usc_citation_inside_brackets_stays_one_sentence() -> None:
    text = ("Section 5 of the Clean Water Act (33 U.S.C. 652(e)(5)) (as amended by section 3) "
            "is repealed. The Secretary shall report to Congress.")
    assert [flat(s) for s in sentences(text)] == [
        "Section 5 of the Clean Water Act (33 U.S.C. 652(e)(5)) (as amended by section 3) "
        "is repealed.",
        "The Secretary shall report to Congress.",
    ]


@pytest.mark.parametrize("sentence", [
    "The program established under Pub. L. 104-193 shall continue.",
    "Benefits under 42 U.S.C. 1395 et seq. shall be paid monthly.",
    "Acme Co., Ltd. and Beta Inc. agree to the terms set out below.",
    "The notice was signed by J. Smith on behalf of the Company.",
    "Payment is due on Jan. 15 of each year under Sec. 4 of the Plan.",
    "The court in Smith v. Jones, No. 20-1507, held otherwise.",
    "Funds appropriated by the Act (110 Stat. 2105) remain available.",
    "Products, e.g. filters, i.e. the items in Schedule B, etc. are covered.",
    "Dr. Brown and Ms. Green shall serve on the committee under Art. 3 of the charter.",
])
def test_abbreviations_do_not_split(sentence: str) -> None:
    text = f"{sentence} The parties agree."
    assert sentences(text) == [sentence, "The parties agree."]


def test_sentence_end_after_exhibit_letter_and_company_suffix() -> None:
    text = ("The Territory is described in Exhibit A. The term is five years. "
            "The seller is Beta Inc. The buyer is Gamma LLC.")
    assert sentences(text) == [
        "The Territory is described in Exhibit A.", "The term is five years.",
        "The seller is Beta Inc.", "The buyer is Gamma LLC.",
    ]


def test_section_number_caption_is_not_cut() -> None:
    assert sentences("SEC. 2. FINDINGS.\n\nThe Congress finds that clinics close.") == [
        "SEC. 2. FINDINGS.", "The Congress finds that clinics close."]
    clause = "4.2. The Buyer shall pay the price."
    assert sentences(clause) == [clause]


def test_wrapped_bill_sentence_with_blank_lines_stays_whole() -> None:
    text = ("    (b) Effective Date.--The amendments made by this section shall \n\n"
            "apply to services furnished on or after the date of the \n\n"
            "enactment of this Act.\n\nSEC. 4. REPORT.\n")
    got = sentences(text)
    assert [flat(s) for s in got] == [
        "(b) Effective Date.--The amendments made by this section shall apply to services "
        "furnished on or after the date of the enactment of this Act.",
        "SEC. 4. REPORT.",
    ]


def test_blank_line_after_sentence_end_is_a_boundary() -> None:
    text = "The Company shall keep records.\n\nthe records are kept for five years."
    assert sentences(text) == ["The Company shall keep records.",
                               "the records are kept for five years."]


def test_enumerated_items_are_split_and_lead_in_is_separate() -> None:
    got = [flat(s) for s in sentences(BILL)]
    assert "(1) in paragraph (2), by striking ``2010''; and" in got
    assert "(1) Rural clinics serve 12,000,000 patients each year." in got
    assert "(a) In General.--Section 1833(f) of the Social Security Act (42 U.S.C. 1395l(f)) " \
           "is amended--" in got
    assert "The Congress finds as follows:" in got
    assert ("(2) Section 1861(aa) of the Social Security Act (42 U.S.C. 1395x(aa)) defines a "
            "rural health clinic.") in got


def test_inline_enumeration_after_semicolons_is_split() -> None:
    text = ("The Distributor shall: (a) promote the Products; (b) keep stock; and "
            "(c) report monthly.")
    assert sentences(text) == ["The Distributor shall:", "(a) promote the Products;",
                               "(b) keep stock; and", "(c) report monthly."]


def test_headings_are_their_own_spans() -> None:
    got = [flat(s) for s in sentences(BILL)]
    assert "SECTION 1. SHORT TITLE." in got
    assert ("SEC. 3. PAYMENTS TO RURAL HEALTH CLINICS FOR CERTAIN MEDICAL SERVICES FURNISHED TO "
            "ELIGIBLE INDIVIDUALS.") in got
    contract = sentences(CONTRACT)
    assert "DISTRIBUTION AGREEMENT" in contract
    assert "1. Appointment" in contract
    assert "ARTICLE IV" in sentences("ARTICLE IV\nThe Seller warrants title to the goods.")


def test_caption_then_wide_gap_is_split() -> None:
    text = "4. EXCLUSIVITY OF ENDORSEMENT   During the term the Consultant shall not endorse."
    assert sentences(text) == ["4. EXCLUSIVITY OF ENDORSEMENT",
                               "During the term the Consultant shall not endorse."]


def test_wrapped_line_that_looks_like_a_title_is_not_a_heading() -> None:
    text = ("    (1) The Office of Management and Budget\n"
            "        shall report to Congress each year.\n")
    assert [flat(s) for s in sentences(text)] == [
        "(1) The Office of Management and Budget shall report to Congress each year."]


def test_page_number_lines_never_join_a_sentence() -> None:
    text = "The Buyer shall pay the price.\n\n-6-\n\nThe Seller shall deliver the goods.\n12\n"
    got = sentences(text)
    assert got == ["The Buyer shall pay the price.", "The Seller shall deliver the goods."]
    wrapped = "The Buyer shall pay\n\n  7\n\nthe price within 30 days."
    assert all("7\n" not in s for s in sentences(wrapped))


def test_start_and_end_limit_the_region() -> None:
    text = "First sentence here. Second sentence here. Third sentence here."
    start = text.index("Second")
    spans = legal_sentences(text, start, len(text))
    assert [text[s:e] for s, e in spans] == ["Second sentence here.", "Third sentence here."]
    assert all(s >= start for s, _ in spans)


def test_windows_line_endings() -> None:
    text = "The Court remands the case.\r\n\r\n-2-\r\nThe parties shall file a report.\r\n"
    assert sentences(text) == ["The Court remands the case.", "The parties shall file a report."]


# --- statement_problem and is_fragment --------------------------------------------------------

@pytest.mark.parametrize(("sentence", "problem"), [
    ("SEC. 2. FINDINGS.", "heading"),
    ("SEC. 3. DEFINITIONS.", "heading"),
    ("ARTICLE IV", "heading"),
    ("12. Termination", "heading"),
    ("CONFIDENTIALITY", "heading"),
    ("1.1 Governing Law.", "heading"),
    ("The Secretary shall--", "fragment"),
    ("The Congress finds as follows:", "fragment"),
    ("652(e)(5)) (as amended by section 2) is amended.", "fragment"),
    ("(33 U.S.C.", "fragment"),
    ("and the Buyer shall pay the price.", "fragment"),
    ("The Buyer shall pay the price and", "fragment"),
    ("The Buyer shall pay the price (net of tax.", "fragment"),
    ("Too few.", "fragment"),
    ("The Buyer shall pay the price;", "fragment"),
    (NOTICE, "boilerplate"),
    ("Slip Opinion", "boilerplate"),
    ("The syllabus constitutes no part of the opinion of the Court but has been prepared by the "
     "Reporter of Decisions for the convenience of the reader.", "boilerplate"),
    ("Cite as: 590 U.S. ___ (2020)", "boilerplate"),
    ("Source: ACME CORP, 10-K, 3/1/2019", "boilerplate"),
    ("[***]", "boilerplate"),
    ("*** Confidential treatment requested", "boilerplate"),
    ("Page 6 of 20", "boilerplate"),
    ("Article 12 Termination ........ 14", "boilerplate"),
    ("-6-", "furniture"),
    ("17", "furniture"),
    ("Case: 20-1507 Document: 00117684624 Page: 3 Date Filed: 12/22/2020", "furniture"),
    ("IN WITNESS WHEREOF, the parties have executed this Agreement as of the date first written "
     "above.", "signature"),
    ("By: ______________________ Name: J. Smith Title: President", "signature"),
    ("Name: Jane Roe Title: Chief Executive Officer", "signature"),
    ("Acme Co., Ltd. 1200 Harbor Boulevard Long Beach, CA 90802 Attention: General Counsel",
     "address"),
    ("Fax: (562) 555-0100", "address"),
    ("c/o Smith & Jones LLP, 10 Main Street, Springfield, IL 62701", "address"),
    ("1200 Harbor Boulevard", "address"),
])
def test_statement_problem(sentence: str, problem: str) -> None:
    assert statement_problem(sentence) == problem


@pytest.mark.parametrize("sentence", [
    "(1) in paragraph (2), by striking \"2010\"; and",
    "(1) in paragraph (2), by striking ``2010''; and",
    "(b) maintain adequate inventory; or",
    "``(A) provide education classes in starting a business;",
    "WHEREAS, the Seller desires to sell the Products;",
    "The Buyer shall pay the price within 30 days.",
    "This Act may be cited as the ``Rural Clinic Support Act of 2009''.",
    "1.2 The Distributor shall maintain adequate inventory.",
    "\"Affiliate\" means any entity controlling a party.",
    "Is the price final?",
    "\"Order Acceptance\" has the meaning specified in Section 3.2(b)(i);",
    "1) Provide the Products in accordance with the specifications.",
    "The principal office shall be located at 1600 State Road, Doylestown, PA 18901.",
    "IN NO EVENT SHALL EITHER PARTY BE LIABLE FOR ANY INDIRECT, INCIDENTAL OR CONSEQUENTIAL "
    "DAMAGES ARISING OUT OF THIS AGREEMENT.",
])
def test_statements_that_stand(sentence: str) -> None:
    assert statement_problem(sentence) is None
    assert not is_fragment(sentence)


@pytest.mark.parametrize(("sentence", "fragment"), [
    ("The Secretary shall--", True),
    ("such use shall be for the Licensor's benefit.", True),
    ("U.S.C. 1396a(w)) is amended by adding a paragraph.", True),
    ("(a) use its best efforts to promote the Products;", False),
    ("The Licensee shall pay royalties quarterly.", False),
    ("The Licensee shall pay royalties quarterly", True),
])
def test_is_fragment(sentence: str, fragment: bool) -> None:
    assert is_fragment(sentence) is fragment


# --- furniture ----------------------------------------------------------------------------------

def test_leading_page_furniture_is_trimmed() -> None:
    text = "-6- 7 technical assistance shall be provided by the Secretary."
    s, e = trim_furniture(text, 0, len(text))
    assert text[s:e] == "technical assistance shall be provided by the Secretary."
    text = "The Buyer pays. -6- 7 The Seller shall provide technical assistance."
    spans = clean_statement_spans(text)
    assert [text[s:e] for s, e in spans] == [
        "The Buyer pays.", "The Seller shall provide technical assistance."]


def test_enumerator_is_not_taken_for_furniture() -> None:
    text = "7. The Seller shall deliver the goods."
    assert trim_furniture(text, 0, len(text)) == (0, len(text))
    text = "2 Bard manufactures medical devices."
    assert trim_furniture(text, 0, len(text)) == (0, len(text))


def test_running_headers_and_page_numbers_are_found() -> None:
    pages = [
        f"Case: 20-1507 Document: 0011 Page: {n}\nThe court considered the {word} argument.\n"
        f"The {word} point is addressed on this page.\n- {n} -\n"
        for n, word in enumerate(("first", "second", "third", "fourth"), start=1)
    ]
    found = page_furniture(pages)
    assert len(found) == 4
    for n, (page, spans) in enumerate(zip(pages, found, strict=True), start=1):
        assert [page[s:e] for s, e in spans] == [f"Case: 20-1507 Document: 0011 Page: {n}",
                                                 f"- {n} -"]


def test_running_headers_need_three_pages() -> None:
    pages = ["ACME CONFIDENTIAL\nThe first page.\n", "ACME CONFIDENTIAL\nThe second page.\n"]
    assert page_furniture(pages) == [[], []]
    pages = [f"ACME CONFIDENTIAL\nPage text {n} is unique here.\n" for n in "abc"]
    assert [[p[s:e] for s, e in spans] for p, spans in zip(pages, page_furniture(pages),
                                                            strict=True)] == [
        ["ACME CONFIDENTIAL"]] * 3


# --- clean_statement_spans ----------------------------------------------------------------------

def test_clean_spans_on_contract() -> None:
    kept = [flat(CONTRACT[s:e]) for s, e in clean_statement_spans(CONTRACT)]
    assert ("This Distribution Agreement is entered into as of March 3, 2015 by and between "
            "Acme Co., Ltd. and Beta Inc. (the \"Distributor\").") in kept
    assert "(b) maintain adequate inventory; and" in kept
    assert "The Distributor accepts the appointment." in kept
    joined = " ".join(kept)
    for rejected in ("DISTRIBUTION AGREEMENT", "1. Appointment", "The Distributor shall:",
                     "Attention", "IN WITNESS WHEREOF", "Title: President", "Harbor Boulevard"):
        assert rejected not in joined


def test_clean_spans_on_bill_and_opinion() -> None:
    kept = [flat(BILL[s:e]) for s, e in clean_statement_spans(BILL)]
    assert all(not is_fragment(k) for k in kept)
    assert not any(k.startswith(("SEC.", "SECTION")) for k in kept)
    assert "(1) in paragraph (2), by striking ``2010''; and" in kept
    opinion = f"(Slip Opinion)\n\n{NOTICE}\n\nThe judgment of the Court of Appeals is affirmed.\n"
    assert [opinion[s:e] for s, e in clean_statement_spans(opinion)] == [
        "The judgment of the Court of Appeals is affirmed."]


def test_offsets_are_exact_over_random_slices() -> None:
    # hypothesis is not among the dev dependencies; a seeded loop covers the same ground.
    rng = random.Random(13)
    sample = BILL + "\n" + CONTRACT + "\n-6-\n7 technical assistance.\n" + NOTICE
    for _ in range(300):
        start = rng.randrange(len(sample))
        end = rng.randrange(start, len(sample) + 1)
        for fn in (legal_sentences, clean_statement_spans):
            previous = start
            for s, e in fn(sample, start, end):
                assert start <= previous <= s < e <= end
                piece = sample[s:e]
                assert piece == piece.strip() and piece
                previous = e


def test_segmentation_is_fast() -> None:
    text = (CONTRACT * 20)[:30_000]
    legal_sentences(text)
    best = min(_timed(lambda: clean_statement_spans(text)) for _ in range(3))
    assert best < 0.25  # tens of ms in practice; generous for a loaded CI machine


def _timed(fn: object) -> float:
    assert callable(fn)
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0
