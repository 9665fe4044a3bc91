"""OpenAICompatibleLLM's own HTTP behaviour against a loopback server: the request it sends,
structured output and its fallback, retries, errors, timeouts."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest

from lexgraph.adapters.llm.openai_compat import OpenAICompatibleLLM, normalize_base_url
from lexgraph.core.llm import (
    ChatMessage,
    ChatRequest,
    LLMAuthError,
    LLMResponseError,
    LLMTimeout,
    LLMUnavailable,
)
from tests.llm_server import Reply, chat_server

SCHEMA = {"type": "object", "properties": {"answer": {"type": "integer"}},
          "required": ["answer"]}


def request(**kwargs: Any) -> ChatRequest:
    return ChatRequest(messages=[ChatMessage("system", "be brief"),
                                 ChatMessage("user", "how many parties?")], **kwargs)


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(base_url: str, **kwargs: Any) -> OpenAICompatibleLLM:
    kwargs.setdefault("sleep", Sleeps())
    kwargs.setdefault("timeout_s", 5)
    return OpenAICompatibleLLM(base_url, "org/model-7b", **kwargs)


def test_the_request_is_an_openai_chat_completion() -> None:
    with chat_server(["two"]) as server:
        llm = client(server.base_url, api_key="sk-local", max_tokens=256, temperature=0.0)
        llm.chat(request(stop=["\nObservation:"], metadata={"agent": "summarizer"}))
    sent = server.requests[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["Authorization"] == "Bearer sk-local"
    assert sent.body == {
        "model": "org/model-7b", "stream": False, "max_tokens": 256, "temperature": 0.0,
        "stop": ["\nObservation:"],
        "messages": [{"role": "system", "content": "be brief"},
                     {"role": "user", "content": "how many parties?"}],
    }


def test_per_request_limits_override_the_defaults_and_no_key_sends_no_header() -> None:
    with chat_server(["two"]) as server:
        client(server.base_url, max_tokens=256).chat(request(max_tokens=9, temperature=0.7))
    sent = server.requests[0]
    assert "Authorization" not in sent.headers
    assert (sent.body["max_tokens"], sent.body["temperature"]) == (9, 0.7)


def test_the_served_model_name_and_usage_come_from_the_response() -> None:
    with chat_server(["two parties"], model="org/model-7b-q4") as server:
        result = client(server.base_url).chat(request())
    assert result.model == "org/model-7b-q4"
    assert result.usage.completion_tokens == 3
    assert result.finish_reason == "stop"


def test_structured_output_asks_for_response_format_json_schema() -> None:
    with chat_server(['{"answer": 2}']) as server:
        result = client(server.base_url).chat(request(json_schema=SCHEMA, schema_name="count"))
    assert result.structured == {"answer": 2}
    assert server.requests[0].body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "count", "schema": SCHEMA, "strict": True}}


def test_a_server_without_json_schema_support_gets_the_schema_in_the_prompt() -> None:
    refusal = Reply(400, {"error": {"message": "response_format json_schema is not supported"}})
    with chat_server([refusal, 'Sure: {"answer": 2}', '{"answer": 3}']) as server:
        llm = client(server.base_url)
        assert llm.chat(request(json_schema=SCHEMA)).structured == {"answer": 2}
        assert llm.chat(request(json_schema=SCHEMA)).structured == {"answer": 3}
    first, retry, later = (r.body for r in server.requests)
    assert "response_format" in first
    assert "response_format" not in retry and "response_format" not in later  # remembered
    role, content = retry["messages"][-1]["role"], retry["messages"][-1]["content"]
    assert role == "system" and '"answer"' in content and "JSON schema" in content


def test_429_is_retried_after_the_servers_retry_after() -> None:
    sleeps = Sleeps()
    busy = Reply(429, {"error": {"message": "Rate limit reached"}}, {"Retry-After": "2"})
    with chat_server([busy, busy, "two"]) as server:
        result = client(server.base_url, sleep=sleeps).chat(request())
    assert result.text == "two"
    assert len(server.requests) == 3
    assert sleeps == [2.0, 2.0]


def test_5xx_and_dropped_connections_are_retried_with_growing_backoff() -> None:
    sleeps = Sleeps()
    with chat_server([Reply(503), Reply(502), "two"]) as server:
        result = client(server.base_url, sleep=sleeps, backoff_s=1.0).chat(request())
    assert result.text == "two"
    assert len(sleeps) == 2 and 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0


def test_a_server_that_keeps_throttling_fails_with_a_clear_error() -> None:
    busy = Reply(429, {"error": {"message": "Too Many Requests: rate limit"}})
    with chat_server([busy] * 3) as server, pytest.raises(LLMUnavailable) as caught:
        client(server.base_url, max_retries=2).chat(request())
    assert len(server.requests) == 3
    message = caught.value.message
    assert server.base_url in message and "3 attempt" in message and "HTTP 429" in message
    # CrewAI retries errors that read like rate limits; ours were already retried.
    assert "rate limit" not in message.lower() and "too many requests" not in message.lower()
    assert caught.value.code == "llm_unavailable"


def test_a_500_fails_after_the_retries_and_reports_the_servers_message() -> None:
    crash = Reply(500, {"error": {"message": "CUDA out of memory"}})
    with chat_server([crash] * 4) as server, pytest.raises(LLMUnavailable) as caught:
        client(server.base_url).chat(request())
    assert len(server.requests) == 4
    assert "HTTP 500: CUDA out of memory" in caught.value.message


def test_a_read_timeout_is_not_retried() -> None:
    with chat_server([Reply(200, {}, delay_s=2.0), "late"]) as server:
        start = time.monotonic()
        with pytest.raises(LLMTimeout) as caught:
            client(server.base_url, timeout_s=0.3).chat(request())
        assert time.monotonic() - start < 1.5
    assert len(server.requests) == 1
    assert caught.value.code == "llm_timeout"
    assert "LEXGRAPH_LLM_TIMEOUT_SECONDS" in caught.value.message


def test_nothing_listening_is_retried_then_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps = Sleeps()
    with pytest.raises(LLMUnavailable, match="connection failed"):
        client(f"http://127.0.0.1:{port}", sleep=sleeps, max_retries=2).chat(request())
    assert len(sleeps) == 2


@pytest.mark.parametrize(("reply", "error", "fragment"), [
    (Reply(401, {"error": {"message": "bad key"}}), LLMAuthError, "LEXGRAPH_LLM_API_KEY"),
    (Reply(404, {"error": {"message": "model not found"}}), LLMResponseError,
     "LEXGRAPH_LLM_MODEL"),
    (Reply(400, {"error": {"message": "This model's maximum context length is 4096 tokens"}}),
     LLMResponseError, "maximum context length is 4096"),
    (Reply(200, "<html>proxy login</html>"), LLMResponseError, "not a chat completion"),
    (Reply(200, {"choices": []}), LLMResponseError, "not a chat completion"),
])
def test_refusals_and_garbage_fail_at_once(reply: Reply, error: type[Exception],
                                           fragment: str) -> None:
    with chat_server([reply, "never reached"]) as server, pytest.raises(error) as caught:
        client(server.base_url).chat(request())
    assert len(server.requests) == 1
    assert fragment in str(caught.value)


@pytest.mark.parametrize(("given", "expected"), [
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000/v1"),
    ("http://127.0.0.1:8000/v1/", "http://127.0.0.1:8000/v1"),
    ("https://llm.internal/openai/v1", "https://llm.internal/openai/v1"),
])
def test_base_url_gets_v1_when_missing(given: str, expected: str) -> None:
    assert normalize_base_url(given) == expected


def test_a_base_url_without_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="http"):
        normalize_base_url("127.0.0.1:8000")


def test_the_api_key_stays_out_of_repr() -> None:
    assert "sk-secret" not in repr(OpenAICompatibleLLM("http://127.0.0.1:1", "m",
                                                       api_key="sk-secret"))
