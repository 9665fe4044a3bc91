"""Token metering: every completion a job's agents make is recorded as it returns.

``MeteredLLM`` wraps any ``LLMClient``; ``metered(job_id, tenant_id)`` says, for the code run
inside it (threads CrewAI starts copy the context), whose calls these are. The recorder is
given a ``CallUsage`` per call; it is where usage is stored (``core.jobs.usage``). Calls made
outside a scope (a health probe, a benchmark) are not recorded.

A recorder that fails is logged, not raised: a job's summary is not thrown away because its
accounting row could not be written.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from lexgraph.core.llm.base import ChatRequest, ChatResult, LLMClient, TextCompleter, Usage
from lexgraph.core.observability import metrics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MeterScope:
    job_id: str
    tenant_id: str


@dataclass(frozen=True)
class CallUsage:
    job_id: str
    tenant_id: str
    agent: str
    model: str
    usage: Usage
    latency_ms: float


_scope: ContextVar[MeterScope | None] = ContextVar("lexgraph_meter_scope", default=None)


@contextmanager
def metered(job_id: str, tenant_id: str) -> Iterator[MeterScope]:
    scope = MeterScope(job_id, tenant_id)
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


def current_scope() -> MeterScope | None:
    return _scope.get()


class MeteredLLM:
    def __init__(self, inner: LLMClient, record: Callable[[CallUsage], None]) -> None:
        self.inner = inner
        self._record = record

    @property
    def model(self) -> str:
        return self.inner.model

    def __getattr__(self, name: str) -> object:
        # render(), close() and other extras of the wrapped backend stay reachable.
        return getattr(self.inner, name)

    def _note(self, agent: str, result: ChatResult, started: float) -> None:
        metrics.llm_call(agent, result.model, result.usage.prompt_tokens,
                         result.usage.completion_tokens, time.perf_counter() - started)
        scope = _scope.get()
        if scope is None:
            return
        try:
            self._record(CallUsage(scope.job_id, scope.tenant_id, agent, result.model,
                                   result.usage, (time.perf_counter() - started) * 1000))
        except Exception:
            log.warning("could not record token usage for job %s", scope.job_id, exc_info=True)

    def chat(self, request: ChatRequest) -> ChatResult:
        started = time.perf_counter()
        result = self.inner.chat(request)
        self._note(request.metadata.get("agent") or "unknown", result, started)
        return result

    def complete(self, prompts: Sequence[str], *, max_tokens: int = 16,
                 metadata: Mapping[str, str] | None = None) -> list[ChatResult]:
        if not isinstance(self.inner, TextCompleter):
            raise TypeError(f"{type(self.inner).__name__} does not take raw prompts")
        started = time.perf_counter()
        results = self.inner.complete(prompts, max_tokens=max_tokens, metadata=metadata)
        agent = (metadata or {}).get("agent") or "unknown"
        for result in results:
            self._note(agent, result, started)
        return results
