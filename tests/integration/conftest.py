"""Helpers for the HTTP API tests: a started app per test, tenants, request builders, row counts.

Every client is a ``TestClient`` used as a context manager, so the lifespan (migrations, engine,
Celery app) runs exactly as it does under uvicorn.
"""

from __future__ import annotations

import io
import socket
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from lexgraph.api import create_app
from lexgraph.composition import worker as worker_services
from lexgraph.core.config.settings import Settings
from lexgraph.core.db.models import (
    Document,
    IdempotencyRecord,
    Job,
    JobEvent,
    Matter,
    Result,
)
from lexgraph.core.jobs.store import JobStore

if TYPE_CHECKING:
    # Starlette's TestClient is built on httpx2, not httpx.
    from httpx2 import Response

PROBLEM = "application/problem+json"
FilePart = tuple[str, bytes] | tuple[str, bytes, str]  # name, content[, declared media type]
ROW_MODELS = {"jobs": Job, "documents": Document, "job_events": JobEvent,
              "idempotency_records": IdempotencyRecord, "matters": Matter, "results": Result}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Lets `-m "not services"` run the embedded half alone on a machine without PG and Redis.
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec else {}
        fixtures = getattr(item, "fixturenames", ())
        if params.get("any_settings") == "production" or "production_settings" in fixtures:
            item.add_marker(pytest.mark.services)


class Api:
    """A started app plus shortcuts; requests go through the real ASGI stack."""

    def __init__(self, client: TestClient, settings: Settings) -> None:
        self.client = client
        self.settings = settings

    @property
    def store(self) -> JobStore:
        store: JobStore = self.client.app.state.services.store  # type: ignore[attr-defined]
        return store

    def tenant(self, name: str) -> dict[str, str]:
        """A new API key for ``name`` (the tenant is created on first use) as auth headers."""
        key, _ = self.store.create_key(name)
        return {"Authorization": f"Bearer {key}"}

    def submit(self, auth: dict[str, str], *, matter: str = "acme-v-globex",
               documents: list[dict[str, Any]] | None = None,
               headers: dict[str, str] | None = None, **fields: Any) -> Response:
        """POST /v1/jobs as JSON."""
        body = {"matter": matter, **fields,
                "documents": documents if documents is not None else [
                    {"filename": "memo.txt", "text": "The parties agree to arbitrate."}]}
        return self.client.post("/v1/jobs", json=body, headers={**auth, **(headers or {})})

    def upload(self, auth: dict[str, str], files: Sequence[FilePart], *,
               headers: dict[str, str] | None = None,
               data: dict[str, Any] | list[tuple[str, str]] | None = None,
               **fields: str) -> Response:
        """POST /v1/jobs as multipart: ``files`` parts plus form ``fields``."""
        parts = [("files", f if len(f) == 3 else (f[0], f[1], "application/octet-stream"))
                 for f in files]
        form: dict[str, Any] = {"matter": "acme-v-globex", **fields}
        if data is not None:
            # httpx repeats a field given a list of values; that keeps repeated-field cases.
            form = {}
            for name, value in (data.items() if isinstance(data, dict) else data):
                form.setdefault(name, []).append(value)
        return self.client.post("/v1/jobs", files=parts, data=form,
                                headers={**auth, **(headers or {})})

    def counts(self) -> dict[str, int]:
        with self.store.sessions() as s:
            return {name: s.execute(select(func.count()).select_from(model)).scalar_one()
                    for name, model in ROW_MODELS.items()}

    def blobs(self) -> list[str]:
        root = self.settings.resolved_blob_dir
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

    def assert_nothing_written(self) -> None:
        assert self.counts() == dict.fromkeys(ROW_MODELS, 0)
        assert self.blobs() == []


@contextmanager
def open_api(settings: Settings, **client_options: Any) -> Iterator[Api]:
    with TestClient(create_app(settings), **client_options) as client:
        yield Api(client, settings)


@pytest.fixture
def api(embedded_settings: Settings) -> Iterator[Api]:
    with open_api(embedded_settings) as started:
        yield started


@pytest.fixture
def any_api(any_settings: Settings) -> Iterator[Api]:
    with open_api(any_settings) as started:
        yield started


@pytest.fixture
def run_job() -> Iterator[Callable[[Settings, str], str]]:
    """Run a job through the real graph in this process, as an orchestrator worker would."""

    def run(settings: Settings, job_id: str) -> str:
        return worker_services.get_services(settings).runner.run(job_id)

    yield run
    worker_services.close_services()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: connecting to it is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def assert_problem(resp: Response, status: int, detail: str) -> dict[str, Any]:
    """The response is an RFC 9457 problem with exactly this status and detail."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == PROBLEM
    body: dict[str, Any] = resp.json()
    assert body["status"] == status
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["title"], str) and body["title"]
    assert body["detail"] == detail
    return body


# Documents ---------------------------------------------------------------------------------


def make_pdf(pages: int = 1, text: str | None = None) -> bytes:
    """A real PDF built with pypdf; with ``text``, each page carries it in a text layer."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    for n in range(pages):
        page = writer.add_blank_page(width=612, height=792)
        if text is None:
            continue
        font = writer._add_object(DictionaryObject({
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }))
        page[NameObject("/Resources")] = DictionaryObject({
            NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
        content = DecodedStreamObject()
        escaped = f"{text} (page {n + 1})".replace("\\", "\\\\").replace("(", "\\(")
        escaped = escaped.replace(")", "\\)")
        content.set_data(f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET".encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(content)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_docx(paragraphs: list[str], pages: int | None = None) -> bytes:
    """The smallest zip Word would recognise: word/document.xml (+ app.xml with a page count)."""
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml",
                    f'<w:document xmlns:w="{w}"><w:body>{body}</w:body></w:document>')
        if pages is not None:
            zf.writestr("docProps/app.xml", f"<Properties><Pages>{pages}</Pages></Properties>")
    return out.getvalue()


def make_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("notes/readme.txt", "not a Word document")
    return out.getvalue()


def make_png() -> bytes:
    """A valid 1x1 greyscale PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))
