"""Markdown rendering of a summary with footnote-style citations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lexgraph.core.summary.profiles import Profile
from lexgraph.core.summary.schema import Citation, KeyTerm, Section


def _quote(text: str, limit: int = 240) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render_summary(*, title: str, matter: str, mode: str, sections: Sequence[Section],
                   profile: Profile | None = None, key_terms: Sequence[KeyTerm] = (),
                   notes: Sequence[str] = (),
                   compliance: dict[str, Any] | None = None,
                   quarantined: Sequence[dict[str, Any]] = (),
                   redactions: dict[str, int] | None = None,
                   documents: Sequence[dict[str, Any]] = ()) -> str:
    out = [f"# {title}: {matter}", ""]
    mode_note = ("extractive (verbatim sentences from the sources; no language model)"
                 if mode == "extractive" else mode)
    out += [f"_Mode: {mode_note}._", ""]
    footnotes: list[str] = []

    def cite(citation: Citation) -> str:
        footnotes.append(f"{citation.document}, p. {citation.page}: "
                         f"“{_quote(citation.quote)}” ({citation.chunk_id})")
        return f"[^{len(footnotes)}]"

    for note in notes:
        out += [f"> {note}", ""]
    if key_terms:
        out += ["## Key terms", "", "| Term | Value | Source |", "|---|---|---|"]
        for term in key_terms:
            if not term.found:
                out.append(f"| {term.label} | not found | |")
                continue
            value = _cell(term.value) if term.value else "see the clause"
            source = cite(term.citation) if term.citation else ""
            out.append(f"| {term.label} | {value} | {source} |")
        out.append("")
    expected = {s.key for s in profile.sections if s.expected} if profile else None
    for section in sections:
        if not section.statements and expected is not None and section.key not in expected:
            continue  # an empty section the reader does not expect is left out
        out += [f"## {section.title}", ""]
        if not section.statements:
            out += ["_Not found in the documents._", ""]
            continue
        for statement in section.statements:
            marks = "".join(cite(c) for c in statement.citations)
            label = f"**{_cell(statement.label)}** " if statement.label else ""
            out.append(f"- {label}{statement.text}{marks}")
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
    if footnotes:
        out += [f"[^{i}]: {note}" for i, note in enumerate(footnotes, start=1)]
    return "\n".join(out).rstrip() + "\n"
