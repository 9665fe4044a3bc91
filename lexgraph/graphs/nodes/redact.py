"""The redact node: every admissible chunk pseudonymized before a model reads it."""

from __future__ import annotations

import logging
from typing import Any

from langgraph.runtime import Runtime

from lexgraph.core.pii import Pseudonymizer, PseudonymMap, get_detector
from lexgraph.core.pii.types import PiiDetector
from lexgraph.graphs import prescan
from lexgraph.graphs.interrupts import check_stop
from lexgraph.graphs.nodes.state_view import admissible
from lexgraph.graphs.state import GraphContext, JobState

log = logging.getLogger(__name__)

WITHHELD_CHUNK = "[withheld: personal-data screening failed on this passage]"


def redact(state: JobState, runtime: Runtime[GraphContext]) -> dict[str, Any]:
    """Pseudonymize every admissible chunk; the map stays in the job's state only.

    Fails closed: a chunk whose screening raised is what models see as ``WITHHELD_CHUNK``,
    never as written, and a detector that cannot load fails the job.
    """
    pmap = PseudonymMap.from_state(state["pii"]) if state.get("pii") else PseudonymMap()
    detector: PiiDetector = get_detector(runtime.context.settings)
    scanned = prescan.take(state["job_id"]) if state.get("job_id") else None
    if scanned is not None:
        # Ingest started the scan of every chunk; what it found is what the detector finds.
        scanned.wait()
        detector = prescan.PrescannedDetector(detector, scanned)
    pseudonymizer = Pseudonymizer(pmap, detector)
    redacted: dict[str, str] = {}
    withheld: list[str] = []
    for n, chunk in enumerate(admissible(state)):
        if n % 32 == 0:
            check_stop()  # outside the try: a stop is not a screening failure
        try:
            redacted[chunk["id"]] = pseudonymizer.pseudonymize(chunk["text"]).text
        except Exception:
            # Neither the exception nor its traceback is logged: either may quote the text.
            redacted[chunk["id"]] = WITHHELD_CHUNK
            withheld.append(chunk["id"])
    if withheld:
        log.warning("personal-data screening failed on %d chunk(s) of job %s; withheld from "
                    "the models: %s", len(withheld), state.get("job_id"), ", ".join(withheld))
    return {"redacted": redacted, "pii": pmap.to_state(), "redactions": pmap.counts()}
