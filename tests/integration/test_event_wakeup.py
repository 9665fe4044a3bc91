"""On PostgreSQL a live event stream learns of a committed event from the database's
notification, not at its next poll (migration 0012's trigger and core/jobs/wakeup.py)."""

from __future__ import annotations

import threading
import time

from lexgraph.core.config.settings import Settings
from tests.integration.conftest import open_api
from tests.integration.test_event_stream import parse_sse

# Far longer than the test waits: only a notification can end the stream's wait in time.
SLOW_POLL = 120.0


def test_a_waiting_stream_is_woken_by_the_next_event(production_settings: Settings) -> None:
    settings = production_settings.model_copy(update={"event_stream_poll_seconds": SLOW_POLL})
    with open_api(settings) as api:
        wakeup = api.client.app.state.services.events.wakeup  # type: ignore[attr-defined]
        assert wakeup is not None and wakeup.wait_listening(10)
        auth = api.tenant("acme")
        job_id = api.submit(auth).json()["id"]
        body: list[str] = []
        ended: list[float] = []

        def follow() -> None:
            body.append(api.client.get(f"/v1/jobs/{job_id}/events/stream", headers=auth).text)
            ended.append(time.monotonic())

        stream = threading.Thread(target=follow, daemon=True)
        stream.start()
        # Let the stream send job.queued and settle into its wait before the next event.
        time.sleep(1.5)
        assert api.client.post(f"/v1/jobs/{job_id}/cancel", headers=auth).status_code == 200
        committed = time.monotonic()
        stream.join(timeout=20)
        assert not stream.is_alive(), "the stream slept through the event"
        # A figure for the log, not a bound: how long after the commit the stream had ended.
        print(f"\nstream ended {(ended[0] - committed) * 1000:.0f} ms after the cancel committed "
              f"(poll {SLOW_POLL:.0f} s)")
        messages, _ = parse_sse(body[0])
        assert [m["event"] for m in messages] == ["job.queued", "job.cancelled"]


def test_sqlite_streams_poll_without_a_listener(embedded_settings: Settings) -> None:
    with open_api(embedded_settings) as api:
        wakeup = api.client.app.state.services.events.wakeup  # type: ignore[attr-defined]
        assert wakeup is not None and not wakeup.enabled
