"""Placeholders for personal data, consistent across one job, and their reversal.

A job owns one :class:`PseudonymMap`. The same value, normalized (case and spacing for names
and e-mail addresses, digits for SSNs, cards and phone numbers), gets the same placeholder in
every document and every call, so ``<PERSON_1>`` in a summary means the same person wherever
it appears. The map is the secret: it travels only in the job's state (``to_state`` /
``from_state`` for checkpoints), its repr shows counts, never values, and every live map's
values are redacted from log records from the moment it exists (``logfilter.py``).
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from lexgraph.core.errors import JobError
from lexgraph.core.pii.logfilter import watch
from lexgraph.core.pii.names import find_known_names, is_plausible_alias
from lexgraph.core.pii.types import (
    ENTITY_TYPES,
    PiiDetector,
    PiiFinding,
    RedactedSpan,
    resolve_overlaps,
    to_original_range,
    to_redacted_range,
)

STATE_VERSION = 1
_DIGIT_TYPES = frozenset({"SSN", "CREDIT_CARD", "PHONE"})
_NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})


def normalize(entity_type: str, value: str) -> str:
    """The identity of a value: two surfaces with the same key share a placeholder."""
    if entity_type in _DIGIT_TYPES:
        digits = "".join(ch for ch in value if ch.isdigit())
        if entity_type == "PHONE":
            return _phone_key(value, digits)
        return digits
    if entity_type == "IBAN":
        return "".join(ch for ch in value if ch.isalnum()).upper()
    if entity_type == "PERSON":
        return " ".join(value.replace("\u2019", "'").replace(".", " ").split()).casefold()
    return " ".join(value.split()).casefold()


def _phone_key(value: str, digits: str) -> str:
    # "+1 212 555 0143" and "(212) 555-0143" are one number: compare E.164 forms when the
    # number parses as a US or UK one (the default regions), else its digits.
    import phonenumbers

    for region in (None, "US", "GB") if value.lstrip().startswith("+") else ("US", "GB"):
        try:
            parsed = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return digits


class PseudonymMap:
    """Placeholder ↔ value for one job. Thread-safe; restore with :meth:`from_state`."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._by_key: dict[tuple[str, str], str] = {}
        self._types: dict[str, str] = {}
        # Every surface seen per placeholder, the first one being what re-identification
        # writes back.
        self._surfaces: dict[str, list[str]] = {}
        self._counters: Counter[str] = Counter()
        self._version = 0
        self._patterns: dict[bool, tuple[int, re.Pattern[str] | None]] = {}
        watch(self)

    # The secret never shows ------------------------------------------------------------

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in sorted(self.counts().items()))
        return f"PseudonymMap({counts})"

    __str__ = __repr__

    def __len__(self) -> int:
        return len(self._surfaces)

    def __getstate__(self) -> dict[str, Any]:
        return self.to_state()

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]
        self._load(state)

    # Assignment --------------------------------------------------------------------------

    def placeholder_for(self, entity_type: str, value: str) -> str:
        """The placeholder of ``value``, assigning the next number of its type if new."""
        return self.assign(entity_type, value)[0]

    def assign(self, entity_type: str, value: str) -> tuple[str, int]:
        """The placeholder of ``value`` and the index of this written form among its forms."""
        if entity_type not in ENTITY_TYPES:
            raise ValueError(f"unknown PII type {entity_type!r}")
        key = (entity_type, normalize(entity_type, value))
        with self._lock:
            placeholder = self._by_key.get(key)
            if placeholder is None:
                self._counters[entity_type] += 1
                placeholder = f"<{entity_type}_{self._counters[entity_type]}>"
                self._by_key[key] = placeholder
                self._types[placeholder] = entity_type
                self._surfaces[placeholder] = [value]
                self._version += 1
                return placeholder, 0
            surfaces = self._surfaces[placeholder]
            if value not in surfaces:
                surfaces.append(value)
                self._version += 1
            return placeholder, surfaces.index(value)

    def _alias(self, entity_type: str, value: str, placeholder: str) -> None:
        with self._lock:
            key = (entity_type, normalize(entity_type, value))
            if key not in self._by_key:
                self._by_key[key] = placeholder
                self._surfaces[placeholder].append(value)
                self._version += 1

    def value_of(self, placeholder: str) -> str | None:
        with self._lock:
            surfaces = self._surfaces.get(placeholder)
            return surfaces[0] if surfaces else None

    def counts(self) -> dict[str, int]:
        """Distinct values per type (a surname standing for a full name is not counted)."""
        with self._lock:
            return dict(Counter(self._types.values()))

    def entries(self) -> list[tuple[str, str, list[str]]]:
        """(placeholder, type, surfaces) for each value, in assignment order."""
        with self._lock:
            return [(p, self._types[p], list(s)) for p, s in self._surfaces.items()]

    # Persistence -------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """A JSON-safe form for the job's checkpointed state. It holds the raw values."""
        return {"version": STATE_VERSION,
                "entries": [{"placeholder": p, "type": t, "surfaces": s}
                            for p, t, s in self.entries()]}

    @classmethod
    def from_state(cls, state: dict[str, Any] | None) -> PseudonymMap:
        pmap = cls()
        if state:
            pmap._load(state)
        return pmap

    def _load(self, state: dict[str, Any]) -> None:
        if state.get("version") != STATE_VERSION:
            raise JobError("pii_state", "the job's pseudonym map has an unknown format")
        pattern = re.compile(r"<([A-Z_]+)_(\d+)>")
        with self._lock:
            for entry in state.get("entries", []):
                placeholder, entity_type = entry["placeholder"], entry["type"]
                match = pattern.fullmatch(placeholder)
                if entity_type not in ENTITY_TYPES or not match or match[1] != entity_type:
                    raise JobError("pii_state", "the job's pseudonym map is damaged")
                surfaces = [str(s) for s in entry["surfaces"]]
                self._types[placeholder] = entity_type
                self._surfaces[placeholder] = surfaces
                for surface in surfaces:
                    self._by_key.setdefault((entity_type, normalize(entity_type, surface)),
                                            placeholder)
                self._counters[entity_type] = max(self._counters[entity_type], int(match[2]))
            self._version += 1

    # Reversal ----------------------------------------------------------------------------

    def reidentify(self, text: str) -> str:
        """Put the values back in place of this map's placeholders.

        Besides ``<PERSON_1>``, the forms a model or a renderer may turn it into are accepted:
        ``PERSON_1``, ``[PERSON_1]``, ``{PERSON_1}``, ``&lt;PERSON_1&gt;``, Markdown-escaped
        ``\\<PERSON\\_1\\>``, any letter case, spaces inside the brackets. A placeholder this map
        does not know (``<PERSON_99>``) is left as it is. The value written back is the first
        surface seen, so "JOHN SMITH" and "John Smith" both come back as the first of them.
        """
        with self._lock:
            known = {p.casefold(): s[0] for p, s in self._surfaces.items()}

        def put_back(match: re.Match[str]) -> str:
            entity = re.sub(r"\\?_", "_", match["type"]).upper()
            value = known.get(f"<{entity}_{int(match['n'])}>".casefold())
            return value if value is not None else match[0]

        return _PLACEHOLDER_FORMS.sub(put_back, text)

    def restore(self, redaction: Redaction) -> str:
        """The exact text a :class:`Redaction` was made from, each value as it was written.

        Unlike :meth:`reidentify`, which writes each placeholder's first form (a surname
        standing alone comes back as the full name), this uses the spans, so it is exact; a
        placeholder this map does not know stays.
        """
        with self._lock:
            surfaces = {p: list(s) for p, s in self._surfaces.items()}
        parts: list[str] = []
        last = 0
        for span in redaction.spans:
            forms = surfaces.get(span.placeholder, [])
            parts.append(redaction.text[last:span.r_start])
            parts.append(forms[span.variant] if span.variant < len(forms) else span.placeholder)
            last = span.r_end
        parts.append(redaction.text[last:])
        return "".join(parts)

    # Known values ------------------------------------------------------------------------

    def find_known(self, text: str, *, any_case: bool = False) -> list[PiiFinding]:
        """Where this map's values occur in ``text``, written the way they were seen.

        Names also match in capitals and in title case (a heading, a signature block);
        ``any_case`` matches every value in any case, for scrubbing logs.
        """
        pattern = self._pattern(any_case)
        if pattern is None:
            return []
        findings: list[PiiFinding] = []
        for match in pattern.finditer(text):
            entity_type = self._type_of_surface(match[0])
            if entity_type:
                findings.append(PiiFinding(entity_type, match.start(), match.end(), 1.0,
                                           "known-value"))
        return findings

    def redact_known(self, text: str) -> str:
        """``text`` with this map's values, in any case, replaced by their placeholders."""
        findings = self.find_known(text, any_case=True)
        if not findings:
            return text
        parts: list[str] = []
        last = 0
        for f in resolve_overlaps(findings):
            placeholder = self._placeholder_of(f.entity_type, text[f.start:f.end])
            parts += [text[last:f.start], placeholder or f"<{f.entity_type}>"]
            last = f.end
        parts.append(text[last:])
        return "".join(parts)

    def _placeholder_of(self, entity_type: str, value: str) -> str | None:
        with self._lock:
            return self._by_key.get((entity_type, normalize(entity_type, value)))

    def _type_of_surface(self, surface: str) -> str | None:
        with self._lock:
            for entity_type in ENTITY_TYPES:
                if (entity_type, normalize(entity_type, surface)) in self._by_key:
                    return entity_type
        return None

    def _pattern(self, any_case: bool) -> re.Pattern[str] | None:
        with self._lock:
            cached = self._patterns.get(any_case)
            if cached and cached[0] == self._version:
                return cached[1]
            alternatives: set[str] = set()
            for placeholder, surfaces in self._surfaces.items():
                entity_type = self._types[placeholder]
                for surface in surfaces:
                    alternatives.update(_surface_patterns(entity_type, surface, any_case))
            pattern = None
            if alternatives:
                body = "|".join(sorted(alternatives, key=lambda a: (-len(a), a)))
                pattern = re.compile(rf"(?<!\w)(?:{body})(?!\w)",
                                     re.IGNORECASE if any_case else 0)
            self._patterns[any_case] = (self._version, pattern)
            return pattern


