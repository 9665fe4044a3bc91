"""Wake a job's live event streams when one of its events commits, not at their next poll.

On PostgreSQL a trigger (migration 0012) sends a notification on ``CHANNEL`` with the job id
for each event row; PostgreSQL delivers it when the inserting transaction commits, so a woken
stream always finds the row. One listener thread per API process holds a connection in
``LISTEN`` and wakes the streams waiting on that job. Streams still poll at
``event_stream_poll_seconds``: a lost listener connection, or SQLite, which has no
notifications, only makes a stream as slow as its poll, never wrong.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading

import anyio
import psycopg
from sqlalchemy import Engine

log = logging.getLogger(__name__)

CHANNEL = "lexgraph_job_events"
_RECONNECT_MAX_SECONDS = 10.0


class EventWakeup:
    """Streams ``wait`` on a job; the listener thread ends the waits of jobs it hears about."""

    def __init__(self, engine: Engine) -> None:
        self._dsn: str | None = None
        if engine.dialect.name == "postgresql":
            self._dsn = engine.url.set(drivername="postgresql").render_as_string(
                hide_password=False)
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def enabled(self) -> bool:
        return self._dsn is not None

    def start(self) -> None:
        if self._dsn is None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._listen, name="event-wakeup", daemon=True)
        self._thread.start()

    def wait_listening(self, timeout: float) -> bool:
        """Whether the listener holds its LISTEN (for start-up checks and tests)."""
        return self._listening.wait(timeout)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    async def wait(self, job_id: str, timeout: float) -> None:
        """Return when an event of ``job_id`` commits, or after ``timeout`` seconds."""
        entry = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters.setdefault(job_id, set()).add(entry)
        try:
            with anyio.move_on_after(timeout):
                await entry[1].wait()
        finally:
            with self._lock:
                waiting = self._waiters.get(job_id)
                if waiting is not None:
                    waiting.discard(entry)
                    if not waiting:
                        del self._waiters[job_id]

    def _wake(self, job_id: str) -> None:
        with self._lock:
            entries = list(self._waiters.get(job_id, ()))
        for loop, event in entries:
            # RuntimeError: that stream's loop has closed; nothing waits there any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(event.set)

    def _listen(self) -> None:
        assert self._dsn is not None
        delay = 0.5
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._dsn, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    delay = 0.5
                    while not self._stop.is_set():
                        # A bounded wait, so close() is seen within half a second.
                        for note in conn.notifies(timeout=0.5):
                            self._wake(note.payload)
            except Exception as exc:  # the database restarting, a dropped connection
                self._listening.clear()
                log.warning("event wake-up listener lost its connection (%s); streams poll "
                            "until it is back", type(exc).__name__)
                self._stop.wait(delay)
                delay = min(delay * 2, _RECONNECT_MAX_SECONDS)
        self._listening.clear()
