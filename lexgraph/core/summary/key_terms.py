"""A contract's key terms: for each term a lawyer looks for first, the clause that states it
(found by the clause finder), and the value read from that clause where one can be read — a
date with its year, a state, a number of days — or "not found" when no clause is confident
enough. A value is only ever read from the cited clause, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from lexgraph.core.summary.schema import Citation, KeyTerm
from lexgraph.core.summary.units import Unit


@dataclass(frozen=True)
class TermSpec:
    key: str
    label: str
    category: str  # the CUAD category whose clauses state it
    value: str  # how a value is read from the clause: date, law, duration, parties, none


TERMS: tuple[TermSpec, ...] = (
    TermSpec("parties", "Parties", "Parties", "parties"),
    TermSpec("agreement_date", "Agreement date", "Agreement Date", "date"),
    TermSpec("effective_date", "Effective date", "Effective Date", "date"),
    TermSpec("expiration", "Expiration / term", "Expiration Date", "duration"),
    TermSpec("renewal", "Renewal", "Renewal Term", "duration"),
    TermSpec("renewal_notice", "Notice to terminate renewal", "Notice Period To Terminate Renewal",
             "duration"),
    TermSpec("governing_law", "Governing law", "Governing Law", "law"),
    TermSpec("termination_for_convenience", "Termination for convenience",
             "Termination For Convenience", "duration"),
    TermSpec("liability_cap", "Cap on liability", "Cap On Liability", "none"),
    TermSpec("uncapped_liability", "Uncapped liability", "Uncapped Liability", "none"),
    TermSpec("anti_assignment", "Anti-assignment", "Anti-Assignment", "none"),
    TermSpec("change_of_control", "Change of control", "Change Of Control", "none"),
    TermSpec("exclusivity", "Exclusivity", "Exclusivity", "none"),
    TermSpec("non_compete", "Non-compete", "Non-Compete", "duration"),
    TermSpec("license_grant", "License grant", "License Grant", "none"),
    TermSpec("ip_ownership", "IP ownership", "Ip Ownership Assignment", "none"),
    TermSpec("audit_rights", "Audit rights", "Audit Rights", "none"),
    TermSpec("insurance", "Insurance", "Insurance", "money"),
    TermSpec("warranty_duration", "Warranty duration", "Warranty Duration", "duration"),
    TermSpec("liquidated_damages", "Liquidated damages", "Liquidated Damages", "money"),
    TermSpec("minimum_commitment", "Minimum commitment", "Minimum Commitment", "money"),
)

_MONTHS = (r"(?:January|February|March|April|May|June|July|August|September|October|November|"
           r"December|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|"
           r"Dec\.?)")
DATE = re.compile(
    rf"\b{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d\d\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:day\s+of\s+)?{_MONTHS},?\s+(?:19|20)\d\d\b"
    r"|\b\d{1,2}/\d{1,2}/(?:19|20)\d\d\b|\b(?:19|20)\d\d-\d\d-\d\d\b",
    re.IGNORECASE,
)
_STATES = (
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|"
    "Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|"
    "Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|"
    "New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|"
    "Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|"
    "West Virginia|Wisconsin|Wyoming|District of Columbia|England and Wales|England|Scotland|"
    "Ireland|Ontario|British Columbia|Quebec|Alberta|Hong Kong|Singapore|Germany|France|"
    "Switzerland|the Netherlands|Israel|Japan|China|the People's Republic of China|India|"
    "Australia|Canada|Sweden|Korea|Cayman Islands|Bermuda|Luxembourg"
)
_LAW = re.compile(
    rf"\blaws?\s+of\s+(?:the\s+)?(?:State\s+of\s+|Commonwealth\s+of\s+|Province\s+of\s+)?"
    rf"({_STATES})\b", re.IGNORECASE)
_ANY_STATE = re.compile(rf"\b({_STATES})\b")
_NUMBER = (r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|"
           r"twenty|thirty|forty[- ]five|forty|sixty|ninety|one hundred(?: and)? twenty|"
           r"one hundred eighty)")
_DURATION = re.compile(
    rf"\b{_NUMBER}(?:\s*\(\d+\))?\s*(?:calendar\s+|business\s+|consecutive\s+)?"
    r"(?:days?|months?|years?|weeks?)\b", re.IGNORECASE)
_MONEY = re.compile(r"(?:[A-Z]{1,3}\s?)?\$\s?\d[\d,]*(?:\.\d+)?(?:\s*(?:million|billion))?"
                    r"|\b\d[\d,]*(?:\.\d+)?\s*(?:dollars|USD|EUR|euros)\b", re.IGNORECASE)
# The preamble names the parties: "... by and between Acme, Inc., a Delaware corporation
# ("Acme"), and Beta LLC ("Distributor")."
_BETWEEN = re.compile(r"\b(?:by\s+and\s+)?(?:between|among)\b\s*:?\s*", re.IGNORECASE)
_ROLE = re.compile(r"\(\s*(?:hereinafter\s+(?:referred\s+to\s+as\s+|called\s+)?|the\s+)?"
                   r"[\"“']+(?:the\s+)?([A-Z][\w .&'-]{1,40}?)[\"”']+\s*\)")
_ENTITY = re.compile(
    r"([A-Z][\w&.,'-]*(?:\s+(?:[A-Z][\w&.,'-]*|of|and|de|du|la|&))*?,?\s+"
    r"(?:Inc\.?|Incorporated|Corp\.?|Corporation|Company|Co\.|LLC|L\.L\.C\.|Ltd\.?|Limited|"
    r"LP|L\.P\.|LLP|PLC|plc|N\.A\.|S\.A\.|AG|GmbH|B\.V\.|N\.V\.|SE|Pty\.?\s+Ltd\.?|Pte\.?\s+Ltd\.?|"
    r"Trust|Bank|Partners|Group|"
    r"Holdings|Fund|University|Authority|Association))(?![\w])")


def read_date(text: str) -> str | None:
    match = DATE.search(text)
    return " ".join(match.group(0).split()) if match else None


def read_law(text: str) -> str | None:
    match = _LAW.search(text) or _ANY_STATE.search(text)
    return match.group(1) if match else None


def read_duration(text: str, cue: re.Pattern[str] | None = None) -> str | None:
    """The first duration, or with ``cue`` the one nearest a word that says what it measures
    (a renewal clause often states the initial term first)."""
    found = list(_DURATION.finditer(text))
    if not found:
        return None
    match = found[0]
    cues = [m.start() for m in cue.finditer(text)] if cue is not None else []
    if cues:
        match = min(found, key=lambda m: min(abs(m.start() - c) for c in cues))
    return " ".join(match.group(0).split())


_CUES = {
    "renewal": re.compile(r"\brenew", re.IGNORECASE),
    "renewal_notice": re.compile(r"\bnotice\b|\bnon-?renewal\b", re.IGNORECASE),
    "termination_for_convenience": re.compile(r"\bnotice\b", re.IGNORECASE),
    "expiration": re.compile(r"\b(?:initial\s+)?term\b|\bperiod\b", re.IGNORECASE),
}


def read_money(text: str) -> str | None:
    match = _MONEY.search(text)
    return " ".join(match.group(0).split()) if match else None


def read_parties(text: str) -> str | None:
    """"Acme, Inc. (Company); Beta LLC (Distributor)" from a preamble, or None."""
    between = _BETWEEN.search(text)
    tail = text[between.end():] if between else text
    names: list[str] = []
    for match in _ENTITY.finditer(tail):
        name = match.group(1).strip(" ,")
        if name.lower().startswith(("the ", "this ")) or any(name in n for n in names):
            continue
        role = _ROLE.search(tail, match.end(), match.end() + 200)
        names.append(f"{name} ({role.group(1).strip()})" if role else name)
    return "; ".join(names[:6]) or None


_READERS = {"date": read_date, "law": read_law, "duration": read_duration,
            "money": read_money, "parties": read_parties}


# Read from the preamble when no clause of the category is confident enough: the opening
# sentence names the parties and dates the agreement ("… effective as of" dates its start).
def _always(text: str) -> bool:
    return True


def _says_effective(text: str) -> bool:
    return re.search(r"\beffective\b", text, re.IGNORECASE) is not None


_FROM_PREAMBLE: dict[str, Callable[[str], bool]] = {
    "parties": _always, "agreement_date": _always, "effective_date": _says_effective}


def key_terms(units: Sequence[Unit], scores: NDArray[np.float32], categories: Sequence[str],
              thresholds: dict[str, float], *, preamble: int | None = None,
              dated: Citation | None = None) -> list[KeyTerm]:
    """One row per TERMS entry: the best clause of its category when its score clears the
    category's threshold (or, for the parties and dates, the preamble that states them); the
    value read from that clause."""
    column = {c: i for i, c in enumerate(categories)}
    rows: list[KeyTerm] = []
    for spec in TERMS:
        i = column.get(spec.category)
        best = int(np.argmax(scores[:, i])) if i is not None and len(units) else -1
        confident = best >= 0 and scores[best, i] >= thresholds.get(spec.category, 1.0)
        reader = _READERS.get(spec.value)
        opening = units[preamble] if preamble is not None else None
        if (opening is not None and reader is not None and spec.key in _FROM_PREAMBLE
                and _FROM_PREAMBLE[spec.key](opening.text) and reader(opening.text)
                and (not confident or spec.key == "parties")):
            rows.append(KeyTerm(key=spec.key, label=spec.label, category=spec.category,
                                found=True, value=reader(opening.text),
                                citation=opening.citation()))
            continue
        if not confident and spec.key == "agreement_date" and dated is not None:
            # The title block dates the agreement: the line that says so is the clause.
            rows.append(KeyTerm(key=spec.key, label=spec.label, category=spec.category,
                                found=True, value=read_date(dated.quote), citation=dated))
            continue
        if not confident:
            rows.append(KeyTerm(key=spec.key, label=spec.label, category=spec.category,
                                found=False))
            continue
        unit = units[best]
        if spec.value == "duration":
            value = read_duration(unit.text, _CUES.get(spec.key))
        else:
            value = reader(unit.text) if reader else None
        if spec.value == "date" and value is None:
            # A date without its year, or none at all: the clause is cited, no value read.
            value = None
        rows.append(KeyTerm(key=spec.key, label=spec.label, category=spec.category, found=True,
                            value=value, citation=unit.citation(),
                            score=round(float(scores[best, i]), 4)))
    return rows
