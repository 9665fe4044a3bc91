"""Who holds a lease: the same name for jobs and webhook deliveries."""

from __future__ import annotations

import os
import socket
import threading


def worker_identity() -> str:
    """Host, process and thread: unique among live workers, readable in the lease column."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
