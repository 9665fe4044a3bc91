"""Bills and statutes: the short title and purpose, then what each substantive section does,
in bill order.

Each candidate sentence or enumerated item is scored by a small linear model over features a
summary writer uses — where the sentence sits in the bill and in its section, what its section
is (findings and definitions rarely make a summary; what a section amends, establishes,
requires or prohibits does), and how central its words are to the bill. The weights are fitted
on BillSum bills by ``bench/train_bill_scorer.py`` and ship in ``models/bill_scorer.json``
with a record of what they were fitted on. Selection fills the word budget with the best
sentences, skips near-repeats, and keeps the bill's order.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lexgraph.core.summary.citations import content_words
from lexgraph.core.summary.units import Unit

FEATURES = (
    "bias", "short_title", "first_in_part", "second_in_part", "part_position", "doc_position",
    "log_words", "findings", "definitions", "appropriations", "effective", "amends",
    "operative", "technical", "centrality", "caption_overlap", "enumerated", "preamble",
)
_SHORT_TITLE = re.compile(r"\bmay be cited as\b", re.IGNORECASE)
_FINDINGS = re.compile(r"FINDINGS|SENSE OF (?:THE )?(?:CONGRESS|SENATE|HOUSE)|PURPOSES?\b",
                       re.IGNORECASE)
_DEFINITIONS = re.compile(r"DEFINITION", re.IGNORECASE)
_APPROPRIATIONS = re.compile(r"APPROPRIATION|FUNDING", re.IGNORECASE)
_EFFECTIVE = re.compile(r"EFFECTIVE DATE|\btake effect\b", re.IGNORECASE)
_AMENDS = re.compile(r"\bis (?:hereby )?amended\b|\bamending\b|\bis repealed\b", re.IGNORECASE)
_OPERATIVE = re.compile(
    r"\b(?:shall|establish(?:es|ed)?|require[sd]?|prohibit(?:s|ed)?|authoriz(?:es|ed)|"
    r"direct(?:s|ed)?|may not|is eligible|there (?:is|are) (?:authorized|appropriated))\b",
    re.IGNORECASE)
_TECHNICAL = re.compile(r"\bby (?:striking|inserting|adding|redesignating)\b|``", re.IGNORECASE)
_ENUMERATED = re.compile(r"^\(?[a-zA-Z0-9]{1,4}\)")
_SHORT_TITLE_PART = re.compile(r"SHORT TITLE|TABLE OF CONTENTS", re.IGNORECASE)


@dataclass(frozen=True)
class BillScorer:
    weights: NDArray[np.float64]
    redundancy: float  # content-word overlap above which a sentence repeats a picked one
    record: dict[str, Any]

    def score(self, features: NDArray[np.float64]) -> NDArray[np.float64]:
        scores: NDArray[np.float64] = features @ self.weights
        return scores


@lru_cache(maxsize=1)
def load_bill_scorer() -> BillScorer:
    raw = json.loads(resources.files("lexgraph.core.summary").joinpath(
        "models/bill_scorer.json").read_text("utf-8"))
    weights = np.array([raw["weights"][name] for name in FEATURES], dtype=np.float64)
    return BillScorer(weights, float(raw["redundancy"]), raw)


def unit_features(units: Sequence[Unit]) -> NDArray[np.float64]:
    """One row of FEATURES per unit; units are one document's, in order."""
    if not units:
        return np.zeros((0, len(FEATURES)))
    doc_counts: Counter[str] = Counter()
    unit_words = [content_words(u.text) for u in units]
    for words in unit_words:
        doc_counts.update(words)
    norm = math.sqrt(sum(c * c for c in doc_counts.values())) or 1.0
    parts = max(u.part_index for u in units) or 1
    rank_in_part: dict[int, int] = {}
    rows = []
    for i, unit in enumerate(units):
        rank = rank_in_part.get(unit.part_index, 0)
        rank_in_part[unit.part_index] = rank + 1
        text, part = unit.text, unit.part
        words = unit_words[i]
        centrality = (sum(doc_counts[w] for w in words) / (norm * math.sqrt(len(words)))
                      if words else 0.0)
        caption = content_words(re.sub(r"^(?:SECTION|SEC\.)\s*\d+\w?\.", "", part,
                                       flags=re.IGNORECASE))
        rows.append([
            1.0,
            float(bool(_SHORT_TITLE.search(text))),
            float(rank == 0),
            float(rank == 1),
            unit.part_index / parts,
            i / max(len(units) - 1, 1),
            math.log(max(unit.words, 1)),
            float(bool(_FINDINGS.search(part))),
            float(bool(_DEFINITIONS.search(part))),
            float(bool(_APPROPRIATIONS.search(part))),
            float(bool(_EFFECTIVE.search(part) or _EFFECTIVE.search(text))),
            float(bool(_AMENDS.search(text))),
            float(bool(_OPERATIVE.search(text))),
            float(bool(_TECHNICAL.search(text))),
            centrality,
            len(words & caption) / len(caption) if caption else 0.0,
            float(bool(_ENUMERATED.match(text))),
            float(unit.part_index == 0 or bool(_SHORT_TITLE_PART.search(part))),
        ])
    return np.array(rows, dtype=np.float64)


def select(units: Sequence[Unit], scores: Sequence[float], budget: int,
           redundancy: float = 0.6) -> list[Unit]:
    """The best-scoring units that fit ``budget`` words, without near-repeats, in order."""
    picked: list[int] = []
    used = 0
    seen: list[set[str]] = []
    for i in sorted(range(len(units)), key=lambda j: -scores[j]):
        words = units[i].words
        if picked and used + words > budget * 1.1:
            continue
        mine = content_words(units[i].text)
        if any(len(mine & other) > redundancy * max(len(mine), 1) for other in seen):
            continue
        picked.append(i)
        seen.append(mine)
        used += words
        if used >= budget * 0.9:
            break
    return [units[i] for i in sorted(picked)]


def summarize_bill(units: Sequence[Unit], budget: int,
                   scorer: BillScorer | None = None) -> list[Unit]:
    """The units a bill's summary states, in bill order."""
    if not units:
        return []
    scorer = scorer or load_bill_scorer()
    scores = scorer.score(unit_features(units))
    return select(units, [float(s) for s in scores], budget, scorer.redundancy)
