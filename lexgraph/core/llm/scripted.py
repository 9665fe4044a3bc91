"""``ScriptedLLM``: the test double of a chat model. It replays scripted outputs and records
every request it receives, so a test can drive real agent machinery and then inspect exactly
what was sent to "the model".

A script item is the model's text, a full ``ChatResult``, or an exception to raise. Items are
taken in order; a ``matcher`` (request -> item or ``None``) is asked first and can answer by
content or by ``request.metadata`` (``by_agent`` keeps one queue per agent). Stop sequences
and structured output are handled like a real server would, so fakes and adapters pass the
same contract tests.

An output may refer to a passage it was shown by a phrase, as a real model copies an id it
read: ``<<cite:thirty days>>`` becomes the chunk id of the first passage in the request that
contains "thirty days" (a ``[id] …`` line of a prompt, or a ``"chunk_id"`` of a tool result).
Scripts can then cite documents whose ids are only made when the job is submitted.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from lexgraph.core.llm.base import ChatMessage, ChatRequest, ChatResult, LLMError, Usage
from lexgraph.core.llm.structured import check_schema, parse_structured

ScriptItem = str | ChatResult | BaseException
_REF = re.compile(r"<<cite:([^>]+)>>")


def resolve_refs(text: str, request_text: str) -> str:
    def chunk_id(match: re.Match[str]) -> str:
        phrase = re.escape(match.group(1).strip())
        for pattern in (rf"\[([\w.-]+:\d+:\d+)\][^\[]*?{phrase}",
                        rf'"chunk_id":\s*"([\w.-]+:\d+:\d+)"[^{{}}]*?{phrase}'):
            found = re.search(pattern, request_text, re.IGNORECASE)
            if found:
                return found.group(1)
        raise ScriptExhausted(f"the script cites {match.group(1)!r}, which no passage in the "
                              "request contains")
    return _REF.sub(chunk_id, text)
Matcher = Callable[[ChatRequest], ScriptItem | None]


class ScriptExhausted(LLMError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="scripted_llm_exhausted")


def estimate_tokens(text: str) -> int:
    """Roughly four characters per token; the scripted backend's stand-in for a tokenizer."""
    return (len(text) + 3) // 4


def apply_stop(text: str, stop: Sequence[str]) -> str:
    """Cut ``text`` at the first stop sequence, as a server does (the sequence is dropped)."""
    cut = min((i for i in (text.find(s) for s in stop if s) if i >= 0), default=-1)
    return text[:cut] if cut >= 0 else text


class ScriptedLLM:
    def __init__(
        self,
        script: Iterable[ScriptItem] = (),
        *,
        matcher: Matcher | None = None,
        model: str = "scripted",
        latency_s: float = 0.0,
    ) -> None:
        if latency_s < 0:
            raise ValueError("latency_s must be >= 0")
        self._model = model
        # Time each answer takes, as a model's would: lets tests catch a request in flight.
        self.latency_s = latency_s
        self._queue: deque[ScriptItem] = deque(script)
        self._matcher = matcher
        self._lock = threading.Lock()
        self.requests: list[ChatRequest] = []

    @classmethod
    def by_agent(cls, scripts: Mapping[str, Iterable[ScriptItem]], *,
                 model: str = "scripted") -> ScriptedLLM:
        """One queue per agent, keyed by ``request.metadata["agent"]`` (the agent's role)."""
        queues = {agent: deque(items) for agent, items in scripts.items()}
        llm = cls(model=model)

        def pick(request: ChatRequest) -> ScriptItem | None:
            agent = request.metadata.get("agent", "")
            queue = queues.get(agent)
            if queue is None:
                raise ScriptExhausted(
                    f"the scripted LLM has no script for agent {agent!r}; "
                    f"scripted agents: {sorted(queues)}")
            if not queue:
                raise ScriptExhausted(
                    f"the scripted LLM ran out of outputs for agent {agent!r} "
                    f"(request {len(llm.requests)})")
            return queue.popleft()

        llm._matcher = pick
        return llm

    @classmethod
    def from_file(cls, path: Path, *, model: str = "scripted") -> ScriptedLLM:
        """A JSON file: a list of outputs, or ``{"by_agent": {role: [outputs]}}``; an object
        may add ``"latency_seconds"``, how long each answer takes."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read the LLM script {path}: {exc}") from exc
        if isinstance(data, list) and all(isinstance(item, str) for item in data):
            return cls(data, model=model)
        latency = data.get("latency_seconds", 0.0) if isinstance(data, dict) else 0.0
        if (isinstance(data, dict) and isinstance(data.get("by_agent"), dict)
                and isinstance(latency, int | float) and latency >= 0
                and all(isinstance(v, list) and all(isinstance(i, str) for i in v)
                        for v in data["by_agent"].values())):
            llm = cls.by_agent(data["by_agent"], model=model)
            llm.latency_s = float(latency)
            return llm
        raise ValueError(f"the LLM script {path} must be a JSON list of strings or "
                         '{"by_agent": {"<agent role>": ["<output>", ...]}, '
                         '"latency_seconds": <number, optional>}')

    @property
    def model(self) -> str:
        return self._model

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._queue)

    def add(self, *items: ScriptItem) -> None:
        with self._lock:
            self._queue.extend(items)

    def chat(self, request: ChatRequest) -> ChatResult:
        if request.json_schema is not None:
            check_schema(request.json_schema)
        with self._lock:
            self.requests.append(request)
            number = len(self.requests)
            item = self._matcher(request) if self._matcher is not None else None
            if item is None:
                if not self._queue:
                    raise ScriptExhausted(
                        f"the scripted LLM ran out of outputs at request {number}; the last "
                        f"message was: {request.messages[-1].content[:200]!r}")
                item = self._queue.popleft()
        if self.latency_s:
            time.sleep(self.latency_s)
        if isinstance(item, BaseException):
            raise item
        if isinstance(item, ChatResult):
            result = item
        else:
            text = apply_stop(resolve_refs(item, request.text), request.stop)
            result = ChatResult(
                text=text,
                model=self._model,
                usage=Usage(estimate_tokens(request.text), estimate_tokens(text)),
                finish_reason="stop",
            )
        if request.json_schema is not None and result.structured is None:
            structured: Any = parse_structured(result.text, request.json_schema)
            result = ChatResult(text=result.text, model=result.model, usage=result.usage,
                                structured=structured, finish_reason=result.finish_reason)
        return result

    def complete(self, prompts: Sequence[str], *, max_tokens: int = 16,
                 metadata: Mapping[str, str] | None = None) -> list[ChatResult]:
        """Raw prompts, answered from the same script (each recorded as a one-message request)."""
        return [self.chat(ChatRequest([ChatMessage("user", prompt)], max_tokens=max_tokens,
                                      metadata=metadata or {}))
                for prompt in prompts]
