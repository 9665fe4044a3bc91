"""Per-job placeholders: every canary replaced, consistent across documents and calls,
re-identified exactly, restorable after a crash, counted by type."""

from __future__ import annotations

import copy
import json
import pickle
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from lexgraph.core.config.settings import PII_ENTITIES
from lexgraph.core.errors import JobError
from lexgraph.core.pii import PresidioDetector, Pseudonymizer, PseudonymMap, normalize
from tests.unit.pii_corpus import (
    DOCUMENTS,
    HELD_OUT,
    HELD_OUT_LOOK_ALIKES,
    LOOK_ALIKES,
    corpus,
    detector_fixture,  # noqa: F401 - the `detector` fixture
    parse,
)

PLACEHOLDER = re.compile(r"<([A-Z_]+)_(\d+)>")


def run_job(detector: PresidioDetector, documents: dict[str, str],
            pmap: PseudonymMap | None = None) -> tuple[PseudonymMap, dict[str, tuple]]:
    pmap = pmap or PseudonymMap()
    pseudonymizer = Pseudonymizer(pmap, detector)
    out = {}
    for name, marked in documents.items():
        text, gold = parse(marked)
        out[name] = (text, gold, pseudonymizer.pseudonymize(text))
    return pmap, out


def test_every_canary_is_replaced_and_nothing_else(detector: PresidioDetector) -> None:
    _, results = run_job(detector, {**DOCUMENTS, **HELD_OUT})
    tp = fp = fn = 0
    for text, gold, redaction in results.values():
        want = {(g.entity_type, g.start, g.end) for g in gold}
        got = {(s.entity_type, s.start, s.end) for s in redaction.spans}
        tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
        for g in gold:
            assert g.value not in redaction.text, f"{g.entity_type} canary left in the text"
        for look_alike in LOOK_ALIKES + HELD_OUT_LOOK_ALIKES:
            if look_alike in text:
                assert look_alike in redaction.text, f"look-alike {look_alike!r} was redacted"
    assert (fp, fn) == (0, 0), f"precision {tp / (tp + fp):.3f}, recall {tp / (tp + fn):.3f}"
    assert tp == 60


def test_placeholders_are_consistent_across_documents(detector: PresidioDetector) -> None:
    pmap, results = run_job(detector, DOCUMENTS)
    by_value: dict[tuple[str, str], set[str]] = {}
    for text, _, redaction in results.values():
        for span in redaction.spans:
            key = (span.entity_type, normalize(span.entity_type, text[span.start:span.end]))
            by_value.setdefault(key, set()).add(span.placeholder)
    assert all(len(p) == 1 for p in by_value.values()), by_value
    placeholders = [p for ps in by_value.values() for p in ps]
    # Different values never share a placeholder, except a surname standing for a full name.
    shared = {p for p, n in Counter(placeholders).items() if n > 1}
    assert all(PLACEHOLDER.fullmatch(p)[1] == "PERSON" for p in shared)  # type: ignore[index]

    employment = results["employment"][2].text
    amendment = results["amendment"][2].text
    # Jane Roe, her SSN, phone, IBAN and e-mail are written differently in the amendment.
    roe = pmap.placeholder_for("PERSON", "Jane Roe")
    for placeholder in (roe, "<SSN_1>", "<PHONE_1>", "<IBAN_1>", "<EMAIL_1>"):
        assert placeholder in employment and placeholder in amendment
    assert f"Ms. {roe} may be" in employment  # the surname joins the full name
    assert "By: <PERSON_1>" in employment and "By: <PERSON_1>" in amendment  # DANIEL K. REYES


def test_placeholders_number_per_type_in_order_of_appearance(
        detector: PresidioDetector) -> None:
    pmap, _ = run_job(detector, DOCUMENTS)
    numbers: dict[str, list[int]] = {}
    for placeholder, entity_type, _surfaces in pmap.entries():
        match = PLACEHOLDER.fullmatch(placeholder)
        assert match and match[1] == entity_type
        numbers.setdefault(entity_type, []).append(int(match[2]))
    assert all(n == list(range(1, len(n) + 1)) for n in numbers.values())


