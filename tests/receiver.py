"""A loopback webhook receiver for tests and benchmarks, and signature checks that do not use
our code: every signature is verified with the PyPI ``standardwebhooks`` library.

The receiver can be created on a port before it listens (the receiver is "down": connections
are refused) and started later; it records every request and answers through ``respond``.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.support import free_port, wait_for


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes
    at: float  # time.time() when the request was read

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def event(self) -> dict[str, Any]:
        data: dict[str, Any] = self.json["data"]
        return data


# status, headers, body
Reply = tuple[int, dict[str, str], bytes]


def verify(received: Received, secret: str) -> Any:
    """The payload, if ``secret`` signed it; raises WebhookVerificationError otherwise."""
    return Webhook(secret).verify(received.body, received.headers)


def signed_by(received: Received, secret: str) -> bool:
    try:
        verify(received, secret)
    except WebhookVerificationError:
        return False
    return True


class Receiver:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.requests: list[Received] = []
        self.lock = threading.Lock()
        self.respond: Callable[[Received], Reply] = lambda _r: (200, {}, b"ok")
        self._server: ThreadingHTTPServer | None = None

    def url(self, path: str = "/hook", host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    def start(self, tls: ssl.SSLContext | None = None) -> Receiver:
        """Listen (over TLS with ``tls``, a server context)."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                got = Received(self.path, {k.lower(): v for k, v in self.headers.items()},
                               self.rfile.read(length), time.time())
                with receiver.lock:
                    receiver.requests.append(got)
                status, headers, body = receiver.respond(got)
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the sender went away (timed out, or was killed)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        if tls is not None:
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def received(self) -> list[Received]:
        with self.lock:
            return list(self.requests)

    def wait(self, count: int, timeout: float = 30, what: str = "deliveries") -> list[Received]:
        def enough() -> list[Received] | None:
            got = self.received()
            return got if len(got) >= count else None

        return list(wait_for(enough, timeout, f"{count} {what}"))
