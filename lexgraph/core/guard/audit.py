"""``AuditEntry``: one screening decision as the job's audit log keeps it.

What was screened (stage and subject: a chunk id, a tool name), the verdict, categories and
reason, which guard and model decided, how long it took, whether the verdict came from the
cache, and the SHA-256 of the screened content, so a reviewer can match a decision to a text
without the log ever holding the text itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

AuditStage = Literal["document", "call", "result"]


@dataclass(frozen=True)
class AuditEntry:
    stage: AuditStage
    subject: str
    action: str
    categories: tuple[str, ...]
    reason: str
    guard: str
    model: str | None
    latency_ms: float
    content_sha256: str
    cached: bool = False

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["categories"] = list(self.categories)
        return data


# Receives a job's entries: (job id, tenant id, entries). Raises when they cannot be kept.
AuditWriter = Callable[[str, str, Sequence[AuditEntry]], None]
