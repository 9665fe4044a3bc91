"""The tracer used when tracing is off: records nothing, opens no connection."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from lexgraph.core.tracing.base import JobTrace, OpenedJob, RunType


class _NoSpan:
    def finish(self, outputs: Mapping[str, Any] | None = None, **metadata: Any) -> None:
        return None

    def finish_llm(self, text: str, *, model: str | None = None, prompt_tokens: int = 0,
                   completion_tokens: int = 0, finish_reason: str | None = None) -> None:
        return None

    def close(self, error: str | None = None) -> None:
        return None


NO_SPAN = _NoSpan()


class NoopTracer:
    enabled = False

    def open_job(self, job_id: str, *, created_at: datetime, inputs: Mapping[str, Any],
                 metadata: Mapping[str, Any], tags: Sequence[str]) -> OpenedJob | None:
        return None

    def end_job(self, trace: JobTrace | None, status: str, *,
                error: str | None = None) -> None:
        return None

    @contextmanager
    def continue_trace(self, headers: Mapping[str, str] | None, name: str,
                       **metadata: Any) -> Iterator[_NoSpan]:
        yield NO_SPAN

    def current_headers(self) -> dict[str, str]:
        return {}

    @contextmanager
    def span(self, name: str, run_type: RunType = "chain", *,
             inputs: Mapping[str, Any] | None = None, **metadata: Any) -> Iterator[_NoSpan]:
        yield NO_SPAN

    @contextmanager
    def llm_span(self, name: str, *, model: str, messages: Sequence[Mapping[str, str]],
                 **metadata: Any) -> Iterator[_NoSpan]:
        yield NO_SPAN

    def open_span(self, name: str, run_type: RunType = "chain", *,
                  inputs: Mapping[str, Any] | None = None, **metadata: Any) -> _NoSpan:
        return NO_SPAN

    def record(self, name: str, run_type: RunType, *, inputs: Mapping[str, Any],
               outputs: Mapping[str, Any], **metadata: Any) -> None:
        return None

    def feedback(self, trace: JobTrace | None, *, key: str, score: float,
                 comment: str | None, correction: str | None,
                 feedback_id: uuid.UUID | None = None,
                 on_sent: Callable[[], None] | None = None) -> bool:
        return False

    def flush(self) -> None:
        return None
