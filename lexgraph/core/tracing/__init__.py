"""Tracing: one LangSmith run tree per job, across processes, with content masked.

Boundary: the LangSmith SDK is imported only in ``langsmith_tracer``. Everyone else calls the
functions below, which go to the process's tracer: ``LangSmithTracer`` when
``LANGSMITH_API_KEY`` is set, otherwise ``NoopTracer``, which records nothing and opens no
connection. A process picks its tracer once with ``configure_tracing(settings)`` (the API at
start, a worker when it builds its services); until then the no-op tracer answers.

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

import logging
import os
import threading
import uuid
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from lexgraph.core.config.settings import Settings
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

log = logging.getLogger(__name__)

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
    "configure_tracing",
    "continue_trace",
    "current_trace_headers",
    "feedback_id",
    "get_tracer",
    "is_pseudonym_map",
    "llm_span",
    "make_tracer",
    "open_span",
    "record",
    "root_run_id",
    "span",
]

_lock = threading.Lock()
_active: Tracer = NoopTracer()
_configured_for: str | None = None


def _api_key() -> str | None:
    return (os.environ.get("LANGSMITH_API_KEY") or os.environ.get("LANGCHAIN_API_KEY")
            or None)


def project_name(settings: Settings) -> str:
    """The LangSmith project job traces go to (``LEXGRAPH_LANGSMITH_PROJECT``, else
    ``LANGSMITH_PROJECT``)."""
    from lexgraph.core.tracing.langsmith_tracer import project_name as resolve

    return resolve(settings)


def make_tracer(settings: Settings) -> Tracer:
    """A tracer for these settings and the LangSmith environment; no-op without a key."""
    key = _api_key()
    if key is None:
        from lexgraph.core.tracing.langsmith_tracer import disable_ambient_tracing

        # LANGSMITH_TRACING=true without a key must not have LangChain try on its own.
        disable_ambient_tracing()
        return NoopTracer()
    from lexgraph.core.tracing.langsmith_tracer import LangSmithTracer

    endpoint = os.environ.get("LANGSMITH_ENDPOINT") or os.environ.get("LANGCHAIN_ENDPOINT")
    tracer = LangSmithTracer(settings, api_key=key, api_url=endpoint)
    # Two threads: loading the recognizers must not wait behind a LangSmith that is slow to
    # answer the project lookup, or the first job's runs wait for both.
    threading.Thread(target=tracer.warm_up, daemon=True, name="langsmith-warm-up").start()
    threading.Thread(target=tracer.resolve_project, daemon=True,
                     name="langsmith-project").start()
    return tracer


def configure_tracing(settings: Settings) -> Tracer:
    """Make this process trace as ``settings`` say; idempotent for the same settings."""
    global _active, _configured_for
    signature = settings.model_dump_json(include={"trace_content", "langsmith_project",
                                                  "langsmith_project_url",
                                                  "langsmith_ui_url"})
    signature += (f"|{_api_key() is not None}|{os.environ.get('LANGSMITH_ENDPOINT')}"
                  f"|{project_name(settings)}")
    with _lock:
        if _configured_for != signature:
            _active.flush()
            _active = make_tracer(settings)
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
