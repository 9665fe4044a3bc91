"""Answer a submission from an earlier identical job's result instead of running it again.

Two jobs of a tenant are identical when everything their result depends on is: the matter
(its index is what the agents search, and it is the ethical wall), the profile, the length,
the instructions, each document's name and SHA-256 in order, and the pipeline that runs them
(models, prompts, guard and personal-data policy, the settings that shape a summary). That is
folded into one key stored on the job (``jobs.cache_key``). A later submission with the same
key is stored as succeeded at once with a copy of the result, marked ``cached_from``, and never
queued.

Only a job that still exists, succeeded and still has its result row is served from: a job
that was deleted is gone from the lookup with its rows. A job answered from the cache carries
no key itself, so ``cached_from`` always names a job that ran, and deleting that job stops the
reuse of its result.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, ScalarSelect, select
from sqlalchemy.orm import Session

from lexgraph import __version__
from lexgraph.core.config.settings import Settings
from lexgraph.core.db.models import Document, Job, JobStatus, Result
from lexgraph.core.jobs.intake import PreparedDocument, Submission
from lexgraph.core.summary.length import parse_length

# The settings a result depends on. Operational ones (timeouts, pools, ports, limits on
# what is accepted) are left out: they change how a job runs, not what it says.
RESULT_SETTINGS: tuple[str, ...] = (
    "chunk_max_chars", "ingest_max_chars", "max_pages",
    "embedding_backend", "embedding_model", "embedding_runtime", "embedding_url",
    "vector_store",
    "llm_backend", "llm_base_url", "llm_model", "llm_served_name", "llm_max_tokens",
    "llm_temperature", "llm_context_window", "llm_script", "llm_max_model_len", "llm_dtype",
    "guard_backend", "guard_model", "guard_base_url", "guard_policy", "guard_script",
    "prompt_guard_model", "prompt_guard_threshold",
    "retrieval_k", "extractive_sentences", "citation_threshold", "max_revisions",
    "pii_entities", "pii_min_score", "pii_phone_regions", "pii_names_file", "pii_ner_model",
)

_PACKAGE = Path(__file__).resolve().parents[2]
# Packaged data that shapes a summary: prompts, profiles, guard policy, trained models.
_PACKAGED = ("prompts", "core/summary/models", "core/clauses/model")


@functools.cache
def _packaged_digest() -> str:
    """SHA-256 over the packaged prompts, policies and models; read once per process."""
    digest = hashlib.sha256(__version__.encode())
    for folder in _PACKAGED:
        root = _PACKAGE / folder
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(_PACKAGE)).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _file_digest(value: Path) -> str:
    # A policy or names file is named by path; its content is what the result depends on.
    try:
        return hashlib.sha256(value.read_bytes()).hexdigest()
    except OSError:
        return f"unreadable:{value}"


def pipeline_version(settings: Settings) -> str:
    """What the job's code, packaged data and result-shaping settings add up to."""
    values: dict[str, Any] = {}
    for name in RESULT_SETTINGS:
        value = getattr(settings, name)
        values[name] = _file_digest(value) if isinstance(value, Path) else value
    canonical = json.dumps({"package": _packaged_digest(), "settings": values},
                           sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class PipelineVersions:
    """``pipeline_version`` for one Settings object, computed on first use: files named by the
    settings are read once per process, not on every submission."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._version: str | None = None

    def __call__(self) -> str:
        if self._version is None:
            self._version = pipeline_version(self.settings)
        return self._version


def cache_key(tenant_id: str, sub: Submission, prepared: list[PreparedDocument],
              version: str) -> str:
    """The key two identical jobs share (``sub`` as ``intake.validate`` left it)."""
    canonical = {
        "tenant": tenant_id,
        "matter": sub.matter,
        "profile": sub.profile,
        "length": parse_length(sub.length),
        "instructions": sub.instructions,
        "documents": [[d.filename, d.sha256] for d in prepared],
        "pipeline": version,
    }
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class CachedResult:
    job_id: str
    document_ids: list[str]
    body: dict[str, Any]
    markdown: str


def source(tenant_id: Any, key: Any) -> ScalarSelect[Any]:
    """The id of the tenant's newest succeeded job with this key that still has its result,
    as a scalar subquery: the submission asks it in the statement that checks its key.
    ``tenant_id`` and ``key`` are values or bound parameters."""
    return (select(Job.id).join(Result, Result.job_id == Job.id)
            .where(Job.tenant_id == tenant_id, Job.cache_key == key,
                   Job.status == JobStatus.succeeded.value)
            .order_by(Job.id.desc()).limit(1).scalar_subquery())


def load(s: Session | Connection, job_id: str) -> CachedResult | None:
    """The result and document ids of the job ``source`` named, or None if it is gone."""
    row = s.execute(select(Result.body, Result.markdown).where(Result.job_id == job_id)).first()
    if row is None:
        return None
    documents = list(s.execute(select(Document.id).where(Document.job_id == job_id)
                               .order_by(Document.position)).scalars())
    return CachedResult(job_id, documents, row.body, row.markdown)


def copy_for(found: CachedResult, job_id: str,
             document_ids: list[str]) -> tuple[dict[str, Any], str]:
    """The result body and Markdown of ``found`` as the new job's own.

    Its job id and document ids (which citations and chunk ids carry, and the page links
    resolve against) become the new job's; ids are random and prefixed, so a plain text
    replacement cannot touch anything else. No model call was made for the new job: its
    usage is empty.
    """
    renames = {found.job_id: job_id, **dict(zip(found.document_ids, document_ids, strict=True))}

    def rename(text: str) -> str:
        for old, new in renames.items():
            text = text.replace(old, new)
        return text

    body: dict[str, Any] = json.loads(rename(json.dumps(found.body)))
    if "usage" in body:
        body["usage"] = []
    return body, rename(found.markdown)
