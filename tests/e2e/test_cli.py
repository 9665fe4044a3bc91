"""The command line as a user runs it: real processes, embedded defaults."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support import free_port, wait_for

SAMPLE = Path(__file__).resolve().parents[2] / "lexgraph" / "samples" / "mutual-nda.md"


def lexgraph(*args: str, data_dir: Path, timeout: float = 120,
             **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("LEXGRAPH_")}
    full_env.update({"LEXGRAPH_DATA_DIR": str(data_dir), **env})
    return subprocess.run([sys.executable, "-m", "lexgraph", *args], env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def test_summarize_on_embedded_defaults(tmp_path: Path) -> None:
    """The README's main command: a fresh data dir, no services, a result printed."""
    data = tmp_path / "var"
    done = lexgraph("summarize", str(SAMPLE), "--profile", "contract", "--matter", "demo",
                    data_dir=data)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# Contract summary: demo")
    assert "## Governing law" in done.stdout and "laws of England and Wales" in done.stdout
    assert "Harbourline Logistics Ltd" in done.stdout
    assert "succeeded" in done.stderr
    key_file = data / "local-api-key"
    assert key_file.stat().st_mode & 0o777 == 0o600

    again = lexgraph("summarize", str(SAMPLE), "--json", "--length", "400", data_dir=data)
    assert again.returncode == 0, again.stderr
    body = json.loads(again.stdout)
    assert body["mode"] == "extractive"
    assert body["documents"][0]["filename"] == "mutual-nda.md"
    assert any(s["statements"] for s in body["sections"])
    assert key_file.read_text() == key_file.read_text().strip() + "\n"
    # The job carries the length it was asked for; without --length, the default.
    with contextlib.closing(sqlite3.connect(data / "lexgraph.db")) as db:
        lengths = db.execute("SELECT length FROM jobs ORDER BY created_at").fetchall()
    assert lengths == [("standard",), ("400",)]


def test_summarize_reports_bad_input(tmp_path: Path) -> None:
    missing = lexgraph("summarize", str(tmp_path / "nope.pdf"), data_dir=tmp_path / "var")
    assert missing.returncode == 1
    assert "not a file" in missing.stderr

    picture = tmp_path / "scan.txt"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    refused = lexgraph("summarize", str(picture), data_dir=tmp_path / "var")
    assert refused.returncode == 1
    assert "415" in refused.stderr and "scan.txt" in refused.stderr

    # Choices are checked before anything starts: a usage error (exit code 2).
    profile = lexgraph("summarize", str(SAMPLE), "--profile", "memo", data_dir=tmp_path / "var")
    assert profile.returncode == 2 and "'memo' is not one of 'contract'" in profile.stderr

    for bad in ("long", "29", "-5"):
        length = lexgraph("summarize", str(SAMPLE), "--length", bad, data_dir=tmp_path / "var")
        assert length.returncode == 2, bad
        words = " ".join(w for w in length.stderr.split() if w != "│")
        assert "must be one of brief, standard, detailed, or a whole number of words " \
               "from 30 to 5000" in words, length.stderr
    docx = lexgraph("summarize", str(SAMPLE), "--output", str(tmp_path / "out.pdf"),
                    data_dir=tmp_path / "var")
    assert docx.returncode == 1 and "--output needs a .md, .json or .docx name" in docx.stderr


def test_keys_migrate_and_worker_validation(tmp_path: Path) -> None:
    data = tmp_path / "var"
    migrated = lexgraph("migrate", data_dir=data)
    assert migrated.returncode == 0 and "revision" in migrated.stderr
    created = lexgraph("keys", "create", "--tenant", "acme", data_dir=data)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("lxg_") and len(key) > 40
    bad = lexgraph("worker", "--queues", "everything", data_dir=data)
    assert bad.returncode == 2 and "queues must be among" in bad.stderr
    # A GPU worker with no model to load refuses to start, rather than take requests.
    modelless = lexgraph("worker", "--queues", "inference", data_dir=data)
    assert modelless.returncode == 2
    assert "cannot start an inference worker" in modelless.stderr
    assert "LEXGRAPH_LLM_BACKEND" in modelless.stderr


def test_up_serves_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    data = tmp_path / "var"
    key = lexgraph("keys", "create", "--tenant", "acme", data_dir=data).stdout.strip()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEXGRAPH_")}
    env["LEXGRAPH_DATA_DIR"] = str(data)
    proc = subprocess.Popen([sys.executable, "-m", "lexgraph", "up", "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        def ready() -> bool:
            try:
                return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(ready, 60, "lexgraph up to serve")
        # The same stack answers `summarize --url`.
        done = lexgraph("summarize", str(SAMPLE), "--url", base, data_dir=data,
                        LEXGRAPH_API_KEY=key)
        assert done.returncode == 0, done.stderr
        assert "# Document summary: default" in done.stdout
        # --output picks the format by its extension; the result comes through the client.
        saved = tmp_path / "summary.docx"
        done = lexgraph("summarize", str(SAMPLE), "--url", base, "--output", str(saved),
                        data_dir=data, LEXGRAPH_API_KEY=key)
        assert done.returncode == 0, done.stderr
        assert saved.read_bytes()[:2] == b"PK" and f"result written to {saved}" in \
            " ".join(done.stderr.split())
        # Ctrl-C reaches the whole foreground process group, as in a terminal.
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"{base}/healthz", timeout=2)
        children = subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True, text=True)
        assert children.stdout.strip() == ""
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_summarize_url_needs_a_key(tmp_path: Path) -> None:
    done = lexgraph("summarize", str(SAMPLE), "--url", "http://127.0.0.1:9", data_dir=tmp_path)
    assert done.returncode == 1 and "needs an API key" in done.stderr


def test_up_stops_its_children_on_sigterm(tmp_path: Path) -> None:
    """A service manager stops `lexgraph up` with SIGTERM; nothing may be left running."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEXGRAPH_")}
    env["LEXGRAPH_DATA_DIR"] = str(tmp_path / "var")
    proc = subprocess.Popen([sys.executable, "-m", "lexgraph", "up", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        def ready() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(ready, 60, "lexgraph up to serve")
        proc.send_signal(signal.SIGTERM)  # the parent only, not the group
        assert proc.wait(timeout=30) == 0
        wait_for(lambda: subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True,
                                        text=True).stdout.strip() == "", 10,
                 "the API and worker to exit")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_up_starts_a_worker_that_died_again(tmp_path: Path) -> None:
    """A worker that exits (killed here; a lost broker did it before) is started again."""
    data = tmp_path / "var"
    key = lexgraph("keys", "create", "--tenant", "acme", data_dir=data).stdout.strip()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEXGRAPH_")}
    env["LEXGRAPH_DATA_DIR"] = str(data)
    proc = subprocess.Popen([sys.executable, "-m", "lexgraph", "up", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"

    def worker_pid() -> int | None:
        found = subprocess.run(["pgrep", "-P", str(proc.pid), "-f", "lexgraph worker"],
                               capture_output=True, text=True).stdout.split()
        return int(found[0]) if found else None

    try:
        def ready() -> bool:
            try:
                return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(ready, 60, "lexgraph up to serve")
        first = wait_for(worker_pid, 10, "the worker process")
        os.kill(first, signal.SIGKILL)
        second = wait_for(lambda: (pid := worker_pid()) not in (None, first) and pid, 30,
                          "a new worker process")
        assert proc.poll() is None and second != first
        done = lexgraph("summarize", str(SAMPLE), "--url", base, data_dir=data,
                        LEXGRAPH_API_KEY=key)
        assert done.returncode == 0, done.stderr
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
