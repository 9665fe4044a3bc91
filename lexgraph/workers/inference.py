"""The GPU worker: ``lexgraph worker --queues inference``.

One engine per worker process, loaded before the worker consumes anything (so a worker that
takes requests is a worker whose model is ready), then fed by a pool of threads: each
``lexgraph.generate`` task is one completion, and the threads' requests run together in the
engine's continuous batch. Requests and results travel as plain JSON through the broker and
a reply list in Redis. Errors go back as data, with their code, so the orchestrator raises
the same ``LLMError`` a local backend would.

Warm shutdown (SIGTERM) stops taking requests, lets the ones running finish, then stops the
engine. A request lost with a killed worker is acknowledged already (it is not redelivered
hours later by Redis); the orchestrator's client sends it again after its timeout.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from contextlib import nullcontext
from typing import Any

from celery import Task, shared_task
from celery.signals import worker_ready, worker_shutdown

from lexgraph.composition.inference import close_engine, load_engine, reply_channel
from lexgraph.core.config.settings import Settings
from lexgraph.core.llm import ChatMessage, ChatRequest, ChatResult, LLMClient, LLMError
from lexgraph.core.tracing import continue_trace

log = logging.getLogger(__name__)

def encode_request(request: ChatRequest) -> dict[str, Any]:
    return {
        "messages": [[m.role, m.content] for m in request.messages],
        "json_schema": dict(request.json_schema) if request.json_schema is not None else None,
        "schema_name": request.schema_name,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "stop": list(request.stop),
        "metadata": dict(request.metadata),
    }


def decode_request(data: Mapping[str, Any]) -> ChatRequest:
    return ChatRequest(
        messages=[ChatMessage(role, content) for role, content in data["messages"]],
        json_schema=data.get("json_schema"),
        schema_name=data.get("schema_name") or "output",
        max_tokens=data.get("max_tokens"),
        temperature=data.get("temperature"),
        stop=data.get("stop") or (),
        metadata=data.get("metadata") or {},
    )


def encode_result(result: ChatResult) -> dict[str, Any]:
    return {"text": result.text, "model": result.model,
            "usage": [result.usage.prompt_tokens, result.usage.completion_tokens],
            "structured": result.structured, "finish_reason": result.finish_reason}


@shared_task(name="lexgraph.generate", bind=True, acks_late=False)
def generate(self: Task, request: dict[str, Any], trace: dict[str, str] | None = None,
             reply_to: str | None = None) -> None:
    # Returns nothing: the answer goes to the caller's reply list, so the success line Celery
    # logs carries no document text.
    settings: Settings = self.app.conf.lexgraph_settings
    reply = _answer(load_engine(settings), request, trace)
    if reply_to:
        send_reply(settings, reply_to, reply)


def _answer(engine: LLMClient, request: Mapping[str, Any],
            trace: Mapping[str, str] | None) -> dict[str, Any]:
    try:
        chat = decode_request(request)
        with _trace_scope(trace, chat):
            return {"ok": encode_result(engine.chat(chat))}
    except LLMError as exc:
        return {"error": {"code": exc.code, "message": exc.message}}
    except (KeyError, TypeError, ValueError) as exc:
        return {"error": {"code": "llm_bad_request",
                          "message": f"the inference worker could not read the request: {exc}"}}


# Replies travel on one Redis list per request, which the caller BLPOPs. Celery's result
# backend was the first choice, but its waiting callers share one pub/sub subscription: a
# thread subscribing for its new request waits while another thread listens, so concurrent
# jobs' requests went out one after another and the engine never saw a batch.
REPLY_TTL_S = 900
def send_reply(settings: Settings, key: str, reply: Mapping[str, Any]) -> None:
    url = settings.resolved_reply_url
    if url is None:
        log.error("no Redis to reply through; set a redis:// broker")
        return
    client = reply_channel(url)
    # Expiry first kept with the push: a reply nobody waits for any more (its caller timed
    # out and resent) disappears on its own.
    client.pipeline().rpush(key, json.dumps(reply)).expire(key, REPLY_TTL_S).execute()


def _trace_scope(trace: Mapping[str, str] | None, request: ChatRequest) -> Any:
    """The generation as a child of the caller's run, when the caller traces."""
    if not trace:
        return nullcontext()
    return continue_trace(trace, "inference.generate",
                          agent=request.metadata.get("agent", ""))


@worker_ready.connect
def _mark_ready(sender: Any = None, **_: Any) -> None:
    consumer = getattr(sender, "consumer", None) or sender
    settings: Settings | None = getattr(getattr(consumer, "app", None), "conf", {}).get(
        "lexgraph_settings")
    if settings is not None and settings.worker_ready_file is not None:
        settings.worker_ready_file.parent.mkdir(parents=True, exist_ok=True)
        settings.worker_ready_file.write_text("ready\n", encoding="utf-8")


@worker_shutdown.connect
def _shutdown(sender: Any = None, **_: Any) -> None:
    # Celery fires this after the warm shutdown has let running tasks finish.
    settings: Settings | None = None
    app = getattr(sender, "app", None)
    if app is not None:
        settings = app.conf.get("lexgraph_settings")
    if settings is not None and settings.worker_ready_file is not None:
        settings.worker_ready_file.unlink(missing_ok=True)
    close_engine()