def _surface_patterns(entity_type: str, surface: str, any_case: bool) -> set[str]:
    if entity_type in _DIGIT_TYPES:
        digits = [ch for ch in surface if ch.isdigit()]
        # The same number written with other separators ("123 45 6789", "123456789").
        return {r"\+?" + r"[\s.()-]{0,2}".join(digits)} if len(digits) >= 7 else set()
    if entity_type == "IBAN":
        chars = [ch for ch in surface if ch.isalnum()]
        return {r"[ -]?".join(re.escape(ch) for ch in chars)}
    words = surface.split()
    if entity_type == "PERSON":
        if not any_case and len(words) == 1 and not is_plausible_alias(words[0]):
            return set()
        variants = {surface} if any_case else {surface, surface.upper(), surface.title()}
        return {r"\s+".join(re.escape(w) for w in v.split()) for v in variants}
    return {r"\s+".join(re.escape(w) for w in words)} if any_case else {
        "(?i:" + r"\s+".join(re.escape(w) for w in words) + ")"}


def _type_pattern(entity_type: str) -> str:
    return r"(?:\\?_)".join(re.escape(part) for part in entity_type.split("_"))


_PLACEHOLDER_FORMS = re.compile(
    r"(?:(?:&lt;|\\?<|\[|\{)[ \t]*)?"
    r"(?<![\w\\])(?P<type>" + "|".join(_type_pattern(t) for t in ENTITY_TYPES) + r")"
    r"\\?_(?P<n>\d+)(?!\w)"
    r"(?:[ \t]*(?:&gt;|\\?>|\]|\}))?",
    re.IGNORECASE)


