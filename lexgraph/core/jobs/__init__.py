"""Jobs: tenants and keys, submission with idempotency, queries, and the worker-side lifecycle.

Every state change writes its outbox event (``job_events``) in the same transaction.
"""

from lexgraph.core.jobs.intake import Submission, UploadedDocument
from lexgraph.core.jobs.lifecycle import Lifecycle
from lexgraph.core.jobs.store import JobStore, Principal, SubmitOutcome

__all__ = [
    "JobStore",
    "Lifecycle",
    "Principal",
    "Submission",
    "SubmitOutcome",
    "UploadedDocument",
]
