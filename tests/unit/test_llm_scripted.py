"""ScriptedLLM, the test double: what it records, how it picks outputs, how it runs out."""

from __future__ import annotations

import pytest

from lexgraph.core.llm import (
    ChatMessage,
    ChatRequest,
    ChatResult,
    LLMUnavailable,
    ScriptedLLM,
    ScriptExhausted,
    Usage,
)


def req(text: str, agent: str = "") -> ChatRequest:
    return ChatRequest([ChatMessage("user", text)], metadata={"agent": agent} if agent else {})


def test_records_what_was_sent_even_if_the_caller_mutates_its_list() -> None:
    llm = ScriptedLLM(["ok"])
    messages = [ChatMessage("user", "first")]
    llm.chat(ChatRequest(messages))
    messages.append(ChatMessage("assistant", "added later"))
    assert [m.content for m in llm.requests[0].messages] == ["first"]


def test_running_out_names_the_request_and_its_last_message() -> None:
    llm = ScriptedLLM(["only one"])
    llm.chat(req("a"))
    with pytest.raises(ScriptExhausted, match=r"request 2.*'what now\?'"):
        llm.chat(req("what now?"))
    assert llm.remaining == 0


def test_exceptions_in_the_script_are_raised_in_turn() -> None:
    llm = ScriptedLLM([LLMUnavailable("GPU pool down"), "recovered"])
    with pytest.raises(LLMUnavailable, match="GPU pool down"):
        llm.chat(req("a"))
    assert llm.chat(req("b")).text == "recovered"


def test_a_chat_result_item_is_returned_as_is() -> None:
    canned = ChatResult("text", model="big-model", usage=Usage(1000, 10))
    assert ScriptedLLM([canned]).chat(req("a")) is canned


def test_a_matcher_answers_first_and_the_queue_is_the_fallback() -> None:
    llm = ScriptedLLM(["from the queue"],
                      matcher=lambda r: "matched" if "citation" in r.text else None)
    assert llm.chat(req("check the citation")).text == "matched"
    assert llm.chat(req("something else")).text == "from the queue"


def test_by_agent_keeps_one_queue_per_agent() -> None:
    llm = ScriptedLLM.by_agent({"retriever": ["r1", "r2"], "summarizer": ["s1"]})
    assert [llm.chat(req("x", a)).text for a in ("retriever", "summarizer", "retriever")] == [
        "r1", "s1", "r2"]
    with pytest.raises(ScriptExhausted, match="'summarizer'"):
        llm.chat(req("x", "summarizer"))
    with pytest.raises(ScriptExhausted, match="no script for agent 'compliance'"):
        llm.chat(req("x", "compliance"))


def test_usage_is_estimated_from_the_text() -> None:
    result = ScriptedLLM(["12345678"]).chat(req("x" * 40))
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (10, 2)


def test_requests_need_a_message_and_known_roles() -> None:
    with pytest.raises(ValueError, match="at least one message"):
        ChatRequest([])
    with pytest.raises(ValueError, match="unknown chat role"):
        ChatMessage("robot", "hi")  # type: ignore[arg-type]
