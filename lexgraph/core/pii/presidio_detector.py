"""The Presidio adapter: the only module that imports Presidio, spaCy or tldextract.

Everything runs offline. No spaCy model can be downloaded, so the NLP engine is a blank
English pipeline (a tokenizer, no NER) written to a temporary directory and loaded from
there; the recognizers are chosen one by one rather than taken from Presidio's defaults,
which mislabel legal text (an SSN as a phone number, US numbers as UK NHS numbers, section
numbers as IP addresses) and whose e-mail check would fetch the public-suffix list.

Enabled, each reporting lexgraph's own type name:

- PERSON: lexgraph's rules for legal text (``names.py``), an optional gazetteer, and the
  spaCy NER adapter (``spacy_ner.py``: the model, and names of words its dictionary lacks)
  unless ``LEXGRAPH_PII_NER_MODEL=none``.
- EMAIL: Presidio's pattern; a domain with a public suffix from tldextract's bundled snapshot
  scores 1.0, any other domain 0.6.
- PHONE: python-phonenumbers at leniency VALID for the configured regions (plus any number
  written with ``+``), 0.75.
- SSN: ``123-45-6789`` (0.85), ``123 45 6789`` / ``123.45.6789`` (0.6), nine bare digits
  only right after "SSN" or "social security" (0.75); numbers that cannot be issued (area
  000 or 666, group 00, serial 0000, one digit repeated, mixed separators) are dropped, but
  not the published sample numbers: a document that carries one as someone's number must
  not send it on.
- IBAN: Presidio's pattern and mod-97 checksum (1.0 when valid, dropped otherwise).
- CREDIT_CARD: Presidio's pattern plus Mastercard's 2221-2720 range, and the Luhn checksum
  (1.0 when valid, dropped otherwise).
- IP_ADDRESS: IPv4 not preceded by a section marker (``§``, "Section", "Article"…) and not
  part of a longer dotted number, 0.8; Presidio's IPv6 patterns; all checked by ``ipaddress``.
"""

from __future__ import annotations

import logging
import re
import tempfile
import time
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from lexgraph.core.config.settings import Settings, get_settings
from lexgraph.core.errors import ConfigError
from lexgraph.core.pii.names import coordinated_names, find_person_names
from lexgraph.core.pii.spacy_ner import DEFAULT_MODEL, SpacyPersonDetector
from lexgraph.core.pii.types import ENTITY_TYPES, PiiFinding, resolve_overlaps

log = logging.getLogger(__name__)

# Presidio's analyzer tokenizes with spaCy, whose default limit is a million characters;
# long documents are scanned in pieces cut at line breaks, well under that.
SEGMENT_CHARS = 100_000


