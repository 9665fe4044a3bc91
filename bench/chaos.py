"""Chaos: jobs on PostgreSQL + Redis while workers, Redis and PostgreSQL are killed.

Starts a PostgreSQL cluster and a Redis server of its own on free loopback ports (removed at
the end, also on failure; the shared instances are never touched), the real API, two
orchestrator workers and one webhooks worker as separate processes, and a loopback webhook
receiver that verifies every delivery with the PyPI ``standardwebhooks`` library. It submits
N jobs (each with its own Idempotency-Key and webhook_url, retried with the same key when a
request fails) and, while they run:

- SIGKILLs a random orchestrator worker ``--kills`` times, starting a new one a second later
  (as compose's restart policy would);
- SIGKILLs the webhooks worker once and starts it again;
- SIGKILLs Redis once and starts it again on the same port and append-only file;
- restarts PostgreSQL once with ``pg_ctlcluster … restart -m immediate``.

Then it waits for every job to finish and prints: submitted / succeeded / failed / stuck,
duplicate jobs per Idempotency-Key, jobs with more than one result, checkpointed nodes that ran
again (a second ``job.progress`` for the same node), jobs missing a progress event, webhooks
missing or duplicated under different ids, signature failures, /readyz non-200 samples and
its recovery time after each service returns, worker processes that died on their own, and the
time from the last fault to the last job done.

    .venv/bin/python bench/chaos.py [--jobs 60] [--kills 10] [--seed 14] [--node-pause S]
                                    [--json PATH]

Needs root (pg_createcluster) and redis-server, like tests/e2e/test_restarts_e2e.py.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import random
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

from lexgraph.core.config.settings import Settings  # noqa: E402
from tests.receiver import Receiver, signed_by  # noqa: E402
from tests.support import Process, settings_env, wait_for  # noqa: E402
from tests.throwaway import (  # noqa: E402
    ThrowawayPostgres,
    ThrowawayRedis,
    postgres_available,
    redis_available,
)

STAGES = ["ingest", "screen_documents", "redact", "retrieve", "summarize", "check_compliance",
          "finalize"]
TEXT = ("SERVICES AGREEMENT\n\nThis Agreement is made between Acme Foods LLC (the Supplier) and "
        "Bellring Brands, Inc. (the Customer).\n\n1. Services\nThe Supplier shall deliver the "
        "Products monthly.\n\n2. Fees\nThe Customer shall pay the fees within thirty days of "
        "each invoice.\n\n3. Term\nEither party may terminate on ninety days' notice.\n")
# What the run uses beyond the defaults: webhook retries that fit in a bench run, loopback
# webhook URLs allowed. Lease, sweep and job retries are the defaults (printed).
EXTRA = {"webhook_allowed_networks": "127.0.0.1/32",
         "webhook_retry_schedule": "0,1s,2s,5s,10s,20s,30s,60s",
         "webhook_lease_seconds": 20, "webhook_timeout_seconds": 5}


class Stack:
    def __init__(self, settings: Settings, logs: Path, node_pause: float) -> None:
        self.env = settings_env(settings, **EXTRA, node_pause_seconds=node_pause)
        self.logs = logs
        from tests.support import free_port

        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.api: Process | None = None
        self.orchestrators: list[Process] = []
        self.webhooks: Process | None = None
        self.killed: set[int] = set()  # pids this bench killed on purpose
        self.n = 0

    def start_api(self) -> None:
        self.api = Process(["api", "--host", "127.0.0.1", "--port", str(self.port)], self.env,
                           self.logs / "api.log")
        wait_for(lambda: _ready(self.base), 90, "the API", interval=0.2)

    def worker(self, queues: str) -> Process:
        self.n += 1
        return Process(["worker", "--queues", queues, "--loglevel", "INFO"], self.env,
                       self.logs / f"{queues}-{self.n}.log")

    def kill(self, proc: Process) -> None:
        self.killed.add(proc.proc.pid)
        proc.kill()

    def all_workers(self) -> list[Process]:
        return [*self.orchestrators, *([self.webhooks] if self.webhooks else [])]

    def died_on_their_own(self) -> list[str]:
        return [w.log_path.name for w in self.all_workers()
                if w.proc.poll() is not None and w.proc.pid not in self.killed]

    def stop(self) -> None:
        for proc in [*self.all_workers(), *([self.api] if self.api else [])]:
            proc.stop(timeout=15)


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


class ReadySampler(threading.Thread):
    """Samples /readyz every 0.2 s: (time, status or 0 for no answer)."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.samples: list[tuple[float, int]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=2) as client:
            while not self.stopping.is_set():
                try:
                    status = client.get(f"{self.base}/readyz").status_code
                except httpx.HTTPError:
                    status = 0
                self.samples.append((time.monotonic(), status))
                self.stopping.wait(0.2)

    def recovery_after(self, back_at: float) -> float | None:
        for at, status in self.samples:
            if at >= back_at and status == 200:
                return at - back_at
        return None


