"""``make_llm``: the LLM backend an operator configured, or ``None`` for extractive mode."""

from __future__ import annotations

from lexgraph.core.config.settings import Settings
from lexgraph.core.errors import ConfigError
from lexgraph.core.llm.base import LLMClient
from lexgraph.core.llm.openai_compat import OpenAICompatibleLLM
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
    if backend == "scripted":
        if settings.llm_script is None:
            raise ConfigError("LEXGRAPH_LLM_BACKEND=scripted needs LEXGRAPH_LLM_SCRIPT")
        try:
            return ScriptedLLM.from_file(settings.llm_script,
                                         model=settings.llm_model or "scripted")
        except ValueError as exc:
            raise ConfigError(f"LEXGRAPH_LLM_SCRIPT: {exc}") from None
    raise ConfigError(f"unknown LEXGRAPH_LLM_BACKEND {backend!r}")