class _WithholdArguments(logging.Filter):
    """Presidio logs matched text and its surroundings (debug context lists, a failed IBAN
    check at error level); its records keep their message template and lose their values."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = f"{record.msg} [arguments withheld]"
            record.args = ()
        return True


def _quiet_presidio_logs() -> None:
    logger = logging.getLogger("presidio-analyzer")
    if not any(isinstance(f, _WithholdArguments) for f in logger.filters):
        logger.addFilter(_WithholdArguments())


# A claim, case or file number's digits can make a valid phone number ("Claim No.
# BL-2024-000954"): digits glued by a hyphen or a slash to letters before them are part of a
# reference, and so are digits right after a reference's label.
_GLUED_BEFORE = re.compile(r"[A-Za-z][-/]$")
_REFERENCE_LABEL_BEFORE = re.compile(
    r"\b(?:[Cc]laim|[Cc]ase|[Ff]ile|[Mm]atter|[Pp]olicy|[Ii]nvoice|[Rr]ef(?:erence)?|"
    r"[Aa]ction|[Dd]ocket|CLAIM|CASE)\.?[ \t]*(?:[Nn]o\.?|[Nn]umber|#)?[ \t]*:?[ \t]*"
    r"(?:[A-Z]{1,4}[-/ ])?$")


def is_reference_number(text: str, start: int, end: int) -> bool:
    """Whether the phone-shaped ``text[start:end]`` is part of a claim, case or file number."""
    before = text[max(0, start - 40):start]
    return _GLUED_BEFORE.search(before) is not None or (
        _REFERENCE_LABEL_BEFORE.search(before) is not None)


def _build_recognizers(entity_types: Sequence[str], phone_regions: Sequence[str],
                       known_names: Sequence[str]) -> list[Any]:
    import phonenumbers
    import tldextract
    from presidio_analyzer import LocalRecognizer, Pattern, RecognizerResult
    from presidio_analyzer.nlp_engine import NlpArtifacts
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        EmailRecognizer,
        IbanRecognizer,
        IpRecognizer,
        PhoneRecognizer,
        UsSsnRecognizer,
    )

    unknown = sorted(set(phone_regions) - phonenumbers.SUPPORTED_REGIONS)
    if unknown:
        raise ConfigError(f"LEXGRAPH_PII_PHONE_REGIONS names unknown regions {unknown}; "
                          "use ISO 3166 codes such as US, GB, DE")

    # suffix_list_urls=() keeps tldextract on the snapshot it ships with: no fetch, and
    # cache_dir=None writes nothing under the user's home.
    offline_suffixes = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=())

    class OfflineEmailRecognizer(EmailRecognizer):
        def validate_result(self, pattern_text: str) -> bool | None:
            # A known public suffix confirms the address; an intranet-style domain keeps the
            # pattern's score, since missing an address costs more than flagging one.
            return True if offline_suffixes(pattern_text.rsplit("@", 1)[-1]).suffix else None

    class LegalSsnRecognizer(UsSsnRecognizer):
        def invalidate_result(self, pattern_text: str) -> bool:
            digits = "".join(c for c in pattern_text if c.isdigit())
            separators = {c for c in pattern_text if c in ".- "}
            return (len(separators) > 1 or len(set(digits)) == 1
                    or digits[:3] in ("000", "666") or digits[3:5] == "00"
                    or digits[5:] == "0000")

        PATTERNS = [
            Pattern("SSN dashed", r"(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])", 0.85),
            Pattern("SSN spaced or dotted", r"(?<![\d.])\d{3}([ .])\d{2}\1\d{4}(?![\d]|\.\d)",
                    0.6),
            Pattern("SSN bare after its label",
                    r"(?<=\b(?:ssn|ss\#|social[ \t]+security)\b[^\d\n]{0,30})"
                    r"(?<!\d)\d{9}(?!\d)", 0.75),
        ]

    class LegalCardRecognizer(CreditCardRecognizer):
        # Presidio's pattern predates Mastercard's 2221-2720 range; the Luhn check applies
        # to both.
        PATTERNS = [
            *CreditCardRecognizer.PATTERNS,
            Pattern("Mastercard 2-series",
                    r"\b(?:22[2-9]\d|2[3-6]\d{2}|27[01]\d|2720)[- ]?\d{4}[- ]?\d{4}[- ]?\d{4}\b",
                    0.3),
        ]

    class PlainPhoneRecognizer(PhoneRecognizer):
        SCORE = 0.75

        def analyze(self, text: str, entities: list[str],
                    nlp_artifacts: NlpArtifacts | None = None) -> list[Any]:
            # Presidio annotates the parameter it defaults to None as not optional.
            results = super().analyze(text, entities, nlp_artifacts)  # type: ignore[arg-type]
            return [r for r in results if not is_reference_number(text, r.start, r.end)]

    ipv4_octet = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"

    class LegalIpRecognizer(IpRecognizer):
        PATTERNS = [
            Pattern(
                "IPv4 outside section numbers",
                r"(?<![\w.])(?<!(?:§|¶|section|sections|sec\.|article|art\.|clause|rule|"
                r"paragraph|para\.|item|version|ver\.|v\.?|no\.|number)[ \t]{0,3})"
                rf"{ipv4_octet}(?:\.{ipv4_octet}){{3}}(?:/(?:3[0-2]|[12]?\d))?(?![\w]|\.\d)",
                # Above a phone number's score: a dotted quad that is a valid address is not
                # written as a phone number.
                0.8),
            *(p for p in IpRecognizer.PATTERNS
              if p.name in ("IPv6", "IPv4_mapped", "IPv4_embedded")),
        ]

    class LegalPersonRecognizer(LocalRecognizer):
        def load(self) -> None:
            return None

        def analyze(self, text: str, entities: list[str],
                    nlp_artifacts: NlpArtifacts | None = None) -> list[Any]:
            return [
                RecognizerResult(entity_type="PERSON", start=hit.start, end=hit.end,
                                 score=hit.score,
                                 recognition_metadata={
                                     RecognizerResult.RECOGNIZER_NAME_KEY: f"person:{hit.rule}",
                                     RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id})
                for hit in find_person_names(text, known_names)]

    factories: dict[str, Any] = {
        "PERSON": lambda: LegalPersonRecognizer(supported_entities=["PERSON"],
                                                name="person"),
        "EMAIL": lambda: OfflineEmailRecognizer(
            supported_entity="EMAIL", name="email",
            patterns=[Pattern("email", EmailRecognizer.PATTERNS[0].regex, 0.6)]),
        "PHONE": lambda: PlainPhoneRecognizer(supported_entity="PHONE", name="phone",
                                              supported_regions=tuple(phone_regions),
                                              leniency=1),
        "SSN": lambda: LegalSsnRecognizer(supported_entity="SSN", name="ssn"),
        "IBAN": lambda: IbanRecognizer(supported_entity="IBAN", name="iban"),
        "CREDIT_CARD": lambda: LegalCardRecognizer(supported_entity="CREDIT_CARD",
                                                   name="credit_card"),
        "IP_ADDRESS": lambda: LegalIpRecognizer(supported_entity="IP_ADDRESS",
                                                name="ip_address"),
    }
    return [factories[entity]() for entity in entity_types]


def _without_context() -> Any:
    """Presidio's context step, disabled: it raises a finding's score when a context word's
    lemma stands near it, and the blank pipeline gives no lemmas, so it never did; it still
    walked every finding's surrounding tokens."""
    from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer

    class WithoutContext(ContextAwareEnhancer):
        def enhance_using_context(self, text: str, raw_results: list[Any], nlp_artifacts: Any,
                                  recognizers: list[Any],
                                  context: list[str] | None = None) -> list[Any]:
            return raw_results

    return WithoutContext(context_similarity_factor=0.0, min_score_with_context_similarity=0.0,
                          context_prefix_count=0, context_suffix_count=0)


