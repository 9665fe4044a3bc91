"""Personal-data detection started during ingest, so it runs while the chunks are embedded.

The redact node needs the screening's verdicts (quarantined chunks are never pseudonymized),
so it cannot start before ``screen_documents``; but its costly part, the detector's scan of
each chunk (NER model and rules), depends on the chunk's text alone. The ingest node hands
each document's chunks to a ``Prescan`` thread as soon as they are parsed; the encoder
(ONNX Runtime or torch, both outside the GIL while they compute) embeds them meanwhile. When
redact runs, it takes the job's prescan and the pseudonymizer reads the findings from it: the
same findings the detector would return, so the redaction and the placeholders are unchanged.

What is kept: per chunk text, its SHA-256 and the findings (type, offsets, score, rule), never
the text or the values. Only in this process: a job resumed elsewhere (after a crash, or past
review) has no prescan and redact scans as before. A prescan nobody takes (the job failed or
stopped before redact) is dropped once ``_KEEP`` newer ones exist.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable
from contextvars import copy_context

from lexgraph.core.pii.types import PiiDetector, PiiFinding
from lexgraph.graphs.interrupts import AttemptStopped, check_stop

log = logging.getLogger(__name__)

# Prescans held for jobs whose redact has not run yet; a worker runs a few jobs at a time.
_KEEP = 16
# Texts scanned between two stop checks, as redact checks once per 32 chunks.
_CHECK_EVERY = 32


def _key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class Prescan:
    """One job's background scan: texts go in as ingest parses them, findings come out by
    text. A text whose scan raised has no entry, so redact scans it again and fails closed
    exactly as it would have."""

    def __init__(self, detector: PiiDetector) -> None:
        self.detector = detector
        self._queue: list[str] = []
        self._found: dict[bytes, list[PiiFinding]] = {}
        self._cond = threading.Condition()
        self._closed = False  # no more texts will be added
        self._cancelled = False
        self._thread: threading.Thread | None = None

    def add(self, texts: Iterable[str]) -> None:
        with self._cond:
            if self._closed:
                return
            self._queue.extend(texts)
            self._cond.notify()
            if self._thread is None:
                # The attempt's stop watch travels with the context, so a cancelled job's
                # scan ends within a batch as its nodes do.
                context = copy_context()
                self._thread = threading.Thread(target=context.run, args=(self._run,),
                                                daemon=True, name="pii-prescan")
                self._thread.start()

    def close(self) -> None:
        """No more texts: the thread ends once it has scanned what it holds."""
        with self._cond:
            self._closed = True
            self._cond.notify()

    def cancel(self) -> None:
        with self._cond:
            self._closed = self._cancelled = True
            self._queue.clear()
            self._cond.notify()

    def _next(self) -> str | None:
        with self._cond:
            while not self._queue and not self._closed:
                self._cond.wait()
            if self._cancelled or not self._queue:
                return None
            return self._queue.pop(0)

    def _run(self) -> None:
        scanned = 0
        try:
            while (text := self._next()) is not None:
                if scanned % _CHECK_EVERY == 0:
                    check_stop()
                scanned += 1
                key = _key(text)
                if key in self._found:
                    continue
                try:
                    found = list(self.detector.scan(text))
                except Exception:
                    # Left for redact, which withholds the chunk. Nothing is logged: the
                    # exception may quote the text.
                    continue
                with self._cond:
                    self._found[key] = found
        except AttemptStopped:
            pass
        finally:
            with self._cond:
                self._closed = True
                self._queue.clear()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every added text is scanned; False if ``timeout`` ran out first."""
        self.close()
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def findings(self, text: str) -> list[PiiFinding] | None:
        with self._cond:
            found = self._found.get(_key(text))
        return None if found is None else list(found)


class PrescannedDetector:
    """The detector as the pseudonymizer sees it in redact: findings from the prescan where it
    has them, the detector itself for any other text."""

    def __init__(self, detector: PiiDetector, prescan: Prescan) -> None:
        self.detector = detector
        self.prescan = prescan

    @property
    def entity_types(self) -> tuple[str, ...]:
        return self.detector.entity_types

    def scan(self, text: str) -> list[PiiFinding]:
        found = self.prescan.findings(text)
        return list(self.detector.scan(text)) if found is None else found


_lock = threading.Lock()
_prescans: OrderedDict[str, Prescan] = OrderedDict()


def start(job_id: str, detector: PiiDetector) -> Prescan:
    """A new prescan for ``job_id``, replacing any earlier one of the same job (an attempt
    that ingests again scans again)."""
    prescan = Prescan(detector)
    with _lock:
        old = _prescans.pop(job_id, None)
        _prescans[job_id] = prescan
        while len(_prescans) > _KEEP:
            _, dropped = _prescans.popitem(last=False)
            dropped.cancel()
    if old is not None:
        old.cancel()
    return prescan


def discard(job_id: str, prescan: Prescan) -> None:
    """Stop and forget ``prescan`` (its ingest failed or was stopped)."""
    prescan.cancel()
    with _lock:
        if _prescans.get(job_id) is prescan:
            del _prescans[job_id]


def take(job_id: str) -> Prescan | None:
    """The job's prescan, removed from the process's list: it serves one redact."""
    with _lock:
        return _prescans.pop(job_id, None)
