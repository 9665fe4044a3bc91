"""The ``Guard`` Protocol: screen an agent's proposed tool call, then the tool's result.

A decision is explicit (after openai-agents' tool guardrails: allow / reject_content / raise):

- ``allow``  the call runs, or the result reaches the agent. Categories on an allow mean
  "flagged, not blocked" (a policy may only flag some categories); they are recorded.
- ``reject`` this call does not run, or this result is withheld; the agent gets a refusal in
  its place and may carry on.
- ``halt``   reject, and stop the agent run: the job fails with ``GuardHalted``.

Guards never raise on content; an exception from a guard is a guard failure, and the caller
(the tool hook) treats it as a rejection. Reasons name rules and categories, never the screened
text, because decisions go to the job's audit log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from lexgraph.core.errors import JobError

Action = Literal["allow", "reject", "halt"]
ACTIONS: frozenset[str] = frozenset({"allow", "reject", "halt"})


@dataclass(frozen=True)
class ToolCall:
    """A tool call an agent proposed: tool name, arguments as parsed, who asked."""

    tool: str
    args: Mapping[str, Any]
    agent: str | None = None
    task: str | None = None


@dataclass(frozen=True)
class GuardDecision:
    action: Action
    reason: str = ""
    categories: tuple[str, ...] = ()
    guard: str = ""
    # The model behind a model-based decision, and whether its verdict came from the cache:
    # both go to the audit log.
    model: str = ""
    cached: bool = False

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown guard action {self.action!r}")
        object.__setattr__(self, "categories", tuple(self.categories))
        if self.action != "allow" and not self.reason:
            raise ValueError("a guard that blocks must say why")

    @property
    def allowed(self) -> bool:
        return self.action == "allow"

    @property
    def flagged(self) -> bool:
        return self.allowed and bool(self.categories)

    @classmethod
    def allow(cls, *, guard: str = "", categories: Sequence[str] = (), reason: str = "",
              model: str = "", cached: bool = False) -> GuardDecision:
        return cls("allow", reason, tuple(categories), guard, model, cached)

    @classmethod
    def reject(cls, reason: str, categories: Sequence[str] = (), *, guard: str = "",
               model: str = "", cached: bool = False) -> GuardDecision:
        return cls("reject", reason, tuple(categories), guard, model, cached)

    @classmethod
    def halt(cls, reason: str, categories: Sequence[str] = (), *, guard: str = "",
             model: str = "", cached: bool = False) -> GuardDecision:
        return cls("halt", reason, tuple(categories), guard, model, cached)


@runtime_checkable
class Guard(Protocol):
    """Screens tool traffic. Implementations are safe to call from several threads at once."""

    @property
    def name(self) -> str: ...

    def screen_call(self, call: ToolCall) -> GuardDecision:
        """Before the tool runs: may this call, with these arguments, from this agent, run?"""
        ...

    def screen_result(self, call: ToolCall, result: str) -> GuardDecision:
        """After it ran: may the agent see ``result`` (the text it would read)?"""
        ...


class GuardChain:
    """Several guards as one, cheapest first (the rules, then a model): the first decision that
    is not an allow wins; flags from the allows are kept."""

    def __init__(self, *guards: Guard) -> None:
        if not guards:
            raise ValueError("a guard chain needs at least one guard")
        self.guards = guards

    @property
    def name(self) -> str:
        return "+".join(g.name for g in self.guards)

    def _run(self, screen: Any) -> GuardDecision:
        flags: list[str] = []
        reasons: list[str] = []
        model, cached = "", False
        for guard in self.guards:
            decision: GuardDecision = screen(guard)
            if not decision.allowed:
                return decision
            flags.extend(c for c in decision.categories if c not in flags)
            if decision.reason:
                reasons.append(decision.reason)
            if decision.model:
                model, cached = decision.model, decision.cached
        return GuardDecision.allow(guard=self.name, categories=flags, reason="; ".join(reasons),
                                   model=model, cached=cached)

    def screen_call(self, call: ToolCall) -> GuardDecision:
        return self._run(lambda guard: guard.screen_call(call))

    def screen_result(self, call: ToolCall, result: str) -> GuardDecision:
        return self._run(lambda guard: guard.screen_result(call, result))


class GuardHalted(JobError):
    """A guard decided the agent run must stop."""

    def __init__(self, decision: GuardDecision) -> None:
        categories = ", ".join(decision.categories) or "none"
        super().__init__("guard_halted", f"the {decision.guard or 'tool'} guard stopped the "
                         f"agent run: {decision.reason} (categories: {categories})")
        self.decision = decision
