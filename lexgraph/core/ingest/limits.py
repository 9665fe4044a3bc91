"""How much a document may cost: unpacked bytes, extracted characters, pages.

Every limit here is checked while the work is done, not after, so that a hostile file stops the
reader before it has allocated or computed much: a zip member is counted chunk by chunk as it
inflates, and text extraction stops once the character budget is spent.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

from lexgraph.core.config.settings import Settings
from lexgraph.core.errors import JobError

# The page a text format is counted in, as documented for LEXGRAPH_MAX_PAGES.
CHARS_PER_PAGE = 3000


class DocumentTooLarge(JobError):
    """A document is over one of the operator's limits; at intake this is a 413."""


@dataclass(frozen=True)
class DocumentLimits:
    # All decompressed bytes of one archive together, whatever the parts declare.
    max_unpacked_bytes: int = 64 * 1024 * 1024
    # One archive member, decompressed.
    max_member_bytes: int = 48 * 1024 * 1024
    # Decompressed / compressed size of one member once it is past ``ratio_floor_bytes``.
    max_ratio: float = 100.0
    ratio_floor_bytes: int = 1024 * 1024
    max_members: int = 10_000
    # Characters extraction may produce before it stops; None: no bound.
    max_chars: int | None = None

    def with_chars(self, max_chars: int | None) -> DocumentLimits:
        return replace(self, max_chars=max_chars)

    @classmethod
    def from_settings(cls, settings: Settings) -> DocumentLimits:
        return cls(max_unpacked_bytes=settings.docx_max_unpacked_bytes,
                   max_member_bytes=settings.archive_max_member_bytes,
                   max_ratio=settings.archive_max_ratio)


def pages_of(texts: Iterable[str]) -> int:
    """Pages of extracted text: each page counts at least once and once per 3,000 characters,
    so a page break cannot hide a long text and a long text cannot pass as one page."""
    return max(1, sum(max(1, math.ceil(len(t) / CHARS_PER_PAGE)) for t in texts))


class IngestBudget:
    """What one job may ingest across all its documents: characters and pages.

    A document that would overspend it is refused (recorded on that document) and the
    documents read before it are kept, so the work a job can cause is bounded whatever its
    files claim about themselves.
    """

    def __init__(self, max_chars: int, max_pages: int) -> None:
        self.chars_left = max_chars
        self.pages_left = max_pages
        self.max_chars = max_chars
        self.max_pages = max_pages

    def spend(self, pages: list[str], *, counted_pages: int) -> None:
        chars = sum(len(p) for p in pages)
        if chars > self.chars_left:
            raise DocumentTooLarge(
                "job_too_long",
                f"the job's documents hold more than {self.max_chars:,} characters, the most "
                "one job may ingest; split them over several jobs")
        if counted_pages > self.pages_left:
            raise DocumentTooLarge(
                "too_many_pages",
                f"the job's documents have more than {self.max_pages:,} pages "
                f"({CHARS_PER_PAGE:,} characters of text count as a page); split them over "
                "several jobs")
        self.chars_left -= chars
        self.pages_left -= counted_pages
