"""Web page sessions: a signed cookie naming the API key that signed in, and a CSRF token.

The cookie never holds the API key. It holds the key's id, when it was issued and a random
nonce, signed with HMAC-SHA256 under a server secret; each request looks the key up by id, so
revoking the key ends its sessions at once. The CSRF token is an HMAC of the session token, so
it changes with every sign-in and needs no server-side storage.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request

from lexgraph.core.config.settings import Settings
from lexgraph.core.errors import Forbidden

COOKIE = "lexgraph_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def load_secret(settings: Settings) -> bytes:
    """The signing key: from the settings, or made once per data directory and shared by
    every API process using it."""
    if settings.web_session_secret is not None:
        return settings.web_session_secret.get_secret_value().encode()
    path = settings.data_dir / "web-session.key"
    if not path.exists():
        _create_key_file(path)
    return path.read_bytes().strip()


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(_b64(secrets.token_bytes(32)).encode())
        # A hard link appears whole or not at all and fails if another process won the race,
        # so every process ends up reading the same complete key.
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@dataclass(frozen=True)
class Session:
    key_id: str
    issued_at: float
    token: str


class SessionCodec:
    def __init__(self, secret: bytes, max_age_seconds: float) -> None:
        self._secret = secret
        self.max_age_seconds = max_age_seconds

    def _sign(self, payload: str, purpose: bytes) -> str:
        return _b64(hmac.new(self._secret, purpose + payload.encode(), hashlib.sha256).digest())

    def issue(self, key_id: str, now: float | None = None) -> str:
        issued = int(time.time() if now is None else now)
        payload = f"{key_id}.{issued}.{_b64(secrets.token_bytes(12))}"
        return f"{payload}.{self._sign(payload, b'session|')}"

    def read(self, token: str | None, now: float | None = None) -> Session | None:
        """The session in ``token``, or None when it is missing, forged or expired."""
        if not token or token.count(".") != 3:
            return None
        payload, _, signature = token.rpartition(".")
        if not hmac.compare_digest(signature, self._sign(payload, b"session|")):
            return None
        key_id, issued_text, _nonce = payload.split(".")
        if not issued_text.isdigit():
            return None
        issued = float(issued_text)
        current = time.time() if now is None else now
        if not issued - 60 <= current <= issued + self.max_age_seconds:
            return None
        return Session(key_id, issued, token)

    def csrf_token(self, session: Session) -> str:
        return self._sign(session.token, b"csrf|")

    def check_csrf(self, session: Session, presented: str | None) -> None:
        if not presented or not hmac.compare_digest(presented, self.csrf_token(session)):
            raise Forbidden("the form's CSRF token is missing or stale; reload the page")


def cookie_secure(settings: Settings, request: Request) -> bool:
    if settings.web_cookie_secure == "always":
        return True
    if settings.web_cookie_secure == "never":
        return False
    return request.url.scheme == "https"


def check_same_origin(request: Request) -> None:
    """Refuse a state-changing request that a browser says came from another site.

    SameSite=Strict keeps the cookie off cross-site requests already; this also covers the
    sign-in form, which runs before there is a cookie (login CSRF).
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise Forbidden("requests to this page must come from the page itself")
    origin = request.headers.get("origin")
    if origin is not None:
        own = f"{request.url.scheme}://{request.url.netloc}"
        if origin != own:
            raise Forbidden("requests to this page must come from the page itself")
