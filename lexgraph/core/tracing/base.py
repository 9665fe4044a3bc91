"""The tracer Protocol, the handles it hands out, and the job's root-run identity."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

RunType = Literal["chain", "tool", "llm", "retriever", "prompt", "parser", "embedding"]

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def root_run_id(job_id: str) -> uuid.UUID:
    """The id of a job's root run, the same in every process.

    A UUID v7 (what LangSmith expects of run ids): the 48-bit millisecond clock of the job id
    (``job_`` + 26 Crockford characters, 48-bit time + 80 random bits), then bits hashed from
    the whole job id. Any process that knows the job id can address its root run, for
    feedback above all, without asking anyone.
    """
    body = job_id.split("_", 1)[-1].lower()
    millis = 0
    try:
        value = 0
        for char in body:
            value = value * 32 + _CROCKFORD.index(char)
        millis = (value >> 80) & ((1 << 48) - 1) if len(body) == 26 else 0
    except ValueError:
        millis = 0
    rest = int.from_bytes(hashlib.sha256(job_id.encode()).digest()[:10], "big")
    value = (millis << 80) | rest
    value &= ~(0xF << 76)
    value |= 0x7 << 76  # version 7
    value &= ~(0x3 << 62)
    value |= 0x2 << 62  # RFC 9562 variant
    return uuid.UUID(int=value)


@dataclass(frozen=True)
class JobTrace:
    """A job's root run as it is stored with the job (JSON column ``jobs.trace``).

    ``headers`` are LangSmith's distributed-tracing headers of the root run
    (``langsmith-trace``: its dotted order; ``baggage``: project, metadata, tags): a worker
    in any process continues the tree from them. ``url`` is the root run in the LangSmith UI,
    when the project's address is known.
    """

    run_id: str
    headers: dict[str, str]
    url: str | None = None

    def to_state(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "headers": dict(self.headers), "url": self.url}

    @classmethod
    def from_state(cls, state: Mapping[str, Any] | None) -> JobTrace | None:
        if not state or not state.get("headers"):
            return None
        return cls(run_id=str(state["run_id"]), headers=dict(state["headers"]),
                   url=state.get("url"))


@dataclass
class OpenedJob:
    """A root run built at submission but not sent yet: ``post`` after the job is committed,
    so a rolled-back submission leaves no run behind."""

    trace: JobTrace
    post: Any = field(repr=False)  # Callable[[], None]


class Span(Protocol):
    """A child run being recorded; closed by the context manager that made it."""

    def finish(self, outputs: Mapping[str, Any] | None = None, **metadata: Any) -> None:
        """Set the run's outputs (and add metadata) before it closes."""
        ...


class OpenSpan(Span, Protocol):
    """A child run opened and closed by explicit calls (from two different hooks, say)."""

    def close(self, error: str | None = None) -> None:
        """End the run and send it."""
        ...


class LlmSpan(Protocol):
    def finish_llm(self, text: str, *, model: str | None = None, prompt_tokens: int = 0,
                   completion_tokens: int = 0, finish_reason: str | None = None) -> None:
        """Record the completion and its token usage before the run closes."""
        ...


class Tracer(Protocol):
    """Where a job's runs go. ``enabled`` is False for the no-op tracer."""

    @property
    def enabled(self) -> bool: ...

    def open_job(self, job_id: str, *, created_at: datetime, inputs: Mapping[str, Any],
                 metadata: Mapping[str, Any], tags: Sequence[str]) -> OpenedJob | None:
        """Build the job's root run (not sent until ``OpenedJob.post``)."""
        ...

    def end_job(self, trace: JobTrace | None, status: str, *,
                error: str | None = None) -> None:
        """Close the job's root run, from whichever process sees the job end."""
        ...

    def continue_trace(self, headers: Mapping[str, str] | None, name: str,
                       **metadata: Any) -> AbstractContextManager[Span]:
        """A child run under the run the headers name; the current parent inside."""
        ...

    def current_headers(self) -> dict[str, str]:
        """Distributed-tracing headers of the current run; empty outside any run."""
        ...

    def span(self, name: str, run_type: RunType = "chain", *,
             inputs: Mapping[str, Any] | None = None,
             **metadata: Any) -> AbstractContextManager[Span]:
        """A child run of the current run (nothing outside a trace)."""
        ...

    def llm_span(self, name: str, *, model: str, messages: Sequence[Mapping[str, str]],
                 **metadata: Any) -> AbstractContextManager[LlmSpan]:
        """An ``llm`` child run of the current run, with token usage."""
        ...

    def open_span(self, name: str, run_type: RunType = "chain", *,
                  inputs: Mapping[str, Any] | None = None, **metadata: Any) -> OpenSpan:
        """A child run of the current run that does not become the current run itself;
        ``close`` ends it. Never raises."""
        ...

    def record(self, name: str, run_type: RunType, *, inputs: Mapping[str, Any],
               outputs: Mapping[str, Any], **metadata: Any) -> None:
        """A finished child run of the current run (a decision, say). Never raises."""
        ...

    def feedback(self, trace: JobTrace | None, *, key: str, score: float,
                 comment: str | None, correction: str | None,
                 feedback_id: uuid.UUID | None = None,
                 on_sent: Callable[[], None] | None = None) -> bool:
        """Attach feedback to the job's root run; True when it was handed to the client.

        When this returns False and a later attempt in the background does send it,
        ``on_sent`` is called then (from another thread), so a stored record can say so.
        """
        ...

    def flush(self) -> None:
        """Send everything buffered; called when a process shuts down."""
        ...
