"""The source text behind a citation: one page of a job's document, as ingestion saw it.

Citations carry character offsets into their page's extracted text. Pages are not stored;
they are extracted again from the uploaded original in the blob store with the same loader
the ingest node used, which returns the same strings for the same bytes. Extraction costs a
parse, so the last few documents' pages are kept in memory.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import sessionmaker

from lexgraph.core.config.settings import Settings
from lexgraph.core.db.models import Document, Job
from lexgraph.core.errors import Conflict, JobError, NotFound
from lexgraph.core.ingest.limits import DocumentLimits
from lexgraph.core.ingest.loaders import extract_pages
from lexgraph.core.storage.blobs import BlobStore


@dataclass(frozen=True)
class SourcePage:
    job_id: str
    document_id: str
    document: str
    page: int
    pages: int
    text: str


class SourceText:
    def __init__(self, engine: Engine, blobs: BlobStore, settings: Settings, *,
                 cache_documents: int = 16) -> None:
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.blobs = blobs
        self.settings = settings
        self.cache_documents = cache_documents
        self._pages: OrderedDict[tuple[str, str], list[str]] = OrderedDict()
        self._lock = threading.Lock()

    def page(self, tenant_id: str, job_id: str, document_id: str, page: int) -> SourcePage:
        """Page ``page`` (1-based) of a document of the tenant's job."""
        with self.sessions() as s:
            doc = s.execute(
                select(Document).join(Job, Job.id == Document.job_id).where(
                    Job.id == job_id, Job.tenant_id == tenant_id, Document.id == document_id)
            ).scalar()
            if doc is None:
                # The same answer for another tenant's job as for no job: nothing leaks.
                raise NotFound(f"no document {document_id!r} in job {job_id!r}")
            filename, media_type, blob_key = doc.filename, doc.media_type, doc.blob_key
        pages = self._extract(blob_key, media_type)
        if not 1 <= page <= len(pages):
            raise NotFound(f"{filename} has {len(pages)} page(s); there is no page {page}")
        return SourcePage(job_id=job_id, document_id=document_id, document=filename, page=page,
                          pages=len(pages), text=pages[page - 1])

    def _extract(self, blob_key: str, media_type: str) -> list[str]:
        key = (blob_key, media_type)
        with self._lock:
            cached = self._pages.get(key)
            if cached is not None:
                self._pages.move_to_end(key)
                return cached
        try:
            data = self.blobs.get(blob_key)
        except KeyError:
            raise Conflict("the uploaded original of this document is no longer stored"
                           ) from None
        try:
            pages = extract_pages(media_type, data,
                                  limits=DocumentLimits.from_settings(self.settings))
        except JobError as exc:
            raise Conflict(f"the document could not be read: {exc.message}") from None
        with self._lock:
            self._pages[key] = pages
            while len(self._pages) > self.cache_documents:
                self._pages.popitem(last=False)
        return pages
