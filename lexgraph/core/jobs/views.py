"""The public JSON shape of jobs and events (API responses, CLI output, stored replies)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lexgraph.core.db.models import Job, JobEvent
from lexgraph.core.summary.length import parse_length
from lexgraph.core.utc import as_utc


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return as_utc(value).isoformat().replace("+00:00", "Z")


def job_resource(job: Job, matter_name: str | None = None,
                 usage: dict[str, Any] | None = None) -> dict[str, Any]:
    base = f"/v1/jobs/{job.id}"
    return {
        "id": job.id,
        "object": "job",
        "status": job.status,
        "matter": matter_name if matter_name is not None else job.matter.name,
        "profile": job.profile,
        "instructions": job.instructions,
        "webhook_url": job.webhook_url,
        "length": parse_length(job.length),
        "progress": round(job.progress or 0.0, 4),
        "stage": job.stage,
        "attempts": job.attempts,
        "error": job.error,
        # The earlier identical job whose result answered this one; null when it ran.
        "cached_from": job.cached_from,
        # The job's run tree in the LangSmith UI; null when tracing is off.
        "trace_url": (job.trace or {}).get("url"),
        # Tokens of every model call so far, per agent, with the estimated cost.
        "usage": usage,
        "documents": [
            {
                "id": d.id,
                "filename": d.filename,
                "media_type": d.media_type,
                "size": d.size,
                "sha256": d.sha256,
                "pages": d.pages,
            }
            for d in job.documents
        ],
        "created_at": iso(job.created_at),
        "updated_at": iso(job.updated_at),
        "started_at": iso(job.started_at),
        "finished_at": iso(job.finished_at),
        "links": {
            "self": base,
            "result": f"{base}/result",
            "events": f"{base}/events",
            "cancel": f"{base}/cancel",
        },
    }


def event_resource(event: JobEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "job_id": event.job_id,
        "type": event.type,
        "data": event.data,
        "created_at": iso(event.created_at),
    }
