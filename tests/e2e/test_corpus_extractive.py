"""Extractive mode, end to end through the API and a worker process, on every document of the
shared corpus: no LLM configured, and the test's network guard allows loopback only. Skipped,
not failed (even with LEXGRAPH_REQUIRE_SERVICES=1), where the shared corpus is not beside the
checkout: a plain clone ships only the few documents in tests/data/."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from lexgraph.core.config.settings import Settings
from tests.conftest import CORPUS
from tests.documents import SHARED_ABSENT
from tests.e2e.conftest import make_key
from tests.support import wait_for

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=SHARED_ABSENT)


def _documents() -> dict[str, list[dict[str, str]]]:
    contracts = [{"filename": p.name, "text": p.read_text(encoding="utf-8")}
                 for p in sorted((CORPUS / "contracts").glob("*.txt"))]
    pdfs = {p.name: {"filename": p.name,
                     "content_base64": base64.b64encode(p.read_bytes()).decode()}
            for p in sorted((CORPUS / "pdf").glob("*.pdf"))}
    bills = [{"filename": f"{row['id']}.txt", "text": row["text"]}
             for row in map(json.loads, (CORPUS / "billsum_dev.jsonl").read_text().splitlines())
             if row]
    contract_pdfs = [v for k, v in pdfs.items() if k.startswith("cuad_")]
    opinions = [v for k, v in pdfs.items() if not k.startswith("cuad_")]
    return {"contract": contracts + contract_pdfs, "court_opinion": opinions,
            "legislation": bills}


def test_every_corpus_document_summarizes_extractively(embedded_settings: Settings,
                                                       stack_factory) -> None:
    jobs = _documents()
    assert sum(len(d) for d in jobs.values()) == 16
    key = make_key(embedded_settings)
    stack = stack_factory(embedded_settings)
    stack.start_api()
    stack.start_worker()
    with httpx.Client(base_url=stack.base, headers={"Authorization": f"Bearer {key}"},
                      timeout=60) as client:
        submitted = {}
        for profile, documents in jobs.items():
            resp = client.post("/v1/jobs", json={"matter": f"corpus-{profile}",
                                                 "profile": profile, "documents": documents})
            assert resp.status_code == 202, resp.text
            submitted[profile] = resp.json()["id"]
        for profile, job_id in submitted.items():
            def done(job_id: str = job_id) -> dict[str, Any] | None:
                job = client.get(f"/v1/jobs/{job_id}").json()
                return job if job["status"] not in ("queued", "running") else None

            job = wait_for(done, 900, f"the {profile} job", interval=1.0)
            assert job["status"] == "succeeded", job
            result = client.get(f"/v1/jobs/{job_id}/result").json()
            assert result["mode"] == "extractive" and result["model"] is None
            assert all(d["error"] is None and d["chunks"] > 0 for d in result["documents"])
            statements = [st for s in result["sections"] for st in s["statements"]]
            assert len(statements) >= len(result["sections"])
            assert all(len(st["citations"]) == 1 for st in statements)
            assert result["compliance"]["verdict"] == "pass"
