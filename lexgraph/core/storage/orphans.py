"""Remove uploads that no document row refers to, once they are older than a grace period.

A submission stores its files before its rows; if the process dies in between, or the rows are
rolled back without the cleanup running, a file with a client's personal data is left with no
job to answer for it. The grace period covers submissions still in flight: a file is only a
candidate once it has not been stored, or stored again, for that long.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import Engine, select
from sqlalchemy.orm import sessionmaker

from lexgraph.core.db.models import Document
from lexgraph.core.storage.blobs import BlobStore

log = logging.getLogger(__name__)
_BATCH = 500


class OrphanSweep:
    def __init__(self, engine: Engine, blobs: BlobStore, *, grace_seconds: float,
                 interval_seconds: float) -> None:
        self.sessions = sessionmaker(engine)
        self.blobs = blobs
        self.grace_seconds = grace_seconds
        self.interval_seconds = interval_seconds
        self._last = 0.0

    def run_if_due(self) -> int:
        """Sweep at most once per interval: listing the store costs more than a job sweep."""
        now = time.monotonic()
        if self._last and now - self._last < self.interval_seconds:
            return 0
        self._last = now
        return self.run()

    def run(self) -> int:
        """Remove every unreferenced blob past the grace period; returns how many."""
        cutoff = time.time() - self.grace_seconds
        removed = 0
        batch: list[str] = []
        for key in self.blobs.stored_before(cutoff):
            batch.append(key)
            if len(batch) >= _BATCH:
                removed += self._drop(batch, cutoff)
                batch = []
        if batch:
            removed += self._drop(batch, cutoff)
        if removed:
            log.info("removed %d upload(s) that no job refers to", removed)
        return removed

    def _drop(self, keys: list[str], cutoff: float) -> int:
        with self.sessions() as s:
            used = set(s.execute(select(Document.blob_key).where(
                Document.blob_key.in_(keys))).scalars())
        # Checked against the file's time once more at deletion: a submission that stored the
        # same file since the listing keeps it.
        return sum(1 for key in keys
                   if key not in used and self.blobs.delete_if_stored_before(key, cutoff))
