"""Read the text files under ``lexgraph/prompts`` (YAML), where prompts and policy text live."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def load_yaml(name: str) -> dict[str, Any]:
    """``name`` is relative to ``lexgraph/prompts``, e.g. ``"guard/rules.yaml"``."""
    text = resources.files("lexgraph").joinpath("prompts", name).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"lexgraph/prompts/{name} must hold a mapping at the top level")
    return data


def prompt_text(name: str, key: str) -> str:
    value = load_yaml(name).get(key)
    if not isinstance(value, str):
        raise ValueError(f"lexgraph/prompts/{name}: {key} must be a string")
    return value
