"""A loopback stand-in for the hosted LangSmith API, recording what the real SDK uploads.

It answers the routes the SDK uses for tracing and feedback: ``GET /info``,
``POST /runs/multipart`` (one ``post.<run id>`` part per new run, ``patch.<run id>`` for a
finished one, with ``.inputs`` / ``.outputs`` / ``.events`` parts beside them),
``POST /runs/batch``, ``POST /runs``, ``PATCH /runs/<id>``, ``POST /feedback`` and the
project lookups (``GET`` and ``POST /sessions``). Every request body is kept as received, so a
test can search the raw bytes, and the runs are merged into one dict per run id.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TENANT_ID = "0d6b5e8c-3f1a-4c2b-9e7d-5a4b3c2d1e0f"


@dataclass
class Upload:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def parse_multipart(content_type: str, body: bytes) -> list[tuple[str, Any]]:
    """(part name, parsed JSON) for each part of a multipart/form-data body."""
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    parts = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        try:
            value: Any = json.loads(payload)
        except ValueError:
            value = payload
        parts.append((str(name), value))
    return parts


class LangSmithRecorder:
    def __init__(self) -> None:
        self.uploads: list[Upload] = []
        self.runs: dict[str, dict[str, Any]] = {}
        self.operations: list[tuple[str, str]] = []  # (post | patch, run id), in order
        self.feedback: list[dict[str, Any]] = []
        self.projects: dict[str, dict[str, Any]] = {}
        self.connections = 0
        # Requests to these paths, as many as the count says, get no answer for
        # ``stall_seconds`` and then none at all: a LangSmith that hangs now and then.
        self.stall: dict[str, int] = {}
        self.stall_seconds = 30.0
        self._lock = threading.Lock()
        recorder = self

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def verify_request(self, request: Any, client_address: Any) -> bool:
                with recorder._lock:
                    recorder.connections += 1
                return True

        self._httpd = Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,),
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    # What was uploaded ------------------------------------------------------------------

    def raw(self) -> bytes:
        with self._lock:
            return b"\n".join(u.body for u in self.uploads)

    def runs_named(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self.runs.values() if r.get("name") == name]

    def all_runs(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self.runs.values()]

    def _merge(self, operation: str, run_id: str, field: str | None, value: Any) -> None:
        run = self.runs.setdefault(run_id, {"id": run_id})
        if field is None:
            self.operations.append((operation, run_id))
            fields = value if isinstance(value, dict) else {}
        else:  # inputs, outputs, extra, events: each its own part
            fields = {field: value}
        for key, item in fields.items():
            if key == "extra" and isinstance(item, dict) and isinstance(run.get("extra"), dict):
                # A patch's metadata adds to the post's, as LangSmith merges them.
                merged = {**run["extra"], **item}
                merged["metadata"] = {**run["extra"].get("metadata", {}),
                                      **item.get("metadata", {})}
                run["extra"] = merged
            elif item is not None or key not in run:
                run[key] = item

    def _record_multipart(self, content_type: str, body: bytes) -> None:
        for name, value in parse_multipart(content_type, body):
            pieces = name.split(".")
            operation, run_id = pieces[0], pieces[1] if len(pieces) > 1 else ""
            if operation == "feedback":
                self.feedback.append(value)
            elif operation in ("post", "patch"):
                self._merge(operation, run_id, pieces[2] if len(pieces) > 2 else None, value)

    def _project(self, name: str) -> dict[str, Any]:
        project = self.projects.get(name)
        if project is None:
            project = {"id": str(uuid.uuid4()), "name": name, "tenant_id": TENANT_ID,
                       "start_time": "2026-11-29T00:00:00Z", "reference_dataset_id": None}
            self.projects[name] = project
        return project

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _handle(self, method: str) -> None:
                body = self._body()
                path = urlsplit(self.path).path
                query = parse_qs(urlsplit(self.path).query)
                with server._lock:
                    stalled = server.stall.get(path, 0) > 0
                    if stalled:
                        server.stall[path] -= 1
                if stalled:
                    time.sleep(server.stall_seconds)
                    self.close_connection = True
                    return
                with server._lock:
                    server.uploads.append(Upload(method, self.path, dict(self.headers.items()),
                                                 body))
                    reply: Any = {}
                    status = 200
                    if method == "GET" and path == "/info":
                        reply = {"version": "0.12.0", "instance_flags": {},
                                 "batch_ingest_config": {
                                     "use_multipart_endpoint": True, "size_limit": 100,
                                     "size_limit_bytes": 20_971_520,
                                     "scale_up_nthreads_limit": 16,
                                     "scale_up_qsize_trigger": 1000,
                                     "scale_down_nempty_trigger": 4}}
                    elif method == "POST" and path == "/runs/multipart":
                        server._record_multipart(self.headers["Content-Type"], body)
                        status = 202
                    elif method == "POST" and path == "/runs/batch":
                        batch = json.loads(body)
                        for op in ("post", "patch"):
                            for run in batch.get(op) or []:
                                server._merge(op, str(run["id"]), None, run)
                        status = 202
                    elif method == "POST" and path == "/runs":
                        run = json.loads(body)
                        server._merge("post", str(run["id"]), None, run)
                        status = 202
                    elif method == "PATCH" and path.startswith("/runs/"):
                        server._merge("patch", path.rsplit("/", 1)[1], None, json.loads(body))
                        status = 202
                    elif method == "POST" and path == "/feedback":
                        reply = json.loads(body)
                        server.feedback.append(reply)
                    elif method == "GET" and path == "/sessions":
                        name = (query.get("name") or ["default"])[0]
                        reply = [server._project(name)]
                    elif method == "POST" and path == "/sessions":
                        reply = server._project(json.loads(body)["name"])
                    else:
                        status, reply = 404, {"detail": "not found"}
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_PATCH(self) -> None:
                self._handle("PATCH")

        return Handler

    def start(self) -> LangSmithRecorder:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@contextmanager
def langsmith_server() -> Iterator[LangSmithRecorder]:
    server = LangSmithRecorder().start()
    try:
        yield server
    finally:
        server.stop()


class SilentServer:
    """A loopback LangSmith that accepts connections and reads requests but never answers:
    what a hung proxy or an overloaded self-hosted instance looks like to the SDK."""

    def __init__(self) -> None:
        import socket

        self._socket = socket.create_server(("127.0.0.1", 0))
        self._held: list[Any] = []
        self._stopped = threading.Event()
        self.connections = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._socket.getsockname()[:2]
        return f"http://{host!s}:{port}"

    def _accept(self) -> None:
        self._socket.settimeout(0.05)
        while not self._stopped.is_set():
            try:
                conn, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            self._held.append(conn)  # kept open, never written to

    def start(self) -> SilentServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        for conn in self._held:
            conn.close()
        self._socket.close()


@contextmanager
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer().start()
    try:
        yield server
    finally:
        server.stop()
