"""Every error leaves the API as ``application/problem+json`` with a message a person can act on."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lexgraph.core.errors import (
    PROBLEM_BASE,
    Conflict,
    NotAcceptable,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
    UnsupportedMediaType,
    UserError,
)
from lexgraph.core.outages import outage_of

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"
# What a client is told to wait after a 503: long enough for a database or broker restart,
# short enough that nobody gives up.
RETRY_AFTER_SECONDS = 5

# Problems raised by the framework (routing, parameter validation) get the same type URI as ours
# for the same status, so a client handles "unprocessable" one way whoever noticed it.
_KINDS: dict[int, type[UserError]] = {
    kind.status: kind
    for kind in (UserError, Unauthorized, NotFound, Conflict, PayloadTooLarge,
                 UnsupportedMediaType, Unprocessable, NotAcceptable, TooManyRequests)
}


def problem(status: int, detail: str, *, instance: str | None = None,
            errors: list[dict[str, Any]] | None = None,
            headers: dict[str, str] | None = None,
            extensions: dict[str, Any] | None = None) -> JSONResponse:
    kind = _KINDS.get(status)
    body: dict[str, Any] = {
        # RFC 9457: with "about:blank" the title is the status code's reason phrase.
        "type": PROBLEM_BASE + kind.slug if kind else "about:blank",
        "title": kind.title if kind else HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    if extensions:
        body.update({k: v for k, v in extensions.items() if k not in body})
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc if p not in ("body", "query", "path", "header"))


def _allowed_methods(request: Request) -> list[str]:
    # Starlette's Allow header names only the first route on the path; GET and POST /v1/jobs
    # are two routes. Ask the router about each method instead.
    allowed = []
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


def unavailable(service: str, instance: str | None = None) -> JSONResponse:
    return problem(503, f"the {service} is unavailable right now; retry in a few seconds",
                   instance=instance, headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                   extensions={"service": service})


class CatchAll:
    """Answers every unhandled error itself, as 503 when an outside system is down, else 500.

    Starlette's own last-resort handler sends its response and then re-raises, and uvicorn
    closes a connection whose application raised: a client retrying on the same keep-alive
    connection got a reset. Here nothing is re-raised once a response is sent.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            if started:
                # Half a response is out (a stream): all that is left is to end it.
                log.warning("error after the response started on %s", scope.get("path"),
                            exc_info=True)
                raise
            response = _response_for(exc, scope.get("method", ""), scope.get("path", ""))
            await response(scope, receive, send)


def _response_for(exc: Exception, method: str, path: str) -> JSONResponse:
    service = outage_of(exc)
    if service is not None:
        log.warning("%s unavailable on %s %s: %s: %s", service, method, path,
                    type(exc).__name__, exc)
        return unavailable(service, instance=path)
    log.error("unhandled error on %s %s", method, path, exc_info=exc)
    return problem(500, "an internal error occurred; the operators' logs have the details",
                   instance=path)


def install(app: FastAPI) -> None:
    app.add_middleware(CatchAll)

    @app.exception_handler(UserError)
    async def _user_error(request: Request, exc: UserError) -> JSONResponse:
        body = exc.problem(instance=request.url.path)
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
        if isinstance(exc, TooManyRequests):
            headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse(body, status_code=exc.status, media_type=PROBLEM, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _location(tuple(e.get("loc", ()))), "message": e.get("msg", "")}
                  for e in exc.errors()]
        detail = "; ".join(f"{e['field'] or 'request'}: {e['message']}" for e in errors)
        return problem(422, detail or "the request is not valid", instance=request.url.path,
                       errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        headers = dict(exc.headers or {})
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no such endpoint: {request.method} {request.url.path}"
        elif exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}"
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return problem(exc.status_code, detail, instance=request.url.path, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Reached only for errors raised in middleware outside CatchAll.
        return _response_for(exc, request.method, request.url.path)
