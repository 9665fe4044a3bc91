"""``DocumentScreener``: the document side of the guard, run over all chunks of a job at once.

Layers, cheapest first, each seeing only the chunks the previous ones let through:

1. the rules (``RulesGuard`` or any ``Guard``): always on, per chunk;
2. the injection classifier (``PromptGuard``), when configured: all chunks in one batch;
3. Llama Guard, when configured: chunks as User turns, in backend batches.

A chunk any layer blocks is quarantined. Every layer's decision on every chunk it saw
becomes an ``AuditEntry``; a failing layer blocks what it was given (fail-closed).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from lexgraph.core.guard.audit import AuditEntry
from lexgraph.core.guard.base import Guard, GuardDecision, ToolCall
from lexgraph.core.guard.cache import sha256_text
from lexgraph.core.guard.llama_guard import LlamaGuard
from lexgraph.core.guard.prompt_guard import PromptGuard


@dataclass
class ChunkScreening:
    subject: str
    decision: GuardDecision = field(default_factory=GuardDecision.allow)
    entries: list[AuditEntry] = field(default_factory=list)

    @property
    def quarantined(self) -> bool:
        return not self.decision.allowed


def _entry(subject: str, digest: str, decision: GuardDecision, latency_ms: float,
           guard: str) -> AuditEntry:
    return AuditEntry(stage="document", subject=subject, action=decision.action,
                      categories=decision.categories, reason=decision.reason,
                      guard=decision.guard or guard, model=decision.model or None,
                      latency_ms=round(latency_ms, 3), content_sha256=digest,
                      cached=decision.cached)


class DocumentScreener:
    def __init__(self, rules: Guard, classifier: PromptGuard | None = None,
                 llama_guard: LlamaGuard | None = None) -> None:
        self.rules = rules
        self.classifier = classifier
        self.llama_guard = llama_guard

    @property
    def layers(self) -> list[str]:
        names = [self.rules.name]
        names += [f"{g.name}({g.model})" for g in (self.classifier, self.llama_guard)
                  if g is not None]
        return names

    def _rules(self, subject: str, text: str) -> GuardDecision:
        try:
            decision = self.rules.screen_result(ToolCall("read_document", {"chunk": subject}),
                                                text)
            if not isinstance(decision, GuardDecision):
                raise TypeError(f"returned {type(decision).__name__}")
            return decision
        except Exception as exc:
            return GuardDecision.reject(f"the {self.rules.name} guard failed "
                                        f"({type(exc).__name__}); blocked", ["guard_error"],
                                        guard=self.rules.name)

    def screen(self, chunks: Sequence[tuple[str, str]]) -> list[ChunkScreening]:
        """``chunks`` are (id, text); one ``ChunkScreening`` per chunk, in order."""
        out = [ChunkScreening(subject) for subject, _ in chunks]
        digests = [sha256_text(text) for _, text in chunks]
        for i, (subject, text) in enumerate(chunks):
            start = time.perf_counter()
            decision = self._rules(subject, text)
            out[i].entries.append(_entry(subject, digests[i], decision,
                                         (time.perf_counter() - start) * 1e3, self.rules.name))
            out[i].decision = decision
        for layer in (self.classifier, self.llama_guard):
            if layer is None:
                continue
            open_ = [i for i, s in enumerate(out) if not s.quarantined]
            if not open_:
                break
            start = time.perf_counter()
            try:
                decisions = layer.screen_texts([chunks[i][1] for i in open_])
            except Exception as exc:
                decisions = [GuardDecision.reject(f"the {layer.name} guard failed "
                                                  f"({type(exc).__name__}); blocked",
                                                  ["guard_error"], guard=layer.name,
                                                  model=layer.model)] * len(open_)
            # Batched: each chunk's latency is its share of the batch.
            share = (time.perf_counter() - start) * 1e3 / len(open_)
            for i, decision in zip(open_, decisions, strict=True):
                out[i].entries.append(_entry(out[i].subject, digests[i], decision, share,
                                             layer.name))
                if not decision.allowed:
                    out[i].decision = decision
                elif decision.categories:
                    merged = tuple(dict.fromkeys(out[i].decision.categories
                                                 + decision.categories))
                    out[i].decision = GuardDecision.allow(guard=decision.guard,
                                                          categories=merged,
                                                          reason=decision.reason,
                                                          model=decision.model)
        return out
