"""Which guards Settings build, and the configuration mistakes refused at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from lexgraph.adapters.llm.openai_compat import OpenAICompatibleLLM
from lexgraph.composition.guards import make_guard_completer, make_guards
from lexgraph.core.config.settings import Settings
from lexgraph.core.errors import ConfigError
from lexgraph.core.guard import GuardChain, LlamaGuard, RulesGuard, ScriptedGuardModel, ToolCall
from tests.guard_models import build_tiny_classifier


def test_default_is_rules_only(tmp_path: Path) -> None:
    guards = make_guards(Settings(data_dir=tmp_path))
    assert isinstance(guards.tools, RulesGuard)
    assert guards.llama_guard is None and guards.prompt_guard is None
    assert guards.documents.layers == ["rules"]


def test_scripted_backend_and_prompt_guard_make_a_chain(tmp_path: Path) -> None:
    script = tmp_path / "guard.json"
    script.write_text('{"rules": [{"contains": "X", "answer": "unsafe\\nS14"}]}')
    clf = build_tiny_classifier(tmp_path / "clf")
    settings = Settings(data_dir=tmp_path, guard_backend="scripted", guard_script=script,
                        prompt_guard_model=str(clf), prompt_guard_threshold=0.99)
    guards = make_guards(settings, ["search_passages"])
    assert isinstance(guards.tools, GuardChain)
    assert [g.name for g in guards.tools.guards] == ["rules", "prompt_guard", "llama_guard"]
    assert guards.documents.layers == ["rules", f"prompt_guard({clf})",
                                       "llama_guard(scripted)"]
    assert isinstance(guards.llama_guard, LlamaGuard) and guards.llama_guard.bos
    blocked = guards.tools.screen_call(ToolCall("search_passages", {"query": "X"}))
    assert blocked.action == "reject" and blocked.categories == ("S14",)
    assert guards.tools.screen_call(ToolCall("delete_file", {})).categories == (
        "tool_not_allowed",)


def test_served_llama_guard_leaves_bos_to_the_server(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, guard_backend="openai",
                        guard_base_url="http://127.0.0.1:9/v1", guard_model="llama-guard")
    assert isinstance(make_guard_completer(settings), OpenAICompatibleLLM)
    guards = make_guards(settings)
    assert guards.llama_guard is not None and not guards.llama_guard.bos


@pytest.mark.parametrize(("changes", "message"), [
    ({"guard_backend": "openai", "guard_model": "m"}, "needs LEXGRAPH_GUARD_BASE_URL"),
    ({"guard_backend": "transformers"}, "needs LEXGRAPH_GUARD_MODEL"),
    ({"guard_backend": "scripted"}, "needs LEXGRAPH_GUARD_SCRIPT"),
    ({"guard_backend": "openai", "guard_model": "m", "guard_base_url": "ftp://x"},
     "LEXGRAPH_GUARD_BASE_URL"),
])
def test_incomplete_configuration_is_refused(tmp_path: Path, changes: dict[str, str],
                                             message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_guards(Settings(data_dir=tmp_path, **changes))


def test_a_broken_policy_stops_the_worker_at_start(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\ncategories: []\n")
    with pytest.raises(ConfigError, match="'categories' must be a non-empty list"):
        make_guards(Settings(data_dir=tmp_path, guard_policy=policy),
                    completer=ScriptedGuardModel())
