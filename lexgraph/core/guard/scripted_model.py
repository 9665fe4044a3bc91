"""``ScriptedGuardModel``: the test double of a served Llama Guard, a ``TextCompleter`` that
answers by rule.

Llama Guard's weights cannot be fetched here, so tests and demos give this model rules: when
the last turn of the rendered conversation (the one Llama Guard is asked to judge) contains a
marker, it answers that rule's text (``"unsafe\\nS16"``, or garbage to test fail-closed
parsing); otherwise ``default`` (``"safe"``). An answer may also be an exception, a backend
failure. It records every prompt, so a test can check what the real adapter rendered and
that quarantined text never reached it.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from lexgraph.core.llm.base import ChatResult, Usage

_TURN = re.compile(r"(?:^|\n\n)(User|Agent): ")
_CONVERSATION = re.compile(r"<BEGIN CONVERSATION>\n\n(.*)\n\n<END CONVERSATION>", re.DOTALL)


def last_turn(prompt: str) -> str:
    """The text of the conversation's last turn in a rendered Llama Guard prompt."""
    found = _CONVERSATION.search(prompt)
    if found is None:
        return ""
    conversation = found.group(1)
    starts = list(_TURN.finditer(conversation))
    return conversation[starts[-1].end():] if starts else conversation


@dataclass(frozen=True)
class Rule:
    contains: str
    answer: str | BaseException


class ScriptedGuardModel:
    def __init__(self, rules: Sequence[Rule | tuple[str, str | BaseException]] = (), *,
                 default: str = "safe", model: str = "scripted-llama-guard") -> None:
        self.rules = tuple(r if isinstance(r, Rule) else Rule(*r) for r in rules)
        self.default = default
        self._model = model
        self._lock = threading.Lock()
        self.prompts: list[str] = []
        self.batches: list[int] = []

    @property
    def model(self) -> str:
        return self._model

    def _answer(self, prompt: str) -> str:
        judged = last_turn(prompt)
        for rule in self.rules:
            if rule.contains in judged:
                if isinstance(rule.answer, BaseException):
                    raise rule.answer
                return rule.answer
        return self.default

    def complete(self, prompts: Sequence[str], *, max_tokens: int = 16,
                 metadata: Mapping[str, str] | None = None) -> list[ChatResult]:
        with self._lock:
            self.prompts.extend(prompts)
            self.batches.append(len(prompts))
        return [ChatResult(text=self._answer(p), model=self._model,
                           usage=Usage(len(p) // 4, 2), finish_reason="stop") for p in prompts]

    @classmethod
    def from_file(cls, path: Path, *, model: str = "scripted-llama-guard") -> ScriptedGuardModel:
        """``{"rules": [{"contains": "...", "answer": "unsafe\\nS16"}], "default": "safe"}``."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            rules = [Rule(str(r["contains"]), str(r["answer"])) for r in data.get("rules", [])]
            default = str(data.get("default", "safe"))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{path} is not a guard script ({type(exc).__name__}: {exc})") \
                from None
        return cls(rules, default=default, model=model)
