"""The in-process model backends, vLLM's engine and transformers, on a tiny random-weight
Llama: the same ``LLMClient`` calls the agents make, structured output included."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from lexgraph.composition.llm import make_llm
from lexgraph.core.config.settings import Settings
from lexgraph.core.llm import ChatMessage, ChatRequest, LLMClient
from lexgraph.core.llm.base import TextCompleter

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"verdict": {"enum": ["pass", "revise", "escalate"]},
                   "confidence": {"type": "integer", "minimum": 0, "maximum": 9}},
    "required": ["verdict", "confidence"],
    "additionalProperties": False,
}


def ask(text: str, **kwargs: Any) -> ChatRequest:
    return ChatRequest([ChatMessage("system", "You summarize contracts."),
                        ChatMessage("user", text)], **kwargs)


# vLLM's engine runs in a process of its own and takes most of a minute to start: `slow`, so
# `make test-fast` leaves it to `make test`.
@pytest.fixture(scope="module",
                params=["transformers", pytest.param("vllm", marks=pytest.mark.slow)])
def engine(request: pytest.FixtureRequest, tiny_llama_path: str,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[LLMClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), llm_backend=request.param,
                        llm_model=tiny_llama_path, llm_served_name="tiny-llama",
                        llm_dtype="float32", llm_enforce_eager=True, llm_max_model_len=2048,
                        vllm_cpu_kvcache_gib=1, llm_max_tokens=64)
    llm = make_llm(settings)
    assert llm is not None
    yield llm
    llm.close()  # type: ignore[attr-defined]


def test_a_completion_has_text_usage_and_the_served_name(engine: LLMClient) -> None:
    result = engine.chat(ask("Summarize the term of this agreement.", max_tokens=12))
    assert result.model == "tiny-llama"
    assert result.text
    rendered = engine.render(ask("Summarize the term of this agreement."))  # type: ignore[attr-defined]
    assert "<|system|>" in rendered and rendered.endswith("<|assistant|>\n")
    assert 10 < result.usage.prompt_tokens < len(rendered)
    assert 1 <= result.usage.completion_tokens <= 12
    assert result.finish_reason in ("length", "stop")


def test_greedy_decoding_is_reproducible(engine: LLMClient) -> None:
    first = engine.chat(ask("Which law governs?", max_tokens=16))
    second = engine.chat(ask("Which law governs?", max_tokens=16))
    assert first.text == second.text
    other = engine.chat(ask("Who may terminate, and on what notice?", max_tokens=16))
    assert other.usage.prompt_tokens != first.usage.prompt_tokens


def test_structured_output_follows_the_schema(engine: LLMClient) -> None:
    # Random weights left alone write noise; the schema constraint is what makes this JSON.
    result = engine.chat(ask("Give your verdict.", json_schema=SCHEMA, max_tokens=48))
    assert isinstance(result.structured, dict)
    assert result.structured["verdict"] in ("pass", "revise", "escalate")
    assert 0 <= result.structured["confidence"] <= 9
    assert set(result.structured) == {"verdict", "confidence"}


def test_generation_ends_at_a_stop_sequence(engine: LLMClient) -> None:
    free = engine.chat(ask("List the obligations.", max_tokens=24)).text
    stop = free[6:9]
    assert stop and stop not in free[:6]
    cut = engine.chat(ask("List the obligations.", max_tokens=24, stop=[stop]))
    assert cut.text == free[:free.index(stop)]


def test_raw_prompts_are_completed_as_one_batch_in_order(engine: LLMClient) -> None:
    assert isinstance(engine, TextCompleter)
    prompts = ["Task: Check the last message.", "x", "The Receiving Party shall hold"]
    batch = engine.complete(prompts, max_tokens=6)
    assert len(batch) == 3
    assert [r.usage.prompt_tokens for r in batch] == [
        engine.complete([p], max_tokens=6)[0].usage.prompt_tokens for p in prompts]
    assert batch[1].usage.prompt_tokens < batch[0].usage.prompt_tokens
    assert all(1 <= r.usage.completion_tokens <= 6 for r in batch)


def test_concurrent_callers_each_get_their_own_answer(engine: LLMClient) -> None:
    questions = [f"Summarize clause {n}." for n in range(8)]
    expected = {q: engine.chat(ask(q, max_tokens=8)).usage.prompt_tokens for q in questions}
    got: dict[str, int] = {}
    errors: list[BaseException] = []

    def call(q: str) -> None:
        try:
            got[q] = engine.chat(ask(q, max_tokens=8)).usage.prompt_tokens
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=call, args=(q,)) for q in questions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert got == expected


@pytest.mark.parametrize("prompt", ["Summarize the term.", "Governing law?"])
def test_greedy_tokens_match_a_fresh_transformers_load(engine: LLMClient, tiny_llama_path: str,
                                                       prompt: str) -> None:
    """For vLLM a cross-check of two implementations of one checkpoint; for transformers, of
    loading: the same weights give the same greedy tokens."""
    from lexgraph.adapters.llm.transformers_backend import TransformersLLM

    assert isinstance(engine, TextCompleter)
    reference = TransformersLLM(tiny_llama_path, dtype="float32").complete([prompt],
                                                                          max_tokens=8)[0]
    ours = engine.complete([prompt], max_tokens=8)[0]
    assert ours.usage == reference.usage
    assert ours.text == reference.text


def test_the_vllm_engine_caches_shared_prefixes(engine: LLMClient) -> None:
    from lexgraph.adapters.llm.vllm_engine import VLLMEngineLLM

    if not isinstance(engine, VLLMEngineLLM):
        pytest.skip("transformers has no prefix cache across calls")
    config = engine._engine.vllm_config
    assert config.cache_config.enable_prefix_caching is True
    assert config.structured_outputs_config.backend == "xgrammar"


def test_the_agents_bridge_gets_validated_models_from_the_engine(engine: LLMClient) -> None:
    """What a CrewAI agent does: call the bridge with a response model; the engine's own
    JSON-schema decoding makes the answer parse."""
    from typing import Literal

    from pydantic import BaseModel

    from lexgraph.agents.llm_bridge import CrewLLMBridge, UsageLedger

    class Verdict(BaseModel):
        verdict: Literal["pass", "revise", "escalate"]

    ledger = UsageLedger()
    bridge = CrewLLMBridge(engine, ledger=ledger)
    out = bridge.call([{"role": "user", "content": "Your verdict?"}], response_model=Verdict)
    assert isinstance(out, Verdict) and out.verdict in ("pass", "revise", "escalate")
    assert ledger.rows()[0].model == "tiny-llama" and ledger.rows()[0].completion_tokens > 0
