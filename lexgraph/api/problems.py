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

from lexgraph.core.errors import (
    PROBLEM_BASE,
    Conflict,
    NotAcceptable,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    Unprocessable,
    UnsupportedMediaType,
    UserError,
)

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"

# Problems raised by the framework (routing, parameter validation) get the same type URI as ours
# for the same status, so a client handles "unprocessable" one way whoever noticed it.
_KINDS: dict[int, type[UserError]] = {
    kind.status: kind
    for kind in (UserError, Unauthorized, NotFound, Conflict, PayloadTooLarge,
                 UnsupportedMediaType, Unprocessable, NotAcceptable)
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


def install(app: FastAPI) -> None:
    @app.exception_handler(UserError)
    async def _user_error(request: Request, exc: UserError) -> JSONResponse:
        body = exc.problem(instance=request.url.path)
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
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
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "an internal error occurred; the operators' logs have the details",
                       instance=request.url.path)
