"""POST /v1/jobs: accepted submissions in both encodings, and every way a submission is refused.

A refused request must leave nothing behind: no job, document, event, matter or idempotency
row, and no stored blob.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, update

from lexgraph.composition import worker as worker_services
from lexgraph.core.config.settings import Settings
from lexgraph.core.db.models import Job, Matter
from tests.integration.conftest import (
    Api,
    assert_problem,
    make_docx,
    make_pdf,
    make_png,
    make_zip,
    open_api,
)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EXPECTED_FIELDS = "expected files and cache, instructions, length, matter, profile, webhook_url"


# Accepted ----------------------------------------------------------------------------------


def test_json_submission_is_queued_with_location(any_api: Api) -> None:
    auth = any_api.tenant("acme")
    resp = any_api.submit(auth, matter="acme-v-globex", profile="contract",
                          instructions="Focus on termination.",
                          webhook_url="https://hooks.example.com/lexgraph",
                          documents=[{"filename": "msa.txt", "text": "Master Supply Agreement."}])

    assert resp.status_code == 202, resp.text
    job = resp.json()
    assert resp.headers["location"] == f"/v1/jobs/{job['id']}"
    assert "idempotent-replayed" not in resp.headers
    assert job["id"].startswith("job_")
    assert job["object"] == "job"
    assert job["status"] == "queued"
    assert job["matter"] == "acme-v-globex"
    assert job["profile"] == "contract"
    assert job["instructions"] == "Focus on termination."
    assert job["webhook_url"] == "https://hooks.example.com/lexgraph"
    assert job["length"] == "standard"
    assert job["progress"] == 0.0
    assert job["links"] == {"self": f"/v1/jobs/{job['id']}",
                            "result": f"/v1/jobs/{job['id']}/result",
                            "events": f"/v1/jobs/{job['id']}/events",
                            "cancel": f"/v1/jobs/{job['id']}/cancel"}
    [doc] = job["documents"]
    payload = b"Master Supply Agreement."
    assert doc["filename"] == "msa.txt"
    assert doc["media_type"] == "text/plain"
    assert doc["size"] == len(payload)
    assert doc["sha256"] == hashlib.sha256(payload).hexdigest()
    assert doc["pages"] == 1

    # What the 202 promised is what is stored.
    assert any_api.client.get(resp.headers["location"], headers=auth).json() == job
    assert any_api.counts() == {"jobs": 1, "documents": 1, "job_events": 1,
                                "idempotency_records": 0, "matters": 1, "results": 0}
    assert any_api.blobs() == [f"{doc['sha256'][:2]}/{doc['sha256']}"]


def test_multipart_submission_accepts_every_supported_format(any_api: Api) -> None:
    auth = any_api.tenant("acme")
    pdf = make_pdf(pages=2, text="Order of remand")
    docx = make_docx(["Distributor Agreement", "Section 1. Territory"], pages=3)
    files = [
        ("order.pdf", pdf, "application/pdf"),
        ("agreement.docx", docx, DOCX),
        ("notice.html", b"<!doctype html><html><body><p>Notice</p></body></html>", "text/html"),
        ("brief.md", b"# Brief\n\nArgument.", "text/markdown"),
        ("letter.txt", b"Dear counsel,", "text/plain"),
    ]
    resp = any_api.upload(auth, files, matter="in-re-bard", profile="court_opinion",
                          instructions="Summarise the holding.")

    assert resp.status_code == 202, resp.text
    job = resp.json()
    assert job["matter"] == "in-re-bard"
    assert job["profile"] == "court_opinion"
    assert job["instructions"] == "Summarise the holding."
    assert job["length"] == "standard"
    got = [(d["filename"], d["media_type"], d["pages"], d["size"]) for d in job["documents"]]
    assert got == [
        ("order.pdf", "application/pdf", 2, len(pdf)),
        ("agreement.docx", DOCX, 3, len(docx)),
        ("notice.html", "text/html", 1, len(files[2][1])),
        ("brief.md", "text/markdown", 1, len(files[3][1])),
        ("letter.txt", "text/plain", 1, len(files[4][1])),
    ]
    assert len(any_api.blobs()) == 5


LENGTHS: list[tuple[str | int, str | int]] = [
    ("brief", "brief"), ("standard", "standard"), ("detailed", "detailed"),
    (400, 400), ("400", 400), (30, 30), (5000, 5000), (" Detailed ", "detailed"),
]


@pytest.mark.parametrize(("sent", "stored"), LENGTHS, ids=[repr(c[0]) for c in LENGTHS])
def test_json_length_is_stored_and_shown(any_api: Api, sent: str | int, stored: str | int
                                         ) -> None:
    auth = any_api.tenant("acme")
    resp = any_api.submit(auth, length=sent)
    assert resp.status_code == 202, resp.text
    job = resp.json()
    assert job["length"] == stored
    assert any_api.client.get(f"/v1/jobs/{job['id']}", headers=auth).json()["length"] == stored
    listed = any_api.client.get("/v1/jobs", headers=auth).json()
    assert [j["length"] for j in listed["data"]] == [stored]


@pytest.mark.parametrize("sent", ["brief", "standard", "detailed", "400", "30", "5000", ""])
def test_multipart_length_is_stored_and_shown(any_api: Api, sent: str) -> None:
    auth = any_api.tenant("acme")
    resp = any_api.upload(auth, [("memo.txt", b"The parties agree to arbitrate.")], length=sent)
    assert resp.status_code == 202, resp.text
    # A form's empty field is the field left at its default, as for the profile.
    expected: str | int = int(sent) if sent.isdigit() else sent or "standard"
    assert resp.json()["length"] == expected
    job = any_api.client.get(f"/v1/jobs/{resp.json()['id']}", headers=auth).json()
    assert job["length"] == expected


LENGTH_ERROR = "one of brief, standard, detailed, or a whole number of words from 30 to 5000"
BAD_LENGTHS: list[Any] = [0, 29, 5001, -5, "0", "29", "5001", "long", "-5", "+400", "1e3",
                          "400.0", "", "٤٠٠", 1e3, 400.5, 400.0, True, ["brief"], {"words": 400}]


@pytest.mark.parametrize("length", BAD_LENGTHS, ids=[repr(v) for v in BAD_LENGTHS])
def test_json_bad_length_is_422_naming_the_field(api: Api, length: Any) -> None:
    resp = api.submit(api.tenant("acme"), length=length)
    problem = assert_problem(resp, 422, f"length: {LENGTH_ERROR}")
    assert problem["errors"] == [{"field": "length", "message": LENGTH_ERROR}]
    assert problem["instance"] == "/v1/jobs"
    api.assert_nothing_written()


@pytest.mark.parametrize("length", ["0", "29", "5001", "long", "-5", "1e3", "400.5", "12 words"])
def test_multipart_bad_length_is_422_naming_the_field(api: Api, length: str) -> None:
    resp = api.upload(api.tenant("acme"), [("memo.txt", b"t")], length=length)
    problem = assert_problem(resp, 422, f"length: {LENGTH_ERROR}")
    assert problem["errors"] == [{"field": "length", "message": LENGTH_ERROR}]
    api.assert_nothing_written()


def test_bad_length_is_listed_with_the_other_bad_fields(api: Api) -> None:
    resp = api.upload(api.tenant("acme"), [("memo.txt", b"t")], matter=" ", profile="poem",
                      length="long")
    problem = assert_problem(resp, 422, "matter: a matter name is required; profile: one of "
                                        "contract, court_opinion, legislation, general; "
                                        f"length: {LENGTH_ERROR}")
    assert [e["field"] for e in problem["errors"]] == ["matter", "profile", "length"]


def test_openapi_describes_the_length(api: Api) -> None:
    doc = api.client.get("/openapi.json").json()
    content = doc["paths"]["/v1/jobs"]["post"]["requestBody"]["content"]
    for media_type in ("application/json", "multipart/form-data"):
        length = content[media_type]["schema"]["properties"]["length"]
        assert length["anyOf"] == [
            {"type": "string", "enum": ["brief", "standard", "detailed"]},
            {"type": "integer", "minimum": 30, "maximum": 5000},
        ], media_type
        assert length["default"] == "standard"
    assert "length" not in content["application/json"]["schema"].get("required", [])


def test_the_runner_hands_the_length_to_the_graph(api: Api, run_job) -> None:
    auth = api.tenant("acme")
    budget = api.submit(auth, length="400").json()["id"]
    older = api.submit(auth).json()["id"]
    # A job accepted before lengths existed has none stored.
    with api.store.sessions.begin() as s:
        s.execute(update(Job).where(Job.id == older).values(length=None))
    assert api.client.get(f"/v1/jobs/{older}", headers=auth).json()["length"] == "standard"

    runner = worker_services.get_services(api.settings).runner
    for job_id, expected in ((budget, 400), (older, "standard")):
        assert run_job(api.settings, job_id) == "succeeded"
        state = runner.graph.get_state({"configurable": {"thread_id": job_id}}).values
        assert state["length"] == expected


def test_json_base64_document_is_sniffed_by_content(api: Api) -> None:
    auth = api.tenant("acme")
    pdf = make_pdf(pages=1)
    resp = api.submit(auth, documents=[{"filename": "scan", "media_type": "text/plain",
                                        "content_base64": base64.b64encode(pdf).decode()}])
    assert resp.status_code == 202, resp.text
    [doc] = resp.json()["documents"]
    # The declared type loses to the bytes: this is a PDF whatever the client says.
    assert doc["media_type"] == "application/pdf"
    assert doc["sha256"] == hashlib.sha256(pdf).hexdigest()


def test_filenames_are_reduced_to_a_safe_base_name(api: Api) -> None:
    auth = api.tenant("acme")
    resp = api.upload(auth, [("../../etc/passwd.txt", b"root"), ("C:\\Users\\x\\memo.txt", b"m")])
    assert resp.status_code == 202, resp.text
    assert [d["filename"] for d in resp.json()["documents"]] == ["passwd.txt", "memo.txt"]


def test_matter_is_reused_within_a_tenant(any_api: Api) -> None:
    auth = any_api.tenant("acme")
    for text in ("first", "second"):
        resp = any_api.submit(auth, matter="  acme-v-globex ",
                              documents=[{"filename": "a.txt", "text": text}])
        assert resp.status_code == 202, resp.text
        assert resp.json()["matter"] == "acme-v-globex"
    assert any_api.counts()["matters"] == 1


def test_submission_recovers_when_a_known_matter_disappears(any_api: Api) -> None:
    auth = any_api.tenant("acme")
    assert any_api.submit(auth, matter="m").status_code == 202
    # E.g. an operator purged the matter; the API process may still remember its id.
    with any_api.store.sessions.begin() as s:
        s.execute(delete(Matter))
    resp = any_api.submit(auth, matter="m")
    assert resp.status_code == 202, resp.text
    assert any_api.client.get(resp.headers["location"], headers=auth).json()["matter"] == "m"
    assert any_api.counts()["matters"] == 1


def test_job_is_stored_even_when_the_broker_is_down(tmp_path: Path, closed_port: int) -> None:
    settings = Settings(data_dir=tmp_path / "var", broker_url=f"redis://127.0.0.1:{closed_port}/0")
    with open_api(settings) as api:
        auth = api.tenant("acme")
        resp = api.submit(auth)
        assert resp.status_code == 202, resp.text
        with api.store.sessions() as s:
            job = s.get(Job, resp.json()["id"])
            assert job is not None
            # Unstamped, so the sweeper sends it as soon as a worker sees the broker again.
            assert job.dispatched_at is None


# Refused: transport-level problems -------------------------------------------------------


def test_wrong_content_type_is_415(api: Api) -> None:
    auth = api.tenant("acme")
    detail = "send the job as multipart/form-data (files plus fields) or application/json"
    for headers in ({"Content-Type": "text/plain"}, {"Content-Type": "application/xml"},
                    {"Content-Type": "application/x-www-form-urlencoded"}, {}):
        resp = api.client.post("/v1/jobs", content=b"matter=x", headers={**auth, **headers})
        assert_problem(resp, 415, detail)
    api.assert_nothing_written()


def test_empty_body_is_400(api: Api) -> None:
    auth = api.tenant("acme")
    for content_type in ("application/json", "multipart/form-data; boundary=x"):
        resp = api.client.post("/v1/jobs", content=b"",
                               headers={**auth, "Content-Type": content_type})
        assert_problem(resp, 400, "the request body is empty")
    api.assert_nothing_written()


@pytest.fixture
def small_api(tmp_path: Path) -> Iterator[Api]:
    settings = Settings(data_dir=tmp_path / "var", max_upload_bytes=20_000, max_documents=2,
                        max_pages=3, max_instructions_chars=100)
    with open_api(settings) as started:
        yield started


def test_oversize_body_with_content_length_is_413(small_api: Api) -> None:
    auth = small_api.tenant("acme")
    resp = small_api.submit(auth, documents=[{"filename": "big.txt", "text": "x" * 20_000}])
    size = int(resp.request.headers["content-length"])
    assert_problem(resp, 413, f"the request is {size:,} bytes; the limit is 20,000")
    small_api.assert_nothing_written()


def test_oversize_chunked_body_is_413(small_api: Api) -> None:
    auth = small_api.tenant("acme")

    def chunks() -> Iterator[bytes]:
        # A streamed body has no Content-Length: the limit must hold while reading.
        yield b'{"matter": "m", "documents": [{"filename": "a.txt", "text": "'
        for _ in range(50):
            yield b"y" * 500
        yield b'"}]}'

    resp = small_api.client.post("/v1/jobs", content=chunks(),
                                 headers={**auth, "Content-Type": "application/json"})
    assert "content-length" not in resp.request.headers
    assert_problem(resp, 413, "the request is over the 20,000-byte limit")
    small_api.assert_nothing_written()


def test_too_many_documents_is_413(small_api: Api) -> None:
    auth = small_api.tenant("acme")
    docs = [{"filename": f"{n}.txt", "text": f"doc {n}"} for n in range(3)]
    assert_problem(small_api.submit(auth, documents=docs), 413,
                   "3 documents sent; at most 2 per job")
    resp = small_api.upload(auth, [(f"{n}.txt", b"doc") for n in range(3)])
    assert_problem(resp, 413, "more than 2 files sent; at most 2 documents per job")
    small_api.assert_nothing_written()


def test_too_many_pages_is_413(small_api: Api) -> None:
    auth = small_api.tenant("acme")
    resp = small_api.upload(auth, [("long.pdf", make_pdf(pages=4), "application/pdf")])
    assert_problem(resp, 413, "the documents have 4 pages; at most 3 per job")
    # Text counts a page per 3,000 characters.
    resp = small_api.upload(auth, [("long.txt", b"x" * 9001)])
    assert_problem(resp, 413, "the documents have 4 pages; at most 3 per job")
    small_api.assert_nothing_written()
    # Pages add up across documents.
    resp = small_api.upload(auth, [("a.pdf", make_pdf(pages=2)), ("b.txt", b"x" * 3000)])
    assert resp.status_code == 202, resp.text
    resp = small_api.upload(auth, [("a.pdf", make_pdf(pages=2)), ("b.txt", b"x" * 3001)])
    assert_problem(resp, 413, "the documents have 4 pages; at most 3 per job")


def test_oversize_form_field_is_413(small_api: Api) -> None:
    auth = small_api.tenant("acme")
    resp = small_api.upload(auth, [("a.txt", b"text")], instructions="i" * 1430)
    assert_problem(resp, 413, "a form field is over 1,424 bytes; instructions may be at most "
                              "100 characters")
    small_api.assert_nothing_written()


# Refused: malformed bodies ---------------------------------------------------------------


def _raw_multipart(api: Api, body: bytes, content_type: str) -> Any:
    return api.client.post("/v1/jobs", content=body,
                           headers={**api.tenant("acme"), "Content-Type": content_type})


def test_malformed_multipart_is_400(api: Api) -> None:
    resp = _raw_multipart(api, b"--other\r\nnot a part at all", "multipart/form-data; boundary=xyz")
    assert_problem(resp, 400, "the multipart body could not be read: Invalid multipart data.")

    resp = _raw_multipart(api, b"--xyz\r\n\r\nhello\r\n--xyz--\r\n", "multipart/form-data")
    assert_problem(resp, 400, "the multipart Content-Type has no boundary parameter")

    nameless = (b"--xyz\r\nContent-Disposition: form-data\r\n\r\nhello\r\n--xyz--\r\n")
    resp = _raw_multipart(api, nameless, "multipart/form-data; boundary=xyz")
    assert_problem(resp, 400, 'the multipart body could not be read: The Content-Disposition '
                              'header field "name" must be provided.')
    api.assert_nothing_written()


def test_malformed_json_is_400(api: Api) -> None:
    auth = api.tenant("acme")
    resp = api.client.post("/v1/jobs", content=b'{"matter": ',
                           headers={**auth, "Content-Type": "application/json"})
    assert_problem(resp, 400,
                   "the body is not valid JSON (Expecting value: line 1 column 12 (char 11))")
    resp = api.client.post("/v1/jobs", content=b"\xff\xfe{}",
                           headers={**auth, "Content-Type": "application/json"})
    assert resp.status_code == 400
    assert resp.json()["detail"].startswith("the body is not valid JSON (")
    api.assert_nothing_written()


JSON_CASES: list[tuple[str, Any, str]] = [
    ("unknown top-level field", {"matter": "m", "colour": "red",
                                 "documents": [{"filename": "a.txt", "text": "t"}]},
     "colour: Extra inputs are not permitted"),
    ("unknown document field", {"matter": "m",
                                "documents": [{"filename": "a.txt", "text": "t", "pages": 3}]},
     "documents.0.pages: Extra inputs are not permitted"),
    ("not an object", ["matter"], "the body must be a JSON object with 'matter' and 'documents'"),
    ("missing matter", {"documents": [{"filename": "a.txt", "text": "t"}]},
     "matter: Field required"),
    ("blank matter", {"matter": "   ", "documents": [{"filename": "a.txt", "text": "t"}]},
     "matter: a matter name is required"),
    ("no documents", {"matter": "m", "documents": []},
     "documents: List should have at least 1 item after validation, not 0"),
    ("text and base64", {"matter": "m", "documents": [
        {"filename": "a.txt", "text": "t", "content_base64": "dA=="}]},
     "documents.0: Value error, give exactly one of 'text' or 'content_base64'"),
    ("bad base64", {"matter": "m", "documents": [
        {"filename": "a.txt", "content_base64": "not base64!"}]},
     "documents.0.content_base64 is not valid base64"),
    ("unknown profile", {"matter": "m", "profile": "poem",
                         "documents": [{"filename": "a.txt", "text": "t"}]},
     "profile: Input should be 'contract', 'court_opinion', 'legislation' or 'general'"),
    ("relative webhook", {"matter": "m", "webhook_url": "/hooks",
                          "documents": [{"filename": "a.txt", "text": "t"}]},
     "webhook_url: an absolute http(s) URL"),
    ("ftp webhook", {"matter": "m", "webhook_url": "ftp://example.com/x",
                     "documents": [{"filename": "a.txt", "text": "t"}]},
     "webhook_url: an absolute http(s) URL"),
    ("long instructions", {"matter": "m", "instructions": "i" * 4001,
                           "documents": [{"filename": "a.txt", "text": "t"}]},
     "instructions: at most 4000 characters"),
    ("empty text document", {"matter": "m", "documents": [{"filename": "empty.txt", "text": ""}]},
     "document 'empty.txt' is empty"),
]


@pytest.mark.parametrize(("body", "detail"), [c[1:] for c in JSON_CASES],
                         ids=[c[0] for c in JSON_CASES])
def test_invalid_json_submission_is_422(api: Api, body: Any, detail: str) -> None:
    resp = api.client.post("/v1/jobs", json=body, headers=api.tenant("acme"))
    problem = assert_problem(resp, 422, detail)
    assert problem["instance"] == "/v1/jobs"
    api.assert_nothing_written()


def test_validation_problem_lists_each_field(api: Api) -> None:
    resp = api.submit(api.tenant("acme"), matter=" ", profile="general", webhook_url="nope",
                      instructions="i" * 4001)
    problem = assert_problem(resp, 422, "matter: a matter name is required; "
                                        "instructions: at most 4000 characters; "
                                        "webhook_url: an absolute http(s) URL")
    assert problem["errors"] == [
        {"field": "matter", "message": "a matter name is required"},
        {"field": "instructions", "message": "at most 4000 characters"},
        {"field": "webhook_url", "message": "an absolute http(s) URL"},
    ]


MULTIPART_CASES: list[tuple[str, list[Any], list[tuple[str, str]], int, str]] = [
    ("unknown field", [("a.txt", b"t")], [("matter", "m"), ("colour", "red")], 422,
     f"unknown field(s): colour; {EXPECTED_FIELDS}"),
    ("unknown fields with every known one",
     [("a.txt", b"t")],
     [("matter", "m"), ("profile", "general"), ("instructions", "i"),
      ("webhook_url", "https://example.com/h"), ("colour", "red"), ("size", "xl")], 422,
     f"unknown field(s): colour, size; {EXPECTED_FIELDS}"),
    ("too many fields", [("a.txt", b"t")], [("matter", "m")] + [("f", "v")] * 40, 422,
     f"more than 32 form fields sent; {EXPECTED_FIELDS}"),
    ("repeated field", [("a.txt", b"t")], [("matter", "m"), ("matter", "n")], 422,
     "field 'matter' was sent 2 times"),
    ("files as text", [], [("matter", "m"), ("files", "memo")], 422,
     "'files' parts must be files"),
    ("missing matter", [("a.txt", b"t")], [("profile", "general")], 422,
     "matter: a matter name is required"),
    ("no files", [], [("matter", "m")], 422, "at least one document is required"),
    ("unknown profile", [("a.txt", b"t")], [("matter", "m"), ("profile", "poem")], 422,
     "profile: one of contract, court_opinion, legislation, general"),
    ("empty file", [("empty.txt", b"")], [("matter", "m")], 422,
     "document 'empty.txt' is empty"),
    ("png named .txt", [("image.txt", make_png(), "text/plain")], [("matter", "m")], 415,
     "document 'image.txt' is neither PDF, DOCX nor UTF-8 text (HTML, Markdown, plain text); "
     "convert it before uploading"),
    ("text named .pdf", [("brief.pdf", b"This is a brief.", "application/pdf")],
     [("matter", "m")], 415,
     "document 'brief.pdf' is named as PDF but its content is not; upload the original file"),
    ("text named .docx", [("brief.docx", b"This is a brief.", DOCX)], [("matter", "m")], 415,
     "document 'brief.docx' is named as Word (DOCX) but its content is not; "
     "upload the original file"),
    ("zip that is not docx", [("archive.docx", make_zip(), DOCX)], [("matter", "m")], 415,
     "document 'archive.docx' is a ZIP archive, not a Word document; upload PDF, DOCX, HTML, "
     "Markdown or plain text"),
    ("broken zip", [("broken.docx", b"PK\x03\x04" + b"\x00" * 40, DOCX)], [("matter", "m")], 415,
     "document 'broken.docx' looks like a ZIP archive but cannot be opened"),
    ("one bad file among good", [("good.txt", b"fine"), ("image.txt", make_png())],
     [("matter", "m")], 415,
     "document 'image.txt' is neither PDF, DOCX nor UTF-8 text (HTML, Markdown, plain text); "
     "convert it before uploading"),
]


@pytest.mark.parametrize(("files", "data", "status", "detail"), [c[1:] for c in MULTIPART_CASES],
                         ids=[c[0] for c in MULTIPART_CASES])
def test_invalid_multipart_submission(api: Api, files: list[Any], data: list[tuple[str, str]],
                                      status: int, detail: str) -> None:
    auth = api.tenant("acme")
    if files:
        resp = api.upload(auth, files, data=data)
    else:
        # httpx only sends multipart when there is a file; build the body by hand.
        body = b"".join(
            f'--b\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in data) + b"--b--\r\n"
        resp = api.client.post("/v1/jobs", content=body,
                               headers={**auth, "Content-Type": "multipart/form-data; boundary=b"})
    assert_problem(resp, status, detail)
    api.assert_nothing_written()


def test_refusal_after_accepted_jobs_writes_nothing_more(any_api: Api) -> None:
    auth = any_api.tenant("acme")
    assert any_api.submit(auth, headers={"Idempotency-Key": "k-1"}).status_code == 202
    before, blobs = any_api.counts(), any_api.blobs()
    refusals = [
        any_api.upload(auth, [("image.txt", make_png())], headers={"Idempotency-Key": "k-2"}),
        any_api.submit(auth, documents=[{"filename": "e.txt", "text": ""}],
                       headers={"Idempotency-Key": "k-3"}),
        any_api.submit(auth, matter="", headers={"Idempotency-Key": "k-4"}),
        any_api.client.post("/v1/jobs", content=b"x", headers={**auth, "Idempotency-Key": "k-5",
                                                               "Content-Type": "text/csv"}),
    ]
    assert [r.status_code for r in refusals] == [415, 422, 422, 415]
    assert any_api.counts() == before
    assert any_api.blobs() == blobs
