"""Leases on rows: a job or a webhook delivery belongs to one worker until its lease lapses.

Both tables carry ``lease_owner`` and ``lease_expires_at``; these are the conditions and
values every claim, heartbeat and release writes, so the two kinds of lease cannot drift
apart (a claim that treats a lease as free a moment earlier than the heartbeat assumes would
hand the same work to two workers)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_

# What a release writes: no owner, nothing to wait for.
RELEASED: dict[str, Any] = {"lease_owner": None, "lease_expires_at": None}


def taken(owner: str, now: datetime, length: timedelta) -> dict[str, Any]:
    return {"lease_owner": owner, "lease_expires_at": now + length}


def extended(now: datetime, length: timedelta) -> dict[str, Any]:
    return {"lease_expires_at": now + length}


def held_by(model: Any, owner: str) -> ColumnElement[bool]:
    return model.lease_owner == owner  # type: ignore[no-any-return]


def live(model: Any, now: datetime) -> ColumnElement[bool]:
    """The lease still runs: its owner may be working on the row."""
    return model.lease_expires_at >= now  # type: ignore[no-any-return]


def lapsed(model: Any, now: datetime) -> ColumnElement[bool]:
    """A lease was taken and ran out: its owner died or lost the row."""
    return model.lease_expires_at < now  # type: ignore[no-any-return]


def free(model: Any, now: datetime) -> ColumnElement[bool]:
    """Never leased, or lapsed."""
    return or_(model.lease_expires_at.is_(None), lapsed(model, now))


def release(row: Any) -> None:
    """Release an ORM row loaded in the current session."""
    row.lease_owner = row.lease_expires_at = None
