"""Checking that a webhook request came from lexgraph, with the Standard Webhooks library."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from lexgraph.client.errors import LexgraphClientError


class WebhookSignatureError(LexgraphClientError):
    """The request's signature, id or timestamp does not check out; drop the request."""


def verify_webhook(headers: Mapping[str, str], body: bytes | str, secret: str) -> Any:
    """The payload (``{"type", "timestamp", "data"}``) when ``secret`` signed ``body``.

    ``headers`` are the request's (any case); ``body`` its raw bytes, before any JSON parsing,
    since the signature covers the exact bytes. Raises ``WebhookSignatureError`` for a bad or
    missing signature and for a timestamp more than five minutes off (a replay).
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        return Webhook(secret).verify(body, lowered)
    except WebhookVerificationError as exc:
        raise WebhookSignatureError(str(exc) or "the webhook signature is not valid") from None
