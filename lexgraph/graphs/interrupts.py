"""Ending an attempt from inside a long node: a job cancelled, or whose lease another worker
took, stops within one batch of work instead of at the end of the node.

The runner installs a ``StopWatch`` for the attempt; a node's loops call ``check_stop()`` once
per batch (of chunks to embed, chunks to screen for personal data, sections to verify). It
raises ``AttemptStopped``, which the runner treats as it treats a cancel seen between nodes:
the attempt ends, nothing more is written, and the node's partial work is not checkpointed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class AttemptStopped(Exception):
    """The job is no longer this attempt's: cancelled or taken over."""


class StopWatch:
    """``lost`` is set by the heartbeat (every quarter lease); ``still_owned`` asks the
    database (one indexed read), so a cancel is seen at the next check, not the next beat.
    Callers check once per batch, which keeps the reads to a few per second."""

    def __init__(self, lost: threading.Event, still_owned: Callable[[], bool]) -> None:
        self.lost = lost
        self.still_owned = still_owned

    def check(self) -> None:
        if self.lost.is_set():
            raise AttemptStopped
        try:
            owned = self.still_owned()
        except Exception:  # a database hiccup is the heartbeat's business, not a stop
            return
        if not owned:
            self.lost.set()
            raise AttemptStopped


_watch: ContextVar[StopWatch | None] = ContextVar("lexgraph_stop_watch", default=None)


@contextmanager
def watching(watch: StopWatch) -> Iterator[StopWatch]:
    token = _watch.set(watch)
    try:
        yield watch
    finally:
        _watch.reset(token)


def check_stop() -> None:
    """Raise ``AttemptStopped`` if the running job is no longer this attempt's; outside an
    attempt (a node run by a test or the CLI) it does nothing."""
    watch = _watch.get()
    if watch is not None:
        watch.check()
