"""Bad files through the real API and a real worker: each kind gets its own message in the
result, and the job goes on with the good documents."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from lexgraph.adapters.embeddings.local import LocalEmbedder
from lexgraph.adapters.vectorstore.lancedb_store import LanceDBStore
from lexgraph.core.config.settings import Settings
from lexgraph.core.db.engine import make_engine
from lexgraph.core.db.models import Job
from lexgraph.core.retrieval import Retriever
from lexgraph.core.vectorstore import Scope
from tests.documents import corrupt_pdf, docx_bomb, encrypted_pdf, scanned_pdf, text_pdf
from tests.e2e.conftest import make_key
from tests.support import Stack, wait_for

GOOD = (b"SERVICES AGREEMENT\n\n1. Services\nThe Supplier shall provide the Services described "
        b"in Schedule 1.\n\n2. Fees\nThe Customer shall pay the fees within thirty days.\n")
BAD = {
    "scan": ("scan.pdf", scanned_pdf(), "pdf_no_text",
             "the PDF is a scan: its 2 page(s) are images without a text layer; run OCR on it "
             "and upload it again"),
    "encrypted": ("locked.pdf", encrypted_pdf(), "pdf_encrypted",
                  "the PDF is password-protected; upload an unprotected copy"),
    "corrupt": ("broken.pdf", corrupt_pdf(), "pdf_corrupt",
                "the PDF is damaged or not a PDF and could not be opened; upload the original "
                "file again"),
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, str]]:
    root = tmp_path_factory.mktemp("ingest-e2e")
    settings = Settings(data_dir=root / "var")
    key = make_key(settings)
    logs = root / "logs"
    logs.mkdir()
    running = Stack(settings, logs)
    try:
        running.start_api()
        running.start_worker()
        yield running, key
    finally:
        running.stop()


@pytest.fixture(scope="module")
def client(stack: tuple[Stack, str]) -> Iterator[httpx.Client]:
    server, key = stack
    with httpx.Client(base_url=server.base, headers={"Authorization": f"Bearer {key}"},
                      timeout=30) as opened:
        yield opened


def _run(client: httpx.Client, files: list[tuple[str, bytes]], matter: str) -> dict[str, Any]:
    resp = client.post("/v1/jobs", data={"matter": matter}, files=[
        ("files", (name, data, "application/octet-stream")) for name, data in files])
    assert resp.status_code == 202, resp.text
    job_id = resp.json()["id"]

    def finished() -> dict[str, Any] | None:
        job: dict[str, Any] = client.get(f"/v1/jobs/{job_id}").json()
        return job if job["status"] not in ("queued", "running") else None

    result: dict[str, Any] = wait_for(finished, 180, f"job {job_id} to finish", interval=0.25)
    return result


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_file_gets_its_own_message_and_the_job_goes_on(client: httpx.Client,
                                                           kind: str) -> None:
    name, data, code, message = BAD[kind]
    job = _run(client, [("services.txt", GOOD), (name, data)], matter=f"m-{kind}")
    assert job["status"] == "succeeded", job
    result = client.get(f"/v1/jobs/{job['id']}/result").json()
    good, bad = result["documents"]
    assert good["error"] is None and good["chunks"] >= 1
    assert bad["filename"] == name
    assert bad["error"]["code"] == code
    assert message in bad["error"]["message"]
    assert (result["totals"]["readable"], result["totals"]["documents"]) == (1, 2)
    markdown = client.get(f"/v1/jobs/{job['id']}/result",
                          headers={"Accept": "text/markdown"}).text
    assert f"- {name}: not read: " in markdown and f"(`{code}`)" in markdown


def test_a_zip_bomb_is_refused_at_intake_and_nothing_is_queued(client: httpx.Client) -> None:
    # The archive is measured while it streams, before any job exists: one bomb refuses the
    # whole submission with the file's name, rather than a job that fails later in a worker.
    resp = client.post("/v1/jobs", data={"matter": "m-bomb"}, files=[
        ("files", ("services.txt", GOOD, "text/plain")),
        ("files", ("bomb.docx", docx_bomb(), "application/octet-stream"))])
    assert resp.status_code == 413, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    detail = resp.json()["detail"]
    assert "bomb.docx" in detail and "zip bomb" in detail
    assert client.get("/v1/jobs", params={"matter": "m-bomb"}).json()["data"] == []


def test_a_job_of_bad_files_only_fails_with_the_reason(client: httpx.Client) -> None:
    job = _run(client, [("scan.pdf", scanned_pdf(pages=1)), ("locked.pdf", encrypted_pdf())],
               matter="m-all-bad")
    assert job["status"] == "failed"
    assert job["error"]["code"] == "no_readable_documents"
    assert "the PDF is a scan" in job["error"]["message"]


def test_worker_indexes_the_good_documents_for_search(stack: tuple[Stack, str],
                                                      client: httpx.Client,
                                                      embedder: LocalEmbedder) -> None:
    server, _ = stack
    job = _run(client, [("notice.pdf", text_pdf(
        ["Notice of default under the Lease.", "The Tenant must cure within ten days."]))],
        matter="m-indexed")
    assert job["status"] == "succeeded", job
    result = client.get(f"/v1/jobs/{job['id']}/result").json()
    doc = result["documents"][0]
    assert doc["pages"] == 2 and doc["chunks"] == 2
    engine = make_engine(server.settings.resolved_database_url)
    with engine.connect() as conn:
        tenant_id, matter_id = conn.execute(select(Job.tenant_id, Job.matter_id)
                                            .where(Job.id == job["id"])).one()
    engine.dispose()
    store = LanceDBStore(server.settings.resolved_vector_dir)
    scope = Scope(tenant_id, matter_id)
    assert store.count(scope) == 2
    hits = Retriever(embedder, store, scope).search("within how many days must the tenant cure",
                                                    k=1)
    assert hits[0].passage.id == f"{doc['id']}:2:1"
    assert hits[0].passage.text == "The Tenant must cure within ten days."
    # The same tenant's other matters hold only their own documents.
    assert store.count(Scope(tenant_id, "mat_not_this_one")) == 0
