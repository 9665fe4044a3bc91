"""An inference worker's process-wide parts: its one model and the Redis client it replies
through."""

from __future__ import annotations

import logging
import threading
from typing import Any

from lexgraph.composition.llm import make_llm
from lexgraph.core.config.settings import Settings
from lexgraph.core.errors import ConfigError
from lexgraph.core.llm import LLMClient

log = logging.getLogger(__name__)

_lock = threading.Lock()
_engine: LLMClient | None = None
_engine_key: str | None = None
_replies: dict[str, Any] = {}


def load_engine(settings: Settings) -> LLMClient:
    """The process's one model, built on first use (the CLI calls this before consuming)."""
    global _engine, _engine_key
    key = settings.model_dump_json(include={"llm_backend", "llm_model", "llm_script"})
    with _lock:
        if _engine is None or _engine_key != key:
            llm = make_llm(settings)
            if llm is None:
                raise ConfigError("an inference worker needs LEXGRAPH_LLM_BACKEND (vllm, "
                                  "transformers, openai or scripted), not none")
            _engine, _engine_key = llm, key
            log.info("inference engine ready: %s (%s)", llm.model, settings.llm_backend)
        return _engine


def close_engine() -> None:
    global _engine, _engine_key
    with _lock:
        engine, _engine, _engine_key = _engine, None, None
    close = getattr(engine, "close", None)
    if callable(close):
        close()


def reply_channel(url: str) -> Any:
    """One thread-safe Redis client (a connection pool) per URL and process."""
    import redis

    with _lock:
        client = _replies.get(url)
        if client is None:
            # No read timeout: BLPOP's own bounds the wait (redis-py's default of 5 s would
            # cut every longer wait short); keepalive notices a peer that is gone.
            client = _replies[url] = redis.Redis.from_url(
                url, socket_timeout=None, socket_connect_timeout=5, socket_keepalive=True)
        return client
