"""Every agent tool call as a ``tool`` run in the job's trace.

Two CrewAI tool-call hooks, registered ahead of the guard hook (``guarded()`` keeps the guard
last): the before-hook opens a run with the arguments, the after-hook closes it with the
result as the tool returned it. The guard's own decisions are separate runs beside it (see
``lexgraph.graphs.nodes``), so a reviewer sees both what the tool answered and whether
the agent was allowed to read it. A call the guard blocked still reaches the after-hook, with
CrewAI's refusal as its result.

The tool run never becomes the current run: the two hooks need not share a context, and
tracing must never change what a tool does, so both hooks swallow their own failures.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from crewai.hooks import (
    ToolCallHookContext,
    get_before_tool_call_hooks,
    register_after_tool_call_hook,
    register_before_tool_call_hook,
)

from lexgraph.core.tracing import OpenSpan, open_span
from lexgraph.core.tracing import record as tracing_record
from lexgraph.tools.guard_hook import GuardRecord

log = logging.getLogger(__name__)

_lock = threading.Lock()
# Open runs keyed by the id of the argument dict CrewAI passes to both hooks; the dict is kept
# referenced so that its id cannot be reused meanwhile.
_open: dict[int, tuple[Any, OpenSpan]] = {}


def before_tool_call(ctx: ToolCallHookContext) -> None:
    try:
        args = ctx.tool_input if isinstance(ctx.tool_input, dict) else {"input": ctx.tool_input}
        span = open_span(str(ctx.tool_name), "tool", inputs=dict(args),
                         tool=str(ctx.tool_name), agent=getattr(ctx.agent, "role", None))
        with _lock:
            _open[id(ctx.tool_input)] = (ctx.tool_input, span)
    except Exception:
        log.warning("could not trace the call of %s", getattr(ctx, "tool_name", "?"),
                    exc_info=True)


def after_tool_call(ctx: ToolCallHookContext) -> None:
    try:
        with _lock:
            entry = _open.pop(id(ctx.tool_input), None)
        if entry is None or entry[0] is not ctx.tool_input:
            return
        result = ctx.tool_result if isinstance(ctx.tool_result, str) else str(ctx.tool_result)
        entry[1].finish({"output": result})
        entry[1].close()
    except Exception:
        log.warning("could not close the trace of %s", getattr(ctx, "tool_name", "?"),
                    exc_info=True)


_install_lock = threading.Lock()


def install() -> None:
    """Register both hooks once per process; the guard hook re-installs itself after them."""
    with _install_lock:
        if before_tool_call not in get_before_tool_call_hooks():
            register_before_tool_call_hook(before_tool_call)
            register_after_tool_call_hook(after_tool_call)


def trace_guard_decision(record: GuardRecord) -> None:
    """One guard screening as a finished run beside the tool run it concerns: what was
    screened (stage, tool, agent) and the decision. Like the audit record, no content."""
    tracing_record(f"guard: {record.stage} {record.tool}", "chain",
                   inputs={"stage": record.stage, "tool": record.tool, "agent": record.agent,
                           "task": record.task},
                   outputs={"action": record.action, "reason": record.reason,
                            "categories": list(record.categories), "error": record.error},
                   kind="guard", guard=record.guard, latency_ms=record.latency_ms)