def submit_all(base: str, key: str, hook: str, n: int, rate: float,
               ids: dict[str, str], log: list[str]) -> None:
    """Submit n jobs at ``rate`` per second, each retried with its own key until accepted."""
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"},
                      timeout=30) as client:
        for i in range(n):
            idem = f"chaos-{i}-{secrets.token_hex(4)}"
            body = {"matter": f"chaos-{i % 5}", "webhook_url": hook,
                    "documents": [{"filename": f"agreement-{i}.txt", "text": TEXT}]}
            while True:
                try:
                    resp = client.post("/v1/jobs", json=body, headers={"Idempotency-Key": idem})
                except httpx.HTTPError as exc:
                    log.append(f"submit {i}: {type(exc).__name__}")
                    time.sleep(0.5)
                    continue
                if resp.status_code == 202:
                    ids[idem] = resp.json()["id"]
                    break
                log.append(f"submit {i}: {resp.status_code}")
                time.sleep(float(resp.headers.get("Retry-After", "1")) if
                           resp.status_code in (409, 429, 503) else 1.0)
            time.sleep(1 / rate)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=60)
    parser.add_argument("--kills", type=int, default=10, help="orchestrator SIGKILLs")
    parser.add_argument("--rate", type=float, default=1.0, help="submissions per second")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--node-pause", type=float, default=0.0,
                        help="seconds after each node, so that more kills land inside a job")
    parser.add_argument("--timeout", type=float, default=600, help="for all jobs to finish")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    for why in (postgres_available(), redis_available()):
        if why:
            sys.exit(f"chaos bench: {why}")
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="lexgraph-chaos-"))
    logs = work / "logs"
    logs.mkdir()
    print(f"work dir {work}", flush=True)

    with ThrowawayPostgres() as pg, ThrowawayRedis() as broker:
        settings = Settings(data_dir=work / "var", database_url=pg.url, broker_url=broker.url,
                            checkpoint_key=base64.b64encode(secrets.token_bytes(32)).decode())
        defaults = Settings()
        stack = Stack(settings, logs, args.node_pause)
        receiver = Receiver().start()
        faults: list[dict[str, Any]] = []
        try:
            from tests.e2e.conftest import make_key

            key = make_key(settings, "chaos")
            stack.start_api()
            stack.orchestrators = [stack.worker("orchestrate") for _ in range(2)]
            stack.webhooks = stack.worker("webhooks")
            for w in stack.all_workers():
                wait_for(lambda w=w: "ready" in w.output(), 120, f"{w.log_path.name} to start",
                         interval=0.2)
            secret = httpx.get(f"{stack.base}/v1/webhook-signing-secret",
                               headers={"Authorization": f"Bearer {key}"}).json()["secret"]
            # Checked as each request arrives: the signed timestamp must be recent.
            bad_signatures: list[str] = []

            def check(got: Any) -> tuple[int, dict[str, str], bytes]:
                if not signed_by(got, secret):
                    bad_signatures.append(got.webhook_id)
                return 200, {}, b"ok"

            receiver.respond = check
            sampler = ReadySampler(stack.base)
            sampler.start()

            ids: dict[str, str] = {}
            submit_log: list[str] = []
            started = time.monotonic()
            submitter = threading.Thread(target=submit_all, args=(
                stack.base, key, receiver.url(), args.jobs, args.rate, ids, submit_log))
            submitter.start()

            # Faults spread over the submission window, in a shuffled order.
            window = max(20.0, args.jobs / args.rate)
            plan = (["orchestrator"] * args.kills) + ["webhooks", "redis", "postgres"]
            rng.shuffle(plan)
            step = window / (len(plan) + 1)
            for n, fault in enumerate(plan, 1):
                time.sleep(max(0.0, started + n * step - time.monotonic()))
                at = time.monotonic()
                record: dict[str, Any] = {"fault": fault, "at_s": round(at - started, 1)}
                if fault == "orchestrator":
                    victim = rng.randrange(len(stack.orchestrators))
                    stack.kill(stack.orchestrators[victim])
                    time.sleep(1.0)
                    stack.orchestrators[victim] = stack.worker("orchestrate")
                elif fault == "webhooks":
                    assert stack.webhooks is not None
                    stack.kill(stack.webhooks)
                    time.sleep(1.0)
                    stack.webhooks = stack.worker("webhooks")
                elif fault == "redis":
                    broker.kill()
                    time.sleep(2.0)
                    broker.start()
                    record["back_s"] = round(time.monotonic() - started, 1)
                    record["readyz_recovery_s"] = time.monotonic()
                else:
                    pg.restart("immediate")
                    record["back_s"] = round(time.monotonic() - started, 1)
                    record["readyz_recovery_s"] = time.monotonic()
                faults.append(record)
                print(f"  {record['at_s']:6.1f}s  {fault}", flush=True)
            last_fault_wall = time.time()
            submitter.join()

            def finished() -> bool:
                with httpx.Client(base_url=stack.base, timeout=10,
                                  headers={"Authorization": f"Bearer {key}"}) as client:
                    for job_id in ids.values():
                        if client.get(f"/v1/jobs/{job_id}").json()["status"] in (
                                "queued", "running"):
                            return False
                return True

            with contextlib.suppress(AssertionError):  # what is left is counted as stuck
                wait_for(finished, args.timeout, "every job to finish", interval=1.0)
            done_at = time.monotonic()
            time.sleep(5)  # the last webhooks
            sampler.stopping.set()
            for f in faults:
                if "readyz_recovery_s" in f:
                    rec = sampler.recovery_after(f["readyz_recovery_s"])
                    f["readyz_recovery_s"] = None if rec is None else round(rec, 2)

            figures = _figures(pg.url, ids, receiver)
            figures["webhook_signature_failures"] = len(bad_signatures)
            last_job_done = _last_job_done(pg.url, ids)
            figures.update({
                "readyz_non_200_samples": sum(1 for _, s in sampler.samples if s != 200),
                "readyz_samples": len(sampler.samples),
                "faults": faults,
                "worker_processes_died_on_their_own": stack.died_on_their_own(),
                "last_fault_to_last_job_done_s": (
                    None if last_job_done is None else round(last_job_done - last_fault_wall, 1)),
                "wall_s": round(done_at - started, 1),
                "submit_retries": len(submit_log),
                "settings": {"job_lease_seconds": defaults.job_lease_seconds,
                             "sweep_interval_seconds": defaults.sweep_interval_seconds,
                             "redispatch_after_seconds": defaults.redispatch_after_seconds,
                             "job_retry_limit": defaults.job_retry_limit,
                             "job_retry_backoff_seconds": defaults.job_retry_backoff_seconds,
                             "worker_concurrency": defaults.worker_concurrency,
                             "node_pause_seconds": args.node_pause},
            })
            _print(figures)
            if args.json:
                args.json.write_text(json.dumps(figures, indent=2))
        finally:
            receiver.stop()
            stack.stop()


