"""Checkpoints are encrypted at rest: the personal data in a job's pseudonym map appears in no
checkpoint row, a job stopped after a node resumes with the same key in a new process, and
a production database without a key stops the service from starting."""

from __future__ import annotations

import base64
import secrets
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from lexgraph.composition import worker as worker_services
from lexgraph.core.config.settings import Settings
from lexgraph.core.errors import ConfigError
from lexgraph.graphs.checkpointer import checkpoint_key, open_checkpointer
from tests.integration.conftest import Api, open_api

CANARY = "Ottoline Brackenridge"
CONTRACT = (
    "SERVICES AGREEMENT\n\n"
    f"This Agreement is made between Harbourline Ltd and Ms {CANARY} of 4 Quay Lane "
    f'(the "Consultant"). The Consultant shall deliver the reports monthly. Either party may '
    "terminate on thirty days' notice. Payment is due within fourteen days of invoice.\n"
)


@pytest.fixture
def api(any_settings: Settings) -> Iterator[Api]:
    with open_api(any_settings) as started:
        yield started
    worker_services.close_services()


def _raw_rows(settings: Settings) -> list[bytes]:
    """Every stored checkpoint value as bytes, exactly as the database holds it."""
    url = settings.resolved_checkpoint_url
    cells: list[Any] = []
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url[len("sqlite:///"):]) as conn:
            tables = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")]
            for table in tables:
                for row in conn.execute(f'SELECT * FROM "{table}"'):
                    cells.extend(row)
    else:
        import psycopg

        with psycopg.connect("postgresql://" + url.split("://", 1)[1]) as conn:
            for table in ("checkpoints", "checkpoint_blobs", "checkpoint_writes"):
                for row in conn.execute(f"SELECT * FROM {table}"):
                    cells.extend(row)
    return [c if isinstance(c, bytes) else str(c).encode() for c in cells if c is not None]


def _state(settings: Settings, job_id: str) -> dict[str, Any]:
    saver, close = open_checkpointer(settings.resolved_checkpoint_url,
                                     key=checkpoint_key(settings))
    try:
        found = saver.get_tuple({"configurable": {"thread_id": job_id, "checkpoint_ns": ""}})
        assert found is not None
        return dict(found.checkpoint["channel_values"])
    finally:
        close()


def test_no_personal_data_in_checkpoint_rows(api: Api) -> None:
    auth = api.tenant("acme")
    job_id = api.submit(auth, documents=[{"filename": "services.txt", "text": CONTRACT}],
                        instructions=f"Name {CANARY} as the consultant.").json()["id"]
    runner = worker_services.get_services(api.settings).runner
    assert runner.run(job_id) == "succeeded"

    state = _state(api.settings, job_id)
    assert CANARY in repr(state["pii"])  # the map holds the name, so it was checkpointed
    assert CANARY in state["markdown"]  # and so does the re-identified summary
    rows = _raw_rows(api.settings)
    assert len(rows) > 10
    needles = [CANARY.encode(), CANARY.encode("utf-16-le"), b"Brackenridge"]
    leaked = [row[:80] for row in rows if any(n in row for n in needles)]
    assert leaked == []
    # Nor is any text the job stored readable as such: the document's own wording is absent.
    assert not any(b"Quay Lane" in row or b"Harbourline" in row for row in rows)


def test_a_stopped_job_resumes_in_a_new_process_with_the_key(api: Api) -> None:
    auth = api.tenant("acme")
    job_id = api.submit(auth, documents=[{"filename": "services.txt", "text": CONTRACT}]
                        ).json()["id"]
    runner = worker_services.get_services(api.settings).runner
    runner.stopping.set()  # a graceful stop: the job is handed back after its first node
    assert runner.run(job_id) == "released: the worker is stopping"
    assert api.client.get(f"/v1/jobs/{job_id}", headers=auth).json()["status"] == "queued"
    worker_services.close_services()

    # A new worker (new services, new checkpointer connections) with the same key.
    resumed = worker_services.get_services(api.settings).runner
    assert resumed.run(job_id) == "succeeded"
    events = api.client.get(f"/v1/jobs/{job_id}/events", headers=auth,
                            params={"limit": 500}).json()["data"]
    ingested = [e for e in events if e["type"] == "job.progress"
                and e["data"].get("node") == "ingest"]
    assert len(ingested) == 1  # ingest ran once: the second attempt read its checkpoint


def test_a_checkpoint_written_under_one_key_is_unreadable_under_another(api: Api) -> None:
    auth = api.tenant("acme")
    job_id = api.submit(auth, documents=[{"filename": "services.txt", "text": CONTRACT}]
                        ).json()["id"]
    runner = worker_services.get_services(api.settings).runner
    runner.stopping.set()
    assert runner.run(job_id) == "released: the worker is stopping"
    other = Settings(data_dir=api.settings.data_dir, database_url=api.settings.database_url,
                     broker_url=api.settings.broker_url,
                     checkpoint_key=base64.b64encode(secrets.token_bytes(32)).decode())
    saver, close = open_checkpointer(other.resolved_checkpoint_url, key=checkpoint_key(other))
    try:
        with pytest.raises(ConfigError, match="not the key it was written with"):
            saver.get_tuple({"configurable": {"thread_id": job_id, "checkpoint_ns": ""}})
    finally:
        close()


def test_production_refuses_to_start_without_a_key(production_settings: Settings) -> None:
    keyless = Settings(data_dir=production_settings.data_dir,
                       database_url=production_settings.database_url,
                       broker_url=production_settings.broker_url)
    with pytest.raises(ConfigError, match="LEXGRAPH_CHECKPOINT_KEY is not set"):
        checkpoint_key(keyless)
    with pytest.raises(ConfigError, match="LEXGRAPH_CHECKPOINT_KEY is not set"), \
            open_api(keyless):
        pass  # the API's start fails
    with pytest.raises(ConfigError, match="LEXGRAPH_CHECKPOINT_KEY is not set"):
        worker_services.get_services(keyless)  # so does a worker's


def test_embedded_needs_no_configuration(embedded_settings: Settings) -> None:
    first = checkpoint_key(embedded_settings)
    assert len(first) == 32
    assert checkpoint_key(embedded_settings) == first  # kept in the data directory
    assert (embedded_settings.data_dir / "checkpoint.key").stat().st_mode & 0o077 == 0
    bad = Settings(data_dir=embedded_settings.data_dir, checkpoint_key="c2hvcnQ=")
    with pytest.raises(ConfigError, match="32 random bytes"):
        checkpoint_key(bad)
