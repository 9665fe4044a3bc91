from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Annotated, Any, TypedDict

from lexgraph.core.config.settings import Settings
from lexgraph.core.storage.blobs import BlobStore


def _merge(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    return {**left, **right}


class DocumentInput(TypedDict):
    id: str
    filename: str
    media_type: str
    blob_key: str
    pages: int
    size: int


class ExtractedDocument(TypedDict):
    id: str
    filename: str
    media_type: str
    pages: list[str]
    error: dict[str, str] | None


class JobState(TypedDict, total=False):
    job_id: str
    matter: str
    profile: str
    instructions: str | None
    inputs: list[DocumentInput]
    extracted: list[ExtractedDocument]
    analyses: list[dict[str, Any]]
    result: dict[str, Any]
    markdown: str
    timings_ms: Annotated[dict[str, float], _merge]
    log: Annotated[list[str], operator.add]


@dataclass(frozen=True)
class GraphContext:
    """Per-run dependencies handed to nodes through LangGraph's runtime context."""

    settings: Settings
    blobs: BlobStore
