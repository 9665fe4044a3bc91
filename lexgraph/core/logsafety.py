"""Keeps secrets and bound values out of every log record this process writes.

The engines hide SQL parameters (``hide_parameters=True``), but an error can still quote a
value: a driver's message ("invalid input syntax: …", a unique key's ``DETAIL``), a pydantic
error's ``input_value``, an exception that echoes a webhook secret or an API key. Each record
is scrubbed when it is created, message, arguments, traceback and extra fields alike, so every
handler (uvicorn's, Celery's, a test's) sees the scrubbed text. Personal data in a live
pseudonym map is redacted separately (``core/pii/logfilter.py``).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from typing import Any

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Webhook signing secrets and API keys, wherever they appear.
    (re.compile(r"whsec_[A-Za-z0-9+/=_-]+"), "whsec_[redacted]"),
    (re.compile(r"lxg_[A-Za-z0-9_-]+"), "lxg_[redacted]"),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 [redacted]"),
    # SQLAlchemy's statement errors list the bound values, unless the engine hides them.
    (re.compile(r"\[parameters: .*?\](?=\n|$)", re.DOTALL), "[parameters: redacted]"),
    # PostgreSQL quotes the conflicting values of a unique or foreign key.
    (re.compile(r"(Key \([^)]*\))=\(.*?\)(?= already exists| is not present|\.|$)", re.M),
     r"\1=(redacted)"),
    # PostgreSQL and SQLite quote the value a cast or a constraint refused.
    (re.compile(r'(invalid input (?:syntax|value) for [^:]*: )".*?"'), r'\1"redacted"'),
    # pydantic quotes the input it refused.
    (re.compile(r"input_value=.*?(?=, input_type=)", re.DOTALL), "input_value=[redacted]"),
)

_STANDARD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message", "asctime"}


def scrub(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def scrub_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a malformed logging call is logging's to report, not ours
        return
    cleaned = scrub(message)
    if cleaned != message:
        record.msg, record.args = cleaned, ()
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = scrub(record.exc_text)
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)
    for name, value in list(record.__dict__.items()):
        if name not in _STANDARD_ATTRS and isinstance(value, str):
            setattr(record, name, scrub(value))


class SecretLogFilter(logging.Filter):
    """For a handler configured outside this process's record factory (a log shipper)."""

    def filter(self, record: logging.LogRecord) -> bool:
        scrub_record(record)
        return True


_lock = threading.Lock()
_PROBE = "whsec_probe"


def _scrubbing(factory: Callable[..., logging.LogRecord]) -> bool:
    # Asked of the factory itself rather than remembered: another wrapper installed and removed
    # after ours (the pseudonym maps' redaction) may have dropped it from the chain.
    return factory("lexgraph", logging.INFO, "", 0, _PROBE, (), None).getMessage() != _PROBE


def install_secret_scrubbing() -> None:
    """Scrub every record this process creates, whatever logger or handler it goes through.
    Idempotent; wraps the record factory, so handlers configured later are covered too."""
    with _lock:
        previous = logging.getLogRecordFactory()
        if _scrubbing(previous):
            return

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            scrub_record(record)
            return record

        logging.setLogRecordFactory(factory)
