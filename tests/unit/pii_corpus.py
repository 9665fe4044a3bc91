"""A canary corpus for the PII tests, legal text seeded with personal data, and the detector.

Every value to be redacted is marked ``[[TYPE|value]]``; :func:`parse` strips the marks and
returns the plain text with the gold spans. All data is invented (reserved 555-01xx phone
numbers, example domains, published test card numbers and IBANs). Everything unmarked must
survive, in particular the ``LOOK_ALIKES``: legal numbers shaped like personal data.
"""

from __future__ import annotations

import re
import time
from functools import cache
from typing import NamedTuple

import pytest

from lexgraph.core.pii import PresidioDetector

EMPLOYMENT_AGREEMENT = """\
EXECUTIVE EMPLOYMENT AGREEMENT

This Executive Employment Agreement (the "Agreement") is entered into on March 3, 2021 between
Harbourline Logistics Inc., a Delaware corporation (the "Company"), and [[PERSON|Jane Roe]], an
individual residing in Boston, Massachusetts (the "Executive").

1. Position. [[PERSON|Jane Roe]] shall serve as Chief Operating Officer and report to
Dr. [[PERSON|Helena Okafor]], the Company's Chief Executive Officer. Ms. [[PERSON|Roe]] may be
reached at [[EMAIL|jane.roe@example.com]] or on her mobile at [[PHONE|(212) 555-0143]].

2. Compensation. The Company shall pay a base salary of $1,250,000.00 per year, payable in
accordance with Section 4.2.1 and Section 10.2.1.4 of the Company's payroll policy, by wire to
IBAN [[IBAN|GB82 WEST 1234 5698 7654 32]]. For tax reporting, the Executive's Social Security
Number is [[SSN|512-48-3301]]. A corporate card, number [[CREDIT_CARD|4111 1111 1111 1111]],
will be issued for business expenses up to USD 45,000 per quarter (7.5% of salary).

3. Term. The term begins on 2021-03-15 and ends on 03/15/2024, unless terminated under
Section 9(b). Notices to the Company go to 100 Harbor Street, Suite 400, New York, NY 10007-1312,
attention: General Counsel; notices to the Executive go to [[EMAIL|j.roe@lawmail.co.uk]].

4. Governing Law. This Agreement is governed by the laws of the State of New York. The parties
consent to the United States District Court for the Southern District of New York.

IN WITNESS WHEREOF, the parties have executed this Agreement as of the date first written above.

HARBOURLINE LOGISTICS INC.
By: [[PERSON|Daniel K. Reyes]]
Title: Chief Executive Officer

EXECUTIVE
Name: [[PERSON|Jane Roe]]
Signature: /s/ [[PERSON|Jane Roe]]
"""

COURT_OPINION = """\
UNITED STATES DISTRICT COURT
SOUTHERN DISTRICT OF NEW YORK

Case No. 1:19-cv-02345-JMF

OPINION AND ORDER

Plaintiff [[PERSON|Robert Mills]] brings this action under 42 U.S.C. § 1983 against Defendant
Harbourline Logistics Inc. and Officer [[PERSON|Kevin Walsh]]. The Court has jurisdiction under
28 U.S.C. 1331. Judge [[PERSON|Marcus Whitfield]] presided over the hearing held on
January 12, 2022 at 10:30 a.m. in Courtroom 15C.

[[PERSON|Mills]] alleges that on May 4, 2020 the officer searched his phone without a warrant.
Exhibit 12 lists the numbers he called, including [[PHONE|212-555-0187]] and
[[PHONE|+44 20 7946 0958]], and the address [[IP_ADDRESS|203.0.113.54]] from which his
account was accessed. His SSN, [[SSN|219 09 9999]], appears unredacted in Exhibit 14.

Defendants move to dismiss under Fed. R. Civ. P. 12(b)(6). See Ashcroft v. Iqbal, 556 U.S.
662, 678 (2009); Bell Atlantic Corp. v. Twombly, 550 U.S. 544 (2007); 123 F.3d 456 (2d Cir.
1997). The related appeal, No. 20-1507, and Docket No. 2021-CV-004512 remain pending. The
motion is denied in part. The parties shall confer by 5:00 p.m. on 02/01/2022.

Witness [[PERSON|Kwame Mensah-Boateng]] testified that he received a text from [[PERSON|Mills]]
at [[PHONE|415.555.0132]]. The Clerk of Court is directed to terminate ECF No. 37.

SO ORDERED.

/s/ [[PERSON|Marcus Whitfield]]
United States District Judge
"""

