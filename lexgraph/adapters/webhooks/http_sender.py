"""Webhook requests over HTTP: the POST of one claimed delivery, signed, to the address the
URL guard vetted, and what the receiver answered, read as an ``Outcome``."""

from __future__ import annotations

import time
from datetime import datetime
from email.utils import parsedate_to_datetime

import httpx

from lexgraph import __version__
from lexgraph.core.config.settings import Settings
from lexgraph.core.db.models import utcnow
from lexgraph.core.utc import as_utc
from lexgraph.core.webhooks.delivery import Claim, Outcome
from lexgraph.core.webhooks.signing import signature_header
from lexgraph.core.webhooks.ssrf import Unresolvable, UnsafeUrl, UrlGuard

_EXCERPT_BYTES = 512


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    # An HTTP date in "-0000" parses naive; it is UTC all the same.
    return max(0.0, (as_utc(when) - now).total_seconds())


def _excerpt(raw: bytes) -> str:
    return " ".join(raw.decode("utf-8", errors="replace").split())[:200]


class HttpSender:
    def __init__(self, settings: Settings, guard: UrlGuard,
                 client: httpx.Client | None = None) -> None:
        self.settings = settings
        self.guard = guard
        # No redirects (a 3xx could point anywhere, past the address check); no proxies from
        # the environment (a proxy would look the name up again, undoing the pinning); no
        # kept-alive connections (a pooled TLS connection would be reused for another host
        # name behind the same address, with the wrong SNI).
        self.client = client or httpx.Client(
            timeout=httpx.Timeout(settings.webhook_timeout_seconds), follow_redirects=False,
            trust_env=False, limits=httpx.Limits(max_keepalive_connections=0))

    def close(self) -> None:
        self.client.close()

    def send(self, claim: Claim) -> Outcome:
        started = time.monotonic()

        def elapsed() -> float:
            return (time.monotonic() - started) * 1000

        try:
            target = self.guard.check(claim.url)
        except UnsafeUrl as exc:
            return Outcome(elapsed(), error=f"refused before connecting: {exc.detail}")
        except Unresolvable as exc:
            return Outcome(elapsed(), error=f"could not resolve the host: {exc}")
        timestamp = int(time.time())
        headers = {
            "Host": target.host_header,
            "Content-Type": "application/json",
            "User-Agent": f"lexgraph-webhooks/{__version__}",
            "webhook-id": claim.webhook_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature_header(claim.secrets, claim.webhook_id, timestamp,
                                                  claim.body),
        }
        # The connection goes to the vetted address; TLS still names (and verifies) the host.
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        timeout = self.settings.webhook_timeout_seconds
        try:
            request = self.client.build_request("POST", target.pinned_url, content=claim.body,
                                                headers=headers, extensions=extensions)
            response = self.client.send(request, stream=True)
            try:
                raw = b""
                deadline = started + timeout
                for chunk in response.iter_bytes():
                    raw += chunk
                    if len(raw) >= _EXCERPT_BYTES or time.monotonic() > deadline:
                        break
            finally:
                response.close()
        except httpx.TimeoutException:
            return Outcome(elapsed(), error=f"no answer within {timeout:g} s")
        except httpx.HTTPError as exc:
            return Outcome(elapsed(), error=f"could not deliver: {type(exc).__name__}: {exc}")
        code = response.status_code
        if 200 <= code < 300:
            return Outcome(elapsed(), ok=True, status_code=code)
        retry_after = parse_retry_after(response.headers.get("retry-after"), utcnow())
        if 300 <= code < 400:
            where = response.headers.get("location", "")
            error = (f"HTTP {code}: redirect to {where!r} not followed; a webhook URL must "
                     "answer itself")
        elif code == 410:
            return Outcome(elapsed(), status_code=code, gone=True,
                           error="HTTP 410 Gone: the receiver asked not to be sent more")
        else:
            text = _excerpt(raw)
            error = f"HTTP {code}" + (f": {text}" if text else "")
        return Outcome(elapsed(), status_code=code, error=error, retry_after=retry_after)
