"""Keeps the values of every live pseudonym map out of log records.

A job's map holds the personal data its documents contained; whatever code logs (an
exception message quoting a document, a debug dump of state), the records leave this process
with those values replaced by their placeholders. Every map registers itself here when it is
created, and the first one installs the redaction for the whole process, so no entry point
has to remember to. Values no map knows yet are not caught: scanning every record with the
detector would cost more than the logging itself.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from typing import Any, Protocol


class _Redacting(Protocol):
    def __len__(self) -> int: ...

    def redact_known(self, text: str) -> str: ...


_LIVE: weakref.WeakSet[Any] = weakref.WeakSet()
_LIVE_LOCK = threading.Lock()


def watch(pmap: _Redacting) -> None:
    """Redact ``pmap``'s values from log records for as long as it is referenced."""
    with _LIVE_LOCK:
        _LIVE.add(pmap)
    install_log_redaction()


def live_maps() -> list[_Redacting]:
    """Every map still referenced in this process."""
    with _LIVE_LOCK:
        return list(_LIVE)

# Attributes every LogRecord has; anything else on a record came in through ``extra=``.
_STANDARD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message", "asctime"}


def _redact(text: str, maps: list[_Redacting]) -> str:
    for pmap in maps:
        text = pmap.redact_known(text)
    return text


def redact_record(record: logging.LogRecord) -> None:
    """Rewrite ``record`` in place so that no live map's value remains in what it prints."""
    maps = [m for m in live_maps() if len(m)]
    if not maps:
        return
    try:
        message = record.getMessage()
    except Exception:  # a malformed logging call is logging's to report, not ours
        return
    redacted = _redact(message, maps)
    if redacted != message:
        record.msg, record.args = redacted, ()
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = _redact(record.exc_text, maps)
    if record.stack_info:
        record.stack_info = _redact(record.stack_info, maps)
    for name, value in list(record.__dict__.items()):
        if name not in _STANDARD_ATTRS and isinstance(value, str):
            setattr(record, name, _redact(value, maps))


class PiiLogFilter(logging.Filter):
    """A filter for handlers or loggers: passes every record, redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


_install_lock = threading.Lock()
_installed: list[Callable[..., logging.LogRecord]] = []


def install_log_redaction() -> None:
    """Redact every record this process creates, whatever logger or handler it goes through.

    Wraps the log record factory, so handlers configured later (Celery's, uvicorn's) are
    covered too. Idempotent.
    """
    with _install_lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            redact_record(record)
            return record

        _installed.append(previous)
        logging.setLogRecordFactory(factory)


def uninstall_log_redaction() -> None:
    """Undo :func:`install_log_redaction`; the next map created installs it again."""
    with _install_lock:
        if _installed:
            logging.setLogRecordFactory(_installed.pop())
