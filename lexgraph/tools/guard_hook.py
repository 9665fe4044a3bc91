"""The one hook every agent tool call passes through: a ``core.guard.Guard`` screens the
proposed call before the tool runs and the result before the agent reads it.

Wiring (CrewAI 1.15 tool-call hooks): one global before-hook and one global after-hook,
installed once per process and kept last in CrewAI's chains, so they screen the arguments the
tool will really get and the result the agent will really read. Which guard applies comes
from a context variable set by ``guarded()`` for one job's agent run; CrewAI copies context
into the threads it starts, so concurrent jobs in one worker each keep their own guard and
audit sink. A tool call made with no ``guarded()`` scope is blocked.

Fail-closed, because CrewAI fails open: an exception escaping a hook is logged and ignored,
and the tool runs. So the before-hook turns every outcome other than a clean allow (reject,
halt, a guard that raised or returned garbage, a failing audit sink, its own bug) into
``HookAborted``, CrewAI's block; the after-hook returns a refusal text, which replaces the
result. For a blocked call CrewAI still runs the after-hooks with its own generic message; ours
replaces that with the refusal from ``prompts/guard/hook.yaml``.

Every decision becomes a ``GuardRecord`` (stage, tool, agent, verdict, reason, categories,
guard, model, latency, cache hit, SHA-256 of the screened arguments or result) handed to the
scope's sink, for the job's audit log and trace.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from typing import Any, Literal

from crewai.hooks import (
    HookAborted,
    ToolCallHookContext,
    get_after_tool_call_hooks,
    get_before_tool_call_hooks,
    register_after_tool_call_hook,
    register_before_tool_call_hook,
    unregister_after_tool_call_hook,
    unregister_before_tool_call_hook,
)

from lexgraph.core.guard import Guard, GuardDecision, GuardHalted, ToolCall
from lexgraph.core.guard.cache import sha256_text
from lexgraph.core.observability import metrics
from lexgraph.core.prompts import prompt_text

log = logging.getLogger(__name__)

HOOK_NAME = "lexgraph.guard_hook"
Stage = Literal["call", "result"]


@dataclass(frozen=True)
class GuardRecord:
    """One screening, as it goes to the audit log. Never holds the screened content."""

    stage: Stage
    tool: str
    agent: str | None
    task: str | None
    action: str
    reason: str
    categories: tuple[str, ...]
    guard: str
    latency_ms: float
    error: str | None = None
    job_id: str | None = None
    model: str | None = None
    cached: bool = False
    content_sha256: str = ""

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["categories"] = list(self.categories)
        return data


GuardSink = Callable[[GuardRecord], None]


def _refusal(key: str, tool: str, decision: GuardDecision) -> str:
    categories = ", ".join(decision.categories) or "policy"
    return prompt_text("guard/hook.yaml", key).format(tool=tool, categories=categories)


def _tool_call(ctx: ToolCallHookContext) -> ToolCall:
    raw = ctx.tool_input if isinstance(ctx.tool_input, Mapping) else {"input": ctx.tool_input}
    try:
        # The guard gets its own copy: CrewAI runs the tool with the very dict we screen.
        args = copy.deepcopy(dict(raw))
    except Exception:
        args = dict(raw)
    task = getattr(ctx.task, "name", None)
    return ToolCall(tool=str(ctx.tool_name), args=args,
                    agent=getattr(ctx.agent, "role", None) or None,
                    task=task if isinstance(task, str) and task else None)


def _call_content(call: ToolCall) -> str:
    """What a call's digest covers: the tool and its arguments, canonically serialized."""
    try:
        return call.tool + " " + json.dumps(call.args, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        return call.tool + " " + repr(call.args)


class GuardScope:
    """One job's guard for the duration of an agent run; see ``guarded``."""

    def __init__(self, guard: Guard, sink: GuardSink | None = None,
                 job_id: str | None = None) -> None:
        self.guard = guard
        self.sink = sink
        self.job_id = job_id
        self.records: list[GuardRecord] = []
        self.halted: GuardDecision | None = None
        self._lock = threading.Lock()
        # Blocked calls awaiting CrewAI's after-hook, keyed by the id of the argument dict
        # CrewAI passes to both hooks. The dict is kept referenced so its id cannot be reused.
        self._blocked: dict[int, tuple[dict[str, Any], GuardDecision]] = {}

    def raise_if_halted(self) -> None:
        if self.halted is not None:
            raise GuardHalted(self.halted)

    def _guard_name(self) -> str:
        try:
            return str(self.guard.name)
        except Exception:
            return type(self.guard).__name__

    def _screen(self, stage: Stage, call: ToolCall, run: Callable[[], GuardDecision],
                content: str) -> GuardDecision:
        start = time.perf_counter()
        error = None
        if self.halted is not None:
            decision = GuardDecision.reject(f"the run was stopped earlier: {self.halted.reason}",
                                            self.halted.categories, guard=self.halted.guard)
        else:
            try:
                decision = run()
                if not isinstance(decision, GuardDecision):
                    raise TypeError(f"returned {type(decision).__name__}, not a GuardDecision")
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"[:300]
                name = self._guard_name()
                decision = GuardDecision.reject(
                    f"the {name} guard failed ({type(exc).__name__}), so the {stage} is blocked",
                    ["guard_error"], guard=name)
        if decision.action == "halt":
            with self._lock:
                self.halted = self.halted or decision
        record = GuardRecord(
            stage=stage, tool=call.tool, agent=call.agent, task=call.task,
            action=decision.action, reason=decision.reason, categories=decision.categories,
            guard=decision.guard or self._guard_name(),
            latency_ms=round((time.perf_counter() - start) * 1e3, 3), error=error,
            job_id=self.job_id, model=decision.model or None, cached=decision.cached,
            content_sha256=sha256_text(content))
        metrics.guard_decision(record.guard, stage, decision.action)
        if not self._emit(record) and decision.allowed:
            decision = GuardDecision.reject(
                "the audit sink failed; an unrecorded tool call may not proceed",
                ["audit_error"], guard=HOOK_NAME)
        return decision

    def _emit(self, record: GuardRecord) -> bool:
        with self._lock:
            self.records.append(record)
        if self.sink is None:
            return True
        try:
            self.sink(record)
        except Exception:
            log.exception("guard audit sink failed for %s of %s", record.stage, record.tool)
            return False
        return True

    def before(self, ctx: ToolCallHookContext) -> GuardDecision:
        call = _tool_call(ctx)
        decision = self._screen("call", call, lambda: self.guard.screen_call(call),
                                _call_content(call))
        if not decision.allowed and isinstance(ctx.tool_input, dict):
            with self._lock:
                self._blocked[id(ctx.tool_input)] = (ctx.tool_input, decision)
        return decision

    def after(self, ctx: ToolCallHookContext) -> str | None:
        with self._lock:
            entry = self._blocked.pop(id(ctx.tool_input), None)
        if entry is not None and entry[0] is ctx.tool_input:
            return _refusal("blocked_call", str(ctx.tool_name), entry[1])
        call = _tool_call(ctx)
        result = ctx.tool_result if isinstance(ctx.tool_result, str) else str(ctx.tool_result)
        decision = self._screen("result", call, lambda: self.guard.screen_result(call, result),
                                result)
        if decision.allowed:
            return None
        return _refusal("withheld_result", call.tool, decision)


_current: ContextVar[GuardScope | None] = ContextVar("lexgraph_guard_scope", default=None)
_NO_SCOPE = GuardDecision.reject("no guard is in scope for this tool call; run agents inside "
                                 "lexgraph.tools.guard_hook.guarded()", ["no_guard"],
                                 guard=HOOK_NAME)
_HOOK_FAILED = GuardDecision.reject("the guard hook failed", ["guard_error"], guard=HOOK_NAME)


def current_scope() -> GuardScope | None:
    return _current.get()


def before_tool_call(ctx: ToolCallHookContext) -> None:
    """CrewAI before-hook: returns only on a clean allow; anything else blocks the call."""
    try:
        scope = _current.get()
        if scope is None:
            log.warning("blocked tool call %s made outside any guarded() scope", ctx.tool_name)
            decision = _NO_SCOPE
        else:
            decision = scope.before(ctx)
    except Exception:
        log.exception("guard hook failed before %s", getattr(ctx, "tool_name", "?"))
        decision = _HOOK_FAILED
    if not decision.allowed:
        raise HookAborted(decision.reason, source=HOOK_NAME)


def after_tool_call(ctx: ToolCallHookContext) -> str | None:
    """CrewAI after-hook: ``None`` lets the result through; a string replaces it."""
    try:
        scope = _current.get()
        if scope is None:
            return _refusal("withheld_result", str(ctx.tool_name), _NO_SCOPE)
        return scope.after(ctx)
    except Exception:
        log.exception("guard hook failed after %s", getattr(ctx, "tool_name", "?"))
        return _refusal("withheld_result", str(getattr(ctx, "tool_name", "tool")), _HOOK_FAILED)


_install_lock = threading.Lock()


def install() -> None:
    """Register both hooks with CrewAI, or move them back to the end of its chains.

    Idempotent; ``guarded()`` calls it on every entry, so a hook registered by someone else
    after ours cannot change arguments after they were screened, or a result after it was.
    """
    with _install_lock:
        if get_before_tool_call_hooks()[-1:] != [before_tool_call]:
            unregister_before_tool_call_hook(before_tool_call)
            register_before_tool_call_hook(before_tool_call)
        if get_after_tool_call_hooks()[-1:] != [after_tool_call]:
            unregister_after_tool_call_hook(after_tool_call)
            register_after_tool_call_hook(after_tool_call)


def uninstall() -> None:
    with _install_lock:
        unregister_before_tool_call_hook(before_tool_call)
        unregister_after_tool_call_hook(after_tool_call)


def installed() -> bool:
    return (before_tool_call in get_before_tool_call_hooks()
            and after_tool_call in get_after_tool_call_hooks())


@contextmanager
def guarded(guard: Guard, sink: GuardSink | None = None, *,
            job_id: str | None = None) -> Iterator[GuardScope]:
    """Screen every tool call made in this context (and the threads CrewAI starts from it)
    with ``guard``; hand each decision to ``sink``. Raises ``GuardHalted`` on exit when a
    guard decided to halt, whatever the agent run did after that."""
    install()
    scope = GuardScope(guard, sink, job_id)
    token = _current.set(scope)
    try:
        yield scope
    except Exception as exc:
        if scope.halted is not None:
            raise GuardHalted(scope.halted) from exc
        raise
    finally:
        _current.reset(token)
    scope.raise_if_halted()
