"""Which errors mean "an outside system is down for now" rather than "this request is wrong".

Workers put a job hit by such an error back on the queue to resume from its last checkpoint;
the API answers 503 with Retry-After. Vendor SDKs are not imported here: their exceptions are
recognised by module and class name, so this module works whichever adapters are installed.
"""

from __future__ import annotations

import errno
import sqlite3

from sqlalchemy import exc as sa_exc

from lexgraph.core.errors import JobError, LexgraphError, Unavailable

# Job error codes the adapters use for a service they could not reach (after their own retries).
TRANSIENT_JOB_CODES: dict[str, str] = {
    "llm_unavailable": "model server",
    "llm_timeout": "model server",
    "vector_store_unavailable": "vector store",
    "embeddings_unavailable": "embeddings server",
}

# (module prefix, class name) anywhere in an exception's MRO -> the service it stands for.
_BY_NAME: tuple[tuple[str, str, str], ...] = (
    ("psycopg", "OperationalError", "database"),
    ("psycopg", "InterfaceError", "database"),
    ("psycopg_pool", "PoolTimeout", "database"),
    ("psycopg_pool", "PoolClosed", "database"),
    ("redis", "ConnectionError", "broker"),
    ("redis", "TimeoutError", "broker"),
    ("redis", "BusyLoadingError", "broker"),
    ("kombu", "OperationalError", "broker"),
    ("amqp", "ConnectionError", "broker"),
    ("httpx", "TransportError", "model server"),
    ("openai", "APIConnectionError", "model server"),
    ("weaviate", "WeaviateConnectionError", "vector store"),
    ("weaviate", "WeaviateTimeoutError", "vector store"),
)

# Storage errors that a remount, a freed disk or a returning file server cures.
_TRANSIENT_ERRNOS = frozenset({
    errno.EIO, errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.ESTALE, errno.EACCES,
    errno.EPERM, errno.EAGAIN, errno.ETIMEDOUT, errno.ECONNREFUSED, errno.ECONNRESET,
    errno.EPIPE, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ENOTCONN,
})
_SQLITE_TRANSIENT = ("locked", "busy", "disk i/o", "unable to open", "readonly database")


def _own_outage(exc: BaseException) -> str | None:
    if isinstance(exc, Unavailable):
        return exc.service
    if isinstance(exc, JobError):
        return TRANSIENT_JOB_CODES.get(exc.code)
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return "database"
    if isinstance(exc, sa_exc.DBAPIError) and isinstance(exc.orig, sqlite3.Error):
        return _own_outage(exc.orig)
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError,
                        sa_exc.DisconnectionError, sa_exc.TimeoutError)):
        return "database"
    if isinstance(exc, sqlite3.OperationalError):
        # SQLite reports a missing table or a syntax error as "operational" too.
        text = str(exc).lower()
        return "database" if any(word in text for word in _SQLITE_TRANSIENT) else None
    if isinstance(exc, sqlite3.Error):
        return None
    for klass in type(exc).__mro__:
        module = klass.__module__ or ""
        for prefix, name, service in _BY_NAME:
            if klass.__name__ == name and (module == prefix or module.startswith(prefix + ".")):
                return service
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return "network"
    if isinstance(exc, OSError) and exc.errno in _TRANSIENT_ERRNOS:
        return "storage"
    return None


def outage_of(exc: BaseException) -> str | None:
    """The service whose outage caused ``exc`` ("database", "broker", "blob store"…), or None
    when ``exc`` is not an infrastructure error. Wrapped errors are followed to their cause."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 16:
        seen.add(id(current))
        service = _own_outage(current)
        if service is not None:
            return service
        if current.__cause__ is not None:
            current = current.__cause__
        elif isinstance(current, LexgraphError) or current.__suppress_context__:
            # Our own errors name their cause explicitly; an error they were raised while
            # handling is not what stopped the job.
            current = None
        else:
            current = current.__context__
    return None
