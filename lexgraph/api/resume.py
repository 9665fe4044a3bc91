"""Where an event stream resumes: the JSON API's and the web page's streams both take it from
``Last-Event-ID`` or ``?after=``."""

from __future__ import annotations

from lexgraph.core.errors import UserError
from lexgraph.core.validation import MAX_INT64


def resume_point(after: int | None, last_event_id: str | None) -> int:
    # A reconnecting browser sends Last-Event-ID while its URL still has the first ?after=,
    # so the header wins.
    if last_event_id is not None and last_event_id.strip():
        value = last_event_id.strip()
        # isdigit alone takes "²" and other digits int() refuses.
        if not (value.isascii() and value.isdigit()) or int(value) > MAX_INT64:
            raise UserError("Last-Event-ID must be an event id from this stream "
                            "(a non-negative integer)")
        return int(value)
    if after is not None and after > MAX_INT64:
        # The web page's stream takes ``after`` through here too, without the API's Query bound.
        raise UserError(f"after must be an event id, at most {MAX_INT64}")
    return after or 0
