"""The compliance verdict: findings only make it stricter, and a draft nothing can revise is
escalated."""

from __future__ import annotations

from lexgraph.core.summary import ComplianceFinding
from lexgraph.core.summary.verdict import Verdict, key_term_finding, pii_finding, stricter


def test_stricter_keeps_the_graver_verdict() -> None:
    assert stricter("pass", "revise") == "revise"
    assert stricter("escalate", "revise") == "escalate"
    assert stricter("revise", "pass") == "revise"


def test_a_note_decides_nothing_and_a_finding_asks_for_revision() -> None:
    verdict = Verdict()
    verdict.note(ComplianceFinding(check="policy", detail="tone", severity="warning"))
    assert verdict.report(revisable=True, rounds=0, max_rounds=2).verdict == "pass"
    verdict.add(key_term_finding("no date"))
    report = verdict.report(revisable=True, rounds=0, max_rounds=2)
    assert report.verdict == "revise"
    assert [f.detail for f in report.findings] == ["tone", "key terms: no date"]


def test_revision_is_escalated_when_nothing_can_revise() -> None:
    verdict = Verdict()
    verdict.add(pii_finding("parties", 0, ["PERSON", "US_SSN", "PERSON"]))
    assert verdict.findings[0].detail == "parties #0: personal data in clear (PERSON, US_SSN)"
    assert verdict.report(revisable=False, rounds=0, max_rounds=2).verdict == "escalate"
    assert verdict.report(revisable=True, rounds=2, max_rounds=2).verdict == "escalate"
    verdict.at_least("pass")
    assert verdict.verdict == "revise"
