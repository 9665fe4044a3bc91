"""The graph's ingest node: parse, chunk, embed and index under the job's tenant + matter."""

from __future__ import annotations

import base64

from sqlalchemy import select

from lexgraph.adapters.embeddings.local import LocalEmbedder
from lexgraph.adapters.vectorstore.lancedb_store import LanceDBStore
from lexgraph.composition import worker as worker_services
from lexgraph.core.db.models import Job
from lexgraph.core.retrieval import Retriever
from lexgraph.core.vectorstore import Scope
from tests.documents import FUSE_PDF
from tests.integration.conftest import Api

NOTICE = (
    "NOTICE OF TERMINATION\n\n1. Termination\nThe Landlord terminates the Lease of Unit 4, "
    "Harbour Buildings, with effect from 1 May, in accordance with clause 12.2 of the Lease. "
    "All rent and service charges up to that date remain payable, and the deposit will be "
    "returned within twenty-eight days of the end of the Lease, less any lawful deductions for "
    "damage beyond fair wear and tear.\n\n2. Keys\nThe Tenant shall return all keys, access "
    "cards and parking permits to the managing agent at its office no later than noon on the "
    "last day of the Lease, and shall leave the Unit clean, empty and in the condition required "
    "by the Lease. Keys left in the Unit do not count as returned."
)


def test_ingest_indexes_chunks_under_the_jobs_matter(api: Api, run_job, embedder: LocalEmbedder
                                                     ) -> None:
    auth = api.tenant("acme")
    resp = api.submit(auth, matter="harbour-lease", documents=[
        {"filename": "notice.txt", "text": NOTICE},
        {"filename": "fuse.pdf",
         "content_base64": base64.b64encode(FUSE_PDF.read_bytes()).decode()},
    ])
    assert resp.status_code == 202, resp.text
    job_id = resp.json()["id"]
    assert run_job(api.settings, job_id) == "succeeded"

    result = api.client.get(f"/v1/jobs/{job_id}/result", headers=auth).json()
    notice, fuse = result["documents"]
    assert notice["chunks"] == 2 and fuse["chunks"] > 20
    assert result["totals"]["chunks"] == notice["chunks"] + fuse["chunks"]

    runner = worker_services.get_services(api.settings).runner
    state = runner.graph.get_state({"configurable": {"thread_id": job_id}}).values
    pages = {d["id"]: d["pages"] for d in state["extracted"]}
    chunks = state["chunks"]
    assert len(chunks) == result["totals"]["chunks"]
    for chunk in chunks:
        assert pages[chunk["document_id"]][chunk["page"] - 1][chunk["start"]:chunk["end"]] == \
            chunk["text"]
        assert chunk["id"].startswith(f"{chunk['document_id']}:{chunk['page']}:")
    assert [c["heading"] for c in chunks[:2]] == ["NOTICE OF TERMINATION", "2. Keys"]
    assert {c["document"] for c in chunks} == {"notice.txt", "fuse.pdf"}

    with api.store.sessions() as s:
        job = s.execute(select(Job).where(Job.id == job_id)).scalar_one()
        scope = Scope(job.tenant_id, job.matter_id)
    store = LanceDBStore(api.settings.resolved_vector_dir)
    assert store.count(scope) == len(chunks)
    hits = Retriever(embedder, store, scope).search("Who gets the keys back?", k=1)
    assert hits[0].passage.id == chunks[1]["id"] and hits[0].passage.document == "notice.txt"

    # A second job in the same matter sees both jobs' documents; another matter sees none.
    second = api.submit(auth, matter="harbour-lease", documents=[
        {"filename": "memo.txt", "text": "The Landlord accepts the surrender of Unit 4."}])
    assert run_job(api.settings, second.json()["id"]) == "succeeded"
    assert store.count(scope) == len(chunks) + 1
    other = api.submit(auth, matter="another-matter")
    assert run_job(api.settings, other.json()["id"]) == "succeeded"
    assert store.count(scope) == len(chunks) + 1
