"""The shape of a summary: sections of statements, each statement citing source passages."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Citation(BaseModel):
    """Where a statement comes from: a chunk, and the quoted span inside its page's text."""

    chunk_id: str
    document_id: str
    document: str
    page: int
    start: int  # offsets of the quote in the page's extracted text
    end: int
    quote: str


class Statement(BaseModel):
    text: str
    citations: list[Citation] = Field(default_factory=list)
    support: float | None = None  # best support score from verify_citations, 0..1


class Section(BaseModel):
    key: str
    title: str
    statements: list[Statement] = Field(default_factory=list)


Verdict = Literal["pass", "revise", "escalate"]


class ComplianceFinding(BaseModel):
    check: Literal["citations", "pii", "policy"]
    section: str | None = None
    statement: int | None = None  # index within the section
    detail: str
    severity: Literal["info", "warning", "error"] = "error"


class ComplianceReport(BaseModel):
    verdict: Verdict
    findings: list[ComplianceFinding] = Field(default_factory=list)
    rounds: int = 0  # revise rounds that came before this report
