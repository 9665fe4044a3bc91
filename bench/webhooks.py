"""Webhook delivery throughput and latency, on PostgreSQL + Redis (or embedded SQLite).

Starts the real API and one webhooks worker (`python -m lexgraph worker --queues webhooks`) as
separate processes and a loopback receiver in this process, registers one endpoint, and
measures two things:

1. throughput: with the worker stopped, N jobs are submitted (each emits ``job.queued``, so N
   deliveries wait); then the worker starts and drains them. Deliveries/s is counted from the
   first to the last delivery received.
2. latency: with the worker running, jobs are submitted at a steady rate; for each delivery,
   the delay from the state change (the event's ``created_at``, written in the same
   transaction as the change) to the receiver reading the request. Printed as p50 / p99.

Every delivery's signature is checked with the ``standardwebhooks`` library and each event
must arrive exactly once.

    .venv/bin/python bench/webhooks.py [--deliveries 2000] [--rate 50] [--latency-events 500]
                                       [--concurrency 8] [--poll SECONDS] [--embedded]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import platform
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

PG_ADMIN_URL = os.environ.get("LEXGRAPH_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_HOST = os.environ.get("LEXGRAPH_BENCH_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("LEXGRAPH_BENCH_REDIS_PORT", "6379"))
CLAIM = "lexgraph:test-claim"


def create_database() -> tuple[str, str]:
    import psycopg

    name = f"lexgraph_bench_wh_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return name, f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def claim_redis_db() -> tuple[Any, str]:
    """An empty Redis database number, marked so a test run or another bench skips it."""
    import redis

    for db in range(1, 16):
        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db)
        if client.dbsize() == 0 and client.set(CLAIM, secrets.token_hex(8), nx=True):
            return client, f"redis://{REDIS_HOST}:{REDIS_PORT}/{db}"
    raise SystemExit("no empty Redis database number is free for the benchmark")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


class Service:
    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self.proc = subprocess.Popen([sys.executable, "-m", "lexgraph", *args], env=env,
                                     cwd=REPO, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait_for(self, ready: Any, what: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"{what} exited:\n{self.log.read_text()[-4000:]}")
            with contextlib.suppress(Exception):
                if ready():
                    return
            time.sleep(0.1)
        raise SystemExit(f"{what} was not ready in {timeout:.0f}s:\n"
                         f"{self.log.read_text()[-4000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def parse_time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=2000,
                        help="backlog drained for the throughput figure")
    parser.add_argument("--latency-events", type=int, default=500,
                        help="events submitted at --rate for the latency figure")
    parser.add_argument("--rate", type=float, default=50.0, help="events/s offered (latency)")
    parser.add_argument("--concurrency", type=int, default=8, help="webhooks worker threads")
    parser.add_argument("--poll", type=float, default=None,
                        help="LEXGRAPH_WEBHOOK_POLL_INTERVAL_SECONDS (default: the setting's)")
    parser.add_argument("--embedded", action="store_true",
                        help="SQLite and kombu's SQLite broker instead of PostgreSQL + Redis")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()

    import httpx

    from tests.receiver import Receiver, verify
    from tests.support import free_port

    tmp = Path(tempfile.mkdtemp(prefix="lexgraph-bench-wh-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEXGRAPH_")}
    env.update(LEXGRAPH_DATA_DIR=str(tmp / "var"),
               LEXGRAPH_WEBHOOK_ALLOWED_NETWORKS="127.0.0.1/32",
               LEXGRAPH_API_KEY_CACHE_SECONDS="30")
    if args.poll is not None:
        env["LEXGRAPH_WEBHOOK_POLL_INTERVAL_SECONDS"] = str(args.poll)
    db_name = redis_client = None
    if not args.embedded:
        db_name, db_url = create_database()
        redis_client, redis_url = claim_redis_db()
        env.update(LEXGRAPH_DATABASE_URL=db_url, LEXGRAPH_BROKER_URL=redis_url,
                   LEXGRAPH_CHECKPOINT_KEY=base64.b64encode(secrets.token_bytes(32)).decode())
    receiver = Receiver().start()
    services: list[Service] = []
    try:
        keyproc = subprocess.run([sys.executable, "-m", "lexgraph", "keys", "create", "--tenant",
                                  "bench"], env=env, cwd=REPO, capture_output=True, text=True,
                                 check=True)
        key = keyproc.stdout.strip()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        api = Service(["api", "--host", "127.0.0.1", "--port", str(port)], env, tmp / "api.log")
        services.append(api)
        api.wait_for(lambda: httpx.get(f"{base}/readyz", timeout=2).status_code == 200, "API")
        client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"},
                              timeout=30)
        ep = client.post("/v1/webhook-endpoints", json={"url": receiver.url("/bench"),
                                                        "event_types": ["job.queued"]}).json()
        secret = ep["secret"]
        doc = {"filename": "n.txt", "text": "The tenant shall pay rent monthly."}

        def submit(count: int, rate: float | None) -> None:
            start = time.perf_counter()
            for n in range(count):
                if rate:
                    due = start + n / rate
                    if (wait := due - time.perf_counter()) > 0:
                        time.sleep(wait)
                resp = client.post("/v1/jobs", json={"matter": "bench", "documents": [doc]})
                if resp.status_code != 202:
                    raise SystemExit(f"submission failed: {resp.status_code} {resp.text}")

        # 1. Throughput: a backlog, then the worker drains it.
        print(f"submitting {args.deliveries} jobs (worker stopped)…", file=sys.stderr)
        submit(args.deliveries, None)
        worker = Service(["worker", "--queues", "webhooks", "--concurrency",
                          str(args.concurrency), "--loglevel", "WARNING"], env,
                         tmp / "worker.log")
        services.append(worker)
        receiver.wait(args.deliveries, timeout=max(120.0, args.deliveries / 5))
        drained = receiver.received()
        first, last = drained[0].at, drained[-1].at
        throughput = (len(drained) - 1) / (last - first) if last > first else float("nan")

        # 2. Latency under a steady rate.
        print(f"submitting {args.latency_events} jobs at {args.rate:g}/s…", file=sys.stderr)
        done_before = len(drained)
        threading.Thread(target=submit, args=(args.latency_events, args.rate),
                         daemon=True).start()
        everything = receiver.wait(done_before + args.latency_events,
                                   timeout=args.latency_events / args.rate + 120)
        time.sleep(1.0)
        everything = receiver.received()
        expected = args.deliveries + args.latency_events
        problems = []
        if len(everything) != expected:
            problems.append(f"received {len(everything)} deliveries, expected {expected}")
        ids = [r.event["id"] for r in everything]
        if len(set(ids)) != len(ids):
            problems.append(f"{len(ids) - len(set(ids))} events arrived more than once")
        for r in everything:
            verify(r, secret)  # raises on a bad signature
        delays = [(r.at - parse_time(r.event["created_at"])) * 1000
                  for r in everything[done_before:]]
        figures = {
            "topology": "embedded (SQLite)" if args.embedded else "PostgreSQL + Redis",
            "deliveries": len(drained),
            "deliveries_per_s": round(throughput, 1),
            "latency_events": len(delays),
            "offered_rate": args.rate,
            "delay_p50_ms": round(percentile(delays, 50), 1),
            "delay_p99_ms": round(percentile(delays, 99), 1),
            "worker_threads": args.concurrency,
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        }
        print(f"topology:       {figures['topology']}, {figures['cpus']} CPUs, webhooks worker "
              f"with {args.concurrency} threads")
        print(f"throughput:     {figures['deliveries_per_s']} deliveries/s "
              f"({len(drained)} queued deliveries drained)")
        print(f"state change -> delivery at {args.rate:g} events/s: "
              f"p50 {figures['delay_p50_ms']} ms, p99 {figures['delay_p99_ms']} ms "
              f"({len(delays)} deliveries)")
        print("signatures:     all verified with standardwebhooks")
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2))
        for problem in problems:
            print(f"PROBLEM: {problem}", file=sys.stderr)
        return 1 if problems else 0
    finally:
        for service in reversed(services):
            service.stop()
        receiver.stop()
        if db_name:
            drop_database(db_name)
        if redis_client is not None:
            redis_client.flushdb()


if __name__ == "__main__":
    raise SystemExit(main())
