"""``make_guards``: the guards an operator configured, for tool calls and for documents.

Tool calls: rules, then Prompt Guard on tool results, then Llama Guard on calls and results.
Documents: the same rules, Prompt Guard and Llama Guard in batches (``DocumentScreener``).
With nothing configured both are the rules alone, as embedded installs run by default.
The policy is loaded and validated here, at start, so a broken policy stops the worker rather
than the first job.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lexgraph.adapters.llm.openai_compat import OpenAICompatibleLLM
from lexgraph.core.config.settings import Settings
from lexgraph.core.errors import ConfigError
from lexgraph.core.guard.base import Guard, GuardChain
from lexgraph.core.guard.cache import VerdictCache
from lexgraph.core.guard.documents import DocumentScreener
from lexgraph.core.guard.llama_guard import LlamaGuard
from lexgraph.core.guard.policy import GuardPolicy
from lexgraph.core.guard.prompt_guard import PromptGuard, TransformersInjectionClassifier
from lexgraph.core.guard.rules import RulesGuard
from lexgraph.core.guard.scripted_model import ScriptedGuardModel
from lexgraph.core.llm.base import TextCompleter

# Backends that add <|begin_of_text|> to a text prompt themselves (vLLM tokenizes prompts with
# special tokens); the transformers backend sends the prompt's tokens as they are.
_ADDS_BOS = frozenset({"vllm", "openai"})
# A verdict is "safe" or "unsafe" plus a few codes; 20 tokens leave room for several codes.
VERDICT_TOKENS = 20


@dataclass(frozen=True)
class Guards:
    tools: Guard
    documents: DocumentScreener
    llama_guard: LlamaGuard | None = None
    prompt_guard: PromptGuard | None = None


def _require(settings: Settings, *names: str) -> None:
    missing = [f"LEXGRAPH_{n.upper()}" for n in names if not getattr(settings, n)]
    if missing:
        raise ConfigError(f"LEXGRAPH_GUARD_BACKEND={settings.guard_backend} needs "
                          f"{' and '.join(missing)}")


def make_guard_completer(settings: Settings) -> TextCompleter | None:
    """The backend Llama Guard's prompts go to, or ``None`` (rules only)."""
    backend = settings.guard_backend
    if backend == "none":
        return None
    if backend == "scripted":
        _require(settings, "guard_script")
        assert settings.guard_script is not None
        try:
            return ScriptedGuardModel.from_file(settings.guard_script,
                                                model=settings.guard_model or "scripted")
        except ValueError as exc:
            raise ConfigError(f"LEXGRAPH_GUARD_SCRIPT: {exc}") from None
    _require(settings, "guard_model")
    assert settings.guard_model is not None
    if backend == "openai":
        _require(settings, "guard_base_url")
        assert settings.guard_base_url is not None
        key = settings.guard_api_key.get_secret_value() if settings.guard_api_key else None
        try:
            return OpenAICompatibleLLM(settings.guard_base_url, settings.guard_model,
                                       api_key=key, timeout_s=settings.llm_timeout_seconds,
                                       max_retries=settings.llm_max_retries,
                                       max_tokens=VERDICT_TOKENS, temperature=0.0)
        except ValueError as exc:
            raise ConfigError(f"LEXGRAPH_GUARD_BASE_URL: {exc}") from None
    if backend == "transformers":
        module = _backend_module("lexgraph.adapters.llm.transformers_backend")
        completer: TextCompleter = module.TransformersLLM(
            settings.guard_model, device=settings.guard_device, max_new_tokens=VERDICT_TOKENS)
        return completer
    if backend == "vllm":
        module = _backend_module("lexgraph.adapters.llm.vllm_engine")
        engine: TextCompleter = module.VLLMEngineLLM(module.EngineConfig(
            model=settings.guard_model), max_tokens=VERDICT_TOKENS, temperature=0.0)
        return engine
    raise ConfigError(f"unknown LEXGRAPH_GUARD_BACKEND {backend!r}")


def _backend_module(name: str) -> Any:
    # Imported on demand: torch and vLLM load only in workers that run a local guard model.
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ConfigError(f"the guard backend needs {name}, which cannot be imported "
                          f"({exc})") from None


def make_guards(settings: Settings, allowed_tools: Iterable[str] | None = None, *,
                completer: TextCompleter | None = None) -> Guards:
    """``completer`` overrides the configured Llama Guard backend (tests, the bench)."""
    policy = GuardPolicy.load(settings.guard_policy)  # validated even when unused
    rules = RulesGuard(allowed_tools=allowed_tools)
    completer = completer if completer is not None else make_guard_completer(settings)
    llama = None
    if completer is not None:
        llama = LlamaGuard(completer, policy, cache=VerdictCache(settings.guard_cache_size),
                           batch_size=settings.guard_batch_size,
                           bos=settings.guard_backend not in _ADDS_BOS)
    prompt_guard = None
    if settings.prompt_guard_model:
        classifier = TransformersInjectionClassifier(settings.prompt_guard_model,
                                                     device=settings.guard_device)
        prompt_guard = PromptGuard(classifier, settings.prompt_guard_threshold,
                                   cache=VerdictCache(settings.guard_cache_size))
    chain: list[Guard] = [rules]
    chain += [g for g in (prompt_guard, llama) if g is not None]
    tools: Guard = GuardChain(*chain) if len(chain) > 1 else rules
    return Guards(tools, DocumentScreener(rules, prompt_guard, llama), llama, prompt_guard)
