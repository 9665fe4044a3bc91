"""Person names found by lexgraph's legal-text rules, without any NER model, and the screen
that a model's person spans pass."""

from __future__ import annotations

import pytest

from lexgraph.core.pii.names import (
    find_known_names,
    find_person_names,
    is_plausible_alias,
    screen_model_name,
)


def names(text: str, known: tuple[str, ...] = ()) -> set[str]:
    return {text[h.start:h.end] for h in find_person_names(text, known)}


@pytest.mark.parametrize(("text", "expected"), [
    ("The report was sent to Dr. Helena Okafor yesterday.", "Helena Okafor"),
    ("Ms. Raman shall respond.", "Raman"),
    ("Chief Judge Ana de la Cruz presided.", "Ana de la Cruz"),
    ("Judge Marcus Whitfield presided.", "Marcus Whitfield"),
    ("Dear Mr. O'Brien,", "O'Brien"),
    ("Hon. Nancy Torresen, U.S. District Judge", "Nancy Torresen"),
    ("By: Daniel K. Reyes\nTitle: CEO", "Daniel K. Reyes"),
    ("By: /s/ F. Jacob Cherian Name: F. Jacob Cherian Title: Chief Executive", "F. Jacob Cherian"),
    ("By: /s/ Kathleen A. Dennis Title: President", "Kathleen A. Dennis"),
    ("By: /s/ James Davey James Davey Vice President", "James Davey"),
    ("By: JOHN Q. PUBLIC\n", "JOHN Q. PUBLIC"),
    ("To: Thomas O'Brien <tobrien@example.org>\n", "Thomas O'Brien"),
    ("Tenant: Miguel A. Torres\n", "Miguel A. Torres"),
    ("The release was signed by Laura Chen on Monday.", "Laura Chen"),
    ("Plaintiff Robert Mills sued.", "Robert Mills"),
    ("Witness Kwame Mensah-Boateng testified.", "Kwame Mensah-Boateng"),
    ("the employee Carlos Mendez agreed", "Carlos Mendez"),
    ("between Acme Corp. and Jane Roe, an individual residing in Ohio", "Jane Roe"),
    ('Employee Jane Roe (the "Employee") agrees', "Jane Roe"),
    ("Grace Whitmore, Notary Public, Commission No. 998877", "Grace Whitmore"),
    ("Counsel for petitioner, Oliver Grant, Esq., argued", "Oliver Grant"),
    # A hyphenated surname in an appositive before the defined term.
    ('Acme Widget Supply Inc. (the "Company") and Marguerite Okonkwo-Halvorsen, an independent '
     'consultant (the "Consultant")', "Marguerite Okonkwo-Halvorsen"),
    ("between Ngozi Adeyemi, residing at 4 Elm Road, and the Company", "Ngozi Adeyemi"),
    ("JANE ROE,\n        Plaintiff,\n    v.\nACME WIDGET SUPPLY INC.", "JANE ROE"),
    ("Dear Priya Venkataraman:\n", "Priya Venkataraman"),
    ("Yours faithfully,\n\nHelmut Schäfer-Lindqvist\nPartner", "Helmut Schäfer-Lindqvist"),
    ("If to the Seller:\nAnvi Konda\n796 Emily Gardens", "Anvi Konda"),
    ("2014-04-01\n\nMaksymilian Krzywoń\n618 Gay Light Suite 4", "Maksymilian Krzywoń"),
    ("2. Udant Dewan, Oncologist, eabbott@example.com", "Udant Dewan"),
    ("WHEREAS, Agnes Nnamani is the owner of certain know-how", "Agnes Nnamani"),
    ("the Company wishes to engage Valentin A. Sager to assist", "Valentin A. Sager"),
    ("The system administrator, Chinelo Chukwu, reviews the logs", "Chinelo Chukwu"),
    ("cc: I. C. van der Linden\n", "I. C. van der Linden"),
    ("/s/ U. M. Onwuka\n", "U. M. Onwuka"),
    ("Name: August Lund-Bueno\nTitle: Surveyor", "August Lund-Bueno"),
    ("report weekly to Ndumiso Hlela, who approves each Deliverable", "Ndumiso Hlela"),
])
def test_names_with_a_cue_are_found(text: str, expected: str) -> None:
    assert expected in names(text)


@pytest.mark.parametrize("text", [
    "Defendant Harbourline Logistics Inc. moved to dismiss.",
    "Defendant Acme Widget Supply Distribution Inc. moved to dismiss.",
    "By: ACME HOLDINGS LLC",
    "Name: General Counsel",
    "Title: Chief Executive Officer",
    "The Tenant Improvement Allowance and Employee Benefits apply.",
    "The office is at 1200 Dr. Martin Luther King Jr. Blvd, Oakland.",
    "The Supreme Court held in Smith v. Jones that the Act applies.",
    "Plaintiff Leadership Team and Defendant Profile Forms are due.",
    "plaintiff-appellant Calvary Chapel of Bangor",
    "The Justice Department and the United States District Court agree.",
    "Ms. May 1 deadline applies.",
    "Officer Certificate delivered under Section 4.2.",
    "Dr. Suite 200 is the address.",
    "Signed by the Parties on the Effective Date.",
    "Judge shall mean any judge of the Court.",
    'Harbourline Logistics, a Delaware corporation (the "Consultant"), agrees.',
    "ACME WIDGET SUPPLY INC.,\n        Defendant.",
    "between Northwind Traders, a Delaware limited liability company, and the Buyer",
])
def test_capitalized_legal_text_without_a_person_is_left_alone(text: str) -> None:
    assert names(text) == set()


def test_a_name_ends_at_the_sentence_word_that_follows_it() -> None:
    assert names("WHEREAS Ms. Raman Shall Deliver the goods") == {"Raman"}


def test_known_names_are_found_in_any_case_and_spacing() -> None:
    text = "The claimant, PRIYA  RAMAN, and priya raman's counsel; not Priyanka Ramanathan."
    hits = find_known_names(text, ["Priya Raman"])
    assert [text[h.start:h.end] for h in hits] == ["PRIYA  RAMAN", "priya raman"]
    assert names(text, ("Priya Raman",)) == {"PRIYA  RAMAN", "priya raman"}


@pytest.mark.parametrize(("token", "plausible"), [
    ("Smith", True), ("O'Brien", True), ("Mensah-Boateng", True), ("May", False),
    ("Court", False), ("Al", False), ("SMITH", False), ("Inc.", False), ("Park", False),
    ("Banks", False),
])
def test_surnames_that_may_stand_alone(token: str, plausible: bool) -> None:
    assert is_plausible_alias(token) is plausible


@pytest.mark.parametrize(("text", "span", "kept"), [
    ('the Consultant ("Consultant") agrees', "Consultant", None),
    ("Licensee shall pay the fee.", "Licensee", None),
    ("as held in Williams v. Superior Court", "Williams", None),
    ("under Fed. R. Civ. P. 12", "R. Civ", None),
    ("Bates HLX0001234", "Bates HLX0001234", None),
    ("whitfield is a word here", "whitfield", None),
    ("Hans-Peter Müller\nTitle: Director", "Hans-Peter Müller\nTitle", "Hans-Peter Müller"),
    ("and Marguerite Okonkwo-Halvorsen, an", "Marguerite Okonkwo-Halvorsen",
     "Marguerite Okonkwo-Halvorsen"),
])
def test_what_a_model_labels_a_person_is_screened(text: str, span: str,
                                                   kept: str | None) -> None:
    start = text.index(span)
    result = screen_model_name(text, start, start + len(span))
    assert (text[result[0]:result[1]] if result else None) == kept
