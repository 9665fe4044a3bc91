"""The LLMClient contract, run against every adapter: ScriptedLLM, and OpenAICompatibleLLM
talking real HTTP to a loopback server that stands in for a hosted model."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from lexgraph.adapters.llm.openai_compat import OpenAICompatibleLLM
from lexgraph.core.llm import (
    ChatMessage,
    ChatRequest,
    LLMClient,
    ScriptedLLM,
    StructuredOutputError,
)
from tests.llm_server import FakeChatServer

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"verdict": {"enum": ["pass", "revise", "escalate"]},
                   "findings": {"type": "array", "items": {"type": "string"}}},
    "required": ["verdict", "findings"],
    "additionalProperties": False,
}


@dataclass
class Harness:
    client: LLMClient
    sent: Callable[[], list[list[tuple[str, str]]]]


def ask(*contents: str, **kwargs: Any) -> ChatRequest:
    roles = ["system", "user", "assistant", "user"]
    messages = [ChatMessage(roles[i % 4], c) for i, c in enumerate(contents)]  # type: ignore[arg-type]
    return ChatRequest(messages=messages, **kwargs)


@pytest.fixture(params=["scripted", "openai"])
def make(request: pytest.FixtureRequest) -> Iterator[Callable[[list[str]], Harness]]:
    servers: list[FakeChatServer] = []
    clients: list[OpenAICompatibleLLM] = []

    def build(script: list[str]) -> Harness:
        if request.param == "scripted":
            llm = ScriptedLLM(script, model="served-model")
            return Harness(llm, lambda: [[(m.role, m.content) for m in r.messages]
                                         for r in llm.requests])
        server = FakeChatServer(script, model="served-model").start()
        servers.append(server)
        client = OpenAICompatibleLLM(server.base_url, "served-model", timeout_s=5,
                                     sleep=lambda s: None)
        clients.append(client)
        return Harness(client, lambda: [r.messages for r in server.requests])

    yield build
    for client in clients:
        client.close()
    for server in servers:
        server.stop()


def test_returns_the_text_the_model_name_and_usage(make: Callable[[list[str]], Harness]) -> None:
    h = make(["The lease runs for five years."])
    result = h.client.chat(ask("You summarize leases.", "How long is the term?"))
    assert result.text == "The lease runs for five years."
    assert result.model == "served-model" == h.client.model
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    assert result.usage.total_tokens == result.usage.prompt_tokens + result.usage.completion_tokens
    assert result.structured is None


def test_sends_every_message_in_order_with_its_role(make: Callable[[list[str]], Harness]) -> None:
    h = make(["one", "two"])
    h.client.chat(ask("sys", "first question"))
    h.client.chat(ask("sys", "first question", "one", "second question"))
    assert h.sent() == [
        [("system", "sys"), ("user", "first question")],
        [("system", "sys"), ("user", "first question"), ("assistant", "one"),
         ("user", "second question")],
    ]


def test_outputs_are_replayed_in_order(make: Callable[[list[str]], Harness]) -> None:
    h = make(["first", "second", "third"])
    assert [h.client.chat(ask("q")).text for _ in range(3)] == ["first", "second", "third"]


def test_structured_output_is_parsed_and_validated(make: Callable[[list[str]], Harness]) -> None:
    h = make(['{"verdict": "revise", "findings": ["statement 2 cites nothing"]}',
              'Here you go:\n```json\n{"verdict": "pass", "findings": []}\n```'])
    first = h.client.chat(ask("check it", json_schema=SCHEMA))
    assert first.structured == {"verdict": "revise", "findings": ["statement 2 cites nothing"]}
    assert h.client.chat(ask("again", json_schema=SCHEMA)).structured == {
        "verdict": "pass", "findings": []}


@pytest.mark.parametrize("output", ['{"verdict": "maybe", "findings": []}',
                                    '{"verdict": "pass"}', "I think it passes.", ""])
def test_output_that_breaks_the_schema_fails_clearly(make: Callable[[list[str]], Harness],
                                                     output: str) -> None:
    h = make([output])
    with pytest.raises(StructuredOutputError) as caught:
        h.client.chat(ask("check it", json_schema=SCHEMA))
    assert caught.value.code == "llm_invalid_structured_output"
    assert "schema" in caught.value.message or "no JSON" in caught.value.message


def test_an_invalid_schema_is_refused_before_anything_is_sent(
        make: Callable[[list[str]], Harness]) -> None:
    h = make(["unused"])
    with pytest.raises(ValueError, match="not a valid JSON schema"):
        h.client.chat(ask("q", json_schema={"type": "no-such-type"}))
    assert h.sent() == []


def test_generation_ends_at_a_stop_sequence(make: Callable[[list[str]], Harness]) -> None:
    h = make(['Action: search\nAction Input: {"q": "x"}\nObservation: invented'])
    result = h.client.chat(ask("q", stop=["\nObservation:"]))
    assert result.text == 'Action: search\nAction Input: {"q": "x"}'


def test_concurrent_calls_each_get_one_output(make: Callable[[list[str]], Harness]) -> None:
    outputs = [f"answer {i}" for i in range(8)]
    h = make(list(outputs))
    got: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        text = h.client.chat(ask("q")).text
        with lock:
            got.append(text)

    threads = [threading.Thread(target=worker) for _ in outputs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(got) == sorted(outputs)
    assert len(h.sent()) == len(outputs)


def test_the_protocol_is_runtime_checkable(make: Callable[[list[str]], Harness]) -> None:
    assert isinstance(make([]).client, LLMClient)
