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
    # Where in the document the statement comes from, for the reader ("SEC. 3. GRANTS.",
    # "Syllabus"); never part of what is checked against the source.
    label: str | None = None
    category: str | None = None  # the clause category of a contract statement's source


class Section(BaseModel):
    key: str
    title: str
    statements: list[Statement] = Field(default_factory=list)
    # A reader expects this section even when empty ("not found" is itself a finding); other
    # empty sections are left out of what people read.
    expected: bool = False


class KeyTerm(BaseModel):
    """One row of a contract's key-terms table: a value read from the clause that states it,
    or ``found = False`` when the contract has no such clause (never a guess)."""

    key: str
    label: str
    found: bool
    value: str | None = None  # "Delaware", "March 21, 2019", "90 days"; None: see the clause
    citation: Citation | None = None
    category: str | None = None  # the CUAD clause category that states it
    score: float | None = None  # the clause finder's confidence in the cited clause


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
