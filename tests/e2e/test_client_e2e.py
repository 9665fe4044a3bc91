"""A whole job through ``lexgraph.client`` only, against real API and worker processes: submit a
file, wait on the event stream, review the job when it asks for it, fetch the result in its three
formats, and receive the job's webhooks with their signatures checked by ``verify_webhook``."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from docx import Document as DocxDocument

from lexgraph.api import models
from lexgraph.client import (
    Client,
    ConflictError,
    NotFoundError,
    WebhookSignatureError,
    verify_webhook,
)
from lexgraph.core.config.settings import Settings
from tests.e2e.conftest import make_key
from tests.integration.test_agent_graph import CHECK, CONTRACT, RETRIEVER, draft
from tests.receiver import Receiver
from tests.support import Stack

# A draft that promises an outcome: the drafting policy sends the job to a reviewer.
PROMISE = draft(("payment", "Payment is guaranteed within thirty days.", "thirty days"))
STACK = {"webhook_allowed_networks": "127.0.0.0/8", "webhook_poll_interval_seconds": 0.2,
         # The stream looks for new events this often; wait() returns that long after the
         # job finished at most.
         "event_stream_poll_seconds": 0.02}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rx = Receiver().start()
    yield rx
    rx.stop()


def test_a_job_from_file_to_reviewed_result_through_the_client(
        embedded_settings: Settings, stack_factory: Any, receiver: Receiver,
        tmp_path: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"by_agent": {
        "retriever": RETRIEVER, "summarizer": [PROMISE], "compliance checker": CHECK}}))
    key = make_key(embedded_settings)
    stack: Stack = stack_factory(embedded_settings, llm_backend="scripted", llm_script=script,
                                 **STACK)
    stack.start_api()
    stack.start_worker("orchestrate,webhooks")
    contract = tmp_path / "services.txt"
    contract.write_text(CONTRACT)

    with Client(stack.base, api_key=key) as lg:
        endpoint = lg.create_endpoint(receiver.url("/endpoint"),
                                      event_types=["job.needs_review", "job.completed"])
        assert endpoint.secret.startswith("whsec_")

        job = lg.submit(files=[contract], matter="northwind", profile="contract")
        assert job.status == "queued" and job.documents[0].filename == "services.txt"
        seen: list[models.JobEvent] = []
        job = lg.wait(job.id, on_event=seen.append, timeout=240)
        assert job.status == "needs_review"
        assert seen[-1].type == "job.needs_review"
        with pytest.raises(ConflictError) as early:
            lg.result(job.id)
        assert early.value.problem.status == 409 and "needs_review" in early.value.detail

        reviewed = lg.review(job.id, "approve", comment="checked against the invoice terms")
        assert reviewed.status == "queued"
        # A new wait reads the stream from its start: the events so far, then what follows.
        resumed: list[models.JobEvent] = []
        job = lg.wait(job.id, on_event=resumed.append, timeout=240)
        returned = datetime.now().astimezone()
        assert job.status == "succeeded" and job.finished_at is not None
        print(f"\nwait() returned {(returned - job.finished_at).total_seconds() * 1000:.0f} ms "
              "after the job's finished_at")
        for events in (seen, resumed):
            ids = [e.id for e in events]
            assert ids == sorted(set(ids)), "each event once, in order"
        assert [e.id for e in resumed][:len(seen)] == [e.id for e in seen]
        assert resumed[-1].type == "job.completed"

        summary = lg.result(job.id)
        assert isinstance(summary, models.JobResult)
        assert summary.job_id == job.id and summary.review is not None
        cited = [c for s in summary.sections for st in s.statements for c in st.citations]
        assert cited and all(c.document == "services.txt" for c in cited)
        markdown = lg.result(job.id, format="markdown")
        assert markdown.startswith("# ") and "northwind" in markdown
        docx = lg.result(job.id, format="docx")
        text = "\n".join(p.text for p in DocxDocument(io.BytesIO(docx)).paragraphs)
        assert "northwind" in text

        got = receiver.wait(2, 60)
        payloads = [verify_webhook(r.headers, r.body, endpoint.secret) for r in got]
        assert sorted(p["type"] for p in payloads) == ["job.completed", "job.needs_review"]
        assert {p["data"]["job_id"] for p in payloads} == {job.id}
        tampered = got[0].body.replace(b"job.", b"jab.")
        with pytest.raises(WebhookSignatureError):
            verify_webhook(got[0].headers, tampered, endpoint.secret)
        with pytest.raises(WebhookSignatureError):
            verify_webhook(got[0].headers, got[0].body, lg.signing_secret().secret)

        deliveries = lg.list_job_deliveries(job.id)
        assert {d.event_type for d in deliveries.data} == {"job.needs_review", "job.completed"}
        assert all(d.status == "succeeded" for d in deliveries.data)
        again = lg.redeliver(deliveries.data[0].id)
        assert again.webhook_id == deliveries.data[0].webhook_id
        assert receiver.wait(3, 60)[-1].headers["webhook-id"] == again.webhook_id

        listed = list(lg.iter_jobs(matter="northwind", page_size=1))
        assert [j.id for j in listed] == [job.id]
        assert lg.feedback(job.id, 0.9, comment="right").score == 0.9
        with pytest.raises(NotFoundError) as missing:
            lg.get_job("job_" + "0" * 26)
        assert missing.value.problem.instance == "/v1/jobs/job_" + "0" * 26
        assert lg.wait(job.id).status == "succeeded"  # a finished job answers at once