def test_restore_round_trips_every_document_exactly(detector: PresidioDetector) -> None:
    pmap, results = run_job(detector, {**DOCUMENTS, **HELD_OUT})
    for text, _, redaction in results.values():
        assert redaction.text != text
        assert pmap.restore(redaction) == text


def test_reidentify_round_trips_exactly_when_each_value_is_written_one_way(
        detector: PresidioDetector) -> None:
    text = ("Dr. Helena Okafor (helena.okafor@example.com, 212-555-0187, SSN 512-48-3301) paid "
            "with 4111 1111 1111 1111 from DE89 3704 0044 0532 0130 00, logged from "
            "203.0.113.54. Signed by Laura Chen; witnessed by Dr. Helena Okafor.")
    pmap = PseudonymMap()
    redaction = Pseudonymizer(pmap, detector).pseudonymize(text)
    assert set(redaction.counts) == set(pmap.counts()) == set(PII_ENTITIES)
    assert pmap.reidentify(redaction.text) == text


def test_reidentify_writes_a_surname_alone_as_the_full_name(
        detector: PresidioDetector) -> None:
    pmap = PseudonymMap()
    redaction = Pseudonymizer(pmap, detector).pseudonymize(
        "Plaintiff Robert Mills sued. Mills alleges fraud.")
    assert redaction.text == "Plaintiff <PERSON_1> sued. <PERSON_1> alleges fraud."
    assert pmap.reidentify(redaction.text) == (
        "Plaintiff Robert Mills sued. Robert Mills alleges fraud.")
    assert pmap.restore(redaction) == "Plaintiff Robert Mills sued. Mills alleges fraud."


def test_reidentify_writes_the_first_form_seen(detector: PresidioDetector) -> None:
    pmap, results = run_job(detector, DOCUMENTS)
    restored = pmap.reidentify(results["amendment"][2].text)
    assert "The Executive's SSN is\n512-48-3301" in restored  # first seen as 512-48-3301
    assert "By: Daniel K. Reyes" in restored


def test_reidentify_accepts_what_a_model_makes_of_placeholders() -> None:
    pmap = PseudonymMap()
    assert pmap.placeholder_for("PERSON", "Jane Roe") == "<PERSON_1>"
    assert pmap.placeholder_for("CREDIT_CARD", "4111 1111 1111 1111") == "<CREDIT_CARD_1>"
    cases = {
        "<PERSON_1> signed.": "Jane Roe signed.",
        "PERSON_1 signed.": "Jane Roe signed.",
        "[PERSON_1] and {PERSON_1}": "Jane Roe and Jane Roe",
        "< PERSON_1 > signed": "Jane Roe signed",
        "&lt;PERSON_1&gt; signed": "Jane Roe signed",
        r"\<PERSON\_1\> signed": "Jane Roe signed",
        r"PERSON\_1's card CREDIT\_CARD\_1": "Jane Roe's card 4111 1111 1111 1111",
        "<person_1> signed": "Jane Roe signed",
        "<PERSON_1><CREDIT_CARD_1>": "Jane Roe4111 1111 1111 1111",
        # unknown or not a placeholder at all: left as written
        "<PERSON_2> and <PERSON_10> and PERSON_1x and XPERSON_1": (
            "<PERSON_2> and <PERSON_10> and PERSON_1x and XPERSON_1"),
        "<EMAIL_1> is unknown": "<EMAIL_1> is unknown",
    }
    for model_text, expected in cases.items():
        assert pmap.reidentify(model_text) == expected, model_text