class Redaction(NamedTuple):
    """The text as a model may see it, and where each placeholder came from.

    Unpacks as ``(text, spans)``. Offsets map both ways, so a quote cited from the redacted
    text can be found in the original and the reverse.
    """

    text: str
    spans: tuple[RedactedSpan, ...]

    @property
    def counts(self) -> dict[str, int]:
        """Values replaced in this text, per type (each occurrence counts)."""
        return dict(Counter(span.entity_type for span in self.spans))

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        return to_original_range(self.spans, start, end)

    def to_redacted(self, start: int, end: int) -> tuple[int, int]:
        return to_redacted_range(self.spans, start, end)


class Pseudonymizer:
    """Replaces personal data with the job's placeholders and puts it back.

    ``known_names`` are names to treat as personal data wherever they appear in this job (the
    parties named on submission, say), on top of the detector's findings. Values the map
    already holds are replaced wherever they occur, so a name found once through its
    honorific is also replaced where it stands alone; a surname alone stands for the one known
    full name that ends with it, and gets the same placeholder.
    """

    def __init__(self, pmap: PseudonymMap, detector: PiiDetector,
                 known_names: Sequence[str] = ()) -> None:
        self.map = pmap
        self.detector = detector
        self.known_names = tuple(known_names)

    def pseudonymize(self, text: str) -> Redaction:
        enabled = set(self.detector.entity_types)
        findings = list(self.detector.scan(text))
        if "PERSON" in enabled:
            findings += [PiiFinding("PERSON", h.start, h.end, h.score, "job-names")
                         for h in find_known_names(text, self.known_names)]
        findings = merge_known(resolve_overlaps(findings), self.map.find_known(text))
        if "PERSON" in enabled:
            findings = self._with_surnames(text, findings)
        spans: list[RedactedSpan] = []
        parts: list[str] = []
        last = 0
        out_len = 0
        for f in findings:
            placeholder, variant = self.map.assign(f.entity_type, text[f.start:f.end])
            parts.append(text[last:f.start])
            out_len += f.start - last
            spans.append(RedactedSpan(f.entity_type, placeholder, f.start, f.end, out_len,
                                      out_len + len(placeholder), variant))
            parts.append(placeholder)
            out_len += len(placeholder)
            last = f.end
        parts.append(text[last:])
        return Redaction("".join(parts), tuple(spans))

    def reidentify(self, text: str) -> str:
        return self.map.reidentify(text)

    def _with_surnames(self, text: str, findings: list[PiiFinding]) -> list[PiiFinding]:
        # Full names first, so that "Mr. Smith" found in the same text as "John Smith" joins
        # John Smith's placeholder instead of getting one of its own.
        for f in sorted(findings, key=lambda f: -len(text[f.start:f.end].split())):
            if f.entity_type == "PERSON" and len(text[f.start:f.end].split()) > 1:
                self.map.placeholder_for("PERSON", text[f.start:f.end])
        # A surname the text defines as a party's short name ('Rogers Cable Communications
        # Inc. ("Rogers")') names the company there, not the person.
        surnames = {name: placeholder
                    for name, placeholder in _unique_surnames(self.map.entries()).items()
                    if not re.search(rf"[\"\u201c]{re.escape(name)}[\"\u201d]", text)}
        for surname, placeholder in surnames.items():
            self.map._alias("PERSON", surname, placeholder)
        return merge_known(findings, self.map.find_known(text)) if surnames else findings


