"""A loopback stand-in for a hosted OpenAI-compatible model server.

It implements ``POST /v1/chat/completions`` well enough to exercise a client's real HTTP code
path: it answers from a script of model outputs (applying stop sequences and counting usage
like a server does) or from scripted HTTP replies (429, 500, slow answers, garbage), and it
records every request it received.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """A scripted HTTP answer instead of a model output."""

    status: int = 200
    body: Any = None  # dict -> JSON, str -> sent as is
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def messages(self) -> list[tuple[str, str]]:
        return [(m["role"], m["content"]) for m in self.body.get("messages", [])]


def _tokens(text: str) -> int:
    return (len(text) + 3) // 4


class FakeChatServer:
    def __init__(self, script: Iterable[str | Reply] = (), *, model: str = "served-model",
                 responder: Callable[[dict[str, Any]], str | Reply] | None = None) -> None:
        self.script: deque[str | Reply] = deque(script)
        self.model = model
        self.responder = responder
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,),
                                        daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def completion(self, body: dict[str, Any], text: str) -> dict[str, Any]:
        for stop in body.get("stop") or []:
            cut = text.find(stop)
            if cut >= 0:
                text = text[:cut]
        prompt = "\n".join(m["content"] for m in body["messages"])
        return {
            "id": "chatcmpl-test", "object": "chat.completion", "model": self.model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": _tokens(prompt), "completion_tokens": _tokens(text),
                      "total_tokens": _tokens(prompt) + _tokens(text)},
        }

    def _next(self, body: dict[str, Any]) -> str | Reply:
        with self._lock:
            if self.responder is not None:
                return self.responder(body)
            if not self.script:
                return Reply(500, {"error": {"message": "the test server's script ran out"}})
            return self.script.popleft()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {}
                with server._lock:
                    server.requests.append(Received(self.path, dict(self.headers.items()), body))
                if self.path != "/v1/chat/completions":
                    return self._send(Reply(404, {"error": {"message": "no such route"}}))
                answer = server._next(body)
                if isinstance(answer, str):
                    answer = Reply(200, server.completion(body, answer))
                self._send(answer)

            def _send(self, reply: Reply) -> None:
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                payload = (reply.body if isinstance(reply.body, str)
                           else json.dumps(reply.body if reply.body is not None else {}))
                data = payload.encode()
                try:
                    self.send_response(reply.status)
                    content_type = ("application/json" if not isinstance(reply.body, str)
                                    else "text/plain")
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

        return Handler

    def start(self) -> FakeChatServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@contextmanager
def chat_server(script: Iterable[str | Reply] = (), **kwargs: Any) -> Iterator[FakeChatServer]:
    server = FakeChatServer(script, **kwargs).start()
    try:
        yield server
    finally:
        server.stop()
