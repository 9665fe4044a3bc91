"""The Presidio detector on the canary corpus: every canary found, no look-alike flagged,
offline, and configurable from Settings."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from lexgraph.core.config.settings import PII_ENTITIES, Settings
from lexgraph.core.errors import ConfigError
from lexgraph.core.pii import (
    ENTITY_TYPES,
    PiiFinding,
    PresidioDetector,
    get_detector,
    resolve_overlaps,
    scan_pii,
)
from lexgraph.core.pii.presidio_detector import SEGMENT_CHARS, _segments, is_reference_number
from tests.unit.pii_corpus import (
    HELD_OUT,
    HELD_OUT_LOOK_ALIKES,
    LOOK_ALIKES,
    Gold,
    corpus,
    detector_fixture,  # noqa: F401 - the `detector` fixture
    parse,
)

ALL_DOCUMENTS = {**corpus(), **{name: parse(doc) for name, doc in HELD_OUT.items()}}


def spans(findings: list[PiiFinding]) -> set[tuple[str, int, int]]:
    return {(f.entity_type, f.start, f.end) for f in findings}


def gold_spans(gold: list[Gold]) -> set[tuple[str, int, int]]:
    return {(g.entity_type, g.start, g.end) for g in gold if g.entity_type != "PERSON"}


@pytest.mark.parametrize("name", sorted(ALL_DOCUMENTS))
def test_every_pattern_canary_is_found_with_its_type(detector: PresidioDetector,
                                                     name: str) -> None:
    # Person names that stand alone ("Mills alleges") are left to the pseudonymizer's
    # propagation of known values; everything else must come from the detector itself.
    text, gold = ALL_DOCUMENTS[name]
    found = spans(detector.scan(text))
    missing = gold_spans(gold) - found
    assert not missing, [(t, text[s:e]) for t, s, e in sorted(missing)]


@pytest.mark.parametrize("name", sorted(ALL_DOCUMENTS))
def test_nothing_but_canaries_is_flagged(detector: PresidioDetector, name: str) -> None:
    text, gold = ALL_DOCUMENTS[name]
    golden = {(g.entity_type, g.start, g.end) for g in gold}
    wrong = spans(detector.scan(text)) - golden
    assert not wrong, [(t, text[s:e]) for t, s, e in sorted(wrong)]


@pytest.mark.parametrize("look_alike", LOOK_ALIKES + HELD_OUT_LOOK_ALIKES)
def test_look_alikes_are_not_flagged(detector: PresidioDetector, look_alike: str) -> None:
    text = next(t for t, _ in ALL_DOCUMENTS.values() if look_alike in t)
    start = text.index(look_alike)
    end = start + len(look_alike)
    hit = [(f.entity_type, text[f.start:f.end]) for f in detector.scan(text)
           if f.start < end and start < f.end]
    assert not hit


@pytest.mark.parametrize(("text", "entity_type"), [
    ("Call 212-555-0187 today.", "PHONE"),
    ("Call (212) 555-0143 today.", "PHONE"),
    ("Call +49 30 901820 today.", "PHONE"),
    ("Call 020 7946 0958 today.", "PHONE"),
    ("SSN 512-48-3301 on file.", "SSN"),
    # The published sample numbers are someone's number when a document gives them as such.
    ("SSN 123-45-6789 on file.", "SSN"),
    ("Her number is 078-05-1120.", "SSN"),
    ("Social Security No.: 512483301 on file.", "SSN"),
    ("Card 3782 822463 10005 on file.", "CREDIT_CARD"),
    ("Wire to NL91ABNA0417164300 now.", "IBAN"),
    ("Write to jane@intranet.local now.", "EMAIL"),
    ("Logged from 10.20.30.40 then.", "IP_ADDRESS"),
])
def test_formats(detector: PresidioDetector, text: str, entity_type: str) -> None:
    assert [f.entity_type for f in detector.scan(text)] == [entity_type]


@pytest.mark.parametrize("text", [
    "Reference 482913057 is the contract number.",  # nine digits, no SSN label
    "SSN 666-12-3456 is not issued.",  # area 666 is never assigned
    "Card 4111 1111 1111 1112 fails Luhn.",
    "IBAN GB82 WEST 1234 5698 7654 33 has a bad checksum.",
    "Call 555-0143 (no area code).",
    "See Section 10.2.1.4 and § 1.2.3.4 and version 4.3.2.1.",
    "The order of 1.2.3.4.5 is a list.",
    "ZIP 94105-1234 and 10007.",
    "At 10:30:45 on 2021-03-15.",
])
def test_near_misses_are_not_flagged(detector: PresidioDetector, text: str) -> None:
    assert detector.scan(text) == []


def test_overlaps_resolve_by_confidence_then_specificity() -> None:
    phone = PiiFinding("PHONE", 0, 11, 0.75, "phone")
    ssn = PiiFinding("SSN", 0, 11, 0.85, "ssn")
    tie = PiiFinding("PERSON", 0, 11, 0.85, "person")
    assert resolve_overlaps([phone, ssn]) == [ssn]
    assert resolve_overlaps([tie, ssn]) == resolve_overlaps([ssn, tie]) == [ssn]
    part = PiiFinding("PERSON", 6, 11, 0.95, "gazetteer")
    whole = PiiFinding("PERSON", 0, 11, 0.7, "party-role")
    assert resolve_overlaps([part, whole]) == [PiiFinding("PERSON", 0, 11, 0.95, "gazetteer")]


def test_findings_carry_no_values(detector: PresidioDetector) -> None:
    text = "Email jane.roe@example.com about SSN 512-48-3301."
    findings = detector.scan(text)
    assert findings
    for finding in findings:
        assert "jane" not in repr(finding) and "3301" not in repr(finding)
        assert 0.5 <= finding.score <= 1.0


def test_placeholders_are_not_personal_data(detector: PresidioDetector) -> None:
    text = ("<PERSON_1> (<EMAIL_1>, <PHONE_2>) paid <CREDIT_CARD_1> from <IBAN_1>; "
            "Mr. <PERSON_3> gave <SSN_1> and <IP_ADDRESS_1>.")
    assert detector.scan(text) == []


def test_loading_and_scanning_stay_offline(caplog: pytest.LogCaptureFixture) -> None:
    # The stock e-mail recognizer's tldextract would fetch the public-suffix list, fail
    # under the network guard and say so at WARNING; ours reads the bundled snapshot.
    caplog.set_level(logging.DEBUG)
    fresh = PresidioDetector(["EMAIL"])
    assert [f.score for f in fresh.scan("jane@example.com, ops@corp.internal")] == [1.0, 0.6]
    noisy = [r for r in caplog.records
             if r.name.startswith(("tldextract", "urllib3", "requests"))]
    assert not noisy, [r.getMessage() for r in noisy]


def test_entity_types_follow_settings() -> None:
    settings = Settings(pii_entities=" email , ssn ")
    assert settings.pii_entities == "EMAIL,SSN"
    only = PresidioDetector(settings.pii_entity_list)
    text = "Mr. John Smith, jane@example.com, 212-555-0187, SSN 512-48-3301"
    assert {f.entity_type for f in only.scan(text)} == {"EMAIL", "SSN"}
    assert only.entity_types == ("EMAIL", "SSN")
    assert PresidioDetector([]).scan(text) == []


def test_unknown_entity_types_and_regions_are_configuration_errors() -> None:
    with pytest.raises(ValueError, match="unknown PII types"):
        Settings(pii_entities="PERSON,PASSPORT")
    with pytest.raises(ConfigError, match="unknown PII types"):
        PresidioDetector(["PASSPORT"])
    with pytest.raises(ConfigError, match="unknown regions"):
        PresidioDetector(["PHONE"], phone_regions=("XX",))


def test_settings_and_package_agree_on_the_types() -> None:
    assert ENTITY_TYPES == PII_ENTITIES
    assert Settings().pii_entity_list == PII_ENTITIES


def test_names_file_adds_names(tmp_path: Path) -> None:
    names = tmp_path / "names.txt"
    names.write_text("# parties of the matter\nZelda Quartermaine\n", encoding="utf-8")
    settings = Settings(pii_entities="PERSON", pii_names_file=names)
    found = PresidioDetector.from_settings(settings).scan("Zelda Quartermaine agrees.")
    assert [(f.start, f.end, f.recognizer) for f in found] == [(0, 18, "person:gazetteer")]
    with pytest.raises(ConfigError, match="cannot be read"):
        PresidioDetector.from_settings(Settings(pii_names_file=tmp_path / "missing"))


def test_scan_pii_uses_the_shared_detector() -> None:
    settings = Settings(pii_entities="EMAIL")
    assert get_detector(settings) is get_detector(settings)
    found = scan_pii("Reach me at jane.roe@example.com.", settings)
    assert [(f.entity_type, f.start, f.end) for f in found] == [("EMAIL", 12, 32)]


def test_long_texts_are_scanned_in_pieces_without_losing_offsets(
        detector: PresidioDetector) -> None:
    line = "Filler text about the lease and its Section 4.2 obligations. " * 20 + "\n"
    # One and a half pieces of the real size are enough to cut the text and to find a value
    # in each piece at its offset in the whole; an address in each piece, the second after
    # the cut.
    text = (line * 40 + "Contact jane.roe@example.com.\n" + line * 60
            + "Or john.doe@example.com.\n" + line * 20)
    assert SEGMENT_CHARS < len(text) < 2 * SEGMENT_CHARS
    pieces = list(_segments(text, SEGMENT_CHARS))
    assert len(pieces) == 2
    assert "".join(p for _, p in pieces) == text
    assert all(len(p) <= SEGMENT_CHARS and text[o:o + len(p)] == p for o, p in pieces)
    assert text.index("john.doe") > pieces[1][0]
    started = time.perf_counter()
    found = detector.scan(text)
    assert [text[f.start:f.end] for f in found] == ["jane.roe@example.com",
                                                    "john.doe@example.com"]
    # About 50 pages, each through the NER model as well as the patterns: about 20 s on two
    # busy cores, well under a minute and a half unless something grew worse than linear.
    assert time.perf_counter() - started < 90


# The document an outside check of the traces caught leaking under the default mode.
ISSUE_16 = (
    'This Consulting Agreement is made between Northwind Traders Inc., a Delaware corporation '
    '(the "Company"), and Marguerite Okonkwo-Halvorsen, an independent consultant (the '
    '"Consultant"). The Consultant\'s Social Security Number is 123-45-6789. The Consultant '
    "may be reached at m.okonkwo@example.com or +1 212 555 0143."
)


def test_a_hyphenated_name_in_an_appositive_and_a_sample_ssn_are_found(
        detector: PresidioDetector) -> None:
    found = [(f.entity_type, ISSUE_16[f.start:f.end]) for f in detector.scan(ISSUE_16)]
    assert ("PERSON", "Marguerite Okonkwo-Halvorsen") in found
    assert ("SSN", "123-45-6789") in found
    persons = [value for kind, value in found if kind == "PERSON"]
    assert persons == ["Marguerite Okonkwo-Halvorsen"]  # not "the Consultant", not the Company


def test_the_ner_model_finds_names_the_rules_have_no_cue_for(
        detector: PresidioDetector) -> None:
    text = "Payments under this lease were approved by Oluwaseun Adebayo-Okafor last year."
    assert [(f.entity_type, text[f.start:f.end], f.recognizer) for f in detector.scan(text)] == [
        ("PERSON", "Oluwaseun Adebayo-Okafor", "person:ner")]
    without = PresidioDetector(ner_model=None)
    assert without.scan(text) == []


def test_names_in_capitals_and_beside_their_email_address_are_found(
        detector: PresidioDetector) -> None:
    text = ("EXECUTED as a deed.\n\nSIGNED as a deed by OKONKWO TEMITOPE ADEYEMI-HALVORSEN\n"
            "in the presence of a witness. The administrator account is held by Thomas Nilsson "
            "(thomas.nilsson@example.com).")
    persons = [text[f.start:f.end] for f in detector.scan(text) if f.entity_type == "PERSON"]
    assert persons == ["OKONKWO TEMITOPE ADEYEMI-HALVORSEN", "Thomas Nilsson"]


def test_streets_headings_and_firms_are_not_persons(detector: PresidioDetector) -> None:
    text = ("If to the Company:\nOlson Jordan and Cannon\n875 Sheryl Meadows, Port Lindsey\n\n"
            "17.4 Respectful Workplace. Supplier shall prohibit harassment.\n\n"
            "Registered office: 24607 Thomas Cape Apt. 819, Lake Edwin, HI 13592.")
    assert [f for f in detector.scan(text) if f.entity_type == "PERSON"] == []


def test_an_unknown_ner_model_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="LEXGRAPH_PII_NER_MODEL"):
        PresidioDetector(ner_model="no_such_spacy_model")
    assert Settings(pii_ner_model="none").pii_ner_model_name is None


def test_a_name_the_model_calls_an_organisation_still_counts_unless_it_is_a_defined_term(
        detector: PresidioDetector) -> None:
    text = ("Payments to Janice Nguyen are made in arrears. Rogers shall pay the Retail "
            "Revenues less the Promotional Material costs.")
    found = [text[f.start:f.end] for f in detector.scan(text) if f.entity_type == "PERSON"]
    assert found == ["Janice Nguyen"]


def test_a_plural_dictionary_word_in_ies_is_a_word_not_a_surname(
        detector: PresidioDetector) -> None:
    # "Signatories" is "signatory" in the plural: a heading, not "Authorized" somebody.
    text = "Exhibit C \u2013 Authorized Signatories\n\nThe Parties shall sign below."
    assert [f for f in detector.scan(text) if f.entity_type == "PERSON"] == []


def test_a_name_beside_a_person_the_model_found_is_found_too(
        detector: PresidioDetector) -> None:
    text = "Honoré Lopez and Eugène Sanchez shall jointly approve the budget."
    persons = [text[f.start:f.end] for f in detector.scan(text) if f.entity_type == "PERSON"]
    assert persons == ["Honoré Lopez", "Eugène Sanchez"]


def test_claim_and_case_numbers_are_not_phone_numbers(detector: PresidioDetector) -> None:
    text = ("IN THE HIGH COURT OF JUSTICE\nClaim No. BL-2026-000533\n\nThe Claimant may be "
            "reached on +44 20 7946 0958 or 020 7946 0321.")
    phones = [text[f.start:f.end] for f in detector.scan(text) if f.entity_type == "PHONE"]
    assert phones == ["+44 20 7946 0958", "020 7946 0321"]
    assert is_reference_number(text, text.index("2026-"), text.index("2026-") + 11)
    assert is_reference_number("Claim No.: 2024 000 9541", 11, 24)
    assert not is_reference_number("Tel: 020 7946 0321", 5, 18)
