"""Markdown rendering of a summary with footnote-style citations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lexgraph.core.summary.schema import Section


def _quote(text: str, limit: int = 240) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def render_summary(*, title: str, matter: str, mode: str, sections: Sequence[Section],
                   compliance: dict[str, Any] | None = None,
                   quarantined: Sequence[dict[str, Any]] = (),
                   redactions: dict[str, int] | None = None,
                   documents: Sequence[dict[str, Any]] = ()) -> str:
    out = [f"# {title}: {matter}", ""]
    mode_note = ("extractive (verbatim sentences from the sources; no language model)"
                 if mode == "extractive" else mode)
    out += [f"_Mode: {mode_note}._", ""]
    notes: list[str] = []
    for section in sections:
        out += [f"## {section.title}", ""]
        if not section.statements:
            out += ["_Nothing in the documents addresses this._", ""]
            continue
        for statement in section.statements:
            marks = []
            for citation in statement.citations:
                notes.append(f"{citation.document}, p. {citation.page}: "
                             f"“{_quote(citation.quote)}” ({citation.chunk_id})")
                marks.append(f"[^{len(notes)}]")
            out.append(f"- {statement.text}{''.join(marks)}")
        out.append("")
    if documents:
        out += ["## Documents", ""]
        for d in documents:
            if d.get("error"):
                out.append(f"- {d['filename']}: not read: {d['error']['message']} "
                           f"(`{d['error']['code']}`)")
            else:
                out.append(f"- {d['filename']}: {d.get('pages', 0)} page(s)")
        out.append("")
    if compliance:
        out += ["## Checks", "", f"Verdict: **{compliance['verdict']}**."]
        for finding in compliance.get("findings", []):
            out.append(f"- {finding['check']}: {finding['detail']}")
        out.append("")
    if quarantined:
        out += [f"{len(quarantined)} passage(s) were held back by screening and never shown "
                "to a model.", ""]
    if redactions:
        counts = ", ".join(f"{n} {kind}" for kind, n in sorted(redactions.items()))
        out += [f"Personal data pseudonymized before any model saw it: {counts}.", ""]
    if notes:
        out += [f"[^{i}]: {note}" for i, note in enumerate(notes, start=1)]
    return "\n".join(out).rstrip() + "\n"
