"""The compliance verdict on a draft: what the checks' findings decide.

``pass`` lets the draft be finalized, ``revise`` sends it back to the writer with the findings,
``escalate`` hands it to a person. Findings only ever make the verdict stricter, and a draft
that cannot be revised again is escalated instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from lexgraph.core.summary.citations import Check
from lexgraph.core.summary.policy import PolicyViolation
from lexgraph.core.summary.schema import ComplianceFinding, ComplianceReport

SEVERITY = {"pass": 0, "revise": 1, "escalate": 2}


def stricter(a: str, b: str) -> str:
    return a if SEVERITY[a] >= SEVERITY[b] else b


def citation_finding(check: Check) -> ComplianceFinding:
    """A statement its citations do not support."""
    return ComplianceFinding(check="citations", section=check.section, statement=check.index,
                             detail=f"{check.section} #{check.index}: {check.reason}")


def key_term_finding(problem: str) -> ComplianceFinding:
    return ComplianceFinding(check="citations", section="key_terms",
                             detail=f"key terms: {problem}")


def policy_finding(section: str, index: int, violation: PolicyViolation) -> ComplianceFinding:
    return ComplianceFinding(check="policy", section=section, statement=index,
                             detail=f"{section} #{index}: {violation.message}")


def pii_finding(section: str, index: int, entity_types: Iterable[str]) -> ComplianceFinding:
    """Personal data a model wrote in clear; the types only, never the values."""
    kinds = ", ".join(sorted(set(entity_types)))
    return ComplianceFinding(check="pii", section=section, statement=index,
                             detail=f"{section} #{index}: personal data in clear ({kinds})")


@dataclass
class Verdict:
    """Findings as the checks report them, and the verdict they add up to so far."""

    findings: list[ComplianceFinding] = field(default_factory=list)
    verdict: str = "pass"

    def add(self, finding: ComplianceFinding, action: str = "revise") -> None:
        self.findings.append(finding)
        self.verdict = stricter(self.verdict, action)

    def note(self, finding: ComplianceFinding) -> None:
        """A finding that informs the reader but decides nothing."""
        self.findings.append(finding)

    def at_least(self, verdict: str) -> None:
        self.verdict = stricter(self.verdict, verdict)

    def report(self, *, revisable: bool, rounds: int, max_rounds: int) -> ComplianceReport:
        """The report of round ``rounds``. A draft that needs revising is escalated when
        nothing can revise it (no model wrote it) or its rounds are used up."""
        verdict = self.verdict
        if verdict == "revise" and (not revisable or rounds >= max_rounds):
            verdict = "escalate"
        return ComplianceReport.model_validate({"verdict": verdict, "findings": self.findings,
                                                "rounds": rounds})
