"""API keys after they are made: list, revoke and rotate; and web sessions ended by sign-out.

Keys are stored as SHA-256 hashes, so nothing here can show a key again: a listing names each
by its id and its first characters, and a rotation returns the one new key it makes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import sessionmaker

from lexgraph.core.db.engine import rowcount
from lexgraph.core.db.models import ApiKey, EndedWebSession, Tenant, utcnow
from lexgraph.core.errors import NotFound
from lexgraph.core.jobs.store import JobStore
from lexgraph.core.jobs.views import iso


def key_resource(key: ApiKey, tenant_name: str) -> dict[str, Any]:
    return {"object": "api_key", "id": key.id, "tenant": tenant_name, "prefix": key.prefix,
            "admin": key.admin, "created_at": iso(key.created_at),
            "revoked_at": iso(key.revoked_at)}


@dataclass(frozen=True)
class Revoked:
    resource: dict[str, Any]
    # The hash the API's key caches are keyed by, so a process can forget the key at once.
    key_hash: str


class Keys:
    """Key management. ``tenant_id`` None is the operator (the CLI), who sees every tenant;
    an admin key passes its own tenant and sees only that tenant's keys."""

    def __init__(self, store: JobStore) -> None:
        self.store = store
        self.sessions = sessionmaker(store.engine, expire_on_commit=False)

    def list(self, tenant_id: str | None = None, *, tenant_name: str | None = None
             ) -> list[dict[str, Any]]:
        with self.sessions() as s:
            q = select(ApiKey, Tenant.name).join(Tenant, Tenant.id == ApiKey.tenant_id)
            if tenant_id is not None:
                q = q.where(ApiKey.tenant_id == tenant_id)
            if tenant_name is not None:
                q = q.where(Tenant.name == tenant_name)
            rows = s.execute(q.order_by(Tenant.name, ApiKey.created_at, ApiKey.id)).all()
            return [key_resource(key, name) for key, name in rows]

    def _key(self, s: Any, key_id: str, tenant_id: str | None) -> tuple[ApiKey, str]:
        q = select(ApiKey, Tenant.name).join(Tenant, Tenant.id == ApiKey.tenant_id).where(
            ApiKey.id == key_id)
        if tenant_id is not None:
            q = q.where(ApiKey.tenant_id == tenant_id)
        row = s.execute(q).first()
        if row is None:
            # The same answer for another tenant's key as for no key: nothing leaks.
            raise NotFound(f"no API key {key_id!r}")
        return row[0], row[1]

    def revoke(self, key_id: str, tenant_id: str | None = None) -> Revoked:
        """Revoke a key; revoking a revoked key changes nothing and answers the same."""
        with self.sessions.begin() as s:
            key, name = self._key(s, key_id, tenant_id)
            if key.revoked_at is None:
                rowcount(s, update(ApiKey).where(ApiKey.id == key.id,
                                                 ApiKey.revoked_at.is_(None))
                         .values(revoked_at=utcnow()))
                s.refresh(key)
            return Revoked(key_resource(key, name), key.key_hash)

    def rotate(self, key_id: str, tenant_id: str | None = None
               ) -> tuple[str, dict[str, Any], Revoked]:
        """A new key for the same tenant with the same rights, and the old one revoked."""
        with self.sessions() as s:
            key, name = self._key(s, key_id, tenant_id)
            admin = key.admin
        new_key, who = self.store.create_key(name, admin=admin)
        revoked = self.revoke(key_id, tenant_id)
        [created] = [k for k in self.list(who.tenant_id) if k["id"] == who.key_id]
        return new_key, created, revoked


class EndedSessions:
    """Web sessions ended by sign-out before their cookie expired."""

    def __init__(self, engine: Engine) -> None:
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    @staticmethod
    def _digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def end(self, token: str, key_id: str, expires_at: float) -> None:
        now = utcnow()
        with self.sessions.begin() as s:
            # Sessions past their cookie's lifetime are refused anyway; forget them here.
            s.execute(delete(EndedWebSession).where(EndedWebSession.expires_at < now))
            if s.get(EndedWebSession, self._digest(token)) is None:
                s.add(EndedWebSession(digest=self._digest(token), key_id=key_id, ended_at=now,
                                      expires_at=datetime.fromtimestamp(expires_at, UTC)))

    def ended(self, token: str) -> bool:
        with self.sessions() as s:
            return s.get(EndedWebSession, self._digest(token)) is not None
