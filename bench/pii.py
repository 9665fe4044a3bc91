"""Personal-data recognition on generated legal text: per-type recall and precision, the share
of documents that leak anything, false positives on real legal boilerplate, and the cost per
page, with and without the NER model.

The corpus is generated here, labelled as it is written: Faker (from PyPI) supplies names in
many locales (Latin-script ones, plus romanized Japanese and Chinese), e-mail addresses,
SSNs, IBANs, card numbers and IP addresses; phone numbers are drawn at random and kept when
python-phonenumbers says such a number can exist. The templates are the places legal
documents put personal data: contract preambles, recitals, party and notice blocks, signature
and witness blocks, schedules, court captions and pleadings, letters, and clauses that name a
person with no cue at all. Names come hyphenated, with several given names or particles,
with initials, titles and suffixes, and in capitals where a signature block or a caption puts
them. Between them stand boilerplate clauses full of defined terms ("the Consultant",
"Licensee", "Confidential Information"), which are not persons.

Each document goes through what the redact node runs (``Pseudonymizer`` with a fresh map:
one document, one job). Scoring is at entity level:

- a labelled value is *recalled* when findings of its type cover all of its characters, and
  *leaks* when findings of any type leave part of it uncovered;
- a finding is *correct* when it overlaps a labelled value of its type; precision is the
  share of correct findings;
- a document *leaks* when any of its values does.

The false-positive rate on boilerplate runs the same redaction over the shared corpus's real
contracts and bills (``../shared/corpus``, or ``--shared DIR``) and counts the person
findings that are not among the people those documents name (listed below, by reading them).

    .venv/bin/python bench/pii.py [--documents 600] [--seed 16] [--shared DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers
from faker import Faker

from lexgraph.core.pii import PresidioDetector, Pseudonymizer, PseudonymMap

TYPES = ("PERSON", "EMAIL", "PHONE", "SSN", "IBAN", "CREDIT_CARD", "IP_ADDRESS")
PAGE_CHARS = 3000
ROOT = Path(__file__).resolve().parents[1]

# Latin-script locales, and two whose names are written romanized in English documents.
NAME_LOCALES = (
    "en_US", "en_GB", "en_IE", "en_IN", "en_NG", "en_KE", "en_PH", "de_DE", "fr_FR", "es_ES",
    "es_MX", "it_IT", "nl_NL", "pl_PL", "pt_BR", "sv_SE", "tr_TR", "vi_VN", "id_ID", "yo_NG",
    "ig_NG", "ha_NG", "zu_ZA", "cs_CZ", "ro_RO", "fi_FI", "hu_HU", "da_DK", "ja_JP", "zh_CN",
)
IBAN_LOCALES = ("de_DE", "fr_FR", "nl_NL", "en_GB", "es_ES", "it_IT", "pl_PL", "pt_PT",
                "fi_FI", "de_AT")
_LATIN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ\u0100-\u017f' .-]+")

# People named in the shared corpus's documents (read, not guessed): a person finding there
# that is none of these, nor part of one, is a false positive.
SHARED_CORPUS_PERSONS = (
    "Paul Rode", "Edward Rogers", "David Purdy", "Sebastien Perioche", "Vishwanath Kotian",
    "Suhel Kanuga", "Shripal Morakhia", "F. Jacob Cherian", "James Davey", "Kathleen A. Dennis",
    "Richard B. Russell", "Trump", "Obama",
)


# Building labelled documents ------------------------------------------------------------


@dataclass
class Doc:
    kind: str
    parts: list[str] = field(default_factory=list)
    gold: list[tuple[str, int, int]] = field(default_factory=list)
    _length: int = 0

    def add(self, *pieces: str | tuple[str, str]) -> Doc:
        for piece in pieces:
            if isinstance(piece, tuple):
                entity_type, value = piece
                self.gold.append((entity_type, self._length, self._length + len(value)))
                piece = value
            self.parts.append(piece)
            self._length += len(piece)
        return self

    @property
    def text(self) -> str:
        return "".join(self.parts)


class People:
    """Names, contact details and identifiers in the forms documents write them."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fakers = {loc: Faker(loc) for loc in set(NAME_LOCALES + IBAN_LOCALES + ("en",))}
        for i, faker in enumerate(self.fakers.values()):
            faker.seed_instance(seed + i)
        self.en = self.fakers["en_US"]

    def _part(self, locale: str, first: bool) -> str:
        faker = self.fakers[locale]
        for _ in range(20):
            if locale in ("ja_JP", "zh_CN"):
                value = faker.first_romanized_name() if first else faker.last_romanized_name()
            else:
                value = faker.first_name() if first else faker.last_name()
            if _LATIN.fullmatch(value):
                return value
        return self.en.first_name() if first else self.en.last_name()

    def name(self) -> tuple[str, str]:
        """(full name, surname) in one of the shapes contracts carry."""
        rng = self.rng
        locale = rng.choice(NAME_LOCALES)
        first, last = self._part(locale, True), self._part(locale, False)
        shape = rng.random()
        if shape < 0.15:
            last = f"{last}-{self._part(rng.choice(NAME_LOCALES), False)}"
        elif shape < 0.30:
            first = f"{first} {self.rng.choice('ABCDEFGHJKLMNPRSTW')}."
        elif shape < 0.40:
            first = f"{first} {self._part(locale, True)}"
        elif shape < 0.45:
            first = f"{first[0]}. {self.rng.choice('ABCDEFGHJKLMNPRSTW')}."
        elif shape < 0.50:
            last = f"{rng.choice(['de la', 'van der', 'van', 'von', 'da', 'di', 'al'])} {last}"
        full = f"{first} {last}"
        if rng.random() < 0.05:
            full += rng.choice([" Jr.", " III", " Sr."])
        return full, last.split()[-1]

    def title(self) -> str:
        return self.rng.choice(["Mr.", "Ms.", "Mrs.", "Dr.", "Prof."])

    def email(self, name: str | None = None) -> str:
        rng = self.rng
        if name and rng.random() < 0.6:
            parts = [re.sub(r"[^a-z]", "", p.casefold()) for p in name.split()]
            parts = [p for p in parts if p]
            local = rng.choice([f"{parts[0]}.{parts[-1]}", f"{parts[0][0]}{parts[-1]}",
                                f"{parts[-1]}"]) if parts else self.en.user_name()
            domain = rng.choice([self.en.domain_name(), self.en.free_email_domain(),
                                 f"legal.{self.en.domain_name()}", "lawmail.co.uk"])
            return f"{local}@{domain}"
        return self.en.email()

    def phone(self) -> str:
        rng = self.rng
        for _ in range(200):
            kind = rng.random()
            if kind < 0.55:
                area = rng.choice(["212", "415", "312", "646", "617", "202", "305", "713",
                                   "404", "206", "303", "512", "718", "929", "213", "650"])
                exchange = f"{rng.randint(2, 9)}{rng.randint(0, 9)}{rng.randint(0, 9)}"
                line = f"{rng.randint(0, 9999):04d}"
                number = rng.choice([f"({area}) {exchange}-{line}", f"{area}-{exchange}-{line}",
                                     f"{area}.{exchange}.{line}", f"+1 {area} {exchange} {line}",
                                     f"+1 ({area}) {exchange}-{line}",
                                     f"1-{area}-{exchange}-{line}"])
                region = "US"
            elif kind < 0.8:
                if rng.random() < 0.5:
                    digits = f"20 7{rng.randint(0, 999):03d} {rng.randint(0, 9999):04d}"
                else:
                    digits = f"7{rng.randint(400, 999)} {rng.randint(0, 999999):06d}"
                number = rng.choice([f"0{digits}", f"+44 {digits}"])
                region = "GB"
            else:
                number = rng.choice([
                    f"+49 30 {rng.randint(1000000, 9999999)}",
                    f"+33 1 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
                    f"{rng.randint(10, 99)}",
                    f"+31 20 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                    f"+91 98{rng.randint(100, 999)} {rng.randint(10000, 99999)}",
                    f"+61 2 {rng.randint(8000, 9999)} {rng.randint(1000, 9999)}",
                    f"+234 803 {rng.randint(100, 999)} {rng.randint(1000, 9999)}"])
                region = None
            try:
                parsed = phonenumbers.parse(number, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(parsed):
                return number
        raise RuntimeError("no valid phone number drawn")

    def ssn(self) -> tuple[str, str]:
        """(value, label) — the label is written before it."""
        value = self.en.ssn()
        form = self.rng.random()
        if form < 0.7:
            return value, self.rng.choice(["Social Security Number", "SSN", "SSN:", "S.S.N."])
        if form < 0.85:
            return value.replace("-", " "), "Social Security No."
        return value.replace("-", ""), self.rng.choice(["SSN", "Social Security Number"])

    def iban(self) -> str:
        value = self.fakers[self.rng.choice(IBAN_LOCALES)].iban()
        if self.rng.random() < 0.6:
            return " ".join(value[i:i + 4] for i in range(0, len(value), 4))
        return value

    def card(self) -> str:
        kind = self.rng.choice(["visa16", "mastercard", "amex", "discover"])
        digits = self.en.credit_card_number(card_type=kind)
        sep = self.rng.choice([" ", "-", ""])
        if len(digits) == 15:
            groups = [digits[:4], digits[4:10], digits[10:]]
        else:
            groups = [digits[i:i + 4] for i in range(0, len(digits), 4)]
        return sep.join(groups)

    def ip(self) -> str:
        return self.rng.choice([self.en.ipv4_public(), self.en.ipv4_private(), self.en.ipv6()])

    def company(self) -> str:
        return self.en.company().replace(",", "")

    def address(self) -> str:
        return self.en.address().replace("\n", ", ")


# Boilerplate: capitalized legal words everywhere, no person anywhere.
BOILERPLATE = (
    'The Consultant shall not disclose any Confidential Information of the Company to any '
    'third party without the prior written consent of the Disclosing Party.',
    'Licensee shall pay to Licensor the Royalty set forth in Schedule B within thirty (30) '
    'days after the end of each Calendar Quarter.',
    'Neither Party shall be liable for any failure to perform caused by a Force Majeure Event, '
    'provided that the affected Party gives Notice under Section 12.3.',
    'This Agreement shall be governed by the laws of the State of New York, and the parties '
    'submit to the exclusive jurisdiction of the United States District Court for the '
    'Southern District of New York.',
    'The Executive acknowledges that the Restricted Period and the Territory are reasonable '
    'and necessary to protect the Company Group\'s Proprietary Rights.',
    'Tenant shall maintain Commercial General Liability insurance naming Landlord and '
    'Landlord\'s Mortgagee as Additional Insureds.',
    'The Borrower represents that no Event of Default has occurred under the Credit Agreement '
    'and that the Guarantor has delivered the Compliance Certificate.',
    'Any Dispute shall be finally resolved by arbitration administered by the American '
    'Arbitration Association under its Commercial Arbitration Rules.',
    'The Purchaser shall deliver the Closing Payment to the Escrow Agent on the Closing Date '
    'against delivery of the Seller Disclosure Schedule.',
    'Employee agrees that all Work Product and Inventions shall be the sole property of '
    'Employer, and Employee hereby assigns all Intellectual Property Rights therein.',
    'Recipient shall return or destroy all Evaluation Material within ten Business Days after '
    'the Disclosing Party\'s written request.',
    'The Court finds that Plaintiff has failed to state a claim under Rule 12(b)(6) of the '
    'Federal Rules of Civil Procedure, and Defendant\'s Motion to Dismiss is GRANTED.',
)
ROLES = ("Consultant", "Employee", "Executive", "Contractor", "Tenant", "Borrower",
         "Guarantor", "Seller", "Purchaser", "Licensor", "Advisor", "Founder")


def _p(t: str, v: str) -> tuple[str, str]:
    return (t, v)


def preamble(g: People, d: Doc) -> None:
    name, _ = g.name()
    role = g.rng.choice(ROLES)
    company = g.company()
    style = g.rng.random()
    d.add("This ", g.rng.choice(["Consulting", "Employment", "Services", "Advisory"]),
          ' Agreement (the "Agreement") is entered into as of ', g.en.date(), " by and between ",
          company, ', a Delaware corporation (the "Company"), and ')
    if style < 0.35:
        d.add(_p("PERSON", name), ", an individual residing at ", g.address(),
              f' (the "{role}").\n\n')
    elif style < 0.7:
        d.add(_p("PERSON", name), ", an independent ",
              g.rng.choice(["consultant", "contractor", "advisor"]), f' (the "{role}").\n\n')
    else:
        d.add(_p("PERSON", name), f' ("{role}").\n\n')
    d.add(f"The {role}, ", _p("PERSON", name), ", may be reached at ",
          _p("EMAIL", g.email(name)), ".\n\n")


def recitals(g: People, d: Doc) -> None:
    name, surname = g.name()
    other, _ = g.name()
    d.add("RECITALS\n\nWHEREAS, ", _p("PERSON", name),
          " is the owner of certain know-how relating to the Products; and\n\n",
          "WHEREAS, the Company wishes to engage ", _p("PERSON", other),
          " to assist with the Services, under the supervision of ",
          g.title() + " ", _p("PERSON", surname), ";\n\n",
          "NOW, THEREFORE, the parties agree as follows.\n\n")


def notices(g: People, d: Doc) -> None:
    name, _ = g.name()
    attn, _ = g.name()
    d.add("Notices. All notices shall be in writing and delivered to:\n\nIf to the ",
          g.rng.choice(ROLES), ":\n", _p("PERSON", name), "\n", g.address(), "\nEmail: ",
          _p("EMAIL", g.email(name)), "\nTel: ", _p("PHONE", g.phone()), "\n\n",
          "If to the Company:\n", g.company(), "\n", g.address(), "\nAttn: ",
          _p("PERSON", attn), "\nFax: ", _p("PHONE", g.phone()), "\n\n")


def signatures(g: People, d: Doc) -> None:
    officer, _ = g.name()
    signer, _ = g.name()
    witness, _ = g.name()
    upper = g.rng.random() < 0.3
    d.add("IN WITNESS WHEREOF, the parties have executed this Agreement as of the date first "
          "written above.\n\n", g.company().upper(), "\n\nBy: ______________________\nName: ",
          _p("PERSON", officer), "\nTitle: ", g.en.job().split(",")[0], "\n\n",
          g.rng.choice(ROLES).upper(), "\n\n/s/ ", _p("PERSON", signer), "\n",
          _p("PERSON", signer.upper() if upper else signer), "\n\nWitness: ",
          _p("PERSON", witness), "\nDate: ", g.en.date(), "\n\n")


def schedule(g: People, d: Doc) -> None:
    d.add("SCHEDULE A\nKEY PERSONNEL AND PAYMENT DETAILS\n\n")
    for n in range(1, g.rng.randint(2, 4) + 1):
        name, _ = g.name()
        d.add(f"{n}. ", _p("PERSON", name), ", ", g.en.job().split(",")[0], ", ",
              _p("EMAIL", g.email(name)), ", ", _p("PHONE", g.phone()), "\n")
    ssn, label = g.ssn()
    d.add("\nPayee's ", label, " ", _p("SSN", ssn), ".\nPayments by wire to IBAN ",
          _p("IBAN", g.iban()), ". Expenses may be charged to the corporate card number ",
          _p("CREDIT_CARD", g.card()), ".\n\n")


def caption(g: People, d: Doc) -> None:
    plaintiff, p_surname = g.name()
    counsel, _ = g.name()
    judge, _ = g.name()
    d.add("UNITED STATES DISTRICT COURT\nNORTHERN DISTRICT OF CALIFORNIA\n\n",
          _p("PERSON", plaintiff.upper()), ",\n        Plaintiff,\n    v.\n",
          g.company().upper(), ",\n        Defendant.\n\nCase No. ",
          f"{g.rng.randint(1, 5)}:{g.rng.randint(18, 25)}-cv-{g.rng.randint(1000, 9999)}",
          "\n\nCOMPLAINT\n\n1. Plaintiff ", _p("PERSON", plaintiff),
          " brings this action for breach of contract. ", g.title() + " ",
          _p("PERSON", p_surname), " was employed by Defendant from ", g.en.date(), ".\n\n",
          "Respectfully submitted,\n\n/s/ ", _p("PERSON", counsel), "\n",
          _p("PERSON", counsel), ", Esq.\nCounsel for Plaintiff\n", _p("EMAIL", g.email(counsel)),
          "\n", _p("PHONE", g.phone()), "\n\nThe Honorable ", _p("PERSON", judge),
          " presiding.\n\n")


def letter(g: People, d: Doc) -> None:
    to, surname = g.name()
    sender, _ = g.name()
    cc, _ = g.name()
    d.add(g.en.date(), "\n\n", _p("PERSON", to), "\n", g.address(), "\n\nRe: Notice of "
          "Termination\n\nDear ", g.title() + " ", _p("PERSON", surname), ":\n\n",
          "We write on behalf of our client regarding the Agreement. Please contact me at ",
          _p("EMAIL", g.email(sender)), " or ", _p("PHONE", g.phone()),
          " with any questions.\n\nSincerely,\n\n", _p("PERSON", sender), "\nPartner\n\ncc: ",
          _p("PERSON", cc), "\n\n")


def running_text(g: People, d: Doc) -> None:
    name, _ = g.name()
    other, _ = g.name()
    d.add(_p("PERSON", name), " will lead the implementation team and report weekly to ",
          _p("PERSON", other), ", who approves each Deliverable. ")
    name, _ = g.name()
    d.add("Payments to ", _p("PERSON", name), " are made in arrears.\n\n")


def data_annex(g: People, d: Doc) -> None:
    admin, _ = g.name()
    d.add("ANNEX 2 \u2013 SECURITY\n\nRemote access is permitted only from ",
          _p("IP_ADDRESS", g.ip()),
          " and ", _p("IP_ADDRESS", g.ip()), ". The system administrator, ", _p("PERSON", admin),
          ", reviews the logs under Section 4.2.1.\n\n")


def employment(g: People, d: Doc) -> None:
    name, surname = g.name()
    ssn, label = g.ssn()
    d.add("Employee: ", _p("PERSON", name), "\nEmployee's ", label, ": ", _p("SSN", ssn),
          "\nDirect deposit: IBAN ", _p("IBAN", g.iban()), "\nMobile: ", _p("PHONE", g.phone()),
          "\n\n", g.title() + " ", _p("PERSON", surname),
          " shall devote full business time to the Company.\n\n")


SECTIONS: dict[str, tuple[Callable[[People, Doc], None], ...]] = {
    "contract": (preamble, recitals, notices, schedule, running_text, signatures),
    "employment": (preamble, employment, data_annex, notices, signatures),
    "pleading": (caption,),
    "letter": (letter,),
    "annex": (data_annex, schedule, running_text),
}


def generate(count: int, seed: int) -> list[Doc]:
    people = People(seed)
    docs = []
    kinds = sorted(SECTIONS)
    for n in range(count):
        doc = Doc(kinds[n % len(kinds)])
        for section in SECTIONS[doc.kind]:
            section(people, doc)
            doc.add(people.rng.choice(BOILERPLATE), "\n\n")
        docs.append(doc)
    return docs


# Scoring -------------------------------------------------------------------------------


def covered(spans: Iterable[tuple[int, int]], start: int, end: int) -> bool:
    marks = [False] * (end - start)
    for a, b in spans:
        for i in range(max(a, start), min(b, end)):
            marks[i - start] = True
    text_marks = marks
    return all(text_marks)


@dataclass
class Score:
    gold: Counter[str] = field(default_factory=Counter)
    recalled: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)
    correct: Counter[str] = field(default_factory=Counter)
    leaked_docs: int = 0
    docs: int = 0
    seconds: float = 0.0
    chars: int = 0
    misses: list[str] = field(default_factory=list)


