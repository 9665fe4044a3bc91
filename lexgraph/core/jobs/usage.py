"""Stored token usage: one row per model call; sums per job and per tenant with a cost
estimate from the configured prices."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from lexgraph.core.config.settings import Settings
from lexgraph.core.db.models import LlmUsage
from lexgraph.core.llm.metering import CallUsage


class UsageStore:
    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.settings = settings

    def record(self, call: CallUsage) -> None:
        with self.sessions.begin() as s:
            s.execute(insert(LlmUsage).values(
                job_id=call.job_id, tenant_id=call.tenant_id, agent=call.agent[:120],
                model=call.model[:200], prompt_tokens=call.usage.prompt_tokens,
                completion_tokens=call.usage.completion_tokens,
                latency_ms=round(call.latency_ms, 3)))

    def cost(self, prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
        amount = (prompt_tokens / 1000 * self.settings.llm_price_prompt_per_1k
                  + completion_tokens / 1000 * self.settings.llm_price_completion_per_1k)
        return {"amount": round(amount, 6), "currency": self.settings.llm_price_currency}

    def none(self) -> dict[str, Any]:
        """The usage of a job that has made no model call yet."""
        return self._summary([])

    def _summary(self, rows: Sequence[Any]) -> dict[str, Any]:
        """``rows``: (agent, model, calls, prompt, completion) groups."""
        prompt = sum(int(r.prompt) for r in rows)
        completion = sum(int(r.completion) for r in rows)
        return {
            "calls": sum(int(r.calls) for r in rows),
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "estimated_cost": self.cost(prompt, completion),
            "by_agent": [
                {"agent": r.agent, "model": r.model, "calls": int(r.calls),
                 "prompt_tokens": int(r.prompt), "completion_tokens": int(r.completion),
                 "estimated_cost": self.cost(int(r.prompt), int(r.completion))}
                for r in sorted(rows, key=lambda r: (r.agent, r.model))
            ],
        }

    @staticmethod
    def _grouped(*keys: Any) -> Any:
        return select(*keys, LlmUsage.agent, LlmUsage.model,
                      func.count().label("calls"),
                      func.sum(LlmUsage.prompt_tokens).label("prompt"),
                      func.sum(LlmUsage.completion_tokens).label("completion"))

    def for_jobs(self, s: Session, job_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Usage of each job (jobs without calls get zeros), in the caller's session."""
        ids = list(job_ids)
        grouped: dict[str, list[Any]] = {job_id: [] for job_id in ids}
        if ids:
            query = (self._grouped(LlmUsage.job_id).where(LlmUsage.job_id.in_(ids))
                     .group_by(LlmUsage.job_id, LlmUsage.agent, LlmUsage.model))
            for row in s.execute(query):
                grouped[row.job_id].append(row)
        return {job_id: self._summary(rows) for job_id, rows in grouped.items()}

    def for_tenant(self, tenant_id: str, *, since: datetime | None = None,
                   until: datetime | None = None) -> dict[str, Any]:
        where = [LlmUsage.tenant_id == tenant_id]
        if since is not None:
            where.append(LlmUsage.created_at >= since)
        if until is not None:
            where.append(LlmUsage.created_at < until)
        with self.sessions() as s:
            rows = s.execute(self._grouped().where(*where)
                             .group_by(LlmUsage.agent, LlmUsage.model)).all()
            jobs = s.execute(select(func.count(func.distinct(LlmUsage.job_id)))
                             .where(*where)).scalar_one()
        return {"object": "usage", "jobs": int(jobs), **self._summary(rows)}
