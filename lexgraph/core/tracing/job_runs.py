"""A job's root run as the job store's operations see it: opened when a job is accepted,
closed when a client cancels it, and given a reviewer's feedback. What the run says about the
job (its inputs, metadata, tags) is decided here, not by the store."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from lexgraph.core.config.settings import Settings
from lexgraph.core.tracing.base import JobTrace, OpenedJob, Tracer
from lexgraph.core.tracing.noop import NoopTracer


class JobRuns:
    def __init__(self, settings: Settings, tracer: Tracer | None = None) -> None:
        self.settings = settings
        self.tracer: Tracer = tracer or NoopTracer()

    def open_submitted(self, job_id: str, *, created_at: datetime, tenant_id: str,
                       tenant_name: str, matter: str, profile: str,
                       instructions: str | None,
                       documents: Sequence[Mapping[str, Any]]) -> OpenedJob | None:
        """The root run of a job being stored; post it once the job is committed."""
        if not self.tracer.enabled:
            return None
        settings = self.settings
        mode = "extractive" if settings.llm_backend == "none" else "agentic"
        metadata = {"tenant_id": tenant_id, "tenant": tenant_name, "matter": matter,
                    "profile": profile, "mode": mode, "llm_backend": settings.llm_backend,
                    "llm_model": settings.llm_model,
                    "embedding_model": settings.embedding_model}
        inputs = {"matter": matter, "profile": profile, "instructions": instructions,
                  "documents": list(documents)}
        return self.tracer.open_job(job_id, created_at=created_at, inputs=inputs,
                                    metadata=metadata,
                                    tags=["lexgraph", f"profile:{profile}", f"mode:{mode}"])

    def cancelled(self, trace_state: Mapping[str, Any] | None) -> None:
        self.tracer.end_job(JobTrace.from_state(trace_state), "cancelled")

    def feedback(self, trace: JobTrace | None, *, key: str, score: float,
                 comment: str | None, correction: str | None, feedback_id: uuid.UUID,
                 on_sent: Callable[[], None]) -> bool:
        return self.tracer.feedback(trace, key=key, score=score, comment=comment,
                                    correction=correction, feedback_id=feedback_id,
                                    on_sent=on_sent)