def test_the_map_restores_from_its_serialized_form(detector: PresidioDetector) -> None:
    first, results = run_job(detector, {"employment": DOCUMENTS["employment"]})
    state = json.loads(json.dumps(first.to_state()))  # as a checkpoint stores it
    restored = PseudonymMap.from_state(state)
    assert restored.to_state() == first.to_state()
    assert restored.counts() == first.counts()
    text, _, redaction = results["employment"]
    assert restored.restore(redaction) == text

    # After a crash the job carries on with the restored map: old values keep their
    # placeholders, new values continue the numbering.
    _, after_crash = run_job(detector, {"amendment": DOCUMENTS["amendment"]}, restored)
    _, uninterrupted = run_job(detector, {"amendment": DOCUMENTS["amendment"]}, first)
    assert after_crash["amendment"][2] == uninterrupted["amendment"][2]
    assert restored.placeholder_for("PERSON", "Zed Newcomer") == first.placeholder_for(
        "PERSON", "Zed Newcomer")


def test_a_damaged_state_is_a_job_error() -> None:
    with pytest.raises(JobError, match="unknown format"):
        PseudonymMap.from_state({"version": 99, "entries": []})
    with pytest.raises(JobError, match="damaged"):
        PseudonymMap.from_state({"version": 1, "entries": [
            {"placeholder": "<SSN_1>", "type": "PERSON", "surfaces": ["Jane Roe"]}]})
    assert len(PseudonymMap.from_state(None)) == 0


def test_counts_by_type(detector: PresidioDetector) -> None:
    pmap, results = run_job(detector, DOCUMENTS)
    for _text, gold, redaction in results.values():
        assert redaction.counts == dict(Counter(g.entity_type for g in gold))
    assert results["employment"][2].counts == {
        "PERSON": 7, "EMAIL": 2, "PHONE": 1, "IBAN": 1, "SSN": 1, "CREDIT_CARD": 1}
    assert pmap.counts() == {"PERSON": 11, "EMAIL": 4, "PHONE": 4, "IBAN": 2, "SSN": 3,
                             "CREDIT_CARD": 2, "IP_ADDRESS": 2}


def test_the_map_never_shows_its_values(detector: PresidioDetector) -> None:
    pmap, results = run_job(detector, DOCUMENTS)
    values = [g.value for _, gold, _ in results.values() for g in gold]
    for shown in (repr(pmap), str(pmap), f"{pmap}", repr(results["letter"][2].spans)):
        assert not [v for v in values if v in shown], shown
    assert repr(pmap).startswith("PseudonymMap(CREDIT_CARD=2, EMAIL=4")


def test_the_map_survives_pickle_and_deepcopy() -> None:
    pmap = PseudonymMap()
    pmap.placeholder_for("EMAIL", "jane@example.com")
    for clone in (pickle.loads(pickle.dumps(pmap)), copy.deepcopy(pmap)):
        assert clone.to_state() == pmap.to_state()
        assert clone.placeholder_for("EMAIL", "JANE@example.com") == "<EMAIL_1>"


def test_offsets_map_between_redacted_and_original(detector: PresidioDetector) -> None:
    _, results = run_job(detector, {"letter": DOCUMENTS["letter"]})
    text, _, redaction = results["letter"]
    quote = "accepts the offer of $85,000 in full settlement"
    start = text.index(quote)
    r_start, r_end = redaction.to_redacted(start, start + len(quote))
    assert redaction.text[r_start:r_end] == quote
    assert redaction.to_original(r_start, r_end) == (start, start + len(quote))

    # A quote that cuts into a placeholder widens to the whole value.
    sentence = "my client, Ms. <PERSON_"
    r_at = redaction.text.index(sentence)
    o_start, o_end = redaction.to_original(r_at, r_at + len(sentence))
    assert text[o_start:o_end] == "my client, Ms. Sofia Alvarez"
    for span in redaction.spans:
        assert redaction.text[span.r_start:span.r_end] == span.placeholder
        assert redaction.to_original(span.r_start, span.r_end) == (span.start, span.end)
        assert redaction.to_redacted(span.start, span.end) == (span.r_start, span.r_end)


def test_redaction_unpacks_as_text_and_spans(detector: PresidioDetector) -> None:
    text, spans = Pseudonymizer(PseudonymMap(), detector).pseudonymize("SSN 512-48-3301.")
    assert text == "SSN <SSN_1>."
    assert [(s.entity_type, s.start, s.end, s.r_start, s.r_end) for s in spans] == [
        ("SSN", 4, 15, 4, 11)]


