"""The compliance checker's tools: ``verify_citations``, ``scan_pii`` and ``check_policy``.

Each is bound to one job's draft and admissible passages when built; the agent can ask for a
check but cannot point it at anything outside the job.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from crewai.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from lexgraph.core.embeddings.base import Embedder
from lexgraph.core.pii import PiiFinding
from lexgraph.core.summary.citations import verify
from lexgraph.core.summary.policy import check_policy
from lexgraph.core.summary.schema import Section
from lexgraph.core.vectorstore.base import Passage


class SectionArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    section: str | None = Field(None, description="Only this section key; all when omitted.")


class TextArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(..., min_length=1, max_length=50_000, description="The text to check.")


class VerifyCitationsTool(BaseTool):
    name: str = "verify_citations"
    description: str = (
        "Check that each statement of the draft is supported by the passages it cites. Returns "
        "a JSON list of unsupported statements (section, index, reason); [] when all pass."
    )
    args_schema: type[BaseModel] = SectionArgs

    _draft: list[Section] = PrivateAttr()
    _passages: dict[str, Passage] = PrivateAttr()
    _embedder: Embedder = PrivateAttr()
    _threshold: float = PrivateAttr()

    def __init__(self, draft: Sequence[Section], passages: Mapping[str, Passage],
                 embedder: Embedder, threshold: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._draft = list(draft)
        self._passages = dict(passages)
        self._embedder = embedder
        self._threshold = threshold

    def _run(self, section: str | None = None) -> str:
        sections = [s for s in self._draft if section is None or s.key == section]
        failed = [{"section": c.section, "index": c.index, "reason": c.reason}
                  for c in verify(sections, self._passages, self._embedder,
                                  threshold=self._threshold) if not c.supported]
        return json.dumps(failed)


class ScanPiiTool(BaseTool):
    name: str = "scan_pii"
    description: str = (
        "Find personal data left in clear in a text (names, emails, phone numbers, SSNs, IBANs, "
        "card numbers). Placeholders like <PERSON_1> are fine. Returns a JSON list of findings "
        "(type and position only)."
    )
    args_schema: type[BaseModel] = TextArgs

    _scan: Callable[[str], list[PiiFinding]] = PrivateAttr()

    def __init__(self, scan: Callable[[str], list[PiiFinding]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._scan = scan

    def _run(self, text: str) -> str:
        return json.dumps([{"type": f.entity_type, "start": f.start, "end": f.end}
                           for f in self._scan(text)])


class CheckPolicyTool(BaseTool):
    name: str = "check_policy"
    description: str = (
        "Check a text against the firm's drafting policy (no legal advice, no promises, no "
        "speculation). Returns a JSON list of violations; [] when none."
    )
    args_schema: type[BaseModel] = TextArgs

    def _run(self, text: str) -> str:
        return json.dumps([{"rule": v.rule, "message": v.message, "action": v.action}
                           for v in check_policy(text)])
