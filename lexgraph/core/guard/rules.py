"""``RulesGuard``: the always-on, model-free layer of the tool-call guard.

It rejects tool calls and tool results that carry known prompt-injection or jailbreak phrasing,
hidden Unicode tag characters, and arguments a tool should not get: a tool outside the job's
list, oversized arguments, URLs or file paths where the tool did not declare it takes them.
The phrasing rules live in ``lexgraph/prompts/guard/rules.yaml``, as policy text. It runs first,
before any model-based guard, because it is cheap and deterministic.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from lexgraph.core.guard.base import GuardDecision, ToolCall
from lexgraph.core.prompts import load_yaml

_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
_SPACE = re.compile(r"\s+")
_MAX_REASONS = 3


def normalize(text: str) -> str:
    """What the patterns see: NFKC, invisible characters dropped, one space between words."""
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES)
    return _SPACE.sub(" ", _INVISIBLE.sub("", text)).strip()


@dataclass(frozen=True)
class Rule:
    category: str
    name: str
    pattern: re.Pattern[str]


def _compile(where: str, pattern: Any) -> re.Pattern[str]:
    if not isinstance(pattern, str) or not pattern:
        raise ValueError(f"guard rules: {where} needs a non-empty pattern")
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"guard rules: {where} is not a valid regular expression: {exc}") from None


@dataclass(frozen=True)
class RulesPolicy:
    rules: tuple[Rule, ...]
    hidden_characters: re.Pattern[str]
    max_arg_chars: int
    url: re.Pattern[str]
    path: re.Pattern[str]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> RulesPolicy:
        """Validate a policy document; errors name the offending entry."""
        injection = data.get("injection")
        if not isinstance(injection, Mapping) or not injection:
            raise ValueError("guard rules: 'injection' must map categories to lists of rules")
        rules: list[Rule] = []
        for category, entries in injection.items():
            if not isinstance(entries, list) or not entries:
                raise ValueError(f"guard rules: category {category!r} needs a list of rules")
            for i, entry in enumerate(entries):
                if not isinstance(entry, Mapping) or not entry.get("name"):
                    raise ValueError(f"guard rules: {category}[{i}] needs a name and a pattern")
                where = f"{category} rule {entry['name']!r}"
                rules.append(Rule(str(category), str(entry["name"]),
                                  _compile(where, entry.get("pattern"))))
        arguments = data.get("arguments")
        if not isinstance(arguments, Mapping):
            raise ValueError("guard rules: 'arguments' must be a mapping")
        max_chars = arguments.get("max_chars")
        if not isinstance(max_chars, int) or max_chars < 1:
            raise ValueError("guard rules: arguments.max_chars must be a positive integer")
        return cls(
            rules=tuple(rules),
            hidden_characters=_compile("hidden_characters", data.get("hidden_characters")),
            max_arg_chars=max_chars,
            url=_compile("arguments.url", arguments.get("url")),
            path=_compile("arguments.path", arguments.get("path")),
        )

    @classmethod
    def default(cls) -> RulesPolicy:
        return cls.from_mapping(load_yaml("guard/rules.yaml"))


def _arguments(args: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(top-level argument name, text) for every string in the arguments, keys included."""
    for key, value in args.items():
        yield str(key), str(key)
        yield from _leaves(value, str(key))


def _leaves(value: Any, top: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield top, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield top, str(key)
            yield from _leaves(item, top)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _leaves(item, top)


class RulesGuard:
    """Model-free guard.

    ``allowed_tools``: the tool names this job's agents may call (``None``: any).
    ``url_args`` / ``path_args``: per tool, the argument names that legitimately carry URLs or
    file paths; everywhere else one is refused.
    """

    def __init__(
        self,
        policy: RulesPolicy | None = None,
        *,
        allowed_tools: Iterable[str] | None = None,
        url_args: Mapping[str, Iterable[str]] | None = None,
        path_args: Mapping[str, Iterable[str]] | None = None,
        max_arg_chars: int | None = None,
    ) -> None:
        self.policy = policy or RulesPolicy.default()
        self.allowed_tools = frozenset(allowed_tools) if allowed_tools is not None else None
        self.url_args = {tool: frozenset(args) for tool, args in (url_args or {}).items()}
        self.path_args = {tool: frozenset(args) for tool, args in (path_args or {}).items()}
        self.max_arg_chars = max_arg_chars or self.policy.max_arg_chars

    @property
    def name(self) -> str:
        return "rules"

    def _content(self, text: str) -> Iterator[tuple[str, str]]:
        """(category, rule name) for each rule the text breaks."""
        if self.policy.hidden_characters.search(text):
            yield "hidden_characters", "unicode tag characters"
        normalized = normalize(text)
        for rule in self.policy.rules:
            if rule.pattern.search(normalized):
                yield rule.category, rule.name

    def _decide(self, findings: list[tuple[str, str]]) -> GuardDecision:
        if not findings:
            return GuardDecision.allow(guard=self.name)
        categories = list(dict.fromkeys(category for category, _ in findings))
        reasons = list(dict.fromkeys(reason for _, reason in findings))
        more = f" (and {len(reasons) - _MAX_REASONS} more)" if len(reasons) > _MAX_REASONS else ""
        return GuardDecision.reject("; ".join(reasons[:_MAX_REASONS]) + more, categories,
                                    guard=self.name)

    def screen_call(self, call: ToolCall) -> GuardDecision:
        findings: list[tuple[str, str]] = []
        if self.allowed_tools is not None and call.tool not in self.allowed_tools:
            findings.append(("tool_not_allowed", f"tool {call.tool!r} is not allowed here"))
            return self._decide(findings)
        try:
            size = len(json.dumps(call.args, ensure_ascii=False))
        except (TypeError, ValueError):
            return self._decide([("invalid_arguments", "arguments are not plain JSON values")])
        if size > self.max_arg_chars:
            findings.append(("argument_too_large",
                             f"arguments are {size} characters, over {self.max_arg_chars}"))
        urls_ok = self.url_args.get(call.tool, frozenset())
        paths_ok = self.path_args.get(call.tool, frozenset())
        for arg, text in _arguments(call.args):
            findings.extend((category, f"argument {arg!r}: {category} rule {rule!r}")
                            for category, rule in self._content(text))
            if arg not in urls_ok and self.policy.url.search(text):
                findings.append(("unexpected_url", f"argument {arg!r} holds a URL"))
            if arg not in paths_ok and self.policy.path.search(text):
                findings.append(("unexpected_path", f"argument {arg!r} holds a file path"))
        return self._decide(findings)

    def screen_result(self, call: ToolCall, result: str) -> GuardDecision:
        return self._decide([(category, f"tool result: {category} rule {rule!r}")
                             for category, rule in self._content(result)])
