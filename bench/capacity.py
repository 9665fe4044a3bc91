"""Capacity model: per-process figures measured here, and the workers a stated load needs.

Measures, on this machine, in one short run (about two minutes):

- submissions per second per API core: the real API (`lexgraph api`, one process) on a fresh
  PostgreSQL database and an empty Redis database number, closed loop; the API's CPU seconds
  (its process group, from /proc) divided into the submissions it accepted;
- extractive jobs per minute per orchestrator core, by document size: the worker's own job
  runner (the graph an orchestrator runs, in this process, the same PostgreSQL and
  checkpoints) on prefixes of a real contract; CPU seconds per job from this process's clock.

Takes as inputs (measured elsewhere, or assumed; each printed beside the result):

- webhook deliveries per second per webhooks worker (bench/webhooks.py's drain rate);
- generated tokens per second per GPU worker (bench/inference.py on the GPU model) and
  completion tokens per job, for jobs with a model.

Then, for a load in submissions per minute (default 10,000), every stage is an M/M/c queue:
servers are API cores, orchestrator cores, webhooks workers and GPU workers; the count is the
smallest that keeps utilization at or under --utilization, and the mean wait in queue
follows from Erlang's C formula.

    .venv/bin/python bench/capacity.py [--per-minute 10000] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import math
import os
import platform
import secrets
import signal
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import intake  # noqa: E402  (the API half reuses the intake bench's machinery)

CONTRACT = (REPO / "tests" / "data" /
            "FuseMedicalInc_20190321_10-K_EX-10.43_11575454_EX-10.43_Distributor_Agreement.txt")
SIZES = (4_000, 16_000, 32_000)
# Events a job emits: queued, started, one progress per node (7), completed.
EVENTS_PER_JOB = 10


# Queueing ------------------------------------------------------------------------------------


def erlang_c(servers: int, offered: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with ``offered`` = λ/μ erlangs.
    Erlang B by its recurrence (stable for thousands of servers), then C from B."""
    if offered >= servers:
        return 1.0
    b = 1.0
    for k in range(1, servers + 1):
        b = offered * b / (k + offered * b)
    return servers * b / (servers - offered * (1 - b))


@dataclass
class Stage:
    name: str
    unit: str  # what one server is
    arrivals_per_s: float
    service_per_s: float  # per server
    servers: int = 0
    utilization: float = 0.0
    wait_probability: float = 0.0
    mean_wait_s: float = 0.0
    service_s: float = 0.0


def size(stage: Stage, max_utilization: float) -> Stage:
    offered = stage.arrivals_per_s / stage.service_per_s
    servers = max(1, math.ceil(offered / max_utilization))
    stage.servers = servers
    stage.utilization = offered / servers
    stage.wait_probability = erlang_c(servers, offered)
    stage.mean_wait_s = stage.wait_probability / (servers * stage.service_per_s
                                                  - stage.arrivals_per_s)
    stage.service_s = 1 / stage.service_per_s
    return stage


# Measurements --------------------------------------------------------------------------------


def measure_api(base: str, key: str, proc: Any, requests: int, concurrency: int) -> dict[str, Any]:
    bodies = intake.Bodies(run=secrets.token_hex(4))
    asyncio.run(intake.fire(base, key, bodies, 0, 100, concurrency))  # warm-up
    pgrp = os.getpgid(proc.pid)
    cpu0 = intake.group_cpu_seconds(pgrp)
    out = asyncio.run(intake.fire(base, key, bodies, 100, requests, concurrency))
    cpu = intake.group_cpu_seconds(pgrp) - cpu0
    if out.errors:
        raise SystemExit(f"{len(out.errors)} submissions failed, e.g. {out.errors[0]}")
    accepted = len(out.job_ids)
    return {"submissions": accepted, "wall_s": round(out.wall, 2), "api_cpu_s": round(cpu, 2),
            "per_s_wall": round(accepted / out.wall, 1),
            "per_core_s": round(accepted / cpu, 1)}


