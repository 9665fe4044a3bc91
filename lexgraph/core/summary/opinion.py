"""Court opinions: court and parties, question presented, holding, reasoning and the judgment
line, read from the opinion's own signposts.

Judges signpost their decisions: "The question presented is whether…", "We hold that…",
"Held:", "The judgment of the district court is affirmed." Each section takes the sentences
carrying its signposts; a syllabus or headnote, when the document has one, is the court
reporter's own summary, so its sentences come first and are labelled as such. Disposition
prefers the last judgment line (the one that closes the opinion).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lexgraph.core.summary.profiles import Profile
from lexgraph.core.summary.schema import Section
from lexgraph.core.summary.units import Unit

_SIGNPOSTS: dict[str, re.Pattern[str]] = {
    "court_and_parties": re.compile(
        r"\b(?:appeal(?:ed|s)? from|on (?:appeal|petition|writ) (?:from|of|for)|"
        r"(?:plaintiffs?|defendants?|petitioners?|respondents?)[- ](?:appellants?|appellees?)|"
        r"certiorari to|before [A-Z][a-z]+,? (?:Chief )?(?:Circuit |District )?Judges?|"
        r"this (?:appeal|case|action|matter) (?:arises|comes|concerns|involves))", re.IGNORECASE),
    "procedural_history": re.compile(
        r"\b(?:the (?:district|trial|lower|bankruptcy) court (?:granted|denied|dismissed|entered|"
        r"held|ruled|concluded|found)|(?:filed|brought) (?:a |an |this )?(?:suit|complaint|"
        r"motion|petition|action)|(?:timely )?appealed|moved for|we granted certiorari|"
        r"the court of appeals (?:affirmed|reversed|held))", re.IGNORECASE),
    "issues": re.compile(
        r"\b(?:question (?:presented|before us|is whether|in this case)|the issue (?:is|before)|"
        r"we (?:must )?(?:decide|consider|address) whether|asks? (?:us )?whether|"
        r"at issue (?:is|here))", re.IGNORECASE),
    "holding": re.compile(
        r"(?:^Held:|\bwe (?:therefore |thus )?(?:hold|conclude)\b|\bwe agree (?:with|that)\b|"
        r"\bwe find that\b|\bthe court (?:holds|concludes)\b|"
        r"^(?:Consequently|Accordingly|Therefore|Thus), we (?:dismiss|affirm|reverse|vacate)\b)",
        re.IGNORECASE),
    "reasoning": re.compile(
        r"\b(?:because|since the|under (?:our|the) (?:precedent|standard|test)|"
        r"standard of review|the (?:statute|constitution|first amendment|clause) (?:requires|"
        r"provides|protects)|(?:strict|rational[- ]basis|intermediate) scrutiny|"
        r"likelihood of success|irreparable harm|in light of)", re.IGNORECASE),
    "disposition": re.compile(
        r"\b(?:(?:is|are|be) (?:hereby )?(?:affirmed|reversed|vacated|remanded|dismissed)|"
        r"we (?:affirm|reverse|vacate|remand)|^(?:Affirmed|Reversed|Vacated|Remanded)\b|"
        r"so ordered|it is (?:hereby )?ordered)", re.IGNORECASE),
}
_SYLLABUS_START = re.compile(r"^\s*(?:Syllabus|SYLLABUS|HEADNOTES?|Headnotes?)\s*$", re.MULTILINE)
_SYLLABUS_END = re.compile(r"(?:delivered the opinion of the Court|Opinion of the Court|"
                           r"JUSTICE [A-Z]+,? (?:delivered|wrote))")
# How many sentences each section may take before the budget is shared out.
_LIMIT = {"court_and_parties": 2, "procedural_history": 2, "issues": 2, "holding": 3,
          "reasoning": 4, "disposition": 1}


def _syllabus(units: Sequence[Unit]) -> set[int]:
    """Units inside a syllabus or headnote: after its caption, before the opinion proper."""
    inside: set[int] = set()
    open_ = False
    for unit in units:
        before = unit.before
        if _SYLLABUS_START.search(before) and not _SYLLABUS_END.search(before):
            open_ = True
        if open_ and _SYLLABUS_END.search(unit.text):
            break
        if open_:
            inside.add(unit.index)
    return inside


# A sentence that is only a citation ("Cf. Cobell v. Kempthorne, …") or a separate opinion's
# first person ("I would not…") speaks for no holding or reasoning of the court.
_CITATION_ONLY = re.compile(r"^(?:See|Cf\.|Id\.|E\.g\.|Accord|But see|Compare)(?=[\s,])")
_FIRST_PERSON = re.compile(r"(?:^|\s)I (?:would|write|agree|disagree|concur|dissent|see|do)\b")


def _speaks_for_the_court(unit: Unit) -> bool:
    return not (_CITATION_ONLY.match(unit.text) or _FIRST_PERSON.search(unit.text))


def summarize_opinion(profile: Profile, units: Sequence[Unit], budget: int) -> list[Section]:
    syllabus = _syllabus(units)
    units = [u for u in units if _speaks_for_the_court(u)]
    picks: dict[str, list[Unit]] = {s.key: [] for s in profile.sections}
    taken: set[int] = set()
    used = 0
    order = ["disposition", "holding", "court_and_parties", "issues", "procedural_history",
             "reasoning"]
    for key in [k for k in order if k in picks]:
        pattern = _SIGNPOSTS[key]
        matches = [u for u in units if pattern.search(u.text) and u.index not in taken]
        if key == "disposition":
            matches = matches[::-1]  # the closing judgment line, not an earlier mention
        elif key in ("holding", "issues"):
            # The reporter's syllabus states holding and question first.
            matches.sort(key=lambda u: (u.index not in syllabus, u.index))
        elif key == "court_and_parties":
            matches = [u for u in matches if u.index < max(len(units) // 5, 5)]
        for unit in matches[:_LIMIT.get(key, 2)]:
            if picks[key] and used + unit.words > budget:
                break
            picks[key].append(unit)
            taken.add(unit.index)
            used += unit.words
    sections = []
    for spec in profile.sections:
        statements = []
        for unit in sorted(picks[spec.key], key=lambda u: u.index):
            statement = unit.statement()
            if unit.index in syllabus:
                statement.label = "Syllabus"
            statements.append(statement)
        sections.append(Section(key=spec.key, title=spec.title, statements=statements))
    return sections
