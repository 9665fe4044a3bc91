"""Assemble the job graph: a fixed pipeline with one revision loop and one pause for review.

Each node records its own wall time in the state.

ingest -> screen_documents -> redact -> retrieve -> summarize -> check_compliance, then
finalize (pass), summarize again (revise), or human_review (escalate) -> finalize.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.types import Checkpointer

from lexgraph.graphs.nodes.check_compliance import check_compliance, route_after_check
from lexgraph.graphs.nodes.finalize import finalize
from lexgraph.graphs.nodes.human_review import human_review
from lexgraph.graphs.nodes.ingest import ingest
from lexgraph.graphs.nodes.redact import redact
from lexgraph.graphs.nodes.retrieve import retrieve
from lexgraph.graphs.nodes.screen_documents import screen_documents
from lexgraph.graphs.nodes.summarize import summarize
from lexgraph.graphs.state import GraphContext, JobState

# (name, function, progress once the node has finished)
STEPS: list[tuple[str, Callable[..., dict[str, Any]], float]] = [
    ("ingest", ingest, 0.35),
    ("screen_documents", screen_documents, 0.4),
    ("redact", redact, 0.5),
    ("retrieve", retrieve, 0.6),
    ("summarize", summarize, 0.75),
    ("check_compliance", check_compliance, 0.85),
    ("human_review", human_review, 0.9),
    ("finalize", finalize, 0.95),
]
PROGRESS = {name: share for name, _, share in STEPS}


def _timed(name: str, fn: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    wants_runtime = "runtime" in inspect.signature(fn).parameters

    def node(state: JobState, runtime: Any) -> dict[str, Any]:
        start = time.perf_counter()
        update = fn(state, runtime) if wants_runtime else fn(state)
        return {**update, "timings_ms": {name: round((time.perf_counter() - start) * 1e3, 2)}}

    node.__name__ = name
    return node


def build_graph(checkpointer: Checkpointer = None) -> Any:
    graph = StateGraph(JobState, context_schema=GraphContext)
    for name, fn, _ in STEPS:
        graph.add_node(name, _timed(name, fn))
    graph.add_edge(START, "ingest")
    graph.add_edge("ingest", "screen_documents")
    graph.add_edge("screen_documents", "redact")
    graph.add_edge("redact", "retrieve")
    graph.add_edge("retrieve", "summarize")
    graph.add_edge("summarize", "check_compliance")
    graph.add_conditional_edges("check_compliance", route_after_check,
                                ["finalize", "summarize", "human_review"])
    graph.add_edge("human_review", "finalize")
    graph.add_edge("finalize", END)
    return graph.compile(checkpointer=checkpointer, name="lexgraph-job")
