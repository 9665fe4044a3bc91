"""Job submission throughput and latency at the API, on PostgreSQL + Redis.

Starts the real API (`python -m lexgraph api`) as a separate process against a fresh
PostgreSQL database and an empty Redis database number, fires N multipart submissions (one
distinct 20 KB text document each) with a fixed number in flight, and prints the rate and the
p50 / p99 latency. No Celery worker runs: every job must end up queued in Redis, and the run
fails if any submission is missing from the database or the queue.

    .venv/bin/python bench/intake.py [--requests N] [--concurrency 32] [--workers K]

Issue #2 floor: >= 167 submissions/s with p99 < 100 ms on a 2-core machine (aim: 500/s,
p99 < 50 ms). The load generator shares the cores with the server, so it stays lean: one
asyncio event loop, request bodies assembled from pre-built parts, no per-request encoding.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

PG_ADMIN_URL = os.environ.get("LEXGRAPH_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_HOST = os.environ.get("LEXGRAPH_BENCH_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("LEXGRAPH_BENCH_REDIS_PORT", "6379"))
QUEUE = "orchestrate"
DOC_BYTES = 20 * 1024
BOUNDARY = "lexgraphbench" + secrets.token_hex(8)

_PARAGRAPH = (
    "The Receiving Party shall hold the Confidential Information in strict confidence and "
    "shall not disclose it to any third party without the prior written consent of the "
    "Disclosing Party, except to its employees and advisers who need to know it for the "
    "Purpose and who are bound by obligations of confidentiality no less protective than "
    "those set out in this Agreement. "
)


# Fixtures: database, Redis, data directory -------------------------------------------------


def create_database() -> tuple[str, str]:
    import psycopg

    name = f"lexgraph_bench_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return name, f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def claim_redis_db() -> tuple[Any, str]:
    """An empty Redis database number, marked so a concurrent test run or bench skips it."""
    import redis

    token = secrets.token_hex(8)
    for db in range(15, 0, -1):
        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db)
        if client.dbsize() == 0 and client.set("lexgraph:test-claim", token, nx=True):
            return client, f"redis://{REDIS_HOST}:{REDIS_PORT}/{db}"
    raise SystemExit("no empty Redis database number is free for the benchmark")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Request bodies -----------------------------------------------------------------------------


@dataclass
class Bodies:
    """Multipart bodies with a distinct 20 KB document each, assembled by one bytes join."""

    run: str
    head: bytes = b""
    filler: bytes = b""
    tail: bytes = b""
    content_type: str = f"multipart/form-data; boundary={BOUNDARY}"

    def __post_init__(self) -> None:
        self.head = (
            f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="matter"\r\n\r\n'
            "bench-matter\r\n"
            f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="profile"\r\n\r\n'
            "contract\r\n"
            f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="files"; filename="agreement.txt"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        ).encode()
        self.tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        para = _PARAGRAPH.encode()
        self.filler = (para * (DOC_BYTES // len(para) + 1))[: DOC_BYTES - 64]

    def document(self, i: int) -> bytes:
        # The unique line makes every blob and SHA-256 distinct (no content-address dedup).
        title = f"MUTUAL NON-DISCLOSURE AGREEMENT {self.run}-{i:08d}\n\n".encode()
        doc = title + self.filler
        return doc + b"." * (DOC_BYTES - len(doc))

    def body(self, i: int) -> bytes:
        return b"".join((self.head, self.document(i), self.tail))


# Load generation ----------------------------------------------------------------------------


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    job_ids: list[str] = field(default_factory=list)
    wall: float = 0.0
    client_cpu: float = 0.0


async def fire(base: str, key: str, bodies: Bodies, start: int, count: int,
               concurrency: int) -> Outcome:
    import aiohttp

    out = Outcome()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": bodies.content_type}
    url = f"{base}/v1/jobs"
    next_i = start
    end = start + count

    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout,
                                     skip_auto_headers=("User-Agent",)) as http:

        async def one_lane() -> None:
            nonlocal next_i
            while next_i < end:
                i = next_i
                next_i += 1
                data = bodies.body(i)
                t0 = time.perf_counter()
                try:
                    async with http.post(url, data=data, headers=headers) as resp:
                        payload = await resp.read()
                        elapsed = time.perf_counter() - t0
                        if resp.status != 202:
                            out.errors.append(f"{resp.status}: {payload[:200]!r}")
                            continue
                        job_id = _job_id(payload)
                except Exception as exc:
                    out.errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                out.latencies.append(elapsed)
                out.job_ids.append(job_id)

        cpu0 = time.process_time()
        t_start = time.perf_counter()
        await asyncio.gather(*(one_lane() for _ in range(concurrency)))
        out.wall = time.perf_counter() - t_start
        out.client_cpu = time.process_time() - cpu0
    return out


def _job_id(payload: bytes) -> str:
    import json

    return str(json.loads(payload)["id"])


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    rank = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]


# Server -------------------------------------------------------------------------------------


def start_server(env: dict[str, str], port: int, workers: int | None, log: Path) -> Any:
    cmd = [sys.executable, "-m", "lexgraph", "api", "--host", "127.0.0.1", "--port", str(port)]
    if workers is not None:
        cmd += ["--workers", str(workers)]
    fh = log.open("wb")
    return subprocess.Popen(cmd, env=env, cwd=REPO, stdout=fh, stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_ready(base: str, proc: Any, log: Path, timeout: float = 60.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the API exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"the API was not ready within {timeout:.0f}s:\n{log.read_text()[-4000:]}")


def stop_server(proc: Any) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU of the server process group (supervisor and workers) so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # After the command name: state ppid pgrp ...; utime and stime are fields 14 and 15.
        if int(fields[2]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


# Verification -------------------------------------------------------------------------------


def verify(db_url: str, redis_client: Any, expected: int) -> list[str]:
    import psycopg

    problems: list[str] = []
    with psycopg.connect(db_url.replace("+psycopg", "")) as conn:
        jobs = conn.execute("SELECT count(*) FROM jobs WHERE status = 'queued'").fetchone()[0]
        docs = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        events = conn.execute(
            "SELECT count(*) FROM job_events WHERE type = 'job.queued'").fetchone()[0]
        distinct = conn.execute("SELECT count(DISTINCT sha256) FROM documents").fetchone()[0]
    queued = int(redis_client.llen(QUEUE))
    for what, got in (("queued jobs in the database", jobs), ("documents", docs),
                      ("job.queued events", events), ("distinct document hashes", distinct),
                      (f"messages in the Redis queue {QUEUE!r}", queued)):
        if got != expected:
            problems.append(f"{what}: {got}, expected {expected}")
    return problems


# Main ---------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000, help="measured submissions")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    parser.add_argument("--workers", type=int, default=None,
                        help="uvicorn worker processes (default: LEXGRAPH_API_WORKERS / "
                        "the server's default)")
    parser.add_argument("--warmup", type=int, default=500, help="unmeasured submissions first")
    parser.add_argument("--keep", action="store_true", help="keep the database and data dir")
    args = parser.parse_args()
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        raise SystemExit("the load generator needs aiohttp: .venv/bin/pip install aiohttp") from None

    from lexgraph.core.config.settings import Settings
    from lexgraph.core.db.engine import make_engine
    from lexgraph.core.db.migrate import upgrade
    from lexgraph.core.jobs.store import JobStore
    from lexgraph.core.storage.blobs import LocalBlobStore

    data_dir = Path(tempfile.mkdtemp(prefix="lexgraph-bench-"))
    db_name, db_url = create_database()
    redis_client, broker_url = claim_redis_db()
    proc = None
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEXGRAPH_")}
        env.update(LEXGRAPH_DATABASE_URL=db_url, LEXGRAPH_BROKER_URL=broker_url,
                   LEXGRAPH_DATA_DIR=str(data_dir))
        for name in ("LEXGRAPH_API_WORKERS",):
            if name in os.environ:
                env[name] = os.environ[name]
        settings = Settings(data_dir=data_dir, database_url=db_url, broker_url=broker_url)
        engine = make_engine(db_url)
        upgrade(engine)
        key, _ = JobStore(engine, LocalBlobStore(settings.resolved_blob_dir),
                          settings).create_key("bench")
        engine.dispose()

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = data_dir / "api.log"
        proc = start_server(env, port, args.workers, log)
        wait_ready(base, proc, log)

        bodies = Bodies(run=secrets.token_hex(4))
        loop_policy = "asyncio"
        with contextlib.suppress(ImportError):
            import uvloop

            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
            loop_policy = "uvloop"

        warm = asyncio.run(fire(base, key, bodies, 0, args.warmup, args.concurrency))
        cpu0 = server_cpu_seconds(proc.pid)
        res = asyncio.run(fire(base, key, bodies, args.warmup, args.requests, args.concurrency))
        server_cpu = server_cpu_seconds(proc.pid) - cpu0

        lat = sorted(x * 1000 for x in res.latencies)
        rate = len(res.latencies) / res.wall if res.wall else 0.0
        workers = args.workers or int(env.get("LEXGRAPH_API_WORKERS", settings.api_workers))
        print(f"lexgraph intake benchmark, {date.today().isoformat()}")
        print(f"  machine      {os.cpu_count()} cores, Python {platform.python_version()}, "
              f"{platform.system()} {platform.release()}")
        print(f"  server       python -m lexgraph api --workers {workers} "
              f"(PostgreSQL {db_name}, Redis {broker_url})")
        print(f"  client       aiohttp on {loop_policy}, concurrency {args.concurrency}, "
              f"{DOC_BYTES // 1024} KB text document per job, warm-up {args.warmup}")
        print(f"  requests     {args.requests}")
        print(f"  errors       {len(res.errors) + len(warm.errors)}")
        print(f"  rate         {rate:.1f} submissions/s ({res.wall:.2f} s)")
        print(f"  latency      p50 {percentile(lat, 50):.1f} ms, p90 {percentile(lat, 90):.1f} ms,"
              f" p99 {percentile(lat, 99):.1f} ms, max {lat[-1] if lat else float('nan'):.1f} ms")
        print(f"  cpu          server {server_cpu:.1f} s ({server_cpu / res.wall * 100:.0f}% of "
              f"one core), client {res.client_cpu:.1f} s")

        failed = False
        for err in (warm.errors + res.errors)[:10]:
            print(f"  error: {err}", file=sys.stderr)
        if warm.errors or res.errors:
            failed = True
        expected = args.warmup + args.requests
        if len(set(warm.job_ids + res.job_ids)) != len(warm.job_ids) + len(res.job_ids):
            print("  FAIL: the API returned a job id twice", file=sys.stderr)
            failed = True
        problems = verify(db_url, redis_client, expected)
        for p in problems:
            print(f"  FAIL: {p}", file=sys.stderr)
        if problems:
            failed = True
        else:
            print(f"  verified     {expected} jobs, documents and job.queued events in the "
                  f"database, {expected} messages in Redis queue {QUEUE!r}")
        floor = rate >= 167 and percentile(lat, 99) < 100
        print(f"  floor        {'met' if floor else 'NOT met'} (>= 167/s, p99 < 100 ms); "
              f"aim 500/s, p99 < 50 ms")
        return 1 if failed else 0
    finally:
        if proc is not None:
            stop_server(proc)
        redis_client.flushdb()
        if args.keep:
            print(f"  kept database {db_name} and {data_dir}", file=sys.stderr)
        else:
            drop_database(db_name)
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
