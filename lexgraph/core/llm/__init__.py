"""LLM backends behind one small Protocol, ``LLMClient``: chat messages in; text, token usage,
the model's name and optional JSON-schema structured output out.

Adapters live in ``lexgraph.adapters.llm``: ``openai_compat.OpenAICompatibleLLM`` (any
``/v1/chat/completions`` server over plain httpx), ``vllm_engine`` and
``transformers_backend``; ``ScriptedLLM`` (replays model outputs for tests) is exported here.
``lexgraph.composition.llm.make_llm`` picks one from Settings; ``None`` means extractive mode.
Nothing here knows about CrewAI or the graph.
"""

from lexgraph.core.llm.base import (
    ChatMessage,
    ChatRequest,
    ChatResult,
    LLMAuthError,
    LLMClient,
    LLMError,
    LLMResponseError,
    LLMTimeout,
    LLMUnavailable,
    Role,
    StructuredOutputError,
    Usage,
)
from lexgraph.core.llm.scripted import ScriptedLLM, ScriptExhausted, ScriptItem
from lexgraph.core.llm.structured import parse_structured

__all__ = [
    "ChatMessage",
    "ChatRequest",
    "ChatResult",
    "LLMAuthError",
    "LLMClient",
    "LLMError",
    "LLMResponseError",
    "LLMTimeout",
    "LLMUnavailable",
    "Role",
    "ScriptExhausted",
    "ScriptItem",
    "ScriptedLLM",
    "StructuredOutputError",
    "Usage",
    "parse_structured",
]
