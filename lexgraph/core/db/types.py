"""Column types shared by the models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from lexgraph.core.utc import as_utc


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that is always UTC and always aware once read back.

    SQLite keeps no zone: it stores the naive UTC wall time, as rows written before this
    type did, and hands it back naive, so it is read as UTC. PostgreSQL stores a
    ``timestamptz``; the DDL is ``DateTime(timezone=True)``'s, so no migration is needed.
    Bound values (inserts and comparisons alike) are converted to UTC first, a naive one
    taken as UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        utc = as_utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return as_utc(value) if value is not None else None
