"""Markdown rendering of a job result."""

from __future__ import annotations

from typing import Any


def render_markdown(result: dict[str, Any]) -> str:
    out = [f"# Matter {result['matter']}: {result['profile'].replace('_', ' ')} review", ""]
    out += [f"_Mode: {result['mode']}._ {result['overview']}", ""]
    for doc in result["documents"]:
        out.append(f"## {doc['filename']}")
        out.append("")
        if doc.get("error"):
            out += [f"**Not read:** {doc['error']['message']} (`{doc['error']['code']}`)", ""]
            continue
        out.append(
            f"{doc['pages']} page(s), {doc['words']:,} words, {doc['sentences']:,} sentences, "
            f"{doc['paragraphs']:,} paragraphs."
        )
        out.append("")
        if doc.get("opening"):
            out += [f"> {doc['opening']}", ""]
        if doc.get("headings"):
            out.append("**Structure:**")
            out += [f"- {h}" for h in doc["headings"]]
            out.append("")
        if doc.get("defined_terms"):
            out.append("**Defined terms:** " + ", ".join(doc["defined_terms"]))
            out.append("")
    return "\n".join(out).rstrip() + "\n"
