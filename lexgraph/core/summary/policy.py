"""The firm's drafting policy (``prompts/policy.yaml``), checked on summary text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from lexgraph.core.errors import ConfigError
from lexgraph.core.prompts import load_yaml

Action = Literal["revise", "escalate"]


@dataclass(frozen=True)
class PolicyRule:
    id: str
    pattern: re.Pattern[str]
    message: str
    action: Action


@dataclass(frozen=True)
class PolicyViolation:
    rule: str
    message: str
    action: Action
    start: int
    end: int


@lru_cache(maxsize=1)
def load_policy() -> tuple[PolicyRule, ...]:
    rules = []
    for raw in load_yaml("policy.yaml").get("rules", []):
        try:
            action = raw["action"]
            if action not in ("revise", "escalate"):
                raise ValueError(f"action must be revise or escalate, not {action!r}")
            rules.append(PolicyRule(raw["id"], re.compile(raw["pattern"], re.IGNORECASE),
                                    raw["message"], action))
        except (KeyError, TypeError, ValueError, re.error) as exc:
            raise ConfigError(f"prompts/policy.yaml has an invalid rule: {exc}") from None
    return tuple(rules)


def check_policy(text: str) -> list[PolicyViolation]:
    found = []
    for rule in load_policy():
        for match in rule.pattern.finditer(text):
            found.append(PolicyViolation(rule.id, rule.message, rule.action, match.start(),
                                         match.end()))
    return found
