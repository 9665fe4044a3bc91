"""How fast an identical resubmission is answered from the result cache, end to end over HTTP.

Embedded defaults (SQLite, extractive mode): starts the real API (`python -m lexgraph api`) on
a fresh data directory, submits a 32 KB contract, runs that job through the real graph in
this process (as an orchestrator worker would), then sends the same submission again
``--repeat`` times, one at a time, and times each answer: a `202` whose job is already
`succeeded` with `cached_from` naming the first job. For scale, as many submissions with
`cache: false` (queued, not answered) are timed in the same run.

    .venv/bin/python bench/cache.py [--repeat 50]

Target: a cached resubmission answered in at most 100 ms.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import shutil
import signal
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.intake import free_port, start_server, stop_server, wait_ready  # noqa: E402

CONTRACT = (REPO / "tests" / "data" /
            "FuseMedicalInc_20190321_10-K_EX-10.43_11575454_EX-10.43_Distributor_Agreement.txt")
TARGET_MS = 100.0


def _timed(http: Any, url: str, headers: dict[str, str], body: dict[str, Any],
           repeat: int) -> tuple[list[float], list[dict[str, Any]]]:
    times: list[float] = []
    jobs: list[dict[str, Any]] = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        resp = http.post(url, json=body, headers=headers)
        times.append((time.perf_counter() - t0) * 1000)
        if resp.status_code != 202:
            raise SystemExit(f"submission answered {resp.status_code}: {resp.text[:300]}")
        jobs.append(resp.json())
    return times, jobs


def _line(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered) + 0.5) - 1)]
    return (f"  {name:24s} min {ordered[0]:6.1f} ms  median {statistics.median(ordered):6.1f} ms"
            f"  p95 {p95:6.1f} ms  max {ordered[-1]:6.1f} ms  ({len(ordered)} requests)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=50, help="resubmissions timed")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()

    import httpx

    from lexgraph.composition import worker as worker_services
    from lexgraph.core.config.settings import Settings
    from lexgraph.core.db.engine import make_engine
    from lexgraph.core.db.migrate import upgrade
    from lexgraph.core.jobs.store import JobStore
    from lexgraph.core.storage.blobs import LocalBlobStore

    signal.signal(signal.SIGINT, signal.default_int_handler)
    data_dir = Path(tempfile.mkdtemp(prefix="lexgraph-bench-cache-"))
    proc = None
    try:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("LEXGRAPH_") or k == "LEXGRAPH_API_KEY_CACHE_SECONDS"}
        env["LEXGRAPH_DATA_DIR"] = str(data_dir)
        settings = Settings(data_dir=data_dir)
        settings.ensure_dirs()
        engine = make_engine(settings.resolved_database_url)
        upgrade(engine)
        key, _ = JobStore(engine, LocalBlobStore(settings.resolved_blob_dir),
                          settings).create_key("bench")
        engine.dispose()

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = data_dir / "api.log"
        proc = start_server(env, port, 1, log)
        wait_ready(base, proc, log)

        headers = {"Authorization": f"Bearer {key}"}
        body = {"matter": "bench-matter", "profile": "contract", "documents": [
            {"filename": CONTRACT.name,
             "content_base64": base64.b64encode(CONTRACT.read_bytes()).decode()}]}
        with httpx.Client(timeout=60) as http:
            url = f"{base}/v1/jobs"
            first = http.post(url, json=body, headers=headers)
            if first.status_code != 202:
                raise SystemExit(f"the first submission answered {first.status_code}: "
                                 f"{first.text[:300]}")
            job_id = first.json()["id"]
            t0 = time.perf_counter()
            status = worker_services.get_services(settings).runner.run(job_id)
            ran_s = time.perf_counter() - t0
            if status != "succeeded":
                raise SystemExit(f"the first job ended {status}")

            cached, answers = _timed(http, url, headers, body, args.repeat)
            fresh, queued = _timed(http, url, headers, {**body, "cache": False}, args.repeat)

            problems = [f"{a['id']}: {a['status']}, cached_from {a['cached_from']}"
                        for a in answers
                        if a["status"] != "succeeded" or a["cached_from"] != job_id]
            problems += [f"{q['id']} was answered from the cache" for q in queued
                         if q["cached_from"] is not None or q["status"] != "queued"]
            original = http.get(f"{url}/{job_id}/result", headers=headers).json()
            copy = http.get(f"{url}/{answers[-1]['id']}/result", headers=headers).json()
            old_doc = first.json()["documents"][0]["id"]
            new_doc = answers[-1]["documents"][0]["id"]
            expected = json.loads(json.dumps(original).replace(old_doc, new_doc)
                                  .replace(job_id, answers[-1]["id"]))
            if copy != {**expected, "usage": []}:
                problems.append("a cached result differs from the original beyond its ids")

        print(f"lexgraph result-cache benchmark, {date.today().isoformat()}")
        print(f"  machine      {os.cpu_count()} cores, Python {platform.python_version()}, "
              f"{platform.system()} {platform.release()}; load average "
              f"{os.getloadavg()[0]:.1f}")
        print("  server       python -m lexgraph api, embedded defaults (SQLite, extractive)")
        print(f"  document     {CONTRACT.name} ({CONTRACT.stat().st_size:,} bytes), JSON body")
        print(f"  first job    ran in {ran_s:.1f} s (in this process, models loaded cold)")
        print(_line("cached resubmission", cached))
        print(_line("cache: false (queued)", fresh))
        median = statistics.median(cached)
        verdict = "met" if median <= TARGET_MS else "NOT met"
        print(f"  target       {verdict}: cached resubmission answered in <= {TARGET_MS:g} ms "
              f"(median)")
        for problem in problems[:10]:
            print(f"  FAIL: {problem}", file=sys.stderr)
        if not problems:
            print(f"  verified     {args.repeat} answers succeeded with cached_from {job_id} and "
                  "the original's result under their own ids, no usage; "
                  f"{args.repeat} opted-out submissions queued")
        if args.json is not None:
            args.json.write_text(json.dumps({
                "date": date.today().isoformat(), "first_job_s": round(ran_s, 2),
                "cached_ms": {"min": round(min(cached), 1),
                              "median": round(median, 1), "max": round(max(cached), 1)},
                "queued_ms": {"min": round(min(fresh), 1),
                              "median": round(statistics.median(fresh), 1),
                              "max": round(max(fresh), 1)},
                "verified": not problems}, indent=2) + "\n")
        return 1 if problems else 0
    finally:
        if proc is not None:
            stop_server(proc)
        worker_services.close_services()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted (server stopped, data dir removed)", file=sys.stderr)
        sys.exit(130)