LETTER = """\
From: [[PERSON|Priya Raman]] <[[EMAIL|priya.raman@raman-law.com]]>
To: [[PERSON|Thomas O'Brien]] <[[EMAIL|tobrien@harbourline.example.org]]>
Subject: Settlement of Claim No. 2022-0001234

Dear Mr. [[PERSON|O'Brien]],

Further to our call on [[PHONE|+1 415 555 0132]] yesterday, my client, Ms. [[PERSON|Sofia Alvarez]],
accepts the offer of $85,000 in full settlement, paid to her account
[[IBAN|DE89 3704 0044 0532 0130 00]]. Her social security number is [[SSN|078051121]] and her
card ending in 0004 ([[CREDIT_CARD|5500-0000-0000-0004]]) was charged the filing fee of $402.
Please also confirm that the server at [[IP_ADDRESS|2001:db8:85a3::8a2e:370:7334]] no longer
holds her records, as required by Cal. Civ. Code § 1798.105 and Article 17 GDPR.

The release was signed by [[PERSON|Laura Chen]], notary, on 3 June 2022 under Reg. No. 4,567,890;
ZIP 94105; EIN 12-3456789; U.S. Patent No. 9,123,456; Bates HLX0001234-HLX0001240.

Sincerely,

[[PERSON|Priya Raman]]
[[PERSON|Raman]] & Associates LLP, 1200 Dr. Martin Luther King Jr. Blvd, Oakland, CA 94612
"""

SECOND_AGREEMENT = """\
AMENDMENT NO. 1

This Amendment No. 1 is made between Harbourline Logistics Inc. and [[PERSON|Jane Roe]], an
individual. All payments shall go to [[IBAN|GB82WEST12345698765432]]. The Executive's SSN is
[[SSN|512 48 3301]] and her office line is [[PHONE|+1 212 555 0143]]. Contact
[[EMAIL|JANE.ROE@EXAMPLE.COM]] for questions. Section 2.1 of the Agreement is amended to
increase the salary to $1,300,000.00 effective July 1, 2022. Tenant Improvement Allowance and
Employee Benefits provisions are unchanged.

By: [[PERSON|DANIEL K. REYES]]
"""

DOCUMENTS: dict[str, str] = {
    "employment": EMPLOYMENT_AGREEMENT,
    "opinion": COURT_OPINION,
    "letter": LETTER,
    "amendment": SECOND_AGREEMENT,
}

# Shaped like personal data, never personal data: each must come out of redaction unchanged.
LOOK_ALIKES: tuple[str, ...] = (
    "Case No. 1:19-cv-02345-JMF", "42 U.S.C. § 1983", "28 U.S.C. 1331", "No. 20-1507",
    "Docket No. 2021-CV-004512", "Fed. R. Civ. P. 12(b)(6)", "556 U.S.\n662, 678 (2009)",
    "550 U.S. 544 (2007)", "123 F.3d 456", "March 3, 2021", "2021-03-15", "03/15/2024",
    "02/01/2022", "10:30 a.m.", "5:00 p.m.", "$1,250,000.00", "USD 45,000", "7.5%",
    "Section 4.2.1", "Section 10.2.1.4", "Section 9(b)", "NY 10007-1312", "ZIP 94105",
    "CA 94612", "EIN 12-3456789", "U.S. Patent No. 9,123,456", "Reg. No. 4,567,890",
    "Claim No. 2022-0001234", "HLX0001234-HLX0001240", "§ 1798.105", "Article 17 GDPR",
    "ECF No. 37", "Exhibit 12", "Courtroom 15C", "$85,000", "$402", "ending in 0004",
    "Harbourline Logistics Inc.", "Ashcroft v. Iqbal", "Bell Atlantic Corp. v. Twombly",
    "Chief Operating Officer", "Chief Executive Officer", "General Counsel",
    "Tenant Improvement Allowance", "Employee Benefits", "United States District Court",
    "Southern District of New York", "State of New York", "& Associates LLP",
    "Dr. Martin Luther King Jr. Blvd", "100 Harbor Street, Suite 400", "$1,300,000.00",
    "July 1, 2022", "Section 2.1", "AMENDMENT NO. 1", "Clerk of Court",
    "United States District Judge",
)

_MARK = re.compile(r"\[\[([A-Z_]+)\|(.+?)\]\]", re.DOTALL)


class Gold(NamedTuple):
    entity_type: str
    start: int
    end: int
    value: str


