"""Assemble the job graph. Each node is wrapped to record its own wall time in the state."""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.types import Checkpointer

from lexgraph.graphs import nodes
from lexgraph.graphs.state import GraphContext, JobState

# (name, function, progress once the node has finished)
STEPS: list[tuple[str, Callable[..., dict[str, Any]], float]] = [
    ("ingest", nodes.ingest, 0.4),
    ("analyze", nodes.analyze, 0.7),
    ("finalize", nodes.finalize, 0.95),
]
PROGRESS = {name: share for name, _, share in STEPS}


def _timed(name: str, fn: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    wants_runtime = "runtime" in inspect.signature(fn).parameters

    if wants_runtime:
        def node(state: JobState, runtime: Any) -> dict[str, Any]:
            start = time.perf_counter()
            update = fn(state, runtime)
            return {**update, "timings_ms": {name: round((time.perf_counter() - start) * 1e3, 2)}}
    else:
        def node(state: JobState) -> dict[str, Any]:  # type: ignore[misc]
            start = time.perf_counter()
            update = fn(state)
            return {**update, "timings_ms": {name: round((time.perf_counter() - start) * 1e3, 2)}}

    node.__name__ = name
    return node


def build_graph(checkpointer: Checkpointer = None) -> Any:
    graph = StateGraph(JobState, context_schema=GraphContext)
    previous = START
    for name, fn, _ in STEPS:
        graph.add_node(name, _timed(name, fn))
        graph.add_edge(previous, name)
        previous = name
    graph.add_edge(previous, END)
    return graph.compile(checkpointer=checkpointer, name="lexgraph-job")
