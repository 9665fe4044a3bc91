"""make_llm: the configured backend, or None for extractive mode; clear configuration errors."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from lexgraph.adapters.llm.openai_compat import OpenAICompatibleLLM
from lexgraph.composition.llm import make_llm
from lexgraph.core.config.settings import Settings
from lexgraph.core.errors import ConfigError
from lexgraph.core.llm import ChatMessage, ChatRequest, ScriptedLLM
from tests.llm_server import chat_server


def test_none_means_extractive_mode(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).llm_backend == "none"
    assert make_llm(Settings(data_dir=tmp_path)) is None


def test_openai_backend_is_built_from_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with chat_server(["hello"]) as server:
        monkeypatch.setenv("LEXGRAPH_LLM_BACKEND", "openai")
        monkeypatch.setenv("LEXGRAPH_LLM_BASE_URL", server.base_url.removesuffix("/v1"))
        monkeypatch.setenv("LEXGRAPH_LLM_MODEL", "org/model")
        monkeypatch.setenv("LEXGRAPH_LLM_API_KEY", "sk-env")
        monkeypatch.setenv("LEXGRAPH_LLM_MAX_TOKENS", "77")
        settings = Settings(data_dir=tmp_path)
        llm = make_llm(settings)
        assert isinstance(llm, OpenAICompatibleLLM)
        assert llm.chat(ChatRequest([ChatMessage("user", "hi")])).text == "hello"
        llm.close()
    assert "sk-env" not in repr(settings)
    sent = server.requests[0]
    assert sent.headers["Authorization"] == "Bearer sk-env"
    assert (sent.body["model"], sent.body["max_tokens"], sent.body["temperature"]) == (
        "org/model", 77, 0.0)


@pytest.mark.parametrize(("fields", "missing"), [
    ({}, "LEXGRAPH_LLM_BASE_URL and LEXGRAPH_LLM_MODEL"),
    ({"llm_base_url": "http://127.0.0.1:8000"}, "LEXGRAPH_LLM_MODEL"),
])
def test_openai_backend_needs_url_and_model(tmp_path: Path, fields: dict[str, Any],
                                            missing: str) -> None:
    with pytest.raises(ConfigError, match=missing):
        make_llm(Settings(data_dir=tmp_path, llm_backend="openai", **fields))


def test_a_bad_base_url_is_a_configuration_error(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, llm_backend="openai", llm_base_url="llm:8000",
                        llm_model="m")
    with pytest.raises(ConfigError, match="LEXGRAPH_LLM_BASE_URL"):
        make_llm(settings)


def test_scripted_backend_replays_a_json_file(tmp_path: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"by_agent": {"summarizer": ["Final Answer: done"]}}))
    llm = make_llm(Settings(data_dir=tmp_path, llm_backend="scripted", llm_script=script))
    assert isinstance(llm, ScriptedLLM)
    request = ChatRequest([ChatMessage("user", "go")], metadata={"agent": "summarizer"})
    assert llm.chat(request).text == "Final Answer: done"


@pytest.mark.parametrize("content", ["not json", '{"outputs": [1]}', "[1, 2]"])
def test_a_bad_script_is_a_configuration_error(tmp_path: Path, content: str) -> None:
    script = tmp_path / "script.json"
    script.write_text(content)
    with pytest.raises(ConfigError, match="LEXGRAPH_LLM_SCRIPT"):
        make_llm(Settings(data_dir=tmp_path, llm_backend="scripted", llm_script=script))


def test_scripted_backend_needs_a_script(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="LEXGRAPH_LLM_SCRIPT"):
        make_llm(Settings(data_dir=tmp_path, llm_backend="scripted"))


def test_an_unknown_backend_is_refused_by_settings(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="llm_backend"):
        Settings(data_dir=tmp_path, llm_backend="gpt")


@pytest.mark.parametrize("backend", ["vllm", "transformers"])
def test_in_process_backends_need_a_model(tmp_path: Path, backend: str) -> None:
    with pytest.raises(ConfigError, match=f"LEXGRAPH_LLM_BACKEND={backend} needs "
                                          "LEXGRAPH_LLM_MODEL"):
        make_llm(Settings(data_dir=tmp_path, llm_backend=backend))


def test_a_missing_local_model_is_a_clear_error(tmp_path: Path) -> None:
    from lexgraph.core.llm import LLMError

    with pytest.raises(LLMError, match="cannot load model"):
        make_llm(Settings(data_dir=tmp_path, llm_backend="transformers",
                          llm_model=str(tmp_path)))


def test_a_script_may_say_how_long_each_answer_takes(tmp_path: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"latency_seconds": 0.2,
                                  "by_agent": {"summarizer": ["done"]}}))
    llm = make_llm(Settings(data_dir=tmp_path, llm_backend="scripted", llm_script=script,
                            llm_served_name="served"))
    assert isinstance(llm, ScriptedLLM) and llm.latency_s == 0.2 and llm.model == "served"
    started = time.perf_counter()
    llm.chat(ChatRequest([ChatMessage("user", "go")], metadata={"agent": "summarizer"}))
    assert time.perf_counter() - started >= 0.2
    script.write_text(json.dumps({"latency_seconds": -1, "by_agent": {"summarizer": []}}))
    with pytest.raises(ConfigError, match="latency_seconds"):
        make_llm(Settings(data_dir=tmp_path, llm_backend="scripted", llm_script=script))


def test_queued_inference_needs_a_redis_broker(tmp_path: Path) -> None:
    from lexgraph.composition.worker import get_services

    settings = Settings(data_dir=tmp_path, llm_backend="scripted", inference_mode="queue",
                        llm_script=tmp_path / "unused.json")
    with pytest.raises(ConfigError, match="needs a Redis broker"):
        get_services(settings)
