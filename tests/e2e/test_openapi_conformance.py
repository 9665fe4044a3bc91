"""Schemathesis against a real API process on PostgreSQL and Redis, with every check on: no
server error, every answer's status, content type, headers and body as the document says, and
requests the schema allows accepted while those it forbids are refused.

A finished job, a webhook endpoint and its deliveries exist before the run, and the path ids of
job-, endpoint- and delivery-level operations are pinned to them, so state-dependent answers
(a result, a review conflict, a redelivery) are exercised rather than only 404s.
"""

from __future__ import annotations

import base64
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lexgraph.client import Client
from lexgraph.core.config.settings import Settings
from lexgraph.core.db.engine import make_engine
from lexgraph.core.db.migrate import upgrade
from lexgraph.core.jobs.store import JobStore
from lexgraph.core.storage.blobs import LocalBlobStore
from tests.receiver import Receiver
from tests.support import Stack, wait_for

# Few examples per operation and phase: the run stays around a minute on two cores while every
# operation still sees valid, boundary and invalid inputs.
MAX_EXAMPLES = 6
CONTRACT = ("SERVICES AGREEMENT\n\n1. Fees\nThe Customer shall pay within thirty days.\n\n"
            "2. Term\nEither party may end this Agreement on ninety days' notice.\n")

# Where the schema cannot say everything the server checks, the statuses a valid-looking
# request may still get, with the reason:
ALSO_REFUSED = {
    # Uploaded bytes must be a PDF, a DOCX or UTF-8 text (415); a webhook URL must resolve to
    # an allowed network (422); over a tenant limit (429).
    "submitJob": ["413", "415", "422"],
    "createWebhookEndpoint": ["422"],
    "updateWebhookEndpoint": ["422"],
    # ``until`` must come after ``since``.
    "getUsage": ["422"],
}


def _toml(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _config(key: str, ids: dict[str, str], spares: dict[str, dict[str, str]]) -> str:
    job_cursor = base64.urlsafe_b64encode(b"job_" + b"z" * 26).decode().rstrip("=")
    lines = [
        f"headers = {{ Authorization = {_toml('Bearer ' + key)} }}",
        "[parameters]",
        *(f"{name} = {_toml(value)}" for name, value in ids.items()),
    ]
    # A cursor is opaque: only one the server made is valid, so each list gets a real one.
    cursors = {"listJobs": job_cursor, "listWebhookEndpoints": "whe_" + "0" * 26,
               "listEndpointDeliveries": "dlv_" + "z" * 26,
               "listJobDeliveries": "dlv_" + "z" * 26}
    for operation, cursor in cursors.items():
        lines += ["[[operations]]", f"include-operation-id = {_toml(operation)}",
                  f"parameters = {{ cursor = {_toml(cursor)} }}"]
    # Operations that revoke, rotate or delete work on spares of their own, so the run's key
    # and the pinned job and endpoint stay usable for every other operation.
    for operation, values in spares.items():
        pinned = ", ".join(f"{name} = {_toml(value)}" for name, value in values.items())
        lines += ["[[operations]]", f"include-operation-id = {_toml(operation)}",
                  f"parameters = {{ {pinned} }}"]
    for operation, statuses in ALSO_REFUSED.items():
        expected = ["2xx", "401", "403", "404", "409", "429", *statuses]
        lines += ["[[operations]]", f"include-operation-id = {_toml(operation)}",
                  "[operations.checks.positive_data_acceptance]",
                  f"expected-statuses = {_toml(expected)}"]
    return "\n".join(lines) + "\n"


def _admin_key(settings: Settings) -> str:
    settings.ensure_dirs()
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    key, _ = JobStore(engine, LocalBlobStore(settings.resolved_blob_dir),
                      settings).create_key("acme", admin=True)
    engine.dispose()
    return key


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rx = Receiver().start()
    yield rx
    rx.stop()


def test_schemathesis_finds_no_mismatch(production_settings: Settings, stack_factory: Any,
                                        receiver: Receiver, tmp_path: Path) -> None:
    key = _admin_key(production_settings)
    stack: Stack = stack_factory(production_settings, webhook_allowed_networks="127.0.0.0/8",
                                 webhook_poll_interval_seconds=0.2)
    stack.start_api()
    stack.start_worker("orchestrate,webhooks")
    with Client(stack.base, api_key=key) as lg:
        endpoint = lg.create_endpoint(receiver.url("/hook"))
        job = lg.submit(text=CONTRACT, filename="services.txt", matter="acme-v-globex",
                        profile="contract")
        job = lg.wait(job.id, timeout=240)
        assert job.status == "succeeded", job.error
        deliveries = wait_for(lambda: lg.list_job_deliveries(job.id).data, 60, "deliveries")
        spare_job = lg.wait(lg.submit(text=CONTRACT, matter="spare").id, timeout=240)
        spare_key = lg.create_key()
        spare_endpoint = lg.create_endpoint(receiver.url("/spare"))
    ids = {"job_id": job.id, "endpoint_id": endpoint.id, "delivery_id": deliveries[0].id}
    spares = {"revokeKey": {"key_id": spare_key.id}, "rotateKey": {"key_id": spare_key.id},
              "deleteJob": {"job_id": spare_job.id}, "deleteMatter": {"matter": "spare"},
              "deleteWebhookEndpoint": {"endpoint_id": spare_endpoint.id}}
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(key, ids, spares))
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "--no-color",
         "run", f"{stack.base}/openapi.json", "--checks", "all",
         "--max-examples", str(MAX_EXAMPLES),
         "--phases", "examples,coverage,fuzzing", "--seed", "17", "--workers", "1",
         "--continue-on-failure", "--max-failures", "50", "--suppress-health-check", "all"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False)
    (tmp_path / "schemathesis.log").write_text(run.stdout + run.stderr)
    print(f"\nschemathesis: {time.monotonic() - started:.0f} s\n"
          + "\n".join(run.stdout.splitlines()[-60:]))
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
    # Every operation was reached with the key: none answered only 401 or 403.
    assert "Authentication failed" not in run.stdout, run.stdout[-5000:]
