from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from lexgraph.api import models
from lexgraph.api.contract import errors
from lexgraph.api.deps import ServicesDep
from lexgraph.api.problems import RETRY_AFTER_SECONDS, problem

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up", operation_id="getHealth",
            response_model=models.Health, responses=errors(400, authenticated=False))
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _broker_ok(celery: Any) -> None:
    with celery.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def _probe_all(svc: Any) -> dict[str, str]:
    checks: dict[str, str] = {}
    probes = (("database", svc.store.ping), ("broker", lambda: _broker_ok(svc.celery)),
              ("blob_store", svc.store.blobs.check_writable))
    for name, probe in probes:
        try:
            probe()
            checks[name] = "ok"
        except Exception as exc:
            checks[name] = f"unreachable: {type(exc).__name__}"
    return checks


@router.get("/readyz", summary="Database and broker are reachable, the blob store is writable",
            operation_id="getReadiness", response_model=models.Readiness,
            responses=errors(400, 503, authenticated=False))
async def readyz(svc: ServicesDep) -> JSONResponse:
    # One thread-pool trip for all probes: during an outage every request may be a probe.
    checks = await run_in_threadpool(_probe_all, svc)
    if all(v == "ok" for v in checks.values()):
        return JSONResponse({"status": "ready", "checks": checks})
    failing = ", ".join(k for k, v in checks.items() if v != "ok")
    return problem(503, f"not ready: {failing} unreachable", instance="/readyz",
                   headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                   extensions={"checks": checks})
