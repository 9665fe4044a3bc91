"""Typed exceptions for the API's problem+json answers: each carries the problem document."""

from __future__ import annotations

import json
from typing import Any

import httpx

from lexgraph.api.models import Problem


class LexgraphClientError(Exception):
    """Root of everything the client raises on purpose."""


class ProblemError(LexgraphClientError):
    """The API answered an error; ``problem`` is its RFC 9457 document."""

    def __init__(self, status: int, problem: Problem, headers: httpx.Headers) -> None:
        super().__init__(f"{status} {problem.title}: {problem.detail}")
        self.status = status
        self.problem = problem
        self.headers = headers

    @property
    def detail(self) -> str:
        return self.problem.detail

    @property
    def retry_after(self) -> float | None:
        """Seconds the server asked to wait (429, 503), if it said."""
        return parse_retry_after(self.headers.get("retry-after"))


class BadRequest(ProblemError):
    """400: the request could not be read."""


class AuthenticationError(ProblemError):
    """401: no key, or an unknown or revoked one."""


class PermissionDenied(ProblemError):
    """403: the key may not do this."""


class NotFoundError(ProblemError):
    """404: no such resource for this tenant."""


class NotAcceptableError(ProblemError):
    """406: the result cannot be served in the format asked for."""


class ConflictError(ProblemError):
    """409: the resource's state does not allow this (e.g. the result of an unfinished job)."""


class PayloadTooLargeError(ProblemError):
    """413: the body or a document is over a limit."""


class UnsupportedMediaTypeError(ProblemError):
    """415: the body's Content-Type is not accepted."""


class InvalidRequestError(ProblemError):
    """422: a field or parameter is not valid; ``problem.errors`` lists each."""


class RateLimitedError(ProblemError):
    """429: over a per-tenant limit; retrying after ``retry_after`` seconds can succeed."""


class ServiceUnavailableError(ProblemError):
    """503: a backing service is down; retrying after ``retry_after`` seconds can succeed."""


class ServerError(ProblemError):
    """500 and any other status the API does not document."""


class WaitTimeout(LexgraphClientError):
    """``wait`` gave up before the job reached a state it waits for."""


_BY_STATUS: dict[int, type[ProblemError]] = {
    400: BadRequest, 401: AuthenticationError, 403: PermissionDenied, 404: NotFoundError,
    406: NotAcceptableError, 409: ConflictError, 413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError, 422: InvalidRequestError, 429: RateLimitedError,
    503: ServiceUnavailableError,
}


def parse_retry_after(value: str | None) -> float | None:
    if value is None or not value.strip().isdigit():
        return None
    return float(value.strip())


def problem_error(response: httpx.Response) -> ProblemError:
    """The exception for an error ``response`` (its body already read)."""
    body: Any = None
    try:
        body = response.json()
    except (ValueError, json.JSONDecodeError):
        body = None
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        problem = Problem.model_validate({"type": "about:blank", "title": "",
                                          "status": response.status_code, **body})
    else:
        # Not a problem document (a proxy's page, a dropped body): say what came back.
        problem = Problem(type="about:blank", title=response.reason_phrase or "error",
                          status=max(400, min(response.status_code, 599)),
                          detail=response.text[:500] or response.reason_phrase or "")
    kind = _BY_STATUS.get(response.status_code, ServerError)
    return kind(response.status_code, problem, response.headers)
