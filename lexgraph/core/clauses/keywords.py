"""Keyword baseline clause finder: hand-written patterns per CUAD category.

Nothing here is learned: each category has a few regular expressions written from how contracts
usually phrase that clause. A text scores 0 when no pattern of the category matches, 0.6 for
one matching pattern and 0.2 more for each further one (at most 1). It is the baseline the
trained finder is measured against and the fallback when that model cannot be loaded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from lexgraph.core.clauses.base import ClauseLabel, labels_from_scores
from lexgraph.core.errors import UserError

_W = r"(?:\W+\w+){0,%d}?\W+"  # up to n intervening words


def _near(n: int) -> str:
    return _W % n


PATTERNS: dict[str, tuple[str, ...]] = {
    "Document Name": (
        # A title in capitals, so the case-insensitive flag is switched off for it.
        r"(?-i:^\W*(?:[A-Z0-9&,'\-]+\s+){0,6}(?:AGREEMENT|CONTRACT|LICENSE|AMENDMENT)\b)",
        r"^\s*(?:this|the)\s+[\w\s,'\-]{0,60}?agreement\b\s*(?:\(|is made|is entered|dated)",
    ),
    "Parties": (
        r"\b(?:by and between|between|among)\b.{0,200}\b(?:inc|llc|ltd|corporation|corp|"
        r"company|limited|l\.p|plc|gmbh)\b",
        r"\((?:hereinafter\s+)?(?:referred to as\s+)?[\"“]?(?:the\s+)?[\"“]?"
        r"(?:company|licensor|licensee|distributor|supplier|customer|vendor|manufacturer|"
        r"consultant|client|franchisee|franchisor|party)\b",
    ),
    "Agreement Date": (
        r"\b(?:dated|made|entered into|executed)\b(?:\s+\w+){0,4}\s+(?:as of\s+)?"
        r"(?:the\s+)?(?:\d{1,2}(?:st|nd|rd|th)?\s+(?:day\s+of\s+)?)?"
        r"(?:january|february|march|april|may|june|july|august|september|october|november|"
        r"december)\b",
        r"\bdated\s+(?:as of\s+)?\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}",
    ),
    "Effective Date": (
        r"\beffective\s+(?:as of|on|from)\b",
        r"[\"“]effective date[\"”]",
        r"\bshall (?:become|be) effective\b",
        r"\bcommencement date\b",
    ),
    "Expiration Date": (
        r"\b(?:shall|will)\s+(?:expire|terminate)\s+(?:on|at the end of|upon)\b",
        r"\binitial term\b.{0,120}\b(?:years?|months?|expir|until)\b",
        r"\b(?:term of this agreement|agreement shall (?:continue|remain) in (?:full )?force)\b",
    ),
    "Renewal Term": (
        r"\b(?:automatically|successive|additional)\b" + _near(6) + r"(?:renew|renewal|term)",
        r"\brenew(?:ed|al)?\b" + _near(6) + r"(?:year|month|period|term)s?\b",
    ),
    "Notice Period To Terminate Renewal": (
        r"\bnotice\b" + _near(12) + r"\b(?:non-?renewal|not to renew|intention not to)\b",
        r"\b(?:days|months)\b" + _near(8) + r"(?:prior to|before)\b" + _near(8)
        + r"(?:expiration|end of the (?:then[- ]current|initial|renewal))",
        r"\bunless\b" + _near(10) + r"notice\b" + _near(10) + r"(?:renew|terminate)",
    ),
    "Governing Law": (
        r"\bgoverned by\b" + _near(8) + r"laws?\b",
        r"\b(?:construed|interpreted|enforced)\b" + _near(8) + r"(?:in accordance with|under)"
        + _near(4) + r"laws?\b",
        r"\bgoverning law\b",
    ),
    "Most Favored Nation": (
        r"\bmost favou?red\b",
        r"\b(?:no less favou?rable|more favou?rable)\b" + _near(10)
        + r"(?:than|terms|price|pricing)",
        r"\b(?:lowest|best) price\b",
    ),
    "Competitive Restriction Exception": (
        r"\b(?:notwithstanding|except|exception|shall not (?:apply|restrict|prevent|prohibit)"
        r")\b.{0,160}\b(?:compet|exclusiv|non-?compete|solicit)\w*",
    ),
    "Non-Compete": (
        r"\bnon-?compet\w*",
        r"\bshall not\b" + _near(10) + r"(?:compete|competitive|competing)\b",
        r"\b(?:engage|participate)\b" + _near(8) + r"(?:competitive|competing|compete)\b",
    ),
    "Exclusivity": (
        r"\bexclusive(?:ly)?\b" + _near(6)
        + r"(?:distributor|supplier|provider|right|license|basis|source|territory|agent)",
        r"\bshall not\b" + _near(8) + r"(?:purchase|appoint|sell|distribute)\b" + _near(10)
        + r"(?:other|third part|competitor)",
        r"\b(?:sole|only) (?:and exclusive )?(?:supplier|distributor|source|provider)\b",
    ),
    "No-Solicit Of Customers": (
        r"\bsolicit\w*\b" + _near(12) + r"(?:customers?|clients?|accounts?)\b",
    ),
    "No-Solicit Of Employees": (
        r"\b(?:solicit|hire|employ|recruit)\w*\b" + _near(12)
        + r"(?:employees?|personnel|staff)\b",
        r"\bno[- ]hire\b",
    ),
    "Non-Disparagement": (
        r"\b(?:disparag|defam)\w*",
        r"\b(?:negative|derogatory|unfavou?rable) (?:statement|comment|remark)s?\b",
    ),
    "Termination For Convenience": (
        r"\bterminat\w*\b" + _near(12) + r"(?:for convenience|for any reason|without cause|"
        r"with or without cause|at any time)\b",
        r"\b(?:for convenience|for any reason or no reason|without cause)\b" + _near(12)
        + r"terminat\w*",
    ),
    "Rofr/Rofo/Rofn": (
        r"\bright of first (?:refusal|offer|negotiation)\b",
        r"\b(?:first right|first option)\b" + _near(4) + r"(?:to|of)\b",
        r"\bright to match\b",
    ),
    "Change Of Control": (
        r"\bchange (?:of|in) control\b",
        r"\b(?:merger|acquisition|consolidation|reorgani[sz]ation)\b.{0,120}\b(?:assign|"
        r"terminat|consent)\w*",
        r"\bsale of (?:all or )?substantially all\b",
    ),
    "Anti-Assignment": (
        r"\b(?:shall|may) not\b" + _near(10) + r"(?:assign|transfer|delegate)\w*",
        r"\bassign\w*\b" + _near(15) + r"(?:without|prior written consent|consent of)\b",
        r"\b(?:no|neither)\b" + _near(8) + r"(?:assignable|assigned|transferred)\b",
    ),
    "Revenue/Profit Sharing": (
        r"\broyalt(?:y|ies)\b",
        r"\b(?:revenue|profit)s?\b" + _near(6) + r"(?:share|sharing|split|percent|%)",
        r"\b\d+(?:\.\d+)?\s*%\s*(?:of|percent of)\b" + _near(4)
        + r"(?:net|gross|revenue|sales|profits?|receipts)",
        r"\bcommissions?\b",
    ),
    "Price Restrictions": (
        r"\bprices?\b" + _near(8) + r"(?:shall not|may not|not be)\b" + _near(4)
        + r"(?:increase|change|raise|exceed)",
        r"\b(?:price|pricing) (?:increase|change)s?\b" + _near(8) + r"(?:limit|not exceed|cap)",
    ),
    "Minimum Commitment": (
        r"\bminimum\b" + _near(4)
        + r"(?:purchase|order|quantit|volume|commitment|sales|royalt|units|amount|fee)\w*",
        r"\bat least\b" + _near(6) + r"(?:units|orders?|per (?:year|month|quarter))\b",
    ),
    "Volume Restriction": (
        r"\b(?:maximum|not to exceed|shall not exceed|in excess of|cap on|up to)\b" + _near(6)
        + r"(?:units|users|copies|quantit|volume|licenses|seats|orders)\w*",
        r"\bforecast\w*\b" + _near(12) + r"(?:exceed|excess|more than)\b",
    ),
    "Ip Ownership Assignment": (
        r"\b(?:hereby )?assigns?\b" + _near(12)
        + r"(?:right, title and interest|intellectual property|inventions?|copyright|patent)",
        r"\b(?:shall|will) (?:be|become|remain) the (?:sole and )?(?:exclusive )?property of\b",
        r"\bwork(?:s)? made for hire\b",
    ),
    "Joint Ip Ownership": (
        r"\bjoint(?:ly)?\b" + _near(6)
        + r"(?:own|owned|ownership|developed|inventions?|intellectual property|patents?)",
        r"\bco-?own\w*",
    ),
    "License Grant": (
        r"\b(?:hereby )?grants?\b" + _near(12) + r"licen[cs]e\b",
        r"\blicen[cs]e (?:to|under)\b" + _near(6) + r"(?:use|make|sell|reproduce|distribute)",
    ),
    "Non-Transferable License": (
        r"\bnon-?(?:transferable|assignable|sublicensable)\b",
        r"\blicen[cs]e\b" + _near(12) + r"(?:may not|shall not|cannot) be"
        + _near(3) + r"(?:transferred|assigned|sublicensed)",
    ),
    "Affiliate License-Licensor": (
        r"\b(?:licensor|company|supplier)(?:'s)? (?:and its )?affiliates?\b" + _near(12)
        + r"(?:grant|licen[cs]e)",
        r"\blicen[cs]e\b" + _near(12) + r"owned or controlled by\b" + _near(6) + r"affiliates?",
    ),
    "Affiliate License-Licensee": (
        r"\blicen[cs]e\b" + _near(15) + r"(?:to|for) (?:licensee|distributor|customer|"
        r"company)(?:'s)? (?:and (?:its|their) )?affiliates?\b",
        r"\baffiliates?\b" + _near(8) + r"(?:may|shall be entitled to|right to) (?:use|"
        r"exercise)\b",
        r"\bsublicen[cs]e\b" + _near(6) + r"(?:to )?(?:its )?affiliates?\b",
    ),
    "Unlimited/All-You-Can-Eat-License": (
        r"\bunlimited\b" + _near(6) + r"(?:licen[cs]e|use|copies|number|users|access)",
        r"\b(?:enterprise|site)[- ]wide\b",
    ),
    "Irrevocable Or Perpetual License": (
        r"\b(?:irrevocable|perpetual)\b" + _near(10) + r"licen[cs]e",
        r"\blicen[cs]e\b" + _near(10) + r"(?:irrevocable|perpetual|in perpetuity)\b",
    ),
    "Source Code Escrow": (
        r"\bescrow\b",
        r"\bsource code\b" + _near(10) + r"(?:deposit|release|deliver)",
    ),
    "Post-Termination Services": (
        r"\b(?:after|following|upon|survive|post)[- ]?(?:the )?(?:termination|expiration)\b"
        + _near(15) + r"(?:continue|transition|wind[- ]down|sell[- ]off|support|services?|"
        r"return|deliver)",
        r"\b(?:transition|wind[- ]down|sell[- ]off) (?:period|services|assistance)\b",
    ),
    "Audit Rights": (
        r"\baudit\w*",
        r"\b(?:inspect|examine|examination|inspection)\b" + _near(8)
        + r"(?:books|records|accounts|facilities)",
    ),
    "Uncapped Liability": (
        r"\b(?:limitation|limitations|exclusion)s? (?:of|on) liability\b" + _near(20)
        + r"(?:shall not apply|not limit|except)",
        r"\b(?:shall not apply|excluding|except)\b" + _near(12)
        + r"(?:gross negligence|willful misconduct|wilful misconduct|fraud|indemnif)",
    ),
    "Cap On Liability": (
        r"\b(?:liability|liable)\b" + _near(20)
        + r"(?:shall not exceed|not to exceed|in excess of|limited to|exceed the)",
        r"\b(?:in no event|under no circumstances)\b" + _near(12) + r"(?:liab|liable)",
        r"\b(?:aggregate|total|maximum|cumulative) liability\b",
        r"\b(?:indirect|consequential|incidental|special|punitive) damages\b",
    ),
    "Liquidated Damages": (
        r"\bliquidated damages\b",
        r"\b(?:termination|cancell?ation|early termination|break[- ]up) fee\b",
        r"\bpenalty\b" + _near(8) + r"(?:equal to|of|amount)",
    ),
    "Warranty Duration": (
        r"\bwarrant\w*\b" + _near(15) + r"(?:period of|for a period|days|months|years)\b",
        r"\bwarranty period\b",
    ),
    "Insurance": (
        r"\binsurance\b",
        r"\binsured\b",
        r"\b(?:liability|indemnity) (?:coverage|policy|policies)\b",
    ),
    "Covenant Not To Sue": (
        r"\b(?:covenants?|agrees?) not to (?:sue|bring|assert|challenge|contest)\b",
        r"\bshall not\b" + _near(6) + r"(?:contest|challenge|attack|dispute)\b" + _near(10)
        + r"(?:validity|ownership|rights?)",
        r"\bno-?challenge\b",
    ),
    "Third Party Beneficiary": (
        r"\bthird[- ]party beneficiar\w*",
        r"\bno (?:other )?(?:person|third party)\b" + _near(10)
        + r"(?:rights?|benefits?|remed)",
        r"\b(?:intended|deemed) (?:to be )?(?:a )?beneficiar\w*",
    ),
}


class KeywordClauseFinder:
    """Hand-written patterns per category; one threshold (0.5) for all."""

    def __init__(self, patterns: dict[str, tuple[str, ...]] | None = None,
                 threshold: float = 0.5) -> None:
        chosen = PATTERNS if patterns is None else patterns
        self._categories = tuple(chosen)
        self._compiled = [[re.compile(p, re.IGNORECASE | re.DOTALL) for p in chosen[c]]
                          for c in self._categories]
        self._threshold = threshold
        self._thresholds = np.full(len(self._categories), threshold, dtype=np.float32)

    @property
    def categories(self) -> tuple[str, ...]:
        return self._categories

    def scores(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        result = np.zeros((len(texts), len(self._categories)), dtype=np.float32)
        for row, text in enumerate(texts):
            for col, patterns in enumerate(self._compiled):
                hits = sum(1 for p in patterns if p.search(text))
                if hits:
                    result[row, col] = min(1.0, 0.6 + 0.2 * (hits - 1))
        return result

    def classify(self, texts: Sequence[str]) -> list[list[ClauseLabel]]:
        return labels_from_scores(self.scores(texts), self._categories, self._thresholds)

    def threshold(self, category: str) -> float:
        if category not in self._categories:
            raise UserError(f"unknown clause category {category!r}")
        return self._threshold

    def high_precision_threshold(self, category: str) -> float | None:
        """None for every category: no pattern's precision was measured to reach 0.9 (on
        CUAD's validation contracts most stay well below it, see bench/README.md)."""
        self.threshold(category)
        return None
