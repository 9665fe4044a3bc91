"""The personal-data scan that ingest starts alongside the encoder: redact reads its findings
and redacts exactly as it does when it scans for itself; a chunk the scan could not screen is
still withheld; a stopped job's scan ends."""

from __future__ import annotations

import threading
from typing import Any

from langgraph.runtime import Runtime

from lexgraph.core.config.settings import Settings
from lexgraph.core.pii import get_detector
from lexgraph.core.pii.types import PiiFinding
from lexgraph.graphs import prescan
from lexgraph.graphs.interrupts import StopWatch, watching
from lexgraph.graphs.nodes.redact import WITHHELD_CHUNK, redact
from lexgraph.graphs.state import GraphContext

TEXTS = [
    "This Agreement is made between Marguerite Okonkwo-Halvorsen of 12 High Street, "
    "Springfield, and Acme Corporation.",
    "Notices go to Mr. Okonkwo-Halvorsen at okonkwo@example.com or +1 415 555 0134.",
    "The Supplier shall deliver the Products within thirty days of each order.",
]
# A lone surrogate: the recognizers' tokenizer cannot encode it and raises (test_redact_node).
UNSCREENABLE = "Payment to Marguerite Okonkwo-Halvorsen, SSN 123-45-6789 \udcff is due."


def _runtime() -> Runtime[GraphContext]:
    context = GraphContext(settings=Settings(), blobs=None, embedder=None,  # type: ignore[arg-type]
                           vectors=None, guard=None)  # type: ignore[arg-type]
    return Runtime(context=context)


def _state(job_id: str, *texts: str) -> dict[str, Any]:
    return {"job_id": job_id, "quarantined": [],
            "chunks": [{"id": f"d:1:{n}", "document_id": "d", "document": "a.txt", "page": 1,
                        "page_end": 1, "start": 0, "end": len(text), "heading": "",
                        "text": text} for n, text in enumerate(texts)]}


class Counting:
    """The real detector, counting the texts it scans."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.scanned: list[str] = []
        self._lock = threading.Lock()

    @property
    def entity_types(self) -> tuple[str, ...]:
        return tuple(self.real.entity_types)

    def scan(self, text: str) -> list[PiiFinding]:
        with self._lock:
            self.scanned.append(text)
        return list(self.real.scan(text))


class Blind(Counting):
    """Finds nothing: what redact writes then shows whether it read the prescan."""

    def scan(self, text: str) -> list[PiiFinding]:
        super().scan(text)
        return []


def test_the_prescan_finds_what_the_detector_finds() -> None:
    detector = get_detector(Settings())
    scan = prescan.Prescan(detector)
    scan.add(TEXTS[:2])
    scan.add(TEXTS[2:])
    assert scan.wait(60)
    for text in TEXTS:
        assert scan.findings(text) == detector.scan(text)
    assert scan.findings("a text nobody added") is None
    assert any(scan.findings(TEXTS[0]) or [])  # the names and address were found


def test_redact_reads_the_prescan_and_redacts_as_it_would_alone() -> None:
    alone = redact(_state("job_alone", *TEXTS), _runtime())  # type: ignore[arg-type]
    counting = Counting(get_detector(Settings()))
    scan = prescan.start("job_pre", counting)
    scan.add(TEXTS)
    scan.close()
    with_scan = redact(_state("job_pre", *TEXTS), _runtime())  # type: ignore[arg-type]
    assert with_scan == alone
    assert "<PERSON_1>" in with_scan["redacted"]["d:1:0"]
    assert sorted(counting.scanned) == sorted(TEXTS)  # each chunk scanned once, by the prescan
    assert prescan.take("job_pre") is None  # one redact consumes it


def test_redact_uses_the_prescans_findings() -> None:
    blind = Blind(get_detector(Settings()))
    scan = prescan.start("job_blind", blind)
    scan.add(TEXTS[:1])
    scan.close()
    update = redact(_state("job_blind", *TEXTS[:2]), _runtime())  # type: ignore[arg-type]
    # The first chunk's findings came from the (blind) prescan, the second from the detector.
    assert update["redacted"]["d:1:0"] == TEXTS[0]
    assert "Okonkwo" not in update["redacted"]["d:1:1"]


def test_a_chunk_the_prescan_could_not_screen_is_still_withheld() -> None:
    counting = Counting(get_detector(Settings()))
    scan = prescan.start("job_fail", counting)
    scan.add([TEXTS[0], UNSCREENABLE])
    scan.close()
    update = redact(_state("job_fail", TEXTS[0], UNSCREENABLE), _runtime())  # type: ignore[arg-type]
    assert update["redacted"]["d:1:1"] == WITHHELD_CHUNK
    assert "Okonkwo" not in update["redacted"]["d:1:0"]


def test_a_stopped_jobs_prescan_ends_without_scanning() -> None:
    counting = Counting(get_detector(Settings()))
    lost = threading.Event()
    lost.set()  # the attempt lost its job before the scan started
    with watching(StopWatch(lost, lambda: False)):
        scan = prescan.start("job_stopped", counting)
        scan.add(TEXTS)
    assert scan.wait(30)
    assert counting.scanned == []
    assert scan.findings(TEXTS[0]) is None
    prescan.discard("job_stopped", scan)
    assert prescan.take("job_stopped") is None


def test_only_the_newest_prescans_are_kept() -> None:
    detector = get_detector(Settings())
    first = prescan.start("job_old", detector)
    for n in range(prescan._KEEP):
        prescan.start(f"job_new_{n}", detector)
    assert prescan.take("job_old") is None
    first.add(TEXTS)  # a dropped prescan takes no more work
    assert first.wait(5) and first.findings(TEXTS[0]) is None
    for n in range(prescan._KEEP):
        assert prescan.take(f"job_new_{n}") is not None
