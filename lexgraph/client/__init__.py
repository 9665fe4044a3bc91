"""A Python client for the lexgraph API, sync (``Client``) and async (``AsyncClient``).

Answers are the API's own models (``lexgraph.api.models``); errors raise ``ProblemError``
subclasses carrying the problem document; ``verify_webhook`` checks a delivery's signature.
"""

from lexgraph.client.aio import AsyncClient
from lexgraph.client.calls import OPERATIONS, SETTLED
from lexgraph.client.errors import (
    AuthenticationError,
    BadRequest,
    ConflictError,
    InvalidRequestError,
    LexgraphClientError,
    NotAcceptableError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDenied,
    ProblemError,
    RateLimitedError,
    ServerError,
    ServiceUnavailableError,
    UnsupportedMediaTypeError,
    WaitTimeout,
)
from lexgraph.client.sync import Client
from lexgraph.client.webhooks import WebhookSignatureError, verify_webhook

__all__ = [
    "OPERATIONS",
    "SETTLED",
    "AsyncClient",
    "AuthenticationError",
    "BadRequest",
    "Client",
    "ConflictError",
    "InvalidRequestError",
    "LexgraphClientError",
    "NotAcceptableError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDenied",
    "ProblemError",
    "RateLimitedError",
    "ServerError",
    "ServiceUnavailableError",
    "UnsupportedMediaTypeError",
    "WaitTimeout",
    "WebhookSignatureError",
    "verify_webhook",
]
