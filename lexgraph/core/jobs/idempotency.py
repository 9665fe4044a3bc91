"""Idempotency keys of submissions: the first request with a key reserves it, a retry with the
same request gets the stored response, a different request under the same key is refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from lexgraph.core.config.settings import Settings
from lexgraph.core.db.models import IdempotencyRecord, utcnow
from lexgraph.core.errors import Conflict, Unprocessable
from lexgraph.core.validation import check_line


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]


class IdempotencyKeys:
    def __init__(self, sessions: sessionmaker[Session], settings: Settings) -> None:
        self.sessions = sessions
        self.settings = settings

    def reserve(self, tenant_id: str, key: str, fingerprint: str) -> StoredResponse | None:
        """None when the key is now this request's; the stored response when an identical
        request finished under it before."""
        if not key or len(key) > 255:
            raise Unprocessable("Idempotency-Key must be 1 to 255 characters")
        check_line("Idempotency-Key", key)
        now = utcnow()
        ttl = timedelta(hours=self.settings.idempotency_ttl_hours)
        for _ in range(3):
            try:
                with self.sessions.begin() as s:
                    s.add(IdempotencyRecord(tenant_id=tenant_id, key=key,
                                            fingerprint=fingerprint, state="in_flight",
                                            created_at=now, expires_at=now + ttl))
                return None
            except IntegrityError:
                pass
            with self.sessions.begin() as s:
                rec = s.get(IdempotencyRecord, (tenant_id, key))
                if rec is None:
                    continue  # the first request failed and released the key: try again
                if rec.expires_at <= now:
                    s.delete(rec)
                    continue
                if rec.fingerprint != fingerprint:
                    raise Unprocessable(
                        "this Idempotency-Key was already used with a different request; "
                        "use a new key for a new request"
                    )
                if rec.state != "done":
                    raise Conflict(
                        "a request with this Idempotency-Key is still being processed; "
                        "retry after it completes"
                    )
                return StoredResponse(rec.response_status or 202,
                                      dict(rec.response_headers or {}),
                                      dict(rec.response_body or {}))
        raise Conflict("could not reserve the Idempotency-Key; retry")

    def release(self, tenant_id: str, key: str) -> None:
        """Nothing was created under the key, so a retry with it must be free to run."""
        with self.sessions.begin() as s:
            s.execute(delete(IdempotencyRecord).where(IdempotencyRecord.tenant_id == tenant_id,
                                                      IdempotencyRecord.key == key))

    @staticmethod
    def complete(conn: Connection, tenant_id: str, key: str, response: StoredResponse) -> None:
        """Store the response in the transaction that created what it describes."""
        conn.execute(update(IdempotencyRecord).where(
            IdempotencyRecord.tenant_id == tenant_id, IdempotencyRecord.key == key,
        ).values(state="done", response_status=response.status,
                 response_headers=response.headers, response_body=response.body))
