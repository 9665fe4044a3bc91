"""``CrewLLMBridge``: a CrewAI ``BaseLLM`` that sends every model call of the agents it serves
through a ``core.llm.LLMClient``, so any backend (or the scripted one in tests) drives the real
CrewAI machinery: prompts, ReAct parsing of "Action: / Action Input:" text, tool execution,
final answers.

The bridge declares no native function calling: tools reach the model as ReAct text, which
every backend can produce. Token usage is counted per agent role and model in a ``UsageLedger``
that several bridges (one per agent, or one shared) can write to; it is also reported to
CrewAI's own counters so ``crew.usage_metrics`` agrees.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any

from crewai.events.types.llm_events import LLMCallType
from crewai.hooks import HookAborted
from crewai.llms.base_llm import BaseLLM, LLMCallBlockedError, llm_call_context
from crewai.utilities.message_utils import message_content_text
from pydantic import BaseModel, Field

from lexgraph.core.llm import ChatMessage, ChatRequest, LLMClient, Usage
from lexgraph.core.llm.base import ROLES
from lexgraph.core.tracing import llm_span
from lexgraph.tools.guard_hook import current_scope


@dataclass(frozen=True)
class AgentUsage:
    agent: str
    model: str
    calls: int
    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class UsageLedger:
    """Token usage per (agent role, model) for one job; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[tuple[str, str], tuple[int, Usage]] = {}

    def add(self, agent: str, model: str, usage: Usage) -> None:
        with self._lock:
            calls, total = self._rows.get((agent, model), (0, Usage()))
            self._rows[(agent, model)] = (calls + 1, total + usage)

    def rows(self) -> list[AgentUsage]:
        with self._lock:
            return [AgentUsage(agent, model, calls, u.prompt_tokens, u.completion_tokens)
                    for (agent, model), (calls, u) in sorted(self._rows.items())]

    def as_dicts(self) -> list[dict[str, Any]]:
        """The rows as the job result stores them."""
        return [{"agent": r.agent, "model": r.model, "calls": r.calls,
                 "prompt_tokens": r.prompt_tokens, "completion_tokens": r.completion_tokens,
                 "total_tokens": r.total_tokens} for r in self.rows()]


def _role(message: Any) -> str:
    role = str(message.get("role", "user"))
    return role if role in ROLES else "user"


def _agent_role(agent: Any) -> str:
    role = getattr(agent, "role", None)
    return role if isinstance(role, str) and role else "unknown"