def parse(marked: str) -> tuple[str, list[Gold]]:
    """The plain text and its gold spans."""
    parts: list[str] = []
    gold: list[Gold] = []
    last = 0
    length = 0
    for match in _MARK.finditer(marked):
        before = marked[last:match.start()]
        parts.append(before)
        length += len(before)
        value = match[2]
        gold.append(Gold(match[1], length, length + len(value), value))
        parts.append(value)
        length += len(value)
        last = match.end()
    parts.append(marked[last:])
    return "".join(parts), gold


def corpus() -> dict[str, tuple[str, list[Gold]]]:
    return {name: parse(doc) for name, doc in DOCUMENTS.items()}


# Written after the recognizers were tuned on the documents above and measured once, as they
# were, for an honest figure; kept in the suite so that regressions show.
HELD_OUT_LEASE = """\
RESIDENTIAL LEASE AGREEMENT

This Lease is made on April 1, 2023 by and between Oakmont Property Management LLC (the
"Landlord") and [[PERSON|Miguel A. Torres]] (the "Tenant"). The premises are Unit 4B, 77 Elm
Avenue, Portland, OR 97205. Rent of $2,350 is due on the 1st day of each month; late fees accrue
under ORS 90.260 at 5% per month.

Emergency contact for the tenant: his sister, Ms. [[PERSON|Elena Torres]], tel.
[[PHONE|503-555-0164]], email [[EMAIL|elena.torres@example.net]]. Rent may be paid by card
([[CREDIT_CARD|4012 8888 8888 1881]]) or by transfer to IBAN
[[IBAN|FR14 2004 1010 0505 0001 3M02 606]].

Landlord: Oakmont Property Management LLC
Tenant: [[PERSON|Miguel A. Torres]]
SSN: [[SSN|601-22-4587]]

Signed before me by [[PERSON|Miguel A. Torres]] on April 1, 2023.
[[PERSON|Grace Whitmore]], Notary Public, Commission No. 998877, expires 12/31/2026.
"""

HELD_OUT_ORDER = """\
IN THE SUPERIOR COURT OF THE STATE OF CALIFORNIA
COUNTY OF SAN FRANCISCO

Case No. CGC-21-594012

ORDER ON MOTION TO COMPEL

Petitioner [[PERSON|Hannah Leigh Park]] seeks production of records from Respondent Brightline
Health Systems, Inc. Counsel for petitioner, [[PERSON|Oliver Grant]], Esq., argued that the
respondent logged access to her file from [[IP_ADDRESS|198.51.100.23]] on 14 separate
occasions between 2019 and 2021. The Honorable [[PERSON|Rebecca Stone]] heard argument on
September 9, 2022 in Department 302.

Under Code Civ. Proc. § 2031.310 and Evid. Code § 1158, the motion is GRANTED. Respondent
shall produce documents Bates-stamped BHS-000101 through BHS-000388 within 30 days. Sanctions
of $4,500 are imposed. See Williams v. Superior Court, 3 Cal. 5th 531 (2017).

Dated: October 3, 2022
/s/ [[PERSON|Rebecca Stone]]
Judge of the Superior Court
"""

HELD_OUT: dict[str, str] = {"lease": HELD_OUT_LEASE, "order": HELD_OUT_ORDER}

HELD_OUT_LOOK_ALIKES: tuple[str, ...] = (
    "April 1, 2023", "Oakmont Property Management LLC", "Unit 4B", "77 Elm\nAvenue",
    "OR 97205", "$2,350", "ORS 90.260", "5% per month", "Commission No. 998877", "12/31/2026",
    "Case No. CGC-21-594012", "Brightline\nHealth Systems, Inc.", "14 separate", "2019 and 2021",
    "September 9, 2022", "Department 302", "§ 2031.310", "§ 1158", "BHS-000101", "BHS-000388",
    "30 days", "$4,500", "Williams v. Superior Court", "3 Cal. 5th 531 (2017)",
    "October 3, 2022", "Judge of the Superior Court",
)


@cache
def _shared_detector() -> PresidioDetector:
    started = time.perf_counter()
    detector = PresidioDetector()
    LOAD_SECONDS.append(time.perf_counter() - started)
    return detector


LOAD_SECONDS: list[float] = []


@pytest.fixture(name="detector")
def detector_fixture() -> PresidioDetector:
    """One detector for the whole session (loading Presidio takes seconds).

    Function-scoped on purpose, with the instance cached: the first load then happens inside
    a test, under the autouse network guard, which a session-scoped fixture would escape.
    """
    return _shared_detector()
