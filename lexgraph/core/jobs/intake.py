"""Validate a submission against the operator's limits before anything is written."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lexgraph.core.config.settings import Settings
from lexgraph.core.errors import PayloadTooLarge, Unprocessable
from lexgraph.core.ingest.limits import CHARS_PER_PAGE, DocumentLimits, DocumentTooLarge
from lexgraph.core.ingest.loaders import count_pages
from lexgraph.core.ingest.sniff import sniff
from lexgraph.core.summary.length import DEFAULT_LENGTH, InvalidLength, parse_length
from lexgraph.core.summary.profiles import PROFILE_NAMES
from lexgraph.core.validation import line_problem, text_problem


@dataclass(frozen=True)
class UploadedDocument:
    filename: str
    data: bytes
    declared_type: str | None = None


@dataclass(frozen=True)
class PreparedDocument:
    filename: str
    data: bytes
    media_type: str
    pages: int
    sha256: str


@dataclass
class Submission:
    matter: str
    profile: str = "general"
    instructions: str | None = None
    webhook_url: str | None = None
    documents: list[UploadedDocument] = field(default_factory=list)
    # As the client sent it; ``validate`` replaces it with the parsed length (None: default).
    length: str | int | None = None
    # False: run the job even when an identical earlier one could answer it (result_cache).
    cache: bool = True

    def fingerprint(self, prepared: list[PreparedDocument]) -> str:
        """What makes two submissions 'the same request' for Idempotency-Key.

        Computed from the parsed request, not raw bytes: multipart boundaries differ between
        retries of one logical request.
        """
        canonical: dict[str, object] = {
            "matter": self.matter,
            "profile": self.profile,
            "instructions": self.instructions,
            "webhook_url": self.webhook_url,
            "documents": [[d.filename, d.sha256] for d in prepared],
        }
        # Parsed, so "400" and 400, or an omitted length and "standard", are one request; the
        # default is left out so keys stored before lengths existed still match their retries.
        length = parse_length(self.length)
        if length != DEFAULT_LENGTH:
            canonical["length"] = length
        if not self.cache:
            canonical["cache"] = False
        return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


def _clean_filename(name: str, index: int) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:400] or f"document-{index + 1}"


def validate(sub: Submission, settings: Settings) -> list[PreparedDocument]:
    errors: list[dict[str, str]] = []
    matter = sub.matter.strip() if sub.matter else ""
    for name, value, problem_of in (("matter", matter, line_problem),
                                    ("instructions", sub.instructions, text_problem),
                                    ("webhook_url", sub.webhook_url, line_problem)):
        message = problem_of(value) if value is not None else None
        if message:
            errors.append({"field": name, "message": message})
    if not matter:
        errors.append({"field": "matter", "message": "a matter name is required"})
    elif len(matter) > 200:
        errors.append({"field": "matter", "message": "at most 200 characters"})
    sub.matter = matter
    if sub.profile not in PROFILE_NAMES:
        errors.append({"field": "profile", "message": f"one of {', '.join(PROFILE_NAMES)}"})
    if sub.instructions is not None and len(sub.instructions) > settings.max_instructions_chars:
        errors.append({"field": "instructions",
                       "message": f"at most {settings.max_instructions_chars} characters"})
    if sub.webhook_url is not None:
        parts = urlsplit(sub.webhook_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            errors.append({"field": "webhook_url", "message": "an absolute http(s) URL"})
    try:
        sub.length = parse_length(sub.length)
    except InvalidLength as exc:
        errors.extend(exc.errors)
    if errors:
        raise Unprocessable(
            "; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors
        )
    if not sub.documents:
        raise Unprocessable("at least one document is required", errors=[
            {"field": "documents", "message": "at least one document is required"}])
    if len(sub.documents) > settings.max_documents:
        raise PayloadTooLarge(
            f"{len(sub.documents)} documents sent; at most {settings.max_documents} per job"
        )
    prepared: list[PreparedDocument] = []
    total_pages = 0
    limits = DocumentLimits.from_settings(settings)
    for index, doc in enumerate(sub.documents):
        filename = _clean_filename(doc.filename, index)
        found = sniff(filename, doc.data, doc.declared_type)
        # Extraction stops one page past what the job has left, so a document that would go
        # over the limit costs no more to refuse than one that fits.
        budget = (settings.max_pages - total_pages + 1) * CHARS_PER_PAGE
        try:
            pages = count_pages(found, doc.data, limits.with_chars(budget))
        except DocumentTooLarge as exc:
            if exc.code == "document_too_long":
                raise PayloadTooLarge(
                    f"the documents have more than {settings.max_pages} pages once "
                    f"{filename!r} is read ({CHARS_PER_PAGE:,} characters of text count as a "
                    f"page); at most {settings.max_pages} per job") from None
            raise PayloadTooLarge(f"document {filename!r}: {exc.message}") from None
        total_pages += pages
        prepared.append(PreparedDocument(
            filename=filename,
            data=doc.data,
            media_type=found.media_type,
            pages=pages,
            sha256=hashlib.sha256(doc.data).hexdigest(),
        ))
    if total_pages > settings.max_pages:
        raise PayloadTooLarge(
            f"the documents have {total_pages} pages; at most {settings.max_pages} per job"
        )
    return prepared
