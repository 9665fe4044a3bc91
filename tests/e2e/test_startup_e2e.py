"""Start-up as `lexgraph up` runs it: the worker loads the job models before it takes a
message, and `up` says the service is up only once they are loaded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from tests.support import free_port, wait_for

SAMPLE = Path(__file__).resolve().parents[2] / "lexgraph" / "samples" / "mutual-nda.md"


def test_up_is_up_once_the_worker_has_loaded_its_models(tmp_path: Path) -> None:
    data = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEXGRAPH_")}
    env["LEXGRAPH_DATA_DIR"] = str(data)
    key = subprocess.run([sys.executable, "-m", "lexgraph", "keys", "create", "--tenant", "acme"],
                         env=env, capture_output=True, text=True, check=True).stdout.strip()
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "lexgraph", "up", "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    lines: list[str] = []
    markers_when_up: list[list[str]] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if "lexgraph is up" in line:
                markers_when_up.append(sorted(p.name for p in (data / "run").glob("*.ready")))
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        wait_for(lambda: markers_when_up, 300, "lexgraph up to say it is up")
        text = " ".join("".join(lines).split())  # the console wraps long lines
        loaded = text.index("models ready:")
        up = text.index("lexgraph is up")
        assert loaded < up
        for part in ("embedding model", "personal-data recognizers", "clause finder"):
            assert part in text[loaded:up]
        # One of up's own children (the worker; Celery renames its process) had marked
        # itself ready by then, and only one.
        children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True,
                                  text=True).stdout.split()
        assert len(markers_when_up[0]) == 1
        assert markers_when_up[0][0] in {f"worker-{pid}.ready" for pid in children}

        base = f"http://127.0.0.1:{port}"
        auth = {"Authorization": f"Bearer {key}"}
        with SAMPLE.open("rb") as fh:
            resp = httpx.post(f"{base}/v1/jobs", headers=auth,
                              data={"matter": "startup", "profile": "contract"},
                              files=[("files", (SAMPLE.name, fh, "text/markdown"))])
        assert resp.status_code == 202, resp.text
        job = resp.json()
        done = wait_for(lambda: (j := httpx.get(f"{base}/v1/jobs/{job['id']}",
                                                headers=auth).json())["status"]
                        not in ("queued", "running") and j, 120, "the first job")
        assert done["status"] == "succeeded", done

        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        # A stopped worker takes its marker with it: a stale one would say "ready" next time.
        assert not list((data / "run").glob("*.ready"))
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