def measure_jobs(settings: Any, base: str, key: str, per_size: int) -> list[dict[str, Any]]:
    import httpx

    from lexgraph.composition.worker import get_services

    runner = get_services(settings).runner
    text = CONTRACT.read_text(encoding="utf-8")
    rows = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"},
                      timeout=60) as client:

        def submit(n: int) -> str:
            # A distinct first line: no two jobs share a document (no result cache hit).
            doc = f"DISTRIBUTOR AGREEMENT {secrets.token_hex(6)}\n\n" + text[:n]
            resp = client.post("/v1/jobs", json={"matter": "capacity", "profile": "contract",
                                                 "documents": [{"filename": "contract.txt",
                                                                "text": doc}]})
            resp.raise_for_status()
            return str(resp.json()["id"])

        # The first job loads the models (embedder, sentence splitter, clause finder).
        warm = runner.run(submit(SIZES[0]))
        assert warm == "succeeded", warm
        for n in SIZES:
            spent = []
            for _ in range(per_size):
                job_id = submit(n)
                cpu0, wall0 = time.process_time(), time.perf_counter()
                outcome = runner.run(job_id)
                spent.append((time.process_time() - cpu0, time.perf_counter() - wall0))
                assert outcome == "succeeded", outcome
            cpu = sum(c for c, _ in spent) / len(spent)
            wall = sum(w for _, w in spent) / len(spent)
            rows.append({"chars": n, "jobs": per_size, "cpu_s_per_job": round(cpu, 3),
                         "wall_s_per_job": round(wall, 3),
                         "jobs_per_min_per_core": round(60 / cpu, 1)})
    return rows


# Report --------------------------------------------------------------------------------------


def model(per_minute: float, api_per_core_s: float, job_cpu_s: float, webhook_per_s: float,
          endpoints: float, gpu_tokens_s: float, tokens_per_job: float,
          utilization: float) -> list[Stage]:
    jobs_s = per_minute / 60
    stages = [
        Stage("API", "core", jobs_s, api_per_core_s),
        Stage("orchestrator (extractive)", "core", jobs_s, 1 / job_cpu_s),
        Stage("webhooks", "worker", jobs_s * EVENTS_PER_JOB * endpoints, webhook_per_s),
    ]
    if tokens_per_job > 0:
        stages.append(Stage("GPU inference (with a model)", "GPU worker", jobs_s,
                            gpu_tokens_s / tokens_per_job))
    return [size(s, utilization) for s in stages]


