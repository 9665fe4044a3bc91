"""Tracing: one LangSmith run tree per job, across processes, with content masked.

Boundary: the LangSmith SDK is imported only in ``lexgraph.adapters.tracing.langsmith_tracer``.
Everyone else calls the functions below, which go to the process's tracer: ``LangSmithTracer`` when
``LANGSMITH_API_KEY`` is set, otherwise ``NoopTracer``, which records nothing and opens no
connection. A process picks its tracer once with ``configure_tracing(settings)`` from
``lexgraph.composition.tracing`` (the API at start, a worker when it builds its services);
until then the no-op tracer answers.

The tree of a job::

    job (root: posted by the API when it accepts the job; id = root_run_id(job_id))
    └── attempt N (each worker run of the job: first run, resume after a crash, after review)
        └── lexgraph-job (LangGraph's own tracing) ── one run per node
            └── agent: <role> ── llm runs (with token usage), tool runs, guard decisions
                └── llm ── generation on an inference worker (continue_trace there)

For other processes (the inference worker, say)::

    headers = current_trace_headers()          # in the caller; {} when tracing is off
    # ... send ``headers`` along with the work (Celery task kwargs) ...
    with continue_trace(headers, "generate", model=name) as span:   # in the callee
        text = generate(...)
        span.finish({"text": text}, output_tokens=n)

``continue_trace(headers, name, **metadata)`` opens a child run of the run the headers name
and makes it the current run, so spans and LangGraph/LangChain runs inside nest under it.
With empty or missing headers, or tracing off, it does nothing (the span's ``finish`` is a
no-op), so callers need no branches.

``llm_span(name, model=..., messages=[{"role", "content"}], **metadata)`` records one model
call as an ``llm`` child run of the current run; call ``span.finish_llm(text, model=...,
prompt_tokens=..., completion_tokens=..., finish_reason=...)`` inside it. An exception
leaving the block marks the run failed. ``span(name, run_type, inputs=..., **metadata)`` does
the same for any other step (agents, tools) and ``record(...)`` adds a finished child run
(guard decisions). Outside a trace these do nothing.

Content (``LEXGRAPH_TRACE_CONTENT``): ``redacted`` (default) passes every run's inputs,
outputs, metadata and error through ``TraceAnonymizer``: personal data becomes placeholders
and pseudonym maps are dropped; ``none`` uploads no inputs or outputs at all, only names,
timings, metadata (redacted) and errors; ``full`` uploads them as they are.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from lexgraph.core.tracing.anonymize import TraceAnonymizer, is_pseudonym_map
from lexgraph.core.tracing.base import (
    JobTrace,
    LlmSpan,
    OpenedJob,
    OpenSpan,
    RunType,
    Span,
    Tracer,
    root_run_id,
)
from lexgraph.core.tracing.noop import NoopTracer

__all__ = [
    "JobTrace",
    "LlmSpan",
    "NoopTracer",
    "OpenSpan",
    "OpenedJob",
    "RunType",
    "Span",
    "TraceAnonymizer",
    "Tracer",
    "continue_trace",
    "current_trace_headers",
    "feedback_id",
    "get_tracer",
    "is_pseudonym_map",
    "llm_span",
    "open_span",
    "record",
    "root_run_id",
    "span",
    "use_tracer",
]

_lock = threading.Lock()
_active: Tracer = NoopTracer()
_configured_for: str | None = None


def use_tracer(make: Callable[[], Tracer], signature: str) -> Tracer:
    """Make this process trace through the tracer ``make`` builds, unless one built for the
    same ``signature`` is active already (the previous one is flushed first)."""
    global _active, _configured_for
    with _lock:
        if _configured_for != signature:
            _active.flush()
            _active = make()
            _configured_for = signature
        return _active


def get_tracer() -> Tracer:
    return _active


def current_trace_headers() -> dict[str, str]:
    """Distributed-tracing headers of the current run; ``{}`` when tracing is off."""
    return _active.current_headers()


def continue_trace(headers: Mapping[str, str] | None, name: str,
                   **metadata: Any) -> AbstractContextManager[Span]:
    """Continue the trace ``headers`` came from with a child run named ``name``."""
    return _active.continue_trace(headers, name, **metadata)


def span(name: str, run_type: RunType = "chain", *, inputs: Mapping[str, Any] | None = None,
         **metadata: Any) -> AbstractContextManager[Span]:
    return _active.span(name, run_type, inputs=inputs, **metadata)


def llm_span(name: str, *, model: str, messages: Sequence[Mapping[str, str]],
             **metadata: Any) -> AbstractContextManager[LlmSpan]:
    return _active.llm_span(name, model=model, messages=messages, **metadata)


def open_span(name: str, run_type: RunType = "chain", *,
              inputs: Mapping[str, Any] | None = None, **metadata: Any) -> OpenSpan:
    return _active.open_span(name, run_type, inputs=inputs, **metadata)


def record(name: str, run_type: RunType, *, inputs: Mapping[str, Any],
           outputs: Mapping[str, Any], **metadata: Any) -> None:
    _active.record(name, run_type, inputs=inputs, outputs=outputs, **metadata)


def feedback_id(feedback_row_id: str) -> uuid.UUID:
    """A stable LangSmith feedback id for one stored feedback row (resends overwrite)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"lexgraph:feedback:{feedback_row_id}")
