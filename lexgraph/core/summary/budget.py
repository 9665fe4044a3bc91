"""How long a summary should be: a word budget from the document's length, the profile and the
job's ``length`` option.

Human summaries grow much more slowly than the documents they summarize. On the BillSum bills
the Congressional Research Service's summaries follow ``27 * words ** 0.234`` closely (a
1,300-word bill gets about 145 words), so ``standard`` uses that curve, scaled per profile for
documents whose summaries carry more facts (a contract's key terms, an opinion's holding and
reasoning), and ``brief`` / ``detailed`` halve or double it.
"""

from __future__ import annotations

_SCALE = 27.0
_EXPONENT = 0.234
PROFILE_FACTOR = {"legislation": 1.2, "contract": 3.0, "court_opinion": 1.6, "general": 1.3}
LENGTH_FACTOR = {"brief": 0.5, "standard": 1.0, "detailed": 2.0}
FLOOR = 30


def word_budget(length: str | int | None, document_words: int, profile: str) -> int:
    """Words the summary may use. An integer ``length`` is the budget itself."""
    if isinstance(length, int):
        return length
    base = _SCALE * max(document_words, 1) ** _EXPONENT
    factor = PROFILE_FACTOR.get(profile, 1.0) * LENGTH_FACTOR.get(length or "standard", 1.0)
    # A summary is never longer than half of what it summarizes.
    return int(max(FLOOR, min(round(base * factor), max(FLOOR, document_words // 2))))