def evaluate(detector: PresidioDetector, docs: list[Doc]) -> Score:
    score = Score()
    for doc in docs:
        text = doc.text
        started = time.perf_counter()
        redaction = Pseudonymizer(PseudonymMap(), detector).pseudonymize(text)
        score.seconds += time.perf_counter() - started
        score.chars += len(text)
        score.docs += 1
        by_type: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for span in redaction.spans:
            by_type[span.entity_type].append((span.start, span.end))
        every = [s for spans in by_type.values() for s in spans]
        leaked = False
        for entity_type, start, end in doc.gold:
            score.gold[entity_type] += 1
            if covered(by_type[entity_type], start, end):
                score.recalled[entity_type] += 1
            elif len(score.misses) < 400:
                score.misses.append(f"{entity_type}: {text[start:end]!r} in "
                                    f"{text[max(0, start - 40):end + 20]!r}")
            if not covered(every, start, end):
                leaked = True
        for span in redaction.spans:
            score.found[span.entity_type] += 1
            if any(t == span.entity_type and span.start < e and s < span.end
                   for t, s, e in doc.gold):
                score.correct[span.entity_type] += 1
        score.leaked_docs += leaked
    return score


def shared_corpus(shared: Path) -> list[tuple[str, str]]:
    texts = [(p.name, p.read_text(encoding="utf-8"))
             for p in sorted((shared / "contracts").glob("*.txt"))]
    bills = shared / "billsum_dev.jsonl"
    if bills.exists():
        for line in bills.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            texts.append((row["id"], row["text"]))
    return texts


