"""Run one job through the graph: claim, resume from the last checkpoint, report, complete."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from langgraph.types import Command

from lexgraph.core.errors import JobError
from lexgraph.core.identity import worker_identity
from lexgraph.core.jobs.lifecycle import ClaimedJob, Lifecycle
from lexgraph.core.llm.metering import metered
from lexgraph.core.observability import metrics
from lexgraph.core.observability.logcontext import log_context
from lexgraph.core.outages import outage_of
from lexgraph.core.tracing import JobTrace, continue_trace, get_tracer
from lexgraph.graphs.builder import PROGRESS
from lexgraph.graphs.interrupts import AttemptStopped, StopWatch, watching
from lexgraph.graphs.state import DocumentInput, GraphContext, JobState

log = logging.getLogger(__name__)


class _Heartbeat:
    """Keeps the lease fresh while a node runs; notices cancellation between beats."""

    def __init__(self, lifecycle: Lifecycle, job_id: str, owner: str, every: float) -> None:
        self._stop = threading.Event()
        self.lost = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(lifecycle, job_id, owner, every),
                                        daemon=True, name=f"heartbeat-{job_id}")

    def _run(self, lifecycle: Lifecycle, job_id: str, owner: str, every: float) -> None:
        while not self._stop.wait(every):
            try:
                if not lifecycle.heartbeat(job_id, owner):
                    self.lost.set()
                    return
            except Exception:  # a database hiccup must not kill the job; the lease is long
                log.warning("heartbeat for %s failed", job_id, exc_info=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


class JobRunner:
    def __init__(self, graph: Any, lifecycle: Lifecycle, context: GraphContext) -> None:
        self.graph = graph
        self.lifecycle = lifecycle
        self.context = context
        # Set when the worker stops gracefully: running jobs give their lease back after the
        # node in progress, so another worker resumes them at once.
        self.stopping = threading.Event()

    def run(self, job_id: str, owner: str | None = None) -> str:
        """Run or resume ``job_id``; returns what happened (for logs and tests)."""
        owner = owner or worker_identity()
        claimed = self._claim(job_id, owner)
        if claimed is None:
            return f"skipped: {self.lifecycle.status(job_id) or 'unknown job'}"
        if claimed.id != job_id:
            # A fairer choice: another tenant's job runs, and this one waits for a resend.
            log.info("job %s waits; job %s of a tenant running fewer jobs goes first", job_id,
                     claimed.id)
            job_id = claimed.id
        # Every attempt (first run, resume after a crash or after review) is one child of the
        # job's root run, so the job stays one tree however many workers it took.
        trace = JobTrace.from_state(claimed.trace)
        with (log_context(job_id=job_id, tenant=claimed.tenant_id, attempt=claimed.attempt,
                          trace_id=trace.run_id if trace else None),
              continue_trace(trace.headers if trace else None, f"attempt {claimed.attempt}",
                             job_id=job_id, attempt=claimed.attempt, worker=owner) as span):
            outcome = self._run_claimed(claimed, owner)
            span.finish({"outcome": outcome})
        metrics.job_finished(job_id, claimed.profile, outcome)
        if outcome == "succeeded" or outcome.startswith("failed"):
            get_tracer().end_job(trace, "succeeded" if outcome == "succeeded" else "failed",
                                 error=None if outcome == "succeeded" else outcome)
        return outcome

    def _claim(self, job_id: str, owner: str) -> ClaimedJob | None:
        # The message is acknowledged however the task ends; a claim lost to a database
        # outage would leave the job for the sweeper's redispatch. Wait for the database
        # instead, as long as a lease would last.
        deadline = time.monotonic() + self.context.settings.job_lease_seconds
        delay = 0.25
        while True:
            try:
                return self.lifecycle.claim(job_id, owner)
            except Exception as exc:
                if outage_of(exc) is None or time.monotonic() + delay > deadline:
                    raise
                log.warning("job %s: the %s is unavailable; claiming again in %.2f s", job_id,
                            outage_of(exc), delay)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _run_claimed(self, claimed: ClaimedJob, owner: str) -> str:
        job_id = claimed.id
        settings = self.context.settings
        every = max(0.2, settings.job_lease_seconds / 4)
        try:
            with (_Heartbeat(self.lifecycle, job_id, owner, every) as beat,
                  metered(job_id, claimed.tenant_id),
                  watching(StopWatch(beat.lost,
                                     lambda: self.lifecycle.owns(job_id, owner)))):
                outcome = self._drive(claimed, owner, beat)
        except AttemptStopped:
            log.info("job %s stopped inside a node: cancelled or taken over", job_id)
            return "stopped: cancelled or taken over"
        except Exception as exc:
            service = outage_of(exc)
            if service is not None:
                return self._after_outage(claimed, owner, service, exc)
            if isinstance(exc, JobError):
                self.lifecycle.fail(job_id, owner, exc.code, exc.message)
                return f"failed: {exc.code}"
            log.exception("job %s crashed", job_id)
            self.lifecycle.fail(job_id, owner, "internal_error",
                                f"the job stopped on an unexpected error ({type(exc).__name__}); "
                                "the operators' logs have the details")
            return "failed: internal_error"
        return outcome

    def _after_outage(self, job: ClaimedJob, owner: str, service: str, exc: Exception) -> str:
        """Back to the queue, to resume from the last checkpoint once the service is back."""
        settings = self.context.settings
        log.warning("job %s: the %s is unavailable (%s: %s); it goes back to the queue",
                    job.id, service, type(exc).__name__, str(exc)[:300])
        code = exc.code if isinstance(exc, JobError) else (
            service.replace(" ", "_") + "_unavailable")
        message = (f"the {service} was unavailable ({type(exc).__name__}) on "
                   f"{settings.job_retry_limit + 1} attempts; the job stopped after its last "
                   "completed step. Submit it again once the service is back.")
        # The outage may be the jobs database itself: keep trying to record the retry for as
        # long as the lease would have held. Past that, the sweeper hands the job to another
        # worker anyway, as it does for a worker that died.
        deadline = time.monotonic() + settings.job_lease_seconds
        delay = 0.25
        while True:
            try:
                done = self.lifecycle.requeue_after_outage(
                    job.id, owner, code=code, message=message, limit=settings.job_retry_limit,
                    backoff=settings.job_retry_backoff_seconds,
                    backoff_max=settings.job_retry_backoff_max_seconds)
            except Exception as again:
                if outage_of(again) is None or time.monotonic() + delay > deadline:
                    log.warning("job %s could not be put back on the queue; it is resent once "
                                "its lease lapses", job.id, exc_info=True)
                    return f"stopped: {service} unavailable"
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            if done is None:
                return "stopped: cancelled or taken over"
            return f"failed: {code}" if done == "failed" else f"requeued: {service} unavailable"

    def _drive(self, job: ClaimedJob, owner: str, beat: _Heartbeat) -> str:
        config: dict[str, Any] = {"configurable": {"thread_id": job.id}}
        snapshot = self.graph.get_state(config)
        graph_input: Any
        if snapshot.interrupts:
            if job.review is None:
                # Sent again while still waiting for a reviewer: park it again.
                return self._park(job, owner, snapshot)
            graph_input = Command(resume=job.review)
        elif snapshot.values and not snapshot.next:
            graph_input = None  # finished earlier; only the commit is missing
        elif snapshot.values:
            graph_input = None  # resume after the last checkpointed node
            log.info("job %s resumes before %s", job.id, snapshot.next)
        else:
            graph_input = JobState(
                job_id=job.id, tenant_id=job.tenant_id, matter=job.matter,
                matter_id=job.matter_id, profile=job.profile, length=job.length,
                instructions=job.instructions, timings_ms={}, usage=[], guard_log=[],
                revisions=0, compliance=None, review=None,
                inputs=[DocumentInput(id=d.id, filename=d.filename, media_type=d.media_type,
                                      blob_key=d.blob_key, pages=d.pages, size=d.size)
                        for d in job.documents],
            )
        if snapshot.values and not self._report_checkpointed(job, owner, config, snapshot):
            return "stopped: cancelled or taken over"
        if graph_input is not None or snapshot.next:
            for update in self.graph.stream(graph_input, config, context=self.context,
                                            stream_mode="updates", durability="sync"):
                for node, values in update.items():
                    if node.startswith("__"):
                        continue  # the interrupt marker, handled below
                    timing = (values or {}).get("timings_ms", {}).get(node)
                    metrics.node_finished(node, timing)
                    log.info("job %s: %s done", job.id, node,
                             extra={"node": node, "duration_ms": timing})
                    if not self.lifecycle.progress(job.id, owner, stage=node,
                                                   progress=PROGRESS.get(node, 0.0),
                                                   node=node, duration_ms=timing,
                                                   attempt=job.attempt):
                        return "stopped: cancelled or taken over"
                if beat.lost.is_set():
                    return "stopped: cancelled or taken over"
                if self.context.settings.node_pause_seconds:
                    self.stopping.wait(self.context.settings.node_pause_seconds)
                if self.stopping.is_set():
                    if not self.lifecycle.release(job.id, owner):
                        return "stopped: cancelled or taken over"
                    return "released: the worker is stopping"
        snapshot = self.graph.get_state(config)
        if snapshot.interrupts:
            return self._park(job, owner, snapshot)
        final = snapshot.values
        # Timings come from the state, not the finalize node, so finalize's own time is in.
        body = {**final["result"], "timings_ms": dict(final.get("timings_ms", {}))}
        if not self.lifecycle.complete(job.id, owner, body, final["markdown"]):
            return "stopped: cancelled or taken over"
        return "succeeded"

    def _report_checkpointed(self, job: ClaimedJob, owner: str, config: dict[str, Any],
                             snapshot: Any) -> bool:
        """Emit the progress events of nodes that were checkpointed but never reported.

        A node's checkpoint is written before its ``job.progress`` event; a worker that died
        in between leaves a node that will not run again and so would never be reported. The
        checkpoint history says which nodes ran, in order (each checkpoint's ``next`` ran to
        make the following one); the events say which were reported. False when the job is no
        longer this worker's.
        """
        ran: list[str] = []
        history = list(self.graph.get_state_history(config))  # newest first
        for older in reversed(history[1:]):
            ran.extend(name for name in older.next if not name.startswith("__"))
        reported: dict[str, int] = {}
        for node in self.lifecycle.progress_nodes(job.id):
            reported[node] = reported.get(node, 0) + 1
        seen: dict[str, int] = {}
        timings = dict((snapshot.values or {}).get("timings_ms") or {})
        for node in ran:
            seen[node] = seen.get(node, 0) + 1
            if seen[node] <= reported.get(node, 0):
                continue
            log.info("job %s: reporting checkpointed node %s", job.id, node)
            if not self.lifecycle.progress(job.id, owner, stage=node,
                                           progress=PROGRESS.get(node, 0.0), node=node,
                                           duration_ms=timings.get(node), attempt=job.attempt,
                                           recovered=True):
                return False
        return True

    def _park(self, job: ClaimedJob, owner: str, snapshot: Any) -> str:
        request = dict(snapshot.interrupts[0].value or {})
        if not self.lifecycle.needs_review(job.id, owner, request):
            return "stopped: cancelled or taken over"
        return "needs_review"
