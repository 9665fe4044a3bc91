"""Contracts: sections built from classified clauses, and the key-terms table.

Every candidate sentence is scored by the clause finder. A sentence whose best category clears
that category's threshold belongs to the profile section that lists the category, so a
governing-law clause lands under Governing law and a no-agency clause under none. The word
budget goes first to the best clause of each key category (the facts a lawyer looks for),
then to the next-best clauses of each section in turn. Sections that no category feeds
(confidentiality, general obligations) take the sentences closest to their query in words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from lexgraph.core.clauses.base import ClauseFinder
from lexgraph.core.summary.citations import content_words
from lexgraph.core.summary.key_terms import DATE, TERMS, key_terms, read_parties
from lexgraph.core.summary.profiles import Profile
from lexgraph.core.summary.schema import Citation, KeyTerm, Section
from lexgraph.core.summary.units import Unit
from lexgraph.core.vectorstore.base import Passage

# A query-fed section takes a sentence only when it shares this share of the query's words.
QUERY_OVERLAP = 0.3
KEY_CLAUSES_PER_TERM = 2


@dataclass(frozen=True)
class ContractSummary:
    sections: list[Section]
    key_terms: list[KeyTerm]


def _assign(scores: NDArray[np.float32], thresholds: NDArray[np.float32]
            ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """Each unit's category (-1: none clears its threshold) and its margin over it."""
    ratio = scores / np.maximum(thresholds, 1e-6)
    best = np.argmax(ratio, axis=1)
    margin = ratio[np.arange(len(best)), best]
    best = np.where(margin >= 1.0, best, -1)
    return best.astype(np.int64), margin.astype(np.float32)


def summarize_contract(profile: Profile, units: Sequence[Unit], finder: ClauseFinder,
                       budget: int, passages: Sequence[Passage] = ()) -> ContractSummary:
    categories = finder.categories
    if not units:
        return ContractSummary([Section(key=s.key, title=s.title, statements=[])
                                for s in profile.sections],
                               key_terms([], np.zeros((0, len(categories)), np.float32),
                                         categories, {}))
    scores = finder.scores([u.text for u in units])
    thresholds = np.array([finder.threshold(c) for c in categories], dtype=np.float32)
    assigned, margin = _assign(scores, thresholds)
    home = {c: spec.key for spec in profile.sections for c in spec.clauses}
    column = {c: i for i, c in enumerate(categories)}

    # Ranked candidates per section: classified clauses by margin, or query overlap.
    ranked: dict[str, list[tuple[int, str | None]]] = {}
    for spec in profile.sections:
        wanted = [column[c] for c in spec.clauses if c in column]
        mine = [i for i in range(len(units)) if assigned[i] in wanted]
        mine.sort(key=lambda i: -margin[i])
        entries: list[tuple[int, str | None]] = [(i, categories[assigned[i]]) for i in mine]
        if not spec.clauses or not entries:
            query = content_words(spec.query)
            overlap = [(len(content_words(units[i].text) & query) / max(len(query), 1), i)
                       for i in range(len(units)) if assigned[i] < 0]
            entries += [(i, None) for share, i in sorted(overlap, key=lambda t: (-t[0], t[1]))
                        if share >= QUERY_OVERLAP]
        ranked[spec.key] = entries

    chosen: dict[str, list[tuple[int, str | None]]] = {s.key: [] for s in profile.sections}
    taken: set[int] = set()
    used = 0

    def take(key: str, i: int, category: str | None) -> None:
        nonlocal used
        chosen[key].append((i, category))
        taken.add(i)
        used += units[i].words

    opening = preamble(units)
    if opening is not None and "Parties" in home:
        take(home["Parties"], opening, "Parties")

    # First the best clause of every key category, in the table's order: the sentence that
    # scores highest for the category (a preamble may be a Parties sentence first and carry
    # the agreement date too; it is stated once).
    # A second round gives each key category its runner-up: annotators and drafters often
    # split a term over two sentences ("The term is three years." / "It renews for one year.").
    for rank in range(KEY_CLAUSES_PER_TERM):
        for term in TERMS:
            c = column.get(term.category)
            key = home.get(term.category)
            if c is None or key is None or not len(units):
                continue
            order = np.argsort(-scores[:, c], kind="stable")
            if rank >= len(order):
                continue
            best = int(order[rank])
            if scores[best, c] < thresholds[c] or best in taken:
                continue
            if used < budget or not taken:
                owner = assigned[best]
                section = home.get(categories[owner], key) if owner >= 0 else key
                take(section, best, categories[owner] if owner >= 0 else term.category)
    # Then the sections in turn, each taking its next-best sentence, until the budget is spent.
    cursor = {key: 0 for key in ranked}
    progress = True
    while progress and used < budget:
        progress = False
        for spec in profile.sections:
            entries = ranked[spec.key]
            while cursor[spec.key] < len(entries) and entries[cursor[spec.key]][0] in taken:
                cursor[spec.key] += 1
            if cursor[spec.key] >= len(entries):
                continue
            i, category = entries[cursor[spec.key]]
            if used + units[i].words > budget * 1.1:
                cursor[spec.key] += 1
                progress = True
                continue
            take(spec.key, i, category)
            progress = True
            if used >= budget:
                break

    sections = []
    for spec in profile.sections:
        statements = []
        for i, category in sorted(chosen[spec.key]):
            statement = units[i].statement()
            statement.category = category
            statements.append(statement)
        sections.append(Section(key=spec.key, title=spec.title, statements=statements))
    precise = {c: _precise_threshold(finder, c) for c in categories}
    dated = opening_date(units, passages, opening)
    return ContractSummary(sections, key_terms(units, scores, categories, precise,
                                               preamble=opening, dated=dated))


