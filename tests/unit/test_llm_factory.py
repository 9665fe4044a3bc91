"""make_llm: the configured backend, or None for extractive mode; clear configuration errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lexgraph.core.config.settings import Settings
from lexgraph.core.errors import ConfigError
from lexgraph.core.llm import ChatMessage, ChatRequest, OpenAICompatibleLLM, ScriptedLLM, make_llm
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