def test_a_name_found_once_is_replaced_everywhere(detector: PresidioDetector) -> None:
    pseudonymizer = Pseudonymizer(PseudonymMap(), detector)
    first = pseudonymizer.pseudonymize("Judge Marcus Whitfield presided.")
    later = pseudonymizer.pseudonymize(
        "MARCUS WHITFIELD\nMarcus Whitfield wrote; Whitfield noted; whitfield is a word here.")
    assert first.text == "Judge <PERSON_1> presided."
    assert later.text == ("<PERSON_1>\n<PERSON_1> wrote; <PERSON_1> noted; whitfield is a word "
                          "here.")


def test_a_shared_surname_stays_ambiguous(detector: PresidioDetector) -> None:
    pseudonymizer = Pseudonymizer(PseudonymMap(), detector)
    out = pseudonymizer.pseudonymize(
        "Plaintiff John Carver and Plaintiff Mary Carver sued. Carver testified.")
    assert out.text == "Plaintiff <PERSON_1> and Plaintiff <PERSON_2> sued. Carver testified."


def test_job_names_are_redacted_without_a_cue(detector: PresidioDetector) -> None:
    pseudonymizer = Pseudonymizer(PseudonymMap(), detector, known_names=["Zelda Quartermaine"])
    out = pseudonymizer.pseudonymize("Zelda Quartermaine agrees. Quartermaine pays.")
    assert out.text == "<PERSON_1> agrees. <PERSON_1> pays."


def test_disabled_types_are_left_in_place() -> None:
    only_email = PresidioDetector(["EMAIL"])
    pmap = PseudonymMap()
    out = Pseudonymizer(pmap, only_email, known_names=["Jane Roe"]).pseudonymize(
        "Mr. Jane Roe, jane@example.com, SSN 512-48-3301")
    assert out.text == "Mr. Jane Roe, <EMAIL_1>, SSN 512-48-3301"


def test_one_map_serves_concurrent_documents(detector: PresidioDetector) -> None:
    pmap = PseudonymMap()
    pseudonymizer = Pseudonymizer(pmap, detector)
    texts = [f"Email jane.roe@example.com and SSN 512-48-33{n:02d} for doc {n}." for n in
             range(40)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        outs = list(pool.map(pseudonymizer.pseudonymize, texts))
    assert {o.text.split()[1] for o in outs} == {"<EMAIL_1>"}
    ssns = {o.text.split()[4] for o in outs}
    assert len(ssns) == 40 and pmap.counts() == {"EMAIL": 1, "SSN": 40}
    assert {pmap.reidentify(o.text) for o in outs} == set(texts)


def test_normalization() -> None:
    assert normalize("PERSON", "Daniel  K. Reyes") == normalize("PERSON", "DANIEL K REYES")
    assert normalize("PERSON", "Thomas O\u2019Brien") == normalize("PERSON", "thomas o'brien")
    assert normalize("SSN", "512 48 3301") == normalize("SSN", "512-48-3301") == "512483301"
    assert normalize("PHONE", "(212) 555-0143") == normalize("PHONE", "+1 212 555 0143")
    assert normalize("PHONE", "020 7946 0958") == normalize("PHONE", "+44 20 7946 0958")
    assert normalize("IBAN", "gb82 west 1234 5698 7654 32") == "GB82WEST12345698765432"
    assert normalize("EMAIL", "Jane.Roe@Example.com") == "jane.roe@example.com"
    assert normalize("PERSON", "Jane Roe") != normalize("PERSON", "Jane Rowe")


def test_corpus_gold_is_what_the_tests_claim() -> None:
    # Guards the figures above against an edit of the corpus that silently drops canaries.
    gold = [g for _, golds in corpus().values() for g in golds]
    assert Counter(g.entity_type for g in gold) == {
        "PERSON": 23, "EMAIL": 5, "PHONE": 6, "SSN": 4, "IBAN": 3, "CREDIT_CARD": 2,
        "IP_ADDRESS": 2}
