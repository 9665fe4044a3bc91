"""PostgreSQL clusters and Redis servers of a test's own, on free loopback ports, that it may
stop, kill and restart; removed afterwards, also when the test fails.

The shared instances (PostgreSQL on 5432, Redis on 6379) are never touched: restart drills on
them would break every other test and session using them.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from tests.support import free_port

PG_VERSION = "15"


def _run(*args: str) -> None:
    done = subprocess.run(list(args), capture_output=True, timeout=60, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): "
                           f"{done.stderr.strip()[-2000:]}")


def postgres_available() -> str | None:
    """Why a throwaway cluster cannot be made here, or None when it can."""
    if shutil.which("pg_createcluster") is None or shutil.which("pg_ctlcluster") is None:
        return "pg_createcluster/pg_ctlcluster (postgresql-common) are not installed"
    if not Path(f"/usr/lib/postgresql/{PG_VERSION}/bin/postgres").exists():
        return f"PostgreSQL {PG_VERSION} server binaries are not installed"
    if os.geteuid() != 0:
        return "creating a cluster with pg_createcluster needs root"
    return None


def redis_available() -> str | None:
    return None if shutil.which("redis-server") else "redis-server is not installed"


class ThrowawayPostgres:
    """A PostgreSQL cluster of its own (pg_createcluster), trust auth on loopback only."""

    def __init__(self) -> None:
        self.name = f"lxt{os.getpid()}{secrets.token_hex(3)}"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/lexgraph"

    def __enter__(self) -> ThrowawayPostgres:
        try:
            _run("pg_createcluster", PG_VERSION, self.name, "-p", str(self.port),
                 "-o", "fsync=off",
                 "--", "--auth-host=trust", "--auth-local=trust")
            self.start()
            _run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-c",
                 "CREATE DATABASE lexgraph")
        except BaseException:
            self.remove()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.remove()

    def start(self) -> None:
        _run("pg_ctlcluster", PG_VERSION, self.name, "start")

    def stop(self, mode: str = "fast") -> None:
        _run("pg_ctlcluster", PG_VERSION, self.name, "stop", "-m", mode)

    def restart(self, mode: str = "fast") -> None:
        _run("pg_ctlcluster", PG_VERSION, self.name, "restart", "-m", mode)

    def remove(self) -> None:
        subprocess.run(["pg_dropcluster", PG_VERSION, self.name, "--stop"],
                       capture_output=True, timeout=60)


class ThrowawayRedis:
    """A redis-server of its own with the AOF persistence compose.yaml gives the broker."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = Path(tempfile.mkdtemp(prefix="lexgraph-redis-"))
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ThrowawayRedis:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self) -> None:
        log = (self.dir / "redis.log").open("ab")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.dir), "--save", "", "--appendonly", "yes",
             "--appendfsync", "everysec"], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        import redis

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=self.port, socket_connect_timeout=0.5).ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def kill(self) -> None:
        """SIGKILL: no shutdown save, clients see their connections reset."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None
