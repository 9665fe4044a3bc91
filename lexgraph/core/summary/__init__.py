"""Summaries: the result schema, summary profiles, extractive selection, citation checks and
Markdown rendering. Pure functions over passages and an embedder; no model calls here."""

from lexgraph.core.summary.profiles import Profile, SectionSpec, load_profiles
from lexgraph.core.summary.schema import (
    Citation,
    ComplianceFinding,
    ComplianceReport,
    KeyTerm,
    Section,
    Statement,
)

__all__ = [
    "Citation",
    "ComplianceFinding",
    "ComplianceReport",
    "KeyTerm",
    "Profile",
    "Section",
    "SectionSpec",
    "Statement",
    "load_profiles",
]