def _blank_english_engine(work_dir: Path | None) -> Any:
    import spacy
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    # Presidio's spaCy engine loads a model by name or path; a blank pipeline saved to a
    # throwaway directory is a path it accepts without trying to download anything, and
    # spacy.load reads the directory eagerly, so it can go once loaded.
    with tempfile.TemporaryDirectory(prefix="lexgraph-spacy-", dir=work_dir) as tmp:
        path = Path(tmp) / "blank-en"
        spacy.blank("en").to_disk(path)
        engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": str(path)}])
        engine.load()
    return engine


class PresidioDetector:
    """A :class:`~lexgraph.core.pii.types.PiiDetector` on Presidio's analyzer, offline.

    Construction loads Presidio (seconds: its import pulls in transformers); share one
    instance per process through :func:`get_detector`. ``scan`` is safe to call from
    several threads.
    """

    def __init__(self, entity_types: Sequence[str] = ENTITY_TYPES, *, min_score: float = 0.5,
                 phone_regions: Sequence[str] = ("US", "GB"),
                 known_names: Sequence[str] = (), work_dir: Path | None = None,
                 ner_model: str | None = DEFAULT_MODEL) -> None:
        unknown = sorted(set(entity_types) - set(ENTITY_TYPES))
        if unknown:
            raise ConfigError(f"unknown PII types {unknown}; choose among {list(ENTITY_TYPES)}")
        started = time.perf_counter()
        _quiet_presidio_logs()
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry

        self._entity_types = tuple(e for e in ENTITY_TYPES if e in set(entity_types))
        self._min_score = min_score
        registry = RecognizerRegistry(supported_languages=["en"])
        for recognizer in _build_recognizers(self._entity_types, phone_regions, known_names):
            registry.add_recognizer(recognizer)
        engine = _blank_english_engine(work_dir)
        self._analyzer = AnalyzerEngine(registry=registry, nlp_engine=engine,
                                        supported_languages=["en"],
                                        default_score_threshold=min_score,
                                        context_aware_enhancer=_without_context())
        # No recognizer enabled here reads tokens, lemmas or the engine's entities, and the
        # blank pipeline has no lemmas for Presidio's context words to match: tokenizing each
        # text again for the analyzer only cost time (a fifth of a scan). One empty set of
        # NLP artifacts stands in for all texts.
        self._no_artifacts = engine.process_text("", "en")
        self._ner = (SpacyPersonDetector(ner_model)
                     if ner_model and "PERSON" in self._entity_types else None)
        self.load_seconds = time.perf_counter() - started
        log.info("PII detector ready in %.1f s (types: %s; NER model: %s)", self.load_seconds,
                 ",".join(self._entity_types), ner_model if self._ner else "none")

    @classmethod
    def from_settings(cls, settings: Settings) -> PresidioDetector:
        return cls(settings.pii_entity_list, min_score=settings.pii_min_score,
                   phone_regions=settings.pii_phone_region_list,
                   known_names=read_names_file(settings.pii_names_file),
                   ner_model=settings.pii_ner_model_name)

    @property
    def entity_types(self) -> tuple[str, ...]:
        return self._entity_types

    def scan(self, text: str) -> list[PiiFinding]:
        if not self._entity_types:
            return []
        findings: list[PiiFinding] = []
        for offset, segment in _segments(text, SEGMENT_CHARS):
            results = self._analyzer.analyze(text=segment, language="en",
                                             entities=list(self._entity_types),
                                             score_threshold=self._min_score,
                                             nlp_artifacts=self._no_artifacts)
            for result in results:
                name = (result.recognition_metadata or {}).get("recognizer_name", "")
                findings.append(PiiFinding(result.entity_type, offset + result.start,
                                           offset + result.end, round(result.score, 4),
                                           str(name)))
            if self._ner is not None:
                findings.extend(PiiFinding(f.entity_type, offset + f.start, offset + f.end,
                                           f.score, f.recognizer)
                                for f in self._ner.scan(segment))
        if "PERSON" in self._entity_types:
            persons = [(f.start, f.end) for f in findings if f.entity_type == "PERSON"]
            findings.extend(PiiFinding("PERSON", h.start, h.end, h.score, f"person:{h.rule}")
                            for h in coordinated_names(text, persons))
        return resolve_overlaps(findings)


