"""Prompt-injection classification of untrusted text (Llama Prompt Guard 2, or any sequence
classifier with a benign label).

``TransformersInjectionClassifier`` runs a transformers sequence classifier: text longer than
the model's window (512 tokens for Prompt Guard 2) is cut into overlapping windows and the
text's score is its worst window's, so an instruction buried on page 40 is not averaged away.
All windows of a batch of texts go through the model together. The score is the probability
of "not benign", which covers Prompt Guard 2's MALICIOUS and Prompt Guard 1's INJECTION and
JAILBREAK alike.

``PromptGuard`` turns scores into decisions against a threshold, caches scores by content
hash, and fails closed: a classifier that fails blocks every text it was given. It is also a
``Guard`` for tool results (tool calls are the agent's own text and pass through).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from lexgraph.core.errors import ConfigError
from lexgraph.core.guard.base import GuardDecision, ToolCall
from lexgraph.core.guard.cache import VerdictCache, content_key

GUARD_NAME = "prompt_guard"
_BENIGN = ("benign", "safe", "label_0", "negative")


@runtime_checkable
class InjectionClassifier(Protocol):
    @property
    def model(self) -> str: ...

    def scores(self, texts: Sequence[str]) -> list[float]:
        """Probability, 0 to 1, that each text carries an injection or jailbreak."""
        ...


def benign_index(id2label: dict[int, str]) -> int:
    matches = [i for i, label in id2label.items() if str(label).lower() in _BENIGN]
    if len(matches) != 1 or len(id2label) < 2:
        raise ConfigError(f"the injection classifier's labels {sorted(id2label.values())} "
                          "have no single benign label (benign, safe or LABEL_0)")
    return int(matches[0])


class TransformersInjectionClassifier:
    """A local ``AutoModelForSequenceClassification`` (a hub id or a directory)."""

    def __init__(self, model: str, *, device: str = "cpu", window: int = 512,
                 stride: int = 64, batch_size: int = 16) -> None:
        if not 0 <= stride < window // 2:
            raise ValueError("stride (the overlap of windows) must be under half the window")
        self._name = model
        self.device = device
        self.window = window
        self.stride = stride
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._loaded: tuple[Any, Any, int] | None = None

    @property
    def model(self) -> str:
        return self._name

    def _load(self) -> tuple[Any, Any, int]:
        with self._lock:
            if self._loaded is None:
                from transformers import AutoModelForSequenceClassification, AutoTokenizer

                tokenizer = AutoTokenizer.from_pretrained(self._name)
                if not getattr(tokenizer, "is_fast", False):
                    raise ConfigError(f"{self._name}: windowing long text needs a fast "
                                      "tokenizer (tokenizer.json)")
                net = AutoModelForSequenceClassification.from_pretrained(self._name)
                net.to(self.device).eval()
                self._loaded = (tokenizer, net, benign_index(dict(net.config.id2label)))
            return self._loaded

    def windows(self, texts: Sequence[str]) -> tuple[Any, list[int]]:
        """The tokenized windows of all ``texts`` and, per window, the index of its text."""
        tokenizer, _, _ = self._load()
        encoded = tokenizer(list(texts), truncation=True, max_length=self.window,
                            stride=self.stride, return_overflowing_tokens=True, padding=True,
                            return_tensors="pt")
        owners = [int(i) for i in encoded.pop("overflow_to_sample_mapping")]
        return encoded, owners

    def scores(self, texts: Sequence[str]) -> list[float]:
        if not texts:
            return []
        import torch

        _, net, benign = self._load()
        encoded, owners = self.windows(texts)
        worst = [0.0] * len(texts)
        total = len(owners)
        with torch.inference_mode():
            for start in range(0, total, self.batch_size):
                batch = {k: v[start:start + self.batch_size].to(self.device)
                         for k, v in encoded.items()}
                probs = torch.softmax(net(**batch).logits.float(), dim=-1)
                for offset, p in enumerate((1.0 - probs[:, benign]).tolist()):
                    owner = owners[start + offset]
                    worst[owner] = max(worst[owner], float(p))
        return worst


class PromptGuard:
    """Decisions from an ``InjectionClassifier``: a score at or over ``threshold`` blocks."""

    def __init__(self, classifier: InjectionClassifier, threshold: float = 0.5, *,
                 cache: VerdictCache[float] | None = None) -> None:
        if not 0 < threshold <= 1:
            raise ValueError("the threshold is a probability above 0, at most 1")
        self.classifier = classifier
        self.threshold = threshold
        self.cache: VerdictCache[float] = cache if cache is not None else VerdictCache()
        self.calls = 0

    @property
    def name(self) -> str:
        return GUARD_NAME

    @property
    def model(self) -> str:
        return str(self.classifier.model)

    def _decide(self, score: float | BaseException, cached: bool) -> GuardDecision:
        if isinstance(score, BaseException):
            return GuardDecision.reject(f"the injection classifier failed "
                                        f"({type(score).__name__}); blocked", ["guard_error"],
                                        guard=self.name, model=self.model)
        if score >= self.threshold:
            return GuardDecision.reject(f"Prompt Guard: injection score {score:.2f} >= "
                                        f"{self.threshold:.2f}", ["prompt_injection"],
                                        guard=self.name, model=self.model, cached=cached)
        return GuardDecision.allow(guard=self.name, model=self.model, cached=cached,
                                   reason=f"injection score {score:.2f}")

    def screen_texts(self, texts: Sequence[str]) -> list[GuardDecision]:
        """One decision per text; texts not in the cache are classified in one batch."""
        keys = [content_key(self.model, text) for text in texts]
        found: list[float | None] = [self.cache.get(k) for k in keys]
        todo = list(dict.fromkeys(t for t, f in zip(texts, found, strict=True) if f is None))
        fresh: dict[str, float | BaseException] = {}
        if todo:
            self.calls += 1
            try:
                scores = self.classifier.scores(todo)
                if len(scores) != len(todo):
                    raise ValueError(f"{len(scores)} scores for {len(todo)} texts")
                for text, score in zip(todo, scores, strict=True):
                    if not 0.0 <= float(score) <= 1.0:
                        raise ValueError(f"score {score!r} is not a probability")
                    fresh[text] = float(score)
                    self.cache.put(content_key(self.model, text), float(score))
            except Exception as exc:
                fresh = dict.fromkeys(todo, exc)
        return [self._decide(f, True) if f is not None else self._decide(fresh[t], False)
                for t, f in zip(texts, found, strict=True)]

    def screen_call(self, call: ToolCall) -> GuardDecision:
        return GuardDecision.allow(guard=self.name)

    def screen_result(self, call: ToolCall, result: str) -> GuardDecision:
        (decision,) = self.screen_texts([result])
        return decision
