"""The API's ``/metrics`` and the middleware that times and logs every request.

Requests are labelled by the template of the route that served them (``/v1/jobs/{job_id}``),
never by the raw path: ids in paths would make one series per job. A request no route
matched is ``unmatched``. The same template goes to the access log line, which replaces
uvicorn's own (that one prints raw paths with ids and query strings).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lexgraph.core.observability import metrics
from lexgraph.core.observability.exposition import CONTENT_TYPE, render

access_log = logging.getLogger("lexgraph.access")

router = APIRouter()


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return "unmatched"
    if hasattr(route, "endpoint"):
        return path
    # A mount (static files, docs assets) answers every path under its prefix.
    return path.rstrip("/") + "/{path}"


class RequestMetrics:
    """Pure ASGI (no per-request task or body copy, unlike BaseHTTPMiddleware)."""

    def __init__(self, app: ASGIApp, *, log_requests: bool) -> None:
        self.app = app
        self.log_requests = log_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope)
            method = str(scope.get("method", ""))
            try:
                metrics.http_request(method, route, status, seconds)
            except Exception:
                access_log.debug("request metric not recorded", exc_info=True)
            if self.log_requests and route != "/metrics":
                access_log.info("%s %s %d %.1f ms", method, route, status, seconds * 1000,
                                extra={"method": method, "route": route, "status": status,
                                       "duration_ms": round(seconds * 1000, 1)})


@router.get("/metrics", include_in_schema=False)
def prometheus_metrics(request: Request) -> Response:
    registry: Any = request.app.state.metrics_registry
    return Response(render(registry), media_type=CONTENT_TYPE)
