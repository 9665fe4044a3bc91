"""The floor of a durable submission, for bench/intake.py to measure beside the real API.

A minimal FastAPI app that does what a submission cannot do without: read the multipart
upload, hash the document, insert one row in PostgreSQL (committed) and push one message to
Redis, then answer 202. Whatever the real API spends beyond this is its own overhead, so the
ratio of the two rates measured in one run says how near intake runs to what the machine
allows. Served by uvicorn like the API (same loop and HTTP parser, no access log):

    LEXGRAPH_FLOOR_PG=postgresql://... LEXGRAPH_FLOOR_REDIS=redis://... \\
        python -m uvicorn bench.intake_floor:app --workers 2
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

QUEUE = "floor"
TABLE_DDL = ("CREATE TABLE IF NOT EXISTS floor_submissions (id text PRIMARY KEY, "
             "matter text NOT NULL, filename text NOT NULL, sha256 text NOT NULL, "
             "size integer NOT NULL, created_at timestamptz NOT NULL DEFAULT now())")
_state: dict[str, Any] = {}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    import redis.asyncio as aioredis
    from psycopg_pool import AsyncConnectionPool

    # As many connections as the API's database pool per process (LEXGRAPH_API_THREADS'
    # default), so neither side is held back by a smaller pool.
    size = int(os.environ.get("LEXGRAPH_FLOOR_POOL", "8"))
    pool = AsyncConnectionPool(os.environ["LEXGRAPH_FLOOR_PG"], min_size=size, max_size=size,
                               open=False)
    await pool.open(wait=True)
    _state["pool"] = pool
    _state["redis"] = aioredis.Redis.from_url(os.environ["LEXGRAPH_FLOOR_REDIS"])
    try:
        yield
    finally:
        await _state["redis"].aclose()
        await pool.close()


app = FastAPI(lifespan=lifespan)


@app.post("/v1/jobs", status_code=202)
async def submit(request: Request) -> JSONResponse:
    form = await request.form()
    try:
        upload = form.get("files")
        if not isinstance(upload, UploadFile):
            return JSONResponse({"detail": "a file is required"}, status_code=422)
        data = await upload.read()
        matter = str(form.get("matter") or "")
        filename = upload.filename or "document"
    finally:
        await form.close()
    digest = hashlib.sha256(data).hexdigest()
    job_id = "job_" + secrets.token_hex(13)
    async with _state["pool"].connection() as conn:  # one transaction, committed on exit
        await conn.execute(
            "INSERT INTO floor_submissions (id, matter, filename, sha256, size) "
            "VALUES (%s, %s, %s, %s, %s)", (job_id, matter, filename, digest, len(data)))
    await _state["redis"].lpush(QUEUE, json.dumps([job_id]))
    return JSONResponse({"id": job_id, "status": "queued"}, status_code=202)