def _segments(text: str, limit: int) -> Iterator[tuple[int, str]]:
    """Pieces of at most ``limit`` characters, cut after a blank line, else a line break, else
    a space, so that no value written on one line is split."""
    start = 0
    while len(text) - start > limit:
        window = text[start:start + limit]
        for separator in ("\n\n", "\n", " "):
            at = window.rfind(separator, limit // 2)
            if at >= 0:
                cut = at + len(separator)
                break
        else:
            cut = limit
        yield start, window[:cut]
        start += cut
    yield start, text[start:]


def read_names_file(path: Path | None) -> tuple[str, ...]:
    if path is None:
        return ()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"LEXGRAPH_PII_NAMES_FILE {path} cannot be read: {exc}") from None
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=4)
def _cached_detector(entities: tuple[str, ...], min_score: float, regions: tuple[str, ...],
                     names: tuple[str, ...], ner_model: str | None) -> PresidioDetector:
    return PresidioDetector(entities, min_score=min_score, phone_regions=regions,
                            known_names=names, ner_model=ner_model)


def get_detector(settings: Settings | None = None) -> PresidioDetector:
    """The process's detector for these settings, loaded on first use."""
    settings = settings or get_settings()
    return _cached_detector(settings.pii_entity_list, settings.pii_min_score,
                            settings.pii_phone_region_list,
                            read_names_file(settings.pii_names_file),
                            settings.pii_ner_model_name)


def scan_pii(text: str, settings: Settings | None = None) -> list[PiiFinding]:
    """Personal data in ``text``: type, offsets and confidence of each finding, no values.

    The compliance checker's ``scan_pii`` tool calls this on drafts, where placeholders such
    as ``<PERSON_1>`` are not personal data and are never reported.
    """
    return get_detector(settings).scan(text)
