"""Run the real API server and Celery workers as separate processes for end-to-end tests."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from lexgraph.core.config.settings import Settings
from lexgraph.core.netutil import free_port

CELERY_READY = re.compile(r"@\S+ ready\.")


def settings_env(settings: Settings, **extra: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEXGRAPH_")}
    env["LEXGRAPH_DATA_DIR"] = str(settings.data_dir)
    if settings.database_url:
        env["LEXGRAPH_DATABASE_URL"] = settings.database_url
    if settings.broker_url:
        env["LEXGRAPH_BROKER_URL"] = settings.broker_url
    if settings.checkpoint_key is not None:
        env["LEXGRAPH_CHECKPOINT_KEY"] = settings.checkpoint_key.get_secret_value()
    for key, value in extra.items():
        env[f"LEXGRAPH_{key.upper()}"] = str(value)
    return env


class Process:
    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args = args
        self.log_path = log
        self._log = log.open("ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "lexgraph", *args], env=env,
                                     stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def kill(self) -> None:
        """SIGKILL the whole process group: no cleanup, no acknowledgements."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self, timeout: float = 20) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


def wait_for(predicate: Callable[[], Any], timeout: float, what: str,
             interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


class Stack:
    """An API server plus orchestrator workers, each a real OS process."""

    def __init__(self, settings: Settings, logs: Path, **extra: Any) -> None:
        self.settings = settings
        self.env = settings_env(settings, **extra)
        self.logs = logs
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.api: Process | None = None
        self.workers: list[Process] = []

    def start_api(self) -> None:
        self.api = Process(["api", "--host", "127.0.0.1", "--port", str(self.port)], self.env,
                           self.logs / "api.log")

        def ready() -> bool:
            assert self.api is not None
            if self.api.proc.poll() is not None:
                raise AssertionError("API exited:\n" + self.api.output())
            try:
                return httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(ready, 60, "the API to become ready", interval=0.2)

    def start_worker(self, queues: str = "orchestrate") -> Process:
        n = len(self.workers)
        worker = Process(["worker", "--queues", queues, "--loglevel", "INFO"], self.env,
                         self.logs / f"worker-{n}.log")
        self.workers.append(worker)
        # Celery's own "<name>@<host> ready." line: the CLI's "model(s) ready" comes before
        # Celery consumes, and a job submitted then waits on a queue nobody reads yet.
        wait_for(lambda: CELERY_READY.search(worker.output()) is not None
                 or worker.proc.poll() is not None, 60, "the worker to start", interval=0.2)
        if worker.proc.poll() is not None:
            raise AssertionError("worker exited:\n" + worker.output())
        return worker

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        if self.api is not None:
            self.api.stop()