# The opening sentence that names the parties: "This Agreement is entered into as of … by and
# between A and B". It is where a contract states its parties and its date, so it is stated
# first and the key terms read them there when no better clause is found.
_OPENING = re.compile(r"\b(?:between|among|entered\s+into|made\s+(?:and\s+entered\s+into\s+)?"
                      r"(?:as\s+of|on|this|effective))\b|^\(1\)\s", re.IGNORECASE)


def preamble(units: Sequence[Unit]) -> int | None:
    window = min(len(units), max(12, len(units) // 8))
    for i in range(window):
        if _OPENING.search(units[i].text) and read_parties(units[i].text):
            return i
    return None


def _precise_threshold(finder: ClauseFinder, category: str) -> float:
    """The score a key term needs: the finder's high-precision threshold; a category with none
    (nothing reached the precision a key term needs) is never reported as found."""
    value = finder.high_precision_threshold(category)
    return 1.01 if value is None else value


_EDGAR_SOURCE = re.compile(r"^\W*Source:", re.MULTILINE)


def opening_date(units: Sequence[Unit], passages: Sequence[Passage],
                 preamble_index: int | None) -> Citation | None:
    """The line of the title block or preamble that dates the agreement ("… AGREEMENT dated
    as of August 21, 2018"): the first calendar date with its year before the end of the
    preamble (or the first 3,000 characters), cited as the line that carries it."""
    if not units:
        return None
    first = units[preamble_index if preamble_index is not None else 0]
    source, base = first.source, first.base
    limit = first.end if preamble_index is not None else min(len(source), 3000)
    for match in DATE.finditer(source, 0, limit):
        line_start = source.rfind("\n", 0, match.start()) + 1
        if _EDGAR_SOURCE.match(source, line_start):
            continue  # the filing's date, not the agreement's
        position = base + match.start()
        home = next((p for p in passages if p.document_id == first.passage.document_id
                     and p.page == first.passage.page and p.start <= position < p.end), None)
        if home is None:
            continue
        line_end = source.find("\n", match.end())
        lo = max(line_start + base, home.start)
        hi = min((line_end if line_end >= 0 else len(source)) + base, home.end)
        quote = source[lo - base:hi - base]
        stripped = quote.strip()
        lo += len(quote) - len(quote.lstrip())
        return Citation(chunk_id=home.id, document_id=home.document_id, document=home.document,
                        page=home.page, start=lo, end=lo + len(stripped), quote=stripped)
    return None