def merge_known(findings: list[PiiFinding], known: list[PiiFinding]) -> list[PiiFinding]:
    """Add occurrences of known values where the detector found nothing.

    A known value never cuts into a detector finding ("Reyes" inside "Daniel K. Reyes"); one
    that covers detector findings entirely replaces them.
    """
    result = list(findings)
    for k in sorted(known, key=lambda f: (-(f.end - f.start), f.start)):
        overlapping = [f for f in result if f.overlaps(k)]
        if all(k.start <= f.start and f.end <= k.end for f in overlapping):
            result = [f for f in result if f not in overlapping] + [k]
    return sorted(result, key=lambda f: (f.start, f.end))


def _unique_surnames(entries: Iterable[tuple[str, str, list[str]]]) -> dict[str, str]:
    """Last names that belong to exactly one known full name."""
    owners: dict[str, set[str]] = {}
    for placeholder, entity_type, surfaces in entries:
        if entity_type != "PERSON":
            continue
        for surface in surfaces:
            words = [w for w in surface.split() if w.strip(".,").casefold() not in _NAME_SUFFIXES]
            if len(words) > 1 and is_plausible_alias(words[-1]):
                owners.setdefault(words[-1].strip(".,"), set()).add(placeholder)
    return {name: next(iter(p)) for name, p in owners.items() if len(p) == 1}
