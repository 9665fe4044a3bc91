"""The firm's Llama Guard policy: categories, what each does per stage, and its validation.

The policy is text under ``lexgraph/prompts/guard/policy.yaml`` (or a file an operator names
in ``LEXGRAPH_GUARD_POLICY``), loaded once at start. Every mistake in it is a ``ConfigError``
that names the entry, because a guard that silently ignores half its policy fails open.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import yaml

from lexgraph.core.errors import ConfigError
from lexgraph.core.prompts import load_yaml

CategoryAction = Literal["block", "halt", "flag", "off"]
Stage = Literal["call", "content"]
CATEGORY_ACTIONS: tuple[str, ...] = ("block", "halt", "flag", "off")
STAGES: tuple[Stage, ...] = ("call", "content")
# Llama Guard 3's own hazard codes; custom categories take codes after these.
STOCK_CODES: tuple[str, ...] = tuple(f"S{n}" for n in range(1, 15))
_CODE = re.compile(r"S[1-9][0-9]?")


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    description: str
    call: CategoryAction
    content: CategoryAction
    describe: bool

    def action(self, stage: Stage) -> CategoryAction:
        return self.call if stage == "call" else self.content

    def render(self) -> str:
        """How the category appears in the prompt's category block."""
        line = f"{self.code}: {self.name}."
        return f"{line}\n{self.description}" if self.describe else line


@dataclass(frozen=True)
class GuardPolicy:
    version: str
    categories: tuple[Category, ...]
    call_context: str

    @property
    def fingerprint(self) -> str:
        """Version plus a hash of the content: part of every cache key, so editing the policy
        without bumping its version still invalidates cached verdicts."""
        body = json.dumps([c.__dict__ for c in self.categories] + [self.call_context],
                          sort_keys=True)
        return f"{self.version}:{hashlib.sha256(body.encode()).hexdigest()[:16]}"

    def by_code(self) -> dict[str, Category]:
        return {c.code: c for c in self.categories}

    def asked(self, stage: Stage) -> tuple[Category, ...]:
        """The categories the model is asked about for this stage, in code order."""
        return tuple(c for c in self.categories if c.action(stage) != "off")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, where: str = "guard policy") -> GuardPolicy:
        def fail(message: str) -> ConfigError:
            return ConfigError(f"{where}: {message}")

        version = data.get("version")
        if not isinstance(version, str | int | float) or not str(version).strip():
            raise fail("'version' is required (any string; bump it when the policy changes)")
        raw = data.get("categories")
        if not isinstance(raw, list) or not raw:
            raise fail("'categories' must be a non-empty list")
        categories: list[Category] = []
        seen: dict[str, str] = {}
        names: set[str] = set()
        for i, entry in enumerate(raw):
            if not isinstance(entry, Mapping):
                raise fail(f"categories[{i}] must be a mapping")
            code = str(entry.get("code", "")).strip().upper()
            label = f"categories[{i}] ({code or 'no code'})"
            if not _CODE.fullmatch(code):
                raise fail(f"{label}: 'code' must be S1 to S99, got {entry.get('code')!r}")
            if code in seen:
                raise fail(f"{label}: code {code} is used twice")
            name = str(entry.get("name") or "").strip().rstrip(".")
            if not name:
                raise fail(f"{label}: 'name' is required")
            if name.lower() in names:
                raise fail(f"{label}: name {name!r} is used twice")
            description = " ".join(str(entry.get("description") or "").split())
            if not description:
                raise fail(f"{label}: 'description' is required; it documents what the "
                           "category covers (and is shown to the model for custom ones)")
            actions: dict[str, CategoryAction] = {}
            for stage in STAGES:
                value = entry.get(stage)
                if value is False:
                    value = "off"  # YAML 1.1 reads a bare `off` as false
                if value not in CATEGORY_ACTIONS:
                    raise fail(f"{label}: '{stage}' must be one of "
                               f"{', '.join(CATEGORY_ACTIONS)}, got {value!r}")
                actions[stage] = cast(CategoryAction, value)
            custom = code not in STOCK_CODES
            describe = entry.get("describe", custom)
            if not isinstance(describe, bool):
                raise fail(f"{label}: 'describe' must be true or false")
            unknown = set(entry) - {"code", "name", "description", "describe", *STAGES}
            if unknown:
                raise fail(f"{label}: unknown keys {sorted(unknown)}")
            seen[code] = name
            names.add(name.lower())
            categories.append(Category(code, name, description, actions["call"],
                                       actions["content"], describe))
        categories.sort(key=lambda c: int(c.code[1:]))
        for stage in STAGES:
            if not any(c.action(stage) != "off" for c in categories):
                raise fail(f"every category is off for '{stage}'; the model would have "
                           "nothing to check")
        context = data.get("call_context")
        if not isinstance(context, str) or not context.strip():
            raise fail("'call_context' is required (the User turn before a tool call)")
        try:
            " ".join(context.split()).format(agent="a", task="t")
        except (KeyError, IndexError, ValueError) as exc:
            raise fail(f"'call_context' may use only {{agent}} and {{task}} ({exc})") from None
        unknown_top = set(data) - {"version", "categories", "call_context"}
        if unknown_top:
            raise fail(f"unknown keys {sorted(unknown_top)}")
        return cls(str(version).strip(), tuple(categories), " ".join(context.split()))

    @classmethod
    def load(cls, path: Path | None = None) -> GuardPolicy:
        """The packaged firm policy, or the file at ``path``."""
        if path is None:
            return cls.from_mapping(load_yaml("guard/policy.yaml"),
                                    where="lexgraph/prompts/guard/policy.yaml")
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"guard policy {path}: cannot be read ({exc.strerror})") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"guard policy {path}: not valid YAML ({exc})") from None
        if not isinstance(data, Mapping):
            raise ConfigError(f"guard policy {path}: must hold a mapping at the top level")
        return cls.from_mapping(data, where=f"guard policy {path}")

    @classmethod
    def stock(cls) -> GuardPolicy:
        """Llama Guard 3's own taxonomy, every category blocking, names only: the prompt it
        renders is the published one."""
        names = ("Violent Crimes", "Non-Violent Crimes", "Sex Crimes", "Child Exploitation",
                 "Defamation", "Specialized Advice", "Privacy", "Intellectual Property",
                 "Indiscriminate Weapons", "Hate", "Self-Harm", "Sexual Content", "Elections",
                 "Code Interpreter Abuse")
        return cls.from_mapping({
            "version": "llama-guard-3",
            "categories": [{"code": code, "name": name, "description": name, "call": "block",
                            "content": "block"} for code, name in zip(STOCK_CODES, names,
                                                                        strict=True)],
            "call_context": "The agent proposes a tool call.",
        }, where="stock policy")