def _query(url: str, sql: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        return list(conn.execute(sql).fetchall())


def _last_job_done(url: str, ids: dict[str, str]) -> float | None:
    rows = _query(url, "SELECT extract(epoch FROM max(finished_at)) FROM jobs")
    return float(rows[0][0]) if rows and rows[0][0] is not None else None


def _figures(url: str, ids: dict[str, str], receiver: Receiver) -> dict[str, Any]:
    statuses = Counter(status for (status,) in _query(url, "SELECT status FROM jobs"))
    jobs_in_db = sum(statuses.values())
    results = _query(url, "SELECT job_id, count(*) FROM results GROUP BY job_id")
    progress = _query(url, "SELECT job_id, data->>'stage', id FROM job_events "
                           "WHERE type = 'job.progress' ORDER BY id")
    per_job: dict[str, list[str]] = defaultdict(list)
    for job_id, stage, _ in progress:
        per_job[job_id].append(stage)
    rerun = sum(count - 1 for stages in per_job.values()
                for count in Counter(stages).values() if count > 1)
    missing_events = [j for j in ids.values() if sorted(set(per_job.get(j, []))) != sorted(STAGES)]
    recovered = _query(url, "SELECT count(*) FROM job_events WHERE type = 'job.progress' "
                            "AND (data->>'recovered')::boolean")
    events = _query(url, "SELECT id, job_id FROM job_events")
    received = receiver.received()
    ids_by_event: dict[int, set[str]] = defaultdict(set)
    for r in received:
        ids_by_event[int(r.event["id"])].add(r.webhook_id)
    missing_hooks = [e for e, _ in events if e not in ids_by_event]
    dup_hooks = [e for e, hook_ids in ids_by_event.items() if len(hook_ids) > 1]
    return {
        "submitted": len(ids),
        "succeeded": statuses.get("succeeded", 0),
        "failed": statuses.get("failed", 0),
        "stuck": statuses.get("queued", 0) + statuses.get("running", 0),
        "duplicate_jobs_per_idempotency_key": jobs_in_db - len(set(ids.values())),
        "jobs_with_more_than_one_result": sum(1 for _, n in results if n > 1),
        "checkpointed_nodes_rerun": rerun,
        "jobs_missing_progress_events": len(missing_events),
        "progress_events_recovered_on_resume": recovered[0][0],
        "events": len(events),
        "webhook_requests": len(received),
        "webhooks_missing": len(missing_hooks),
        "webhooks_duplicated_under_different_ids": len(dup_hooks),
        "outage_requeues": _query(url, "SELECT coalesce(sum(outage_retries), 0) FROM jobs")[0][0],
        "attempts": _query(url, "SELECT coalesce(sum(attempts), 0) FROM jobs")[0][0],
    }


def _print(figures: dict[str, Any]) -> None:
    print()
    for name, value in figures.items():
        if name == "faults":
            print("faults:")
            for f in value:
                extra = (f"  back at {f['back_s']}s, /readyz 200 after {f['readyz_recovery_s']}s"
                         if "back_s" in f else "")
                print(f"  {f['at_s']:6.1f}s  {f['fault']}{extra}")
        else:
            print(f"{name}: {value}")


if __name__ == "__main__":
    main()
