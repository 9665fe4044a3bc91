"""Which tracer this process uses: LangSmith when an API key is in the environment (the
LangSmith SDK's own variables), otherwise the no-op tracer."""

from __future__ import annotations

import os
import threading

from lexgraph.core.config.settings import Settings
from lexgraph.core.tracing import NoopTracer, Tracer, use_tracer


def _api_key() -> str | None:
    return (os.environ.get("LANGSMITH_API_KEY") or os.environ.get("LANGCHAIN_API_KEY")
            or None)


def project_name(settings: Settings) -> str:
    """The LangSmith project job traces go to (``LEXGRAPH_LANGSMITH_PROJECT``, else
    ``LANGSMITH_PROJECT``)."""
    from lexgraph.adapters.tracing.langsmith_tracer import project_name as resolve

    return resolve(settings)


def make_tracer(settings: Settings) -> Tracer:
    """A tracer for these settings and the LangSmith environment; no-op without a key."""
    key = _api_key()
    if key is None:
        from lexgraph.adapters.tracing.langsmith_tracer import disable_ambient_tracing

        # LANGSMITH_TRACING=true without a key must not have LangChain try on its own.
        disable_ambient_tracing()
        return NoopTracer()
    from lexgraph.adapters.tracing.langsmith_tracer import LangSmithTracer

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
    signature = settings.model_dump_json(include={"trace_content", "langsmith_project",
                                                  "langsmith_project_url",
                                                  "langsmith_ui_url"})
    signature += (f"|{_api_key() is not None}|{os.environ.get('LANGSMITH_ENDPOINT')}"
                  f"|{project_name(settings)}")
    return use_tracer(lambda: make_tracer(settings), signature)
