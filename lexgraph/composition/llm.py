"""``make_llm``: the LLM backend an operator configured, or ``None`` for extractive mode."""

from __future__ import annotations

from lexgraph.adapters.llm.openai_compat import OpenAICompatibleLLM
from lexgraph.core.config.settings import Settings
from lexgraph.core.errors import ConfigError
from lexgraph.core.llm.base import LLMClient
from lexgraph.core.llm.scripted import ScriptedLLM


def make_llm(settings: Settings) -> LLMClient | None:
    backend = settings.llm_backend
    if backend == "none":
        return None
    if backend == "openai":
        missing = [name for name, value in (("LEXGRAPH_LLM_BASE_URL", settings.llm_base_url),
                                            ("LEXGRAPH_LLM_MODEL", settings.llm_model))
                   if not value]
        if missing:
            raise ConfigError(f"LEXGRAPH_LLM_BACKEND=openai needs {' and '.join(missing)}")
        assert settings.llm_base_url is not None and settings.llm_model is not None
        try:
            return OpenAICompatibleLLM(
                settings.llm_base_url,
                settings.llm_model,
                api_key=settings.llm_api_key.get_secret_value() if settings.llm_api_key else None,
                timeout_s=settings.llm_timeout_seconds,
                max_retries=settings.llm_max_retries,
                max_tokens=settings.llm_max_tokens,
                temperature=settings.llm_temperature,
            )
        except ValueError as exc:
            raise ConfigError(f"LEXGRAPH_LLM_BASE_URL: {exc}") from None
    if backend in ("vllm", "transformers"):
        return make_engine_llm(settings)
    if backend == "scripted":
        if settings.llm_script is None:
            raise ConfigError("LEXGRAPH_LLM_BACKEND=scripted needs LEXGRAPH_LLM_SCRIPT")
        try:
            return ScriptedLLM.from_file(
                settings.llm_script,
                model=settings.llm_served_name or settings.llm_model or "scripted")
        except ValueError as exc:
            raise ConfigError(f"LEXGRAPH_LLM_SCRIPT: {exc}") from None
    raise ConfigError(f"unknown LEXGRAPH_LLM_BACKEND {backend!r}")


def make_engine_llm(settings: Settings) -> LLMClient:
    """The model itself, in this process: loads weights (seconds to minutes)."""
    if not settings.llm_model:
        raise ConfigError(f"LEXGRAPH_LLM_BACKEND={settings.llm_backend} needs LEXGRAPH_LLM_MODEL "
                          "(a hub id or a local directory)")
    if settings.llm_backend == "vllm":
        from lexgraph.adapters.llm.vllm_engine import EngineConfig, VLLMEngineLLM

        return VLLMEngineLLM(
            EngineConfig(model=settings.llm_model, served_name=settings.llm_served_name,
                         dtype=settings.llm_dtype, max_model_len=settings.llm_max_model_len,
                         gpu_memory_utilization=settings.llm_gpu_memory_utilization,
                         tensor_parallel_size=settings.llm_tensor_parallel_size,
                         enforce_eager=settings.llm_enforce_eager,
                         max_num_seqs=settings.llm_max_num_seqs,
                         cpu_kvcache_gib=settings.vllm_cpu_kvcache_gib),
            max_tokens=settings.llm_max_tokens, temperature=settings.llm_temperature,
            timeout_s=settings.llm_timeout_seconds)
    if settings.llm_backend == "transformers":
        from lexgraph.adapters.llm.transformers_backend import TransformersLLM

        try:
            return TransformersLLM(settings.llm_model, device=settings.llm_device,
                                   dtype=settings.llm_dtype,
                                   max_new_tokens=settings.llm_max_tokens,
                                   temperature=settings.llm_temperature,
                                   served_name=settings.llm_served_name)
        except ValueError as exc:
            raise ConfigError(f"LEXGRAPH_LLM_MODEL: {exc}") from None
    raise ConfigError(f"LEXGRAPH_LLM_BACKEND={settings.llm_backend} does not run in process")