class CrewLLMBridge(BaseLLM):
    llm_type: str = "lexgraph"
    provider: str = "lexgraph"
    client: Any = Field(exclude=True, repr=False)
    ledger: Any = Field(default_factory=UsageLedger, exclude=True, repr=False)
    context_window: int = 8192

    def __init__(self, client: LLMClient, *, ledger: UsageLedger | None = None,
                 context_window: int = 8192, max_tokens: int | None = None,
                 temperature: float | None = None, **kwargs: Any) -> None:
        fields: dict[str, Any] = {"client": client, "model": kwargs.pop("model", client.model),
                                  "context_window": context_window, "max_tokens": max_tokens,
                                  "temperature": temperature, **kwargs}
        if ledger is not None:
            fields["ledger"] = ledger
        super().__init__(**fields)

    # -- what CrewAI asks about the model ------------------------------------------------------

    def supports_function_calling(self) -> bool:
        return False

    def supports_stop_words(self) -> bool:
        return True

    def get_context_window_size(self) -> int:
        return self.context_window

    def get_input_tokens_count(self, messages: Any, tools: Any = None,
                               response_model: Any = None) -> int:
        # BaseLLM's estimate, without the warning it logs on every call.
        if isinstance(messages, str):
            chars = len(messages)
        else:
            chars = sum(len(message_content_text(m)) for m in messages)
        return (chars + 3) // 4

    # -- the call --------------------------------------------------------------------------

    def _request(self, messages: list[Any], from_task: Any, from_agent: Any,
                 response_model: type[BaseModel] | None) -> ChatRequest:
        chat = [ChatMessage(_role(m), message_content_text(m)) for m in messages]  # type: ignore[arg-type]
        metadata = {"agent": _agent_role(from_agent)}
        task_name = getattr(from_task, "name", None)
        if isinstance(task_name, str) and task_name:
            metadata["task"] = task_name
        max_tokens = int(self.max_tokens) if self.max_tokens is not None else None
        return ChatRequest(
            messages=chat,
            json_schema=response_model.model_json_schema() if response_model else None,
            schema_name=response_model.__name__ if response_model else "output",
            max_tokens=max_tokens,
            temperature=self.temperature,
            stop=list(self.stop_sequences),
            metadata=metadata,
        )

    def call(
        self,
        messages: Any,
        tools: list[dict[str, Any]] | None = None,
        callbacks: list[Any] | None = None,
        available_functions: dict[str, Any] | None = None,
        from_task: Any = None,
        from_agent: Any = None,
        response_model: type[BaseModel] | None = None,
    ) -> str | Any:
        scope = current_scope()
        if scope is not None and scope.halted is not None:
            # A guard halted this job's run: stop the agent at its next model call. CrewAI
            # lets HookAborted through without retrying the task; guarded() turns it into
            # GuardHalted for the caller.
            raise HookAborted(f"guard halted the run: {scope.halted.reason}",
                              source="lexgraph.guard")
        with llm_call_context():
            self._emit_call_started_event(messages=messages, tools=tools, callbacks=callbacks,
                                          available_functions=available_functions,
                                          from_task=from_task, from_agent=from_agent)
            try:
                formatted = self._format_messages(messages)
                self._invoke_before_llm_call_hooks(formatted, from_agent)
                request = self._request(formatted, from_task, from_agent, response_model)
                # One llm run per call under the agent's run: the prompt as the model got
                # it, the completion, and token usage.
                with llm_span(f"llm: {request.metadata['agent']}", model=self.client.model,
                              messages=[{"role": m.role, "content": m.content}
                                        for m in request.messages],
                              **request.metadata) as run:
                    result = self.client.chat(request)
                    run.finish_llm(result.text, model=result.model,
                                   prompt_tokens=result.usage.prompt_tokens,
                                   completion_tokens=result.usage.completion_tokens,
                                   finish_reason=result.finish_reason)
            except (HookAborted, LLMCallBlockedError) as exc:
                self._emit_call_denied_event(exc, from_task, from_agent)
                raise
            except Exception as exc:
                self._emit_call_failed_event(error=str(exc), from_task=from_task,
                                             from_agent=from_agent)
                raise
            usage = {"prompt_tokens": result.usage.prompt_tokens,
                     "completion_tokens": result.usage.completion_tokens,
                     "total_tokens": result.usage.total_tokens}
            self._track_token_usage_internal(usage)
            self.ledger.add(request.metadata["agent"], result.model, result.usage)
            text = self._apply_stop_words(result.text)
            text = self._invoke_after_llm_call_hooks(formatted, text, from_agent)
            self._emit_call_completed_event(response=text, call_type=LLMCallType.LLM_CALL,
                                            from_task=from_task, from_agent=from_agent,
                                            messages=formatted, usage=usage,
                                            finish_reason=result.finish_reason)
        if response_model is not None:
            return response_model.model_validate(result.structured)
        return text

    async def acall(
        self,
        messages: Any,
        tools: list[dict[str, Any]] | None = None,
        callbacks: list[Any] | None = None,
        available_functions: dict[str, Any] | None = None,
        from_task: Any = None,
        from_agent: Any = None,
        response_model: type[BaseModel] | None = None,
    ) -> str | Any:
        # Backends are synchronous; a thread keeps the event loop free (and copies context).
        return await asyncio.to_thread(self.call, messages, tools, callbacks,
                                       available_functions, from_task, from_agent,
                                       response_model)
