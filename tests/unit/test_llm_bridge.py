"""CrewLLMBridge: a scripted LLM drives the real CrewAI machinery (Agent, Task, Crew, ReAct
parsing of the model's text, tool execution, final answer)."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import BaseModel

from lexgraph.adapters.llm.openai_compat import OpenAICompatibleLLM
from lexgraph.agents.llm_bridge import CrewLLMBridge, UsageLedger
from lexgraph.core.guard import GuardDecision, GuardHalted, ScriptedGuard
from lexgraph.core.llm import LLMUnavailable, ScriptedLLM
from lexgraph.tools.guard_hook import guarded
from tests.crew_support import LookupClause, action, build_crew, final, kickoff
from tests.llm_server import Reply, chat_server


def test_a_scripted_llm_drives_a_real_crew_through_a_tool_call() -> None:
    tool = LookupClause()
    llm = ScriptedLLM([action("lookup_clause", '{"clause": "termination"}'),
                       final("Either party may terminate on thirty days' notice [nda:2:1].")])
    ledger = UsageLedger()
    crew = build_crew(llm, tool, ledger=ledger)
    with guarded(ScriptedGuard()) as scope:
        raw = kickoff(crew)

    assert raw == "Either party may terminate on thirty days' notice [nda:2:1]."
    assert tool.runs == [{"clause": "termination"}]  # parsed from the model's text

    first, second = llm.requests
    assert first.messages[0].role == "system"
    assert "lookup_clause" in first.messages[0].content  # CrewAI described the tool
    assert "Find the termination clause" in first.text
    assert "OBS-7731" not in first.text
    assert "OBS-7731" in second.text  # the tool's observation went back to the model
    assert second.messages[-2].role == "assistant"
    assert "Action: lookup_clause" in second.messages[-2].content
    for request in (first, second):
        assert request.metadata["agent"] == "retriever"
        assert "\nObservation:" in request.stop

    (row,) = ledger.rows()
    assert (row.agent, row.model, row.calls) == ("retriever", "scripted", 2)
    assert row.prompt_tokens > 0 and row.completion_tokens > 0
    assert crew.usage_metrics is not None
    assert crew.usage_metrics.total_tokens == row.total_tokens
    assert [(r.stage, r.action) for r in scope.records] == [("call", "allow"),
                                                             ("result", "allow")]


def test_an_observation_the_model_makes_up_is_cut_and_never_used() -> None:
    tool = LookupClause()
    llm = ScriptedLLM([action("lookup_clause", '{"clause": "term"}')
                       + "\nObservation: INVENTED-RESULT\nFinal Answer: made up",
                       final("done")])
    with guarded(ScriptedGuard()):
        assert kickoff(build_crew(llm, tool)) == "done"
    assert tool.runs == [{"clause": "term"}]
    assert "INVENTED-RESULT" not in llm.requests[1].text
    assert "OBS-7731" in llm.requests[1].text


def test_usage_is_kept_per_agent_in_a_shared_ledger() -> None:
    ledger = UsageLedger()
    for role in ("retriever", "summarizer", "retriever"):
        llm = ScriptedLLM([final("ok")], model="m-7b")
        with guarded(ScriptedGuard()):
            build_crew(llm, LookupClause(), role=role, ledger=ledger).kickoff()
    rows = {r.agent: r for r in ledger.rows()}
    assert (rows["retriever"].calls, rows["summarizer"].calls) == (2, 1)
    assert ledger.as_dicts()[0]["model"] == "m-7b"


def test_backend_errors_reach_the_caller_once_without_crewai_retrying_them() -> None:
    busy = Reply(429, {"error": {"message": "Rate limit reached, too many requests"}})
    with chat_server([busy] * 10) as server:
        client = OpenAICompatibleLLM(server.base_url, "m", max_retries=1, sleep=lambda s: None)
        with guarded(ScriptedGuard()), pytest.raises(LLMUnavailable, match="HTTP 429"):
            build_crew(client, LookupClause()).kickoff()
        client.close()
    assert len(server.requests) == 2  # our one retry; CrewAI's wrapper added none


class Verdict(BaseModel):
    verdict: str
    findings: list[str]


def test_a_response_model_comes_back_validated() -> None:
    llm = ScriptedLLM(['{"verdict": "pass", "findings": []}'])
    bridge = CrewLLMBridge(llm)
    out = bridge.call([{"role": "user", "content": "check"}], response_model=Verdict)
    assert out == Verdict(verdict="pass", findings=[])
    assert llm.requests[0].json_schema == Verdict.model_json_schema()


def test_acall_runs_the_same_path() -> None:
    llm = ScriptedLLM(["async answer"])
    assert asyncio.run(CrewLLMBridge(llm).acall("hello")) == "async answer"
    assert [(m.role, m.content) for m in llm.requests[0].messages] == [("user", "hello")]


def test_a_halted_guard_scope_stops_the_next_model_call() -> None:
    llm = ScriptedLLM(["never"])
    halt = GuardDecision.halt("exfiltration attempt", ["S7"], guard="llama_guard")
    with pytest.raises(GuardHalted, match="exfiltration attempt"), \
            guarded(ScriptedGuard()) as scope:
        scope.halted = halt
        CrewLLMBridge(llm).call("hi")
    assert llm.requests == []


def test_the_bridge_reports_no_native_tool_calling_and_its_window() -> None:
    bridge = CrewLLMBridge(ScriptedLLM(), context_window=32768)
    assert not bridge.supports_function_calling()
    assert bridge.get_context_window_size() == 32768
    assert bridge.model == "scripted"
