"""The PII vocabulary shared by detectors, the pseudonymizer and their callers.

Nothing here imports Presidio or spaCy, and nothing here holds a raw value: a finding is a
type, offsets and a confidence, so findings can be logged, traced and stored in job state.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from lexgraph.core.config.settings import PII_ENTITIES

# Ties between overlapping findings of equal confidence go to the more specific type: a
# checksum or a fixed format says more than a phone-number shape or a capitalized name. An
# IBAN outranks a card number: sixteen of its digits may pass the Luhn check by chance, while
# the whole IBAN passed mod 97.
_SPECIFICITY: dict[str, int] = {
    "SSN": 70,
    "IBAN": 65,
    "CREDIT_CARD": 60,
    "EMAIL": 40,
    "IP_ADDRESS": 30,
    "PHONE": 20,
    "PERSON": 10,
}
ENTITY_TYPES: tuple[str, ...] = PII_ENTITIES


@dataclass(frozen=True, slots=True)
class PiiFinding:
    """One piece of personal data found in a text: ``text[start:end]`` is the value.

    ``recognizer`` names the rule that fired (for tuning and for the compliance report); the
    value itself is deliberately not a field.
    """

    entity_type: str
    start: int
    end: int
    score: float
    recognizer: str

    def overlaps(self, other: PiiFinding) -> bool:
        return self.start < other.end and other.start < self.end


class PiiDetector(Protocol):
    """Finds personal data in text. Implementations must not log or keep the values."""

    @property
    def entity_types(self) -> tuple[str, ...]:
        """The types this detector reports."""
        ...

    def scan(self, text: str) -> list[PiiFinding]:
        """Non-overlapping findings in ``text``, ordered by position."""
        ...


def resolve_overlaps(findings: Iterable[PiiFinding]) -> list[PiiFinding]:
    """Keep a non-overlapping subset, ordered by position.

    Overlapping findings of one type merge into their union (two rules that each saw part of
    a name saw one name). Across types, greedy by rank: higher confidence first, then the more
    specific type, then the longer span, then the earlier start; the order is total, so the
    same input always gives the same answer whatever order the recognizers produced it in.
    """

    def rank(f: PiiFinding) -> tuple[float, int, int, int, str]:
        return (-f.score, -_SPECIFICITY.get(f.entity_type, 0), -(f.end - f.start), f.start,
                f.recognizer)

    kept: list[PiiFinding] = []
    for candidate in sorted(_merge_same_type(findings), key=rank):
        if candidate.end > candidate.start and not any(candidate.overlaps(k) for k in kept):
            kept.append(candidate)
    return sorted(kept, key=lambda f: (f.start, f.end))


def _merge_same_type(findings: Iterable[PiiFinding]) -> list[PiiFinding]:
    merged: list[PiiFinding] = []
    for f in sorted(findings, key=lambda f: (f.entity_type, f.start, -f.end)):
        last = merged[-1] if merged else None
        if last and last.entity_type == f.entity_type and f.start < last.end:
            best = last if last.score >= f.score else f
            merged[-1] = PiiFinding(f.entity_type, last.start, max(last.end, f.end),
                                    max(last.score, f.score), best.recognizer)
        else:
            merged.append(f)
    return merged


@dataclass(frozen=True, slots=True)
class RedactedSpan:
    """Where one placeholder sits: ``original[start:end]`` became ``redacted[r_start:r_end]``.

    ``variant`` says which of the placeholder's written forms stood there (the map holds the
    forms), so a redacted text can be restored exactly without the span holding the value.
    """

    entity_type: str
    placeholder: str
    start: int
    end: int
    r_start: int
    r_end: int
    variant: int = 0


def to_original_range(spans: Sequence[RedactedSpan], start: int, end: int) -> tuple[int, int]:
    """Map ``[start, end)`` of the redacted text onto the original text.

    A boundary that falls inside a placeholder widens to the whole original value, so a quote
    that cites part of ``<PERSON_1>`` maps to the whole name rather than to half of it.
    """
    return _map_position(spans, start, redacted=True, left=True), _map_position(
        spans, end, redacted=True, left=False)


def to_redacted_range(spans: Sequence[RedactedSpan], start: int, end: int) -> tuple[int, int]:
    """Map ``[start, end)`` of the original text onto the redacted text (the inverse)."""
    return _map_position(spans, start, redacted=False, left=True), _map_position(
        spans, end, redacted=False, left=False)


def _map_position(spans: Sequence[RedactedSpan], pos: int, *, redacted: bool,
                  left: bool) -> int:
    shift = 0
    for span in spans:
        src_start, src_end = (span.r_start, span.r_end) if redacted else (span.start, span.end)
        dst_start, dst_end = (span.start, span.end) if redacted else (span.r_start, span.r_end)
        if pos <= src_start:
            break
        if pos < src_end:
            return dst_start if left else dst_end
        shift = dst_end - src_end
    return pos + shift
