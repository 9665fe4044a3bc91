"""Job submission throughput and latency at the API, on PostgreSQL + Redis, beside its floor.

Starts the real API (`python -m lexgraph api`) as a separate process against a fresh
PostgreSQL database and an empty Redis database number and fires multipart submissions (one
distinct 20 KB text document each) in three phases of one run:

1. closed loop, a fixed number in flight, on the API and on the floor (bench/intake_floor.py:
   a minimal FastAPI app that only parses the upload, hashes it, inserts one row and pushes one
   Redis message, served by uvicorn with as many workers), in short rounds that take turns so
   that whatever else loads the machine weighs on both alike: their saturation rates and
   latencies, and the ratio of the rates (how much of what the machine allows intake achieves);
2. open loop at a fixed offered rate (default 167/s, 10,000 a minute), on the API and then on
   the floor (or the other way round): achieved rate, p50/p99 and errors of each, so the
   API's p99 at that rate stands beside what the machine allows at the same moment.

No Celery worker runs: every job must end up queued in Redis, and the run fails if any
submission is missing from the database or the queue.

    .venv/bin/python bench/intake.py [--requests N] [--concurrency 32] [--workers 2]

The load generator shares the cores with the servers, so it stays lean: one asyncio event
loop, request bodies assembled from pre-built parts, no per-request encoding.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import platform
import secrets
import shutil
import signal
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

from lexgraph.core.netutil import free_port  # noqa: E402

PG_ADMIN_URL = os.environ.get("LEXGRAPH_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_HOST = os.environ.get("LEXGRAPH_BENCH_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("LEXGRAPH_BENCH_REDIS_PORT", "6379"))
QUEUE = "orchestrate"
DOC_BYTES = 20 * 1024
# At 10,000 submissions a minute offered, p99 under 100 ms; at saturation, at least 0.6 of
# the floor's rate measured in the same run.
OPEN_TARGET = (167, 100)
RATIO_TARGET = 0.6
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


CLAIM = "lexgraph:test-claim"
# Where the server keeps its state: always chosen by the benchmark, never inherited.
PLACEMENT = {"LEXGRAPH_DATABASE_URL", "LEXGRAPH_BROKER_URL", "LEXGRAPH_DATA_DIR",
             "LEXGRAPH_BLOB_DIR", "LEXGRAPH_CHECKPOINT_URL", "LEXGRAPH_CHECKPOINT_KEY"}


def claim_redis_db() -> tuple[Any, str, str]:
    """An empty Redis database number, marked so a concurrent test run or bench skips it.

    Test runs claim numbers from 15 down, so the benchmark searches from 1 up.
    """
    import redis

    token = secrets.token_hex(8)
    for db in range(1, 16):
        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db)
        if client.dbsize() == 0 and client.set(CLAIM, token, nx=True):
            return client, f"redis://{REDIS_HOST}:{REDIS_PORT}/{db}", token
    raise SystemExit("no empty Redis database number is free for the benchmark")


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
               concurrency: int, rate: float | None = None) -> Outcome:
    """Submit ``count`` jobs, never more than ``concurrency`` in flight.

    Closed loop (``rate`` None): each of ``concurrency`` lanes sends its next request as soon
    as the last one is answered, so the server runs flat out and the mean latency is
    concurrency / throughput (Little's law). Open loop: request n is due at n / rate seconds;
    its latency counts from then, so time spent waiting for a free slot is not hidden.
    """
    import aiohttp

    out = Outcome()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": bodies.content_type}
    url = f"{base}/v1/jobs"

    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout,
                                     skip_auto_headers=("User-Agent",)) as http:

        async def post(i: int, due: float | None = None) -> None:
            data = bodies.body(i)
            t0 = time.perf_counter() if due is None else due
            try:
                async with http.post(url, data=data, headers=headers) as resp:
                    payload = await resp.read()
                    elapsed = time.perf_counter() - t0
                    if resp.status != 202:
                        out.errors.append(f"{resp.status}: {payload[:200]!r}")
                        return
                    job_id = _job_id(payload)
            except Exception as exc:
                out.errors.append(f"{type(exc).__name__}: {exc}")
                return
            out.latencies.append(elapsed)
            out.job_ids.append(job_id)

        next_i = start

        async def lane() -> None:
            nonlocal next_i
            while next_i < start + count:
                next_i += 1
                await post(next_i - 1)

        slots = asyncio.Semaphore(concurrency)

        async def scheduled(i: int, due: float) -> None:
            async with slots:
                await post(i, due)

        cpu0 = time.process_time()
        t_start = time.perf_counter()
        if rate is None:
            await asyncio.gather(*(lane() for _ in range(concurrency)))
        else:
            tasks = []
            for n in range(count):
                due = t_start + n / rate
                if (wait := due - time.perf_counter()) > 0:
                    await asyncio.sleep(wait)
                tasks.append(asyncio.create_task(scheduled(start + n, due)))
            await asyncio.gather(*tasks)
        out.wall = time.perf_counter() - t_start
        out.client_cpu = time.process_time() - cpu0
    return out


def _job_id(payload: bytes) -> str:
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


def _proc_cpu(pid: int) -> tuple[int, float] | None:
    """(process group, user + system CPU seconds) of one process, None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # After the command name: state ppid pgrp ...; utime and stime are the 12th and 13th.
    return int(fields[2]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(pgrp: int) -> float:
    """CPU used so far by the live processes of one process group (the API and its workers)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (found := _proc_cpu(int(entry.name))) and found[0] == pgrp:
            total += found[1]
    return total


def backend_pids(db_url: str, db_name: str) -> list[int]:
    import psycopg

    with psycopg.connect(db_url.replace("+psycopg", "")) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> "
                            "pg_backend_pid()", (db_name,)).fetchall()
    return [int(r[0]) for r in rows]


def pids_cpu(pids: list[int]) -> dict[int, float]:
    return {pid: found[1] for pid in pids if (found := _proc_cpu(pid))}


def machine_busy_seconds() -> float:
    """CPU seconds spent by everything on the machine (all cores, not idle or iowait)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _uvicorn_stack() -> str:
    """What uvicorn's "auto" loop and HTTP parser resolve to in this environment."""
    import importlib.util

    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return f"{loop} + {http}"


def _redis_cpu(client: Any) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


# Verification -------------------------------------------------------------------------------


def verify(db_url: str, redis_client: Any, claim: str, expected: int) -> list[str]:
    import psycopg

    problems: list[str] = []
    with psycopg.connect(db_url.replace("+psycopg", "")) as conn:
        jobs = conn.execute("SELECT count(*) FROM jobs WHERE status = 'queued'").fetchone()[0]
        docs = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        events = conn.execute(
            "SELECT count(*) FROM job_events WHERE type = 'job.queued'").fetchone()[0]
        distinct = conn.execute("SELECT count(DISTINCT sha256) FROM documents").fetchone()[0]
        undispatched = conn.execute(
            "SELECT count(*) FROM jobs WHERE dispatched_at IS NULL").fetchone()[0]
    queued = int(redis_client.llen(QUEUE))
    if queued != expected:
        problems.extend(_missing_messages(db_url, redis_client))
    for what, got in (("queued jobs in the database", jobs), ("documents", docs),
                      ("job.queued events", events), ("distinct document hashes", distinct),
                      (f"messages in the Redis queue {QUEUE!r}", queued)):
        if got != expected:
            problems.append(f"{what}: {got}, expected {expected}")
    if redis_client.get(CLAIM) != claim.encode():
        problems.append("another process flushed or took over the benchmark's Redis database "
                        "during the run; run again")
    if undispatched:
        problems.append(f"{undispatched} jobs could not be sent to the broker (dispatched_at "
                        "is NULL; see the API log)")
    return problems


def _missing_messages(db_url: str, redis_client: Any) -> list[str]:
    """Which jobs have no message in the queue, and what else the Redis database holds."""

    import psycopg

    sent: set[str] = set()
    for raw in redis_client.lrange(QUEUE, 0, -1):
        message = json.loads(raw)
        body = json.loads(base64.b64decode(message["body"]))
        sent.add(str(body[0][0]))
    with psycopg.connect(db_url.replace("+psycopg", "")) as conn:
        rows = conn.execute("SELECT id, created_at FROM jobs ORDER BY id").fetchall()
    missing = [f"{job_id} (created {created:%H:%M:%S.%f})" for job_id, created in rows
               if job_id not in sent]
    keys = {k.decode(errors="replace"): redis_client.type(k).decode()
            for k in redis_client.scan_iter(count=1000)}
    return [f"{len(missing)} jobs have no message: {', '.join(missing[:10])}",
            f"keys in the Redis database: {keys}"]


def verify_floor(db_url: str, redis_client: Any, expected: int) -> list[str]:
    import psycopg

    with psycopg.connect(db_url.replace("+psycopg", "")) as conn:
        rows = conn.execute("SELECT count(*) FROM floor_submissions").fetchone()[0]
    queued = int(redis_client.llen(FLOOR_QUEUE))
    return [f"floor: {what}: {got}, expected {expected}"
            for what, got in (("rows", rows), ("messages", queued)) if got != expected]


# Floor server -------------------------------------------------------------------------------

FLOOR_QUEUE = "floor"


def start_floor(db_url: str, broker_url: str, port: int, workers: int, log: Path) -> Any:
    import psycopg

    from bench.intake_floor import TABLE_DDL

    plain = db_url.replace("+psycopg", "")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(TABLE_DDL)
    env = {**os.environ, "LEXGRAPH_FLOOR_PG": plain, "LEXGRAPH_FLOOR_REDIS": broker_url}
    # As the API is served: uvicorn's default loop and parser, no access log.
    cmd = [sys.executable, "-m", "uvicorn", "intake_floor:app", "--app-dir", str(REPO / "bench"),
           "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
           "--no-access-log", "--log-level", "warning"]
    fh = log.open("wb")
    return subprocess.Popen(cmd, env=env, cwd=REPO, stdout=fh, stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_floor(base: str, proc: Any, log: Path, timeout: float = 60.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the floor exited with {proc.returncode}:\n"
                             f"{log.read_text()[-4000:]}")
        with contextlib.suppress(httpx.HTTPError):
            # Any answer from the app (405 on GET) means it is serving.
            if httpx.get(f"{base}/v1/jobs", timeout=2).status_code == 405:
                return
        time.sleep(0.2)
    raise SystemExit(f"the floor was not ready within {timeout:.0f}s:\n{log.read_text()[-4000:]}")


# Measuring ----------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    out: Outcome
    server_cpu: float
    pg_cpu: float
    redis_cpu: float
    busy: float

    @classmethod
    def combine(cls, name: str, rounds: list[Phase]) -> Phase:
        out = Outcome(wall=sum(r.out.wall for r in rounds),
                      client_cpu=sum(r.out.client_cpu for r in rounds))
        for r in rounds:
            out.latencies += r.out.latencies
            out.errors += r.out.errors
            out.job_ids += r.out.job_ids
        return cls(name, out, sum(r.server_cpu for r in rounds), sum(r.pg_cpu for r in rounds),
                   sum(r.redis_cpu for r in rounds), sum(r.busy for r in rounds))

    @property
    def rate(self) -> float:
        return len(self.out.latencies) / self.out.wall if self.out.wall else 0.0

    def p(self, q: float) -> float:
        return percentile(sorted(x * 1000 for x in self.out.latencies), q)

    def line(self) -> str:
        n = max(1, len(self.out.latencies))
        other = self.busy - self.server_cpu - self.out.client_cpu - self.pg_cpu - self.redis_cpu
        lat = sorted(x * 1000 for x in self.out.latencies)
        return (f"  {self.name:24s} {self.rate:7.1f}/s  p50 {self.p(50):6.1f} ms  "
                f"p90 {self.p(90):6.1f} ms  p99 {self.p(99):6.1f} ms  "
                f"max {lat[-1] if lat else float('nan'):6.1f} ms  errors {len(self.out.errors)}"
                f"\n  {'':24s} cpu/request: server {self.server_cpu / n * 1000:.2f} ms, "
                f"PostgreSQL {self.pg_cpu / n * 1000:.2f} ms, Redis "
                f"{self.redis_cpu / n * 1000:.2f} ms, client "
                f"{self.out.client_cpu / n * 1000:.2f} ms; machine busy "
                f"{self.busy / self.out.wall:.2f} of {os.cpu_count()} cores "
                f"({max(0.0, other) / self.out.wall:.2f} outside the benchmark)")

    def figures(self) -> dict[str, Any]:
        n = max(1, len(self.out.latencies))
        return {"rate": round(self.rate, 1), "p50_ms": round(self.p(50), 1),
                "p90_ms": round(self.p(90), 1), "p99_ms": round(self.p(99), 1),
                "errors": len(self.out.errors),
                "server_cpu_ms": round(self.server_cpu / n * 1000, 2),
                "postgres_cpu_ms": round(self.pg_cpu / n * 1000, 2),
                "outside_cores": round(max(0.0, self.busy - self.server_cpu
                                           - self.out.client_cpu - self.pg_cpu
                                           - self.redis_cpu) / self.out.wall, 2)}


def measure(name: str, base: str, key: str, bodies: Bodies, start: int, count: int,
            concurrency: int, proc: Any, db_url: str, db_name: str, redis_client: Any,
            rate: float | None = None) -> Phase:
    pg0 = pids_cpu(backend_pids(db_url, db_name))
    redis0 = _redis_cpu(redis_client)
    cpu0, busy0 = group_cpu_seconds(proc.pid), machine_busy_seconds()
    out = asyncio.run(fire(base, key, bodies, start, count, concurrency, rate))
    server_cpu = group_cpu_seconds(proc.pid) - cpu0
    busy = machine_busy_seconds() - busy0
    pg_cpu = sum(v - pg0.get(pid, 0.0)
                 for pid, v in pids_cpu(backend_pids(db_url, db_name)).items())
    return Phase(name, out, server_cpu, pg_cpu, _redis_cpu(redis_client) - redis0, busy)


# Main ---------------------------------------------------------------------------------------


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=4000,
                        help="measured submissions per closed-loop phase")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    parser.add_argument("--workers", type=int, default=2,
                        help="uvicorn worker processes, of the API and of the floor")
    parser.add_argument("--warmup", type=int, default=500,
                        help="unmeasured submissions before each server's first phase")
    parser.add_argument("--rate", type=float, default=167.0,
                        help="offered rate of the open-loop phase (0: skip it)")
    parser.add_argument("--open-requests", type=int, default=None,
                        help="submissions of the open-loop phase (default: 15 s worth)")
    parser.add_argument("--no-floor", action="store_true", help="skip the floor phase")
    parser.add_argument("--rounds", type=int, default=4,
                        help="closed-loop rounds per server, API and floor taking turns")
    parser.add_argument("--keep", action="store_true", help="keep the database and data dir")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        raise SystemExit("the load generator needs aiohttp: "
                         ".venv/bin/pip install aiohttp") from None

    from lexgraph.core.config.settings import Settings
    from lexgraph.core.db.engine import make_engine
    from lexgraph.core.db.migrate import upgrade
    from lexgraph.core.jobs.store import JobStore
    from lexgraph.core.storage.blobs import LocalBlobStore

    # Ctrl-C (ignored by default in a background job) and SIGTERM must still stop the servers,
    # drop the database and flush Redis: both become KeyboardInterrupt, so `finally` runs.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    data_dir = Path(tempfile.mkdtemp(prefix="lexgraph-bench-"))
    db_name, db_url = create_database()
    redis_client, broker_url, claim = claim_redis_db()
    proc = floor = None
    try:
        # Other LEXGRAPH_* settings pass through to the server: that is how a tuning is tried.
        env = {k: v for k, v in os.environ.items() if k not in PLACEMENT}
        # One tenant submits everything here: its rate and queue limits would measure the
        # refusals, not the intake. Set them in the environment to bench them.
        env.setdefault("LEXGRAPH_TENANT_SUBMISSIONS_PER_MINUTE", "0")
        env.setdefault("LEXGRAPH_TENANT_MAX_QUEUED_JOBS", "0")
        env.update(LEXGRAPH_DATABASE_URL=db_url, LEXGRAPH_BROKER_URL=broker_url,
                   LEXGRAPH_DATA_DIR=str(data_dir),
                   LEXGRAPH_CHECKPOINT_KEY=base64.b64encode(secrets.token_bytes(32)).decode())
        tuning = {k: v for k, v in sorted(env.items())
                  if k.startswith("LEXGRAPH_") and k not in PLACEMENT}
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

        common = (db_url, db_name, redis_client)
        sent = 0
        warm = asyncio.run(fire(base, key, bodies, sent, args.warmup, args.concurrency))
        sent += args.warmup
        floor_errors: list[str] = []
        if args.no_floor:
            closed = measure("API, closed loop", base, key, bodies, sent, args.requests,
                             args.concurrency, proc, *common)
            sent += args.requests
            phases = [closed]
            floor_phase = None
            round_ratios: list[float] = []
        else:
            floor_port = free_port()
            floor_log = data_dir / "floor.log"
            floor = start_floor(db_url, broker_url, floor_port, args.workers, floor_log)
            floor_base = f"http://127.0.0.1:{floor_port}"
            wait_floor(floor_base, floor, floor_log)
            # Its own document numbers: the floor's uploads are distinct from the API's.
            floor_bodies = Bodies(run=secrets.token_hex(4))
            floor_warm = asyncio.run(fire(floor_base, key, floor_bodies, 0, args.warmup,
                                          args.concurrency))
            floor_errors = list(floor_warm.errors)
            # Short rounds, taking turns and alternating who goes first, so that whatever
            # else loads the machine weighs on both sides alike.
            per_round = max(1, args.requests // args.rounds)
            api_rounds: list[Phase] = []
            floor_rounds: list[Phase] = []
            floor_sent = args.warmup
            for n in range(args.rounds):
                turns = [("api", proc), ("floor", floor)]
                for side, server in (turns if n % 2 == 0 else turns[::-1]):
                    if side == "api":
                        api_rounds.append(measure("API", base, key, bodies, sent, per_round,
                                                  args.concurrency, server, *common))
                        sent += per_round
                    else:
                        floor_rounds.append(measure("floor", floor_base, key, floor_bodies,
                                                    floor_sent, per_round, args.concurrency,
                                                    server, *common))
                        floor_sent += per_round
            closed = Phase.combine("API, closed loop", api_rounds)
            floor_phase = Phase.combine("floor, closed loop", floor_rounds)
            round_ratios = [a.rate / f.rate for a, f in zip(api_rounds, floor_rounds,
                                                            strict=True) if f.rate]
            phases = [closed, floor_phase]
        open_phase = floor_open = None
        if args.rate:
            count = args.open_requests or int(args.rate * 15)
            # The floor is offered the same rate next to the API's open loop, so its p99 says
            # what the machine allows at that rate just then; whoever ran last in the closed
            # rounds goes second here too, so neither side always follows the other.
            sides = [("api", proc), ("floor", floor)] if floor is not None else [("api", proc)]
            if args.rounds % 2 == 0 and len(sides) == 2:
                sides.reverse()
            for side, server in sides:
                if side == "api":
                    open_phase = measure(f"API, open loop {args.rate:g}/s", base, key, bodies,
                                         sent, count, args.concurrency, server, *common,
                                         rate=args.rate)
                    sent += count
                else:
                    floor_open = measure(f"floor, open loop {args.rate:g}/s", floor_base, key,
                                         floor_bodies, floor_sent, count, args.concurrency,
                                         server, *common, rate=args.rate)
                    floor_sent += count
            phases += [p for p in (open_phase, floor_open) if p is not None]
        if floor is not None and floor_phase is not None:
            stop_server(floor)
            floor = None
            floor_errors += floor_phase.out.errors
            if floor_open is not None:
                floor_errors += floor_open.out.errors
            floor_errors += verify_floor(db_url, redis_client, floor_sent)

        print(f"lexgraph intake benchmark, {date.today().isoformat()}")
        print(f"  machine      {os.cpu_count()} cores, Python {platform.python_version()}, "
              f"{platform.system()} {platform.release()}")
        print(f"  servers      python -m lexgraph api --workers {args.workers}; floor: "
              f"uvicorn bench/intake_floor.py --workers {args.workers} (PostgreSQL {db_name}, "
              f"Redis {broker_url})")
        # `settings` read the same LEXGRAPH_* environment the server got.
        print(f"  config       {args.workers} worker(s) x {settings.api_threads} threads and "
              f"database connections, API-key cache {settings.api_key_cache_seconds:g} s, "
              f"uvicorn on {_uvicorn_stack()}; overrides: "
              f"{' '.join(f'{k}={v}' for k, v in tuning.items()) or 'none'}")
        print(f"  client       aiohttp on {loop_policy}, at most {args.concurrency} in flight, "
              f"{DOC_BYTES // 1024} KB text document per job, warm-up {args.warmup}, "
              f"{args.requests} per closed-loop phase")
        for phase in phases:
            print(phase.line())
        ratio = (closed.rate / floor_phase.rate) if floor_phase and floor_phase.rate else None
        if ratio is not None:
            print(f"  ratio        API / floor = {ratio:.2f} (closed loop, {args.rounds} rounds "
                  f"each, taking turns; per round {min(round_ratios):.2f} to "
                  f"{max(round_ratios):.2f})")

        failed = False
        floor_phases = (floor_phase, floor_open)
        api_errors = warm.errors + [e for p in phases if p not in floor_phases
                                    for e in p.out.errors]
        for err in (api_errors + floor_errors)[:10]:
            print(f"  error: {err}", file=sys.stderr)
        if api_errors or floor_errors:
            failed = True
        ids = warm.job_ids + [i for p in phases if p not in floor_phases
                              for i in p.out.job_ids]
        if len(set(ids)) != len(ids):
            print("  FAIL: the API returned a job id twice", file=sys.stderr)
            failed = True
        problems = verify(db_url, redis_client, claim, sent)
        for problem in problems:
            print(f"  FAIL: {problem}", file=sys.stderr)
        if problems:
            failed = True
        if failed:
            print(f"  API log (last lines):\n{log.read_text(errors='replace')[-3000:]}",
                  file=sys.stderr)
        else:
            print(f"  verified     {sent} jobs, documents and job.queued events in the "
                  f"database, {sent} messages in Redis queue {QUEUE!r}"
                  + ("; every floor submission's row and message" if floor_phase else ""))
        if ratio is not None:
            verdict = "met" if ratio >= RATIO_TARGET else "NOT met"
            print(f"  target       {verdict}: API >= {RATIO_TARGET}x the floor's rate")
        if open_phase is not None:
            want_rate, want_p99 = OPEN_TARGET
            # An open-loop run is judged at the rate it offered, provided the server kept up.
            kept_up = open_phase.rate >= 0.98 * args.rate
            verdict = ("met" if kept_up and args.rate >= want_rate
                       and open_phase.p(99) < want_p99 else "NOT met")
            print(f"  target       {verdict}: >= {want_rate}/s offered with p99 < {want_p99} ms")
            if floor_open is not None:
                floor_kept = floor_open.rate >= 0.98 * args.rate
                print(f"  floor        at {args.rate:g}/s offered: {floor_open.rate:.1f}/s, p99 "
                      f"{floor_open.p(99):.1f} ms ({'kept up' if floor_kept else 'fell behind'})"
                      f"; API p99 / floor p99 = {open_phase.p(99) / floor_open.p(99):.2f}")
        if args.json is not None:
            args.json.write_text(json.dumps({
                "date": date.today().isoformat(), "workers": args.workers, "settings": tuning,
                "api_threads": settings.api_threads,
                "api_key_cache_seconds": settings.api_key_cache_seconds,
                "requests": args.requests, "concurrency": args.concurrency,
                "offered_rate": args.rate or None,
                "phases": {p.name: p.figures() for p in phases},
                "ratio": round(ratio, 3) if ratio is not None else None,
                "round_ratios": [round(r, 3) for r in round_ratios],
                "verified": not failed,
            }, indent=2) + "\n")
        return 1 if failed else 0
    finally:
        for server in (floor, proc):
            if server is not None:
                stop_server(server)
        redis_client.flushdb()
        if args.keep:
            print(f"  kept database {db_name} and {data_dir}", file=sys.stderr)
        else:
            drop_database(db_name)
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted (servers stopped, database dropped, Redis flushed)", file=sys.stderr)
        sys.exit(130)
