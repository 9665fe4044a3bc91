"""``QueuedLLM``: the orchestrator's ``LLMClient`` when models run on GPU workers.

Each completion is one ``lexgraph.generate`` task on the ``inference`` queue; the caller's
thread waits for the answer on a Redis list of its own (BLPOP), named in the task. Many jobs'
agents call at once, so many requests are in the queue at once, and the GPU workers' thread
pools hand them to their engines together (continuous batching happens there, not here).

A request with no answer within ``timeout_s`` is sent again, up to ``max_attempts`` sends: a
GPU worker that died (OOM, SIGKILL, a lost node) took its requests with it. Each message also
expires when its caller gives up on it, so a request that sat in a backlog is not computed for
nobody.
"""

from __future__ import annotations

import json
import logging
import math
import uuid
from collections.abc import Mapping
from typing import Any

from celery import Celery
from redis.exceptions import RedisError

from lexgraph.composition.inference import reply_channel
from lexgraph.core.llm import (
    ChatRequest,
    ChatResult,
    LLMAuthError,
    LLMError,
    LLMResponseError,
    LLMTimeout,
    LLMUnavailable,
    StructuredOutputError,
    Usage,
)
from lexgraph.core.llm.structured import check_schema
from lexgraph.core.tracing import current_trace_headers
from lexgraph.workers.inference import encode_request

log = logging.getLogger(__name__)

_ERRORS: dict[str, Any] = {"llm_unavailable": LLMUnavailable, "llm_timeout": LLMTimeout,
                           "llm_bad_response": LLMResponseError, "llm_auth": LLMAuthError,
                           "llm_invalid_structured_output": StructuredOutputError}


class QueuedLLM:
    def __init__(self, app: Celery, model: str, *, timeout_s: float, max_attempts: int,
                 reply_url: str) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        self.app = app
        self.reply_url = reply_url
        self._model = model
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts

    @property
    def model(self) -> str:
        return self._model

    def chat(self, request: ChatRequest) -> ChatResult:
        if request.json_schema is not None:
            check_schema(request.json_schema)
        payload = encode_request(request)
        trace = dict(current_trace_headers()) or None
        replies = reply_channel(self.reply_url)
        wait = max(1, math.ceil(self.timeout_s))
        for attempt in range(1, self.max_attempts + 1):
            # A fresh reply list per send: a late answer to an abandoned send is never read.
            key = f"lexgraph:inference:reply:{uuid.uuid4().hex}"
            self.app.send_task("lexgraph.generate", args=[payload],
                               kwargs={"trace": trace, "reply_to": key}, queue="inference",
                               expires=self.timeout_s)
            try:
                popped = replies.blpop([key], timeout=wait)
            except RedisError as exc:
                raise LLMUnavailable(f"lost the connection to Redis while waiting for an "
                                     f"inference worker: {exc}") from exc
            if popped is None:
                log.warning("inference request unanswered after %.0f s (send %d of %d)",
                            self.timeout_s, attempt, self.max_attempts)
                continue
            try:
                reply = json.loads(popped[1])
            except ValueError:
                raise LLMResponseError("the inference worker sent an unreadable reply") from None
            return self._result(reply)
        raise LLMTimeout(f"no inference worker answered within {self.timeout_s:g} s, "
                         f"{self.max_attempts} time(s); check that `lexgraph worker --queues "
                         "inference` runs and its model loaded")

    def _result(self, reply: Any) -> ChatResult:
        if not isinstance(reply, Mapping):
            raise LLMResponseError("the inference worker sent an unreadable reply")
        if "error" in reply:
            error = reply["error"]
            code = str(error.get("code", "llm_error"))
            message = str(error.get("message", "the inference worker failed"))
            cls = _ERRORS.get(code)
            if cls is not None:
                raise cls(message)
            raise LLMError(message, code=code)
        ok = reply["ok"]
        prompt, completion = ok["usage"]
        return ChatResult(text=ok["text"], model=ok["model"], usage=Usage(prompt, completion),
                          structured=ok.get("structured"), finish_reason=ok.get("finish_reason"))
