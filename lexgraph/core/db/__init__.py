"""Relational store: SQLAlchemy 2 models, engines for SQLite and PostgreSQL, Alembic migrations."""

from lexgraph.core.db.models import (
    ApiKey,
    Base,
    Document,
    IdempotencyRecord,
    Job,
    JobEvent,
    JobStatus,
    Matter,
    Result,
    Tenant,
)

__all__ = [
    "ApiKey",
    "Base",
    "Document",
    "IdempotencyRecord",
    "Job",
    "JobEvent",
    "JobStatus",
    "Matter",
    "Result",
    "Tenant",
]
