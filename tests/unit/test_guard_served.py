"""Llama Guard served behind ``/v1/completions`` (vLLM serve, the common production setup),
configured through Settings: the real HTTP client, a loopback server that answers by rule in
place of the weights."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from lexgraph.composition.guards import make_guards
from lexgraph.core.config.settings import Settings
from lexgraph.core.guard import Guard, ScriptedGuardModel, ToolCall


class ServedGuard:
    """``POST /v1/completions`` with a list of prompts, answered by a ``ScriptedGuardModel``."""

    def __init__(self, model: ScriptedGuardModel, status: int = 200) -> None:
        self.model = model
        self.status = status
        self.bodies: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.bodies.append(body)
                if self.path != "/v1/completions" or outer.status != 200:
                    self.send_response(outer.status if outer.status != 200 else 404)
                    self.end_headers()
                    return
                answers = outer.model.complete(body["prompt"])
                payload = json.dumps({"model": body["model"], "choices": [
                    {"index": i, "text": a.text, "finish_reason": "stop"}
                    for i, a in enumerate(answers)],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 2}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"


@pytest.fixture
def served() -> Iterator[ServedGuard]:
    server = ServedGuard(ScriptedGuardModel([("home address", "unsafe\nS7"),
                                             ("hidden order", "unsafe\nS16")]))
    yield server
    server.server.shutdown()
    server.server.server_close()


def _guards(tmp_path: Path, base_url: str, **extra: Any) -> Any:
    return make_guards(Settings(data_dir=tmp_path, guard_backend="openai",
                                guard_base_url=base_url, guard_model="llama-guard-3-1b",
                                llm_max_retries=0, **extra), ["search_passages"])


def test_a_served_llama_guard_screens_calls_and_documents(tmp_path: Path,
                                                         served: ServedGuard) -> None:
    guards = _guards(tmp_path, served.base_url, guard_batch_size=2)
    tools: Guard = guards.tools
    blocked = tools.screen_call(ToolCall("search_passages", {"query": "home address of X"}))
    assert blocked.action == "reject" and blocked.categories == ("S7",)
    assert blocked.model == "llama-guard-3-1b"
    assert tools.screen_call(ToolCall("search_passages", {"query": "notice period"})).allowed
    out = guards.documents.screen([("d:1:1", "Fees are due monthly."),
                                   ("d:1:2", "The hidden order applies."),
                                   ("d:1:3", "Governing law: Delaware.")])
    assert [s.quarantined for s in out] == [False, True, False]
    # The documents went in one request per batch of two; the server adds BOS itself.
    assert [len(b["prompt"]) for b in served.bodies[2:]] == [2, 1]
    prompts = [p for b in served.bodies for p in b["prompt"]]
    assert all(p.startswith("<|start_header_id|>user<|end_header_id|>") for p in prompts)
    assert all(b["model"] == "llama-guard-3-1b" and b["max_tokens"] == 20
               for b in served.bodies)


def test_a_guard_server_that_fails_blocks(tmp_path: Path) -> None:
    down = ServedGuard(ScriptedGuardModel(), status=503)
    try:
        guards = _guards(tmp_path, down.base_url)
        decision = guards.tools.screen_call(ToolCall("search_passages", {"query": "fees"}))
        assert decision.action == "reject" and decision.categories == ("guard_error",)
        (chunk,) = guards.documents.screen([("d:1:1", "Fees are due monthly.")])
        assert chunk.quarantined and chunk.decision.categories == ("guard_error",)
    finally:
        down.server.shutdown()
        down.server.server_close()
