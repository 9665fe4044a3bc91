"""The ``LLMClient`` Protocol, its request and result types, and the errors adapters raise."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, Protocol, runtime_checkable

from lexgraph.core.errors import JobError

Role = Literal["system", "user", "assistant", "tool"]
ROLES: frozenset[str] = frozenset({"system", "user", "assistant", "tool"})


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown chat role {self.role!r}; expected one of {sorted(ROLES)}")
        if not isinstance(self.content, str):
            raise TypeError("chat message content must be a string")


@dataclass(frozen=True)
class ChatRequest:
    """One chat completion request.

    ``json_schema`` asks for structured output: the result's ``structured`` is the parsed JSON,
    validated against that schema, or the call fails with ``StructuredOutputError``.
    ``metadata`` (agent, task…) travels with the request for fakes, tracing and accounting;
    it is never sent to the model.
    """

    messages: Sequence[ChatMessage]
    json_schema: Mapping[str, Any] | None = None
    schema_name: str = "output"
    max_tokens: int | None = None
    temperature: float | None = None
    stop: Sequence[str] = ()
    metadata: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Frozen all the way down: a recorded request must stay what was sent, even when the
        # caller keeps mutating its own message list (CrewAI does).
        object.__setattr__(self, "messages", tuple(self.messages))
        object.__setattr__(self, "stop", tuple(self.stop))
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))
        if not self.messages:
            raise ValueError("a chat request needs at least one message")

    @property
    def text(self) -> str:
        """All message contents joined: what a test searches for a canary or an observation."""
        return "\n".join(message.content for message in self.messages)


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.prompt_tokens + other.prompt_tokens,
                     self.completion_tokens + other.completion_tokens)


@dataclass(frozen=True)
class ChatResult:
    text: str
    model: str
    usage: Usage = Usage()
    structured: Any = None
    finish_reason: str | None = None


@runtime_checkable
class LLMClient(Protocol):
    """A chat model. Implementations are safe to call from several threads at once."""

    @property
    def model(self) -> str:
        """The model name requests go to (what usage is accounted under)."""
        ...

    def chat(self, request: ChatRequest) -> ChatResult:
        """Run one completion. Raises ``LLMError`` subclasses, never transport exceptions."""
        ...


@runtime_checkable
class TextCompleter(Protocol):
    """A model driven by raw prompts: each prompt is sent as is, with no chat template.

    For models whose prompt format is part of their contract (Llama Guard renders its own
    category block and conversation). A batch goes in at once so that backends which can
    batch (vLLM, a padded transformers batch, ``/v1/completions`` with a prompt list) do.
    """

    @property
    def model(self) -> str:
        ...

    def complete(self, prompts: Sequence[str], *, max_tokens: int = 16,
                 metadata: Mapping[str, str] | None = None) -> list[ChatResult]:
        """One result per prompt, in order. Raises ``LLMError`` subclasses."""
        ...


# Errors. Messages name the server and what to check, never prompt contents. They also avoid
# the words CrewAI's retry wrapper treats as "rate limited": the adapters already retried, and
# a second retry loop around the first would multiply attempts and waits.


class LLMError(JobError):
    """A model call failed; recorded on the job."""

    def __init__(self, message: str, code: str = "llm_error") -> None:
        super().__init__(code, message)


class LLMUnavailable(LLMError):
    """The server could not be reached or kept failing (connection errors, 429, 5xx)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="llm_unavailable")


class LLMTimeout(LLMUnavailable):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.code = "llm_timeout"


class LLMAuthError(LLMError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="llm_auth")


class LLMResponseError(LLMError):
    """The server refused the request (4xx) or answered something that is not a completion."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="llm_bad_response")


class StructuredOutputError(LLMError):
    """The model's output is not JSON matching the requested schema."""

    def __init__(self, message: str, text: str = "") -> None:
        super().__init__(message, code="llm_invalid_structured_output")
        self.text = text
