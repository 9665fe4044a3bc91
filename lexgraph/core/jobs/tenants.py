"""Tenants, their API keys and their matters: who a request is, and where its jobs belong."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from lexgraph.core.db.models import ApiKey, Matter, Tenant, utcnow
from lexgraph.core.errors import Unauthorized, Unprocessable
from lexgraph.core.ids import new_id

KEY_PREFIX = "lxg_"
_INVALID_KEY = "the API key is not valid; create one with 'lexgraph keys create'"


@dataclass(frozen=True)
class Principal:
    tenant_id: str
    tenant_name: str
    key_id: str
    admin: bool = False


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def insert_ignore(session: Session | Connection, table: Any, values: dict[str, Any]) -> None:
    """Insert a row unless one with the same unique key exists (first writer wins)."""
    bind = session.get_bind() if isinstance(session, Session) else session
    if bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(table).values(**values).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.execute(sqlite_insert(table).values(**values).on_conflict_do_nothing())


class Tenants:
    """Keys are stored as SHA-256 hashes; a key is shown once, when it is made."""

    def __init__(self, engine: Engine, sessions: sessionmaker[Session]) -> None:
        self.engine = engine
        self.sessions = sessions
        # (tenant id, matter name) -> matter id. A matter is never renamed and outlives its
        # jobs, so the id can be reused without a query; if its row is gone after all (tenant
        # deleted, database reset) the job insert fails on the foreign key and the lookup is
        # redone (see Submissions).
        self._matter_ids: dict[tuple[str, str], str] = {}
        # SHA-256 of a key -> its tenant, for keys this process has verified. Only the
        # submission path reads it, and its transaction checks the key again.
        self._known_keys: dict[str, Principal] = {}

    def create_key(self, tenant_name: str, *, admin: bool = False) -> tuple[str, Principal]:
        """Create the tenant if needed and a new key for it; the key is returned only here.
        An ``admin`` key may also list, revoke and rotate the tenant's keys."""
        tenant_name = tenant_name.strip()
        if not tenant_name:
            raise Unprocessable("a tenant name is required")
        key = KEY_PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
        with self.sessions.begin() as s:
            insert_ignore(s, Tenant.__table__,
                          {"id": new_id("ten"), "name": tenant_name, "created_at": utcnow()})
            tenant = s.execute(select(Tenant).where(Tenant.name == tenant_name)).scalar_one()
            api_key = ApiKey(id=new_id("key"), tenant_id=tenant.id, key_hash=hash_key(key),
                             prefix=key[:10], created_at=utcnow(), admin=admin)
            s.add(api_key)
        return key, Principal(tenant.id, tenant.name, api_key.id, admin)

    def ensure_matter(self, tenant_name: str, matter_name: str) -> tuple[str, str]:
        """(tenant id, matter id) by name, creating either when new (pre-indexing a matter
        before its first job)."""
        tenant_name, matter_name = tenant_name.strip(), matter_name.strip()
        if not tenant_name or not matter_name:
            raise Unprocessable("a tenant name and a matter name are required")
        if len(matter_name) > 200:
            raise Unprocessable("a matter name has at most 200 characters")
        with self.sessions.begin() as s:
            insert_ignore(s, Tenant.__table__,
                          {"id": new_id("ten"), "name": tenant_name, "created_at": utcnow()})
            tenant_id = s.execute(select(Tenant.id).where(Tenant.name == tenant_name)
                                  ).scalar_one()
            matter_id = self.matter_id(s, tenant_id, matter_name)
        return tenant_id, matter_id

    def authenticate(self, key: str | None) -> Principal:
        if not key:
            raise Unauthorized("send 'Authorization: Bearer <API key>'")
        # Every API request starts here: one autocommit read on a plain connection spares the
        # BEGIN and ROLLBACK round trips (and the ORM session) that a transaction would cost.
        digest = hash_key(key)
        row = self._key_row(ApiKey.key_hash == digest)
        if row is None or row.revoked_at is not None:
            self._known_keys.pop(digest, None)
            raise Unauthorized(_INVALID_KEY)
        who = Principal(row.tenant_id, row.name, row.id, bool(row.admin))
        if len(self._known_keys) >= 10_000:
            self._known_keys.clear()
        self._known_keys[digest] = who
        return who

    def _key_row(self, condition: ColumnElement[bool]) -> Any:
        """The key matching ``condition`` and its tenant's name, revoked or not; None if none."""
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            return conn.execute(
                select(ApiKey.id, ApiKey.tenant_id, Tenant.name, ApiKey.revoked_at, ApiKey.admin)
                .join(Tenant, Tenant.id == ApiKey.tenant_id).where(condition)
            ).first()

    def known_key(self, digest: str) -> Principal | None:
        """The tenant of a key this process verified before, without asking the database;
        only for a submission, which checks the key in its own transaction."""
        return self._known_keys.get(digest)

    def refuse_key(self, who: Principal) -> Unauthorized:
        """Forget a key found revoked after it was verified; the error to raise."""
        self._known_keys = {k: p for k, p in self._known_keys.items()
                            if p.key_id != who.key_id}
        return Unauthorized(_INVALID_KEY)

    def revocation_marker(self) -> tuple[int, str | None]:
        """Changes whenever a key is revoked: how many are, and the latest time one was."""
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            count, latest = conn.execute(
                select(func.count(ApiKey.revoked_at), func.max(ApiKey.revoked_at))).one()
        return int(count), str(latest) if latest is not None else None

    def principal_for_key_id(self, key_id: str) -> Principal:
        """The tenant behind a key known by id (a web session), refused once it is revoked."""
        row = self._key_row(ApiKey.id == key_id)
        if row is None or row.revoked_at is not None:
            raise Unauthorized("the session's API key is no longer valid; sign in again")
        return Principal(row.tenant_id, row.name, row.id, bool(row.admin))

    # Matters ------------------------------------------------------------------------------

    def matter_id(self, s: Session | Connection, tenant_id: str, name: str) -> str:
        cached = self._matter_ids.get((tenant_id, name))
        if cached is not None:
            return cached
        found = s.execute(select(Matter.id).where(
            Matter.tenant_id == tenant_id, Matter.name == name)).scalar()
        if found is None:
            insert_ignore(s, Matter.__table__, {"id": new_id("mat"), "tenant_id": tenant_id,
                                                "name": name, "created_at": utcnow()})
            found = s.execute(select(Matter.id).where(
                Matter.tenant_id == tenant_id, Matter.name == name)).scalar_one()
        return found

    def remember_matter(self, tenant_id: str, name: str, matter_id: str) -> None:
        # Only after the commit: until then other transactions cannot see the matter row, and
        # a concurrent job insert that borrowed its id would fail the foreign key.
        if len(self._matter_ids) >= 10_000:
            self._matter_ids.clear()
        self._matter_ids[(tenant_id, name)] = matter_id

    def forget_matter(self, tenant_id: str, name: str) -> bool:
        """Drop a cached matter id; whether there was one (a stale one is worth a retry)."""
        return self._matter_ids.pop((tenant_id, name), None) is not None