def boilerplate_false_positives(detector: PresidioDetector,
                                texts: list[tuple[str, str]]) -> tuple[int, int, int, Counter[str]]:
    known = [p.casefold() for p in SHARED_CORPUS_PERSONS]
    flagged = wrong = chars = 0
    wrong_values: Counter[str] = Counter()
    for _, text in texts:
        chars += len(text)
        for span in Pseudonymizer(PseudonymMap(), detector).pseudonymize(text).spans:
            if span.entity_type != "PERSON":
                continue
            flagged += 1
            value = " ".join(text[span.start:span.end].split())
            if not any(value.casefold() in k or k in value.casefold() for k in known):
                wrong += 1
                wrong_values[value] += 1
    return flagged, wrong, chars, wrong_values


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "n/a"


def report(label: str, score: Score) -> None:
    pages = score.chars / PAGE_CHARS
    print(f"\n{label}: {score.docs} documents, {pages:.0f} pages of {PAGE_CHARS} characters, "
          f"{1000 * score.seconds / pages:.1f} ms per page")
    print(f"{'type':<12}{'values':>8}{'recall':>9}{'findings':>10}{'precision':>11}")
    for t in TYPES:
        print(f"{t:<12}{score.gold[t]:>8}{_pct(score.recalled[t], score.gold[t]):>9}"
              f"{score.found[t]:>10}{_pct(score.correct[t], score.found[t]):>11}")
    print(f"documents with any leak: {score.leaked_docs}/{score.docs} "
          f"({_pct(score.leaked_docs, score.docs)})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=600)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--misses", type=int, default=15, help="missed values to print")
    args = parser.parse_args(argv)

    docs = generate(args.documents, args.seed)
    shared = shared_corpus(args.shared) if args.shared.exists() else []
    configurations = [("rules and NER model (default)", PresidioDetector()),
                      ("rules alone (LEXGRAPH_PII_NER_MODEL=none)",
                       PresidioDetector(ner_model=None))]
    for label, detector in configurations:
        detector.scan("warm up: Jane Roe, jane@example.com")
        score = evaluate(detector, docs)
        report(label, score)
        if shared:
            flagged, wrong, chars, values = boilerplate_false_positives(detector, shared)
            pages = chars / PAGE_CHARS
            print(f"shared corpus ({len(shared)} documents, {pages:.0f} pages): {flagged} person "
                  f"findings, {wrong} not a person ({_pct(flagged - wrong, flagged)} precision, "
                  f"{wrong / pages:.2f} false positives per page)")
            if values:
                print("  not persons: " + "; ".join(f"{v!r} x{n}" for v, n in
                                                    values.most_common(12)))
        for miss in score.misses[:args.misses]:
            print("  missed " + miss)
    return 0


if __name__ == "__main__":
    sys.exit(main())
