"""One JSON object per line for log shippers (``LEXGRAPH_LOG_FORMAT=json``).

Each line has ``ts``, ``level``, ``logger`` and ``message``, then whatever is known of the
work in hand: ``job_id``, ``tenant``, ``attempt`` and ``trace_id`` from ``logcontext``, the
graph ``node`` from LangGraph's run configuration, and ``duration_ms``, ``route``, ``status``
and similar passed as ``extra=``. Records are already scrubbed of secrets by the record
factory (``core.logsafety``) and of live pseudonym maps' personal data
(``core.pii.logfilter``) before they get here; this module adds no content of its own.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from lexgraph.core.logsafety import SecretLogFilter, install_secret_scrubbing
from lexgraph.core.observability.logcontext import current_fields

# Extra attributes copied to the line when a call passes them (``extra={...}``).
EXTRA_FIELDS = ("job_id", "tenant", "node", "attempt", "duration_ms", "trace_id", "route",
                "method", "status", "queue", "delivery_id", "outcome")

_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__)


def _graph_node() -> str | None:
    # LangGraph puts the running node's name in the run configuration of the thread that
    # runs it; outside a graph there is none.
    try:
        from langgraph.config import get_config

        node = get_config().get("metadata", {}).get("langgraph_node")
    except Exception:
        return None
    return str(node) if node else None


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(current_fields())
        node = _graph_node()
        if node is not None:
            line.setdefault("node", node)
        for name in EXTRA_FIELDS:
            value = record.__dict__.get(name)
            if value is not None and name not in _STANDARD:
                line[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(fmt: str, level: str | int = logging.INFO,
                      stream: TextIO | None = None) -> None:
    """Send every logger's records through one handler on the root logger (``stream``,
    default stderr): JSON lines for ``fmt == "json"``, plain text otherwise. Replaces earlier
    handlers on the root, so a second call does not double the lines."""
    install_secret_scrubbing()
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(SecretLogFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Library warnings become records too, instead of bare lines on stderr.
    logging.captureWarnings(True)
    # Servers' own loggers propagate to the root instead of writing in their own format.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "celery"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
