"""The Prometheus series of lexgraph, and one small recording function per event.

Label values come only from bounded sets: profiles, statuses, node and agent names, the
configured model, route templates. Never ids, paths with ids, tenants' free text or
document content. Each recording function swallows its own errors: losing a sample must not
fail a job or a request.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from prometheus_client import Counter, Histogram

from lexgraph.core.utc import as_utc

log = logging.getLogger(__name__)

# Seconds; from a fast node (tens of milliseconds) to a long job on a slow model (an hour).
_SLOW = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
_FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

JOBS_SUBMITTED = Counter("lexgraph_jobs_submitted", "Jobs accepted by the API.", ["profile"])
JOBS_FINISHED = Counter(
    "lexgraph_jobs_finished", "Job attempts that reached an end state (needs_review parks the "
    "job until a reviewer decides).", ["status", "profile"])
JOB_DURATION = Histogram(
    "lexgraph_job_duration_seconds", "From submission to the end state, queueing included.",
    ["status", "profile"], buckets=_SLOW)
NODE_DURATION = Histogram("lexgraph_node_duration_seconds", "Time in one graph node.",
                          ["node"], buckets=_SLOW)
SWEEPER_RESENDS = Counter("lexgraph_sweeper_resends",
                          "Jobs the sweeper sent to the queue again (never sent, lease lapsed, "
                          "broker restarted, back from an outage).")

WEBHOOK_DELIVERIES = Counter(
    "lexgraph_webhook_deliveries", "Webhook delivery attempts by what came of them: "
    "succeeded, retry, failed (retries exhausted), gone (410), lease_lost.", ["outcome"])
WEBHOOK_ATTEMPT_DURATION = Histogram(
    "lexgraph_webhook_attempt_duration_seconds", "One POST to a receiver, by status class.",
    ["status_class"], buckets=_FAST)
WEBHOOK_LAG = Histogram(
    "lexgraph_webhook_delivery_lag_seconds",
    "From the job event to its successful delivery, retries included.", buckets=_SLOW)
WEBHOOK_ENDPOINTS_DISABLED = Counter(
    "lexgraph_webhook_endpoints_disabled", "Endpoints switched off because the receiver "
    "answered 410 Gone.")

LLM_CALLS = Counter("lexgraph_llm_calls", "Completions made by agents.", ["agent", "model"])
LLM_TOKENS = Counter("lexgraph_llm_tokens", "Tokens of agents' completions.",
                     ["agent", "model", "kind"])
LLM_LATENCY = Histogram("lexgraph_llm_latency_seconds", "One completion, queueing included.",
                        ["agent", "model"], buckets=_SLOW)

GUARD_DECISIONS = Counter("lexgraph_guard_decisions", "Guard screenings of tool calls and "
                          "their results.", ["layer", "stage", "action"])

HTTP_REQUESTS = Counter("lexgraph_http_requests", "API requests by route template.",
                        ["method", "route", "status"])
HTTP_DURATION = Histogram("lexgraph_http_request_duration_seconds",
                          "API request latency by route template.", ["method", "route"],
                          buckets=_FAST)

# Names as they appear in the exposition (counters gain _total); the dashboard test checks
# every query against this list and the collectors' names.
SERIES = (
    "lexgraph_jobs_submitted_total", "lexgraph_jobs_finished_total",
    "lexgraph_job_duration_seconds", "lexgraph_node_duration_seconds",
    "lexgraph_sweeper_resends_total", "lexgraph_webhook_deliveries_total",
    "lexgraph_webhook_attempt_duration_seconds", "lexgraph_webhook_delivery_lag_seconds",
    "lexgraph_webhook_endpoints_disabled_total", "lexgraph_llm_calls_total",
    "lexgraph_llm_tokens_total", "lexgraph_llm_latency_seconds",
    "lexgraph_guard_decisions_total", "lexgraph_http_requests_total",
    "lexgraph_http_request_duration_seconds",
)

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def id_seconds(object_id: str) -> float | None:
    """When an id of ``core.ids.new_id`` was made (its 48-bit millisecond clock)."""
    body = object_id.rpartition("_")[2]
    if len(body) != 26:
        return None
    value = 0
    for char in body:
        digit = _ALPHABET.find(char)
        if digit < 0:
            return None
        value = value * 32 + digit
    return (value >> 80) / 1000


def job_submitted(profile: str) -> None:
    JOBS_SUBMITTED.labels(profile=profile).inc()


def job_finished(job_id: str, profile: str, outcome: str) -> None:
    """``outcome`` as the runner reports it; only end states count."""
    status = "failed" if outcome.startswith("failed") else outcome
    if status not in ("succeeded", "failed", "needs_review"):
        return
    try:
        JOBS_FINISHED.labels(status=status, profile=profile).inc()
        started = id_seconds(job_id)
        if started is not None:
            JOB_DURATION.labels(status=status, profile=profile).observe(
                max(0.0, time.time() - started))
    except Exception:
        log.debug("job metric not recorded", exc_info=True)


def node_finished(node: str, duration_ms: float | None) -> None:
    if duration_ms is not None:
        NODE_DURATION.labels(node=node).observe(duration_ms / 1000)


def sweeper_resent(count: int) -> None:
    if count:
        SWEEPER_RESENDS.inc(count)


def webhook_attempt(status_code: int | None, duration_ms: float) -> None:
    status_class = f"{status_code // 100}xx" if status_code else "error"
    WEBHOOK_ATTEMPT_DURATION.labels(status_class=status_class).observe(duration_ms / 1000)


def webhook_outcome(outcome: str, event_at: datetime | None = None) -> None:
    """``outcome`` as ``Deliverer`` reports it; a success also records the event's lag."""
    label = ("retry" if outcome.startswith("retry") else
             "lease_lost" if outcome.endswith("lease lost") else outcome)
    WEBHOOK_DELIVERIES.labels(outcome=label).inc()
    if label == "succeeded" and event_at is not None:
        lag = (datetime.now(UTC) - as_utc(event_at)).total_seconds()
        WEBHOOK_LAG.observe(max(0.0, lag))
    if label == "gone":
        WEBHOOK_ENDPOINTS_DISABLED.inc()


def llm_call(agent: str, model: str, prompt_tokens: int, completion_tokens: int,
             seconds: float) -> None:
    try:
        LLM_CALLS.labels(agent=agent, model=model).inc()
        LLM_TOKENS.labels(agent=agent, model=model, kind="prompt").inc(prompt_tokens)
        LLM_TOKENS.labels(agent=agent, model=model, kind="completion").inc(completion_tokens)
        LLM_LATENCY.labels(agent=agent, model=model).observe(seconds)
    except Exception:
        log.debug("LLM metric not recorded", exc_info=True)


def guard_decision(layer: str, stage: str, action: str) -> None:
    GUARD_DECISIONS.labels(layer=layer, stage=stage, action=action).inc()


# The labelled series of each (method, route, status) seen: ``labels()`` takes a lock and
# builds its key on every call, and each API request needs two. Bounded like the series
# themselves (methods x route templates x statuses).
_HTTP_SERIES: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}


def http_request(method: str, route: str, status: int, seconds: float) -> None:
    series = _HTTP_SERIES.get((method, route, status))
    if series is None:
        series = _HTTP_SERIES[(method, route, status)] = (
            HTTP_REQUESTS.labels(method=method, route=route, status=str(status)),
            HTTP_DURATION.labels(method=method, route=route))
    series[0].inc()
    series[1].observe(seconds)