def table(stages: list[Stage]) -> str:
    lines = ["| Stage | Arrivals/s | Per server/s | Servers | Utilization | P(wait) | "
             "Mean wait | Service time |", "|---|---|---|---|---|---|---|---|"]
    for s in stages:
        lines.append(f"| {s.name} | {s.arrivals_per_s:,.1f} | {s.service_per_s:,.2f} | "
                     f"{s.servers:,} {s.unit}{'s' if s.servers != 1 else ''} | "
                     f"{s.utilization:.0%} | {s.wait_probability:.3f} | "
                     f"{s.mean_wait_s * 1000:,.1f} ms | {s.service_s * 1000:,.1f} ms |")
    return "\n".join(lines)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-minute", type=float, default=10_000,
                        help="submissions a minute to size for")
    parser.add_argument("--utilization", type=float, default=0.7,
                        help="highest utilization a stage is sized for")
    parser.add_argument("--requests", type=int, default=1000, help="measured submissions")
    parser.add_argument("--concurrency", type=int, default=16, help="submissions in flight")
    parser.add_argument("--jobs-per-size", type=int, default=2,
                        help="extractive jobs measured per document size")
    parser.add_argument("--job-chars", type=int, default=16_000,
                        help="document size the model sizes orchestrators for")
    parser.add_argument("--webhook-deliveries-per-s", type=float, default=123.0,
                        help="drain rate of one webhooks worker (bench/webhooks.py, PostgreSQL)")
    parser.add_argument("--endpoints", type=float, default=1.0,
                        help="webhook destinations per job event")
    parser.add_argument("--gpu-tokens-per-s", type=float, default=2500.0,
                        help="generated tokens per second of one GPU worker (an input: run "
                             "bench/inference.py with the production model on its GPU)")
    parser.add_argument("--tokens-per-job", type=float, default=1500.0,
                        help="completion tokens one job with a model generates (0: skip)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()

    from lexgraph.core.config.settings import Settings
    from lexgraph.core.db.engine import make_engine
    from lexgraph.core.db.migrate import upgrade
    from lexgraph.core.jobs.store import JobStore
    from lexgraph.core.storage.blobs import LocalBlobStore

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    data_dir = Path(tempfile.mkdtemp(prefix="lexgraph-capacity-"))
    db_name, db_url = intake.create_database()
    redis_client, broker_url, _claim = intake.claim_redis_db()
    proc = None
    try:
        checkpoint_key = base64.b64encode(secrets.token_bytes(32)).decode()
        env = {k: v for k, v in os.environ.items() if k not in intake.PLACEMENT}
        env.update(LEXGRAPH_TENANT_SUBMISSIONS_PER_MINUTE="0", LEXGRAPH_TENANT_MAX_QUEUED_JOBS="0",
                   LEXGRAPH_RESULT_CACHE="false", LEXGRAPH_DATABASE_URL=db_url,
                   LEXGRAPH_BROKER_URL=broker_url, LEXGRAPH_DATA_DIR=str(data_dir),
                   LEXGRAPH_CHECKPOINT_KEY=checkpoint_key)
        settings = Settings(data_dir=data_dir, database_url=db_url, broker_url=broker_url,
                            checkpoint_key=checkpoint_key, result_cache=False,
                            tenant_max_running_jobs=0)
        engine = make_engine(db_url)
        upgrade(engine)
        key, _ = JobStore(engine, LocalBlobStore(settings.resolved_blob_dir),
                          settings).create_key("capacity")
        engine.dispose()

        port = intake.free_port()
        base = f"http://127.0.0.1:{port}"
        log = data_dir / "api.log"
        proc = intake.start_server(env, port, 1, log)
        intake.wait_ready(base, proc, log)
        started = time.perf_counter()
        api = measure_api(base, key, proc, args.requests, args.concurrency)
        jobs = measure_jobs(settings, base, key, args.jobs_per_size)
        elapsed = time.perf_counter() - started
    finally:
        if proc is not None:
            intake.stop_server(proc)
        redis_client.flushdb()
        intake.drop_database(db_name)

    job_row = min(jobs, key=lambda r: abs(r["chars"] - args.job_chars))
    stages = model(args.per_minute, api["per_core_s"], job_row["cpu_s_per_job"],
                   args.webhook_deliveries_per_s, args.endpoints, args.gpu_tokens_per_s,
                   args.tokens_per_job, args.utilization)
    machine = f"{os.cpu_count()} CPUs, {platform.python_implementation()} " \
              f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
    print(f"capacity, {date.today()}, {machine}; measured in {elapsed:.0f} s")
    print(f"\nAPI: {api['submissions']} submissions, {api['per_s_wall']}/s wall, "
          f"{api['api_cpu_s']} CPU s: {api['per_core_s']} submissions/s per core")
    print("\n| Document | CPU s / job | Wall s / job | Jobs/min per core |\n|---|---|---|---|")
    for row in jobs:
        print(f"| {row['chars']:,} chars | {row['cpu_s_per_job']} | {row['wall_s_per_job']} | "
              f"{row['jobs_per_min_per_core']} |")
    print(f"\nInputs: webhook deliveries/s per worker {args.webhook_deliveries_per_s:g}, "
          f"{args.endpoints:g} destination(s) per event, {EVENTS_PER_JOB} events per job; "
          f"GPU worker {args.gpu_tokens_per_s:g} generated tokens/s, "
          f"{args.tokens_per_job:g} tokens per job; orchestrators sized for "
          f"{job_row['chars']:,}-character documents; utilization at most "
          f"{args.utilization:.0%}.")
    print(f"\n{args.per_minute:,.0f} submissions a minute ({args.per_minute / 60:,.1f}/s):\n")
    print(table(stages))
    total_wait = sum(s.mean_wait_s for s in stages if not s.name.startswith("webhooks"))
    print(f"\nMean queueing delay of a job (API + orchestrator"
          f"{' + GPU' if args.tokens_per_job > 0 else ''}): {total_wait * 1000:,.1f} ms")
    if args.json:
        args.json.write_text(json.dumps({
            "date": str(date.today()), "machine": machine, "api": api, "jobs": jobs,
            "inputs": {k: v for k, v in vars(args).items() if k != "json"},
            "stages": [asdict(s) for s in stages]}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
