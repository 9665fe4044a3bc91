"""What a log line is about: the job, tenant, attempt and trace the current code works for.

The job runner binds these for the length of an attempt; threads LangGraph and CrewAI start
copy the context, so lines logged deep inside a node carry them too. Only identifiers go
here, never content.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_fields: ContextVar[dict[str, Any] | None] = ContextVar("lexgraph_log_fields", default=None)


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add ``fields`` (job_id, tenant, attempt, trace_id…) to every record logged inside."""
    merged = {**(_fields.get() or {}), **{k: v for k, v in fields.items() if v is not None}}
    token = _fields.set(merged)
    try:
        yield
    finally:
        _fields.reset(token)


def current_fields() -> dict[str, Any]:
    return dict(_fields.get() or {})
