"""The human_review node: the job waits in needs_review for a reviewer's decision."""

from __future__ import annotations

from typing import Any

from langgraph.types import interrupt

from lexgraph.core.errors import JobError
from lexgraph.graphs.nodes.state_view import sections
from lexgraph.graphs.state import JobState


def human_review(state: JobState) -> dict[str, Any]:
    """Wait for a reviewer (the job sits in needs_review), then apply their decision."""
    report = state.get("compliance") or {}
    decision: dict[str, Any] = interrupt({
        "verdict": report["verdict"],
        "findings": [f["detail"] for f in report["findings"]],
    })
    action = decision.get("action")
    if action == "reject":
        raise JobError("rejected_in_review",
                       "a reviewer rejected the summary"
                       + (f": {decision['comment']}" if decision.get("comment") else ""))
    drafted = sections(state["draft"])
    if action == "edit":
        by_key = {s.key: s for s in drafted}
        deletions: dict[str, set[int]] = {}
        for edit in decision.get("edits", []):
            section = by_key.get(edit["section"])
            if section is None or not 0 <= edit["index"] < len(section.statements):
                raise JobError("bad_review_edit",
                               f"edit names no statement: {edit['section']} #{edit['index']}")
            if edit.get("delete"):
                deletions.setdefault(section.key, set()).add(edit["index"])
            else:
                section.statements[edit["index"]].text = edit["text"]
        for key, gone in deletions.items():
            by_key[key].statements = [st for i, st in enumerate(by_key[key].statements)
                                      if i not in gone]
    return {"draft": [s.model_dump() for s in drafted],
            "review": {"action": action, "comment": decision.get("comment"),
                       "edits": len(decision.get("edits", []))}}
