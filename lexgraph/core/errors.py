"""Error roots, one per audience.

``UserError``: bad input or configuration; the API turns it into a 4xx RFC 9457 problem.
``JobError``: a run failed; recorded on the job, never shown to a client as a stack trace.
"""

from __future__ import annotations

from typing import Any

PROBLEM_BASE = "https://lexgraph.dev/problems/"


class LexgraphError(Exception):
    """Root of every error lexgraph raises on purpose."""


class UserError(LexgraphError):
    status: int = 400
    title: str = "Bad request"
    slug: str = "bad-request"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = self.errors
        return body


class Unauthorized(UserError):
    status, title, slug = 401, "Unauthorized", "unauthorized"


class Forbidden(UserError):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(UserError):
    status, title, slug = 404, "Not found", "not-found"


class Conflict(UserError):
    status, title, slug = 409, "Conflict", "conflict"


class PayloadTooLarge(UserError):
    status, title, slug = 413, "Payload too large", "payload-too-large"


class UnsupportedMediaType(UserError):
    status, title, slug = 415, "Unsupported media type", "unsupported-media-type"


class Unprocessable(UserError):
    status, title, slug = 422, "Unprocessable request", "unprocessable"


class TooManyRequests(UserError):
    """Over a per-tenant limit; ``retry_after`` seconds is when trying again can succeed."""

    status, title, slug = 429, "Too many requests", "too-many-requests"

    def __init__(self, detail: str, *, retry_after: int,
                 errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail, errors=errors)
        self.retry_after = max(1, retry_after)


class NotAcceptable(UserError):
    status, title, slug = 406, "Not acceptable", "not-acceptable"


class ConfigError(UserError):
    status, title, slug = 500, "Configuration error", "configuration"


class Unavailable(LexgraphError):
    """An outside system (database, broker, blob store…) cannot be used right now; retrying
    later may succeed. The API answers 503 with Retry-After; a job goes back to the queue."""

    def __init__(self, service: str, message: str) -> None:
        super().__init__(message)
        self.service = service
        self.message = message


class JobError(LexgraphError):
    """A job's run failed. ``code`` is stable and machine-readable; ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def as_record(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}
