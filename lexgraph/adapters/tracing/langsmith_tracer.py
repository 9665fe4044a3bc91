"""The LangSmith adapter: one configured ``Client`` per process carries every run.

Why one client passed explicitly, rather than LangSmith's environment switches: the client
holds the content policy (the anonymizer, or hidden inputs and outputs), so every upload must
go through it. At start the adapter sets LangSmith's global switch off and its global client
to this one; runs are traced only inside ``continue_trace`` (which turns tracing on in that
context, for LangGraph's callbacks too) and the job's own root run. ``LANGSMITH_TRACING`` or
``LANGCHAIN_TRACING_V2`` in the environment therefore cannot start a second, unmasked trace.

LangSmith being slow or hung must not hold up lexgraph: calls made while someone waits (the
feedback request, the project lookup behind trace links) go through a second client with a
short timeout and a single attempt, and feedback that could not be sent is retried in the
background; uploads stay on the batching client's background threads, which are daemon
threads, so that shutdown waits on them only for ``FLUSH_SECONDS``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from lexgraph.core.config.settings import Settings
from lexgraph.core.tracing.anonymize import TraceAnonymizer
from lexgraph.core.tracing.base import JobTrace, OpenedJob, RunType, root_run_id
from lexgraph.core.tracing.noop import NO_SPAN
from lexgraph.core.utc import as_utc

log = logging.getLogger(__name__)

ROOT_NAME = "job"
TRACE_HEADER = "langsmith-trace"
# Connect and read timeouts (ms) of calls made while a request waits on them.
QUICK_TIMEOUT_MS = (2_000, 3_000)
# Uploads run in the background; a read this long means the endpoint is not answering.
UPLOAD_TIMEOUT_MS = (5_000, 20_000)
FLUSH_SECONDS = 5.0
# How long a feedback request waits for LangSmith's answer before saying it was not sent.
FEEDBACK_WAIT_SECONDS = 4.0
# Seconds after the failed attempt at which feedback is sent again.
FEEDBACK_RETRIES = (10.0, 60.0, 300.0)
_HOSTED_API = ("api.smith.langchain.com", "eu.api.smith.langchain.com")


def project_name(settings: Settings) -> str:
    """``LEXGRAPH_LANGSMITH_PROJECT`` when set, else the SDK's own ``LANGSMITH_PROJECT`` (or
    its older ``LANGCHAIN_PROJECT``), else the default."""
    if "langsmith_project" in settings.model_fields_set:
        return settings.langsmith_project
    return (os.environ.get("LANGSMITH_PROJECT") or os.environ.get("LANGCHAIN_PROJECT")
            or settings.langsmith_project)


def ui_base_url(api_url: str, ui_url: str | None = None) -> str:
    """The LangSmith UI for trace links: ``ui_url`` when given; the hosted UI for the hosted
    API; otherwise the endpoint itself (scheme, host and port) without its API path, which is
    where a self-hosted LangSmith serves its UI."""
    if ui_url:
        return ui_url.rstrip("/")
    parts = urlsplit(api_url)
    if parts.hostname and parts.hostname.endswith("smith.langchain.com"):
        from langsmith import utils as ls_utils

        hosted: str = ls_utils.get_host_url(None, api_url)
        return hosted.rstrip("/")
    path = parts.path.rstrip("/")
    for suffix in ("/api/v1", "/api"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            break
    return urlunsplit((parts.scheme, parts.netloc, path, "", "")).rstrip("/")


def disable_ambient_tracing() -> None:
    """Turn LangSmith's process-wide switch off, whatever the environment says."""
    import langsmith

    langsmith.configure(enabled=False)


def _baggage(header: str) -> tuple[dict[str, Any], list[str]]:
    """The root run's metadata and tags from its ``baggage`` header, so that closing it from
    another process sends them again rather than blanks."""
    metadata: dict[str, Any] = {}
    tags: list[str] = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "langsmith-metadata":
            try:
                loaded = json.loads(unquote(value))
            except ValueError:
                continue
            if isinstance(loaded, dict):
                metadata = loaded
        elif key == "langsmith-tags" and value:
            tags = [tag for tag in unquote(value).split(",") if tag]
    return metadata, tags


class _RunSpan:
    def __init__(self, run: Any) -> None:
        self.run = run

    def finish(self, outputs: Mapping[str, Any] | None = None, **metadata: Any) -> None:
        if outputs is not None:
            self.run.add_outputs(dict(outputs))
        if metadata:
            self.run.add_metadata(metadata)

    def finish_llm(self, text: str, *, model: str | None = None, prompt_tokens: int = 0,
                   completion_tokens: int = 0, finish_reason: str | None = None) -> None:
        usage = {"input_tokens": prompt_tokens, "output_tokens": completion_tokens,
                 "total_tokens": prompt_tokens + completion_tokens}
        message = {"role": "assistant", "content": text}
        self.run.add_outputs({"choices": [{"message": message,
                                           "finish_reason": finish_reason}],
                              "usage_metadata": usage})
        self.run.set(usage_metadata=usage)
        if model:
            self.run.add_metadata({"ls_model_name": model})

    def close(self, error: str | None = None) -> None:
        try:
            self.run.end(error=error)
            self.run.patch()
        except Exception:
            log.warning("could not close the %s run", self.run.name, exc_info=True)



class LangSmithTracer:
    enabled = True

    def __init__(self, settings: Settings, *, api_key: str, api_url: str | None) -> None:
        import langsmith
        from langsmith import Client
        from urllib3.util.retry import Retry

        from lexgraph.core.pii import get_detector

        self.settings = settings
        self.project = project_name(settings)
        self.content = settings.trace_content
        self.anonymizer = TraceAnonymizer(lambda: get_detector(settings))
        options: dict[str, Any] = {}
        if self.content == "redacted":
            options["anonymizer"] = self.anonymizer
        elif self.content == "none":
            options.update(hide_inputs=True, hide_outputs=True,
                           hide_metadata=self.anonymizer)
        # The SDK starts its upload threads in the constructor, as daemon threads only when
        # this is set: otherwise they hold the process at exit for as long as a hung endpoint
        # takes to time out, whatever flush() allowed.
        os.environ.setdefault("LANGSMITH_USE_DAEMON", "true")
        self.client = Client(api_url=api_url, api_key=api_key,
                             timeout_ms=UPLOAD_TIMEOUT_MS, **options)
        self.quick = Client(api_url=api_url, api_key=api_key, timeout_ms=QUICK_TIMEOUT_MS,
                            auto_batch_tracing=False,
                            retry_config=Retry(total=0, raise_on_status=False))
        langsmith.configure(client=self.client, enabled=False, project_name=self.project)
        self._project_lock = threading.Lock()
        self._project_ready = threading.Event()
        self._project_id: str | None = None
        self._project_url: str | None = None
        self._waited = False
        self.feedback_retries: tuple[float, ...] = FEEDBACK_RETRIES
        self.feedback_wait = FEEDBACK_WAIT_SECONDS
        # Root runs are queued from here rather than from the submitting request: the
        # anonymizer runs when a run is queued, and a request must not wait for it.
        self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="langsmith")
        self._next_try = 0.0  # monotonic time before which no lookup is tried again
        if settings.langsmith_project_url:
            self._project_url = settings.langsmith_project_url.rstrip("/")
            marker = "/projects/p/"
            if marker in self._project_url:
                candidate = self._project_url.split(marker, 1)[1].split("/", 1)[0]
                with suppress(ValueError):
                    self._project_id = str(uuid.UUID(candidate))
            self._project_ready.set()

    def warm_up(self) -> None:
        """Load the personal-data recognizers now rather than on the first upload."""
        if self.content != "full":
            try:
                self.anonymizer({"warm": "up"})
            except Exception:
                log.warning("could not load the trace anonymizer", exc_info=True)

    # The project's address, for links and feedback --------------------------------------

    def resolve_project(self) -> None:
        """Look the project up (creating it when new) once; run in a background thread at
        start so that no request waits on LangSmith. After a failure, no new lookup for a
        minute."""
        if not self._project_lock.acquire(blocking=False):
            return  # a lookup is under way
        try:
            if self._project_ready.is_set() or time.monotonic() < self._next_try:
                return
            self._next_try = time.monotonic() + 60.0
            try:
                from langsmith.utils import LangSmithNotFoundError

                try:
                    project = self.quick.read_project(project_name=self.project)
                except LangSmithNotFoundError:
                    project = self.quick.create_project(self.project, upsert=True)
                ui = ui_base_url(self.client.api_url, self.settings.langsmith_ui_url)
                self._project_id = str(project.id)
                self._project_url = f"{ui}/o/{project.tenant_id}/projects/p/{project.id}"
            except Exception:
                log.warning("could not look up LangSmith project %r; job trace links are "
                             "left out until it can be", self.project, exc_info=True)
                return
            self._project_ready.set()
        finally:
            self._project_lock.release()

    def _run_url(self, run_id: uuid.UUID, start: datetime) -> str | None:
        if not self._project_ready.is_set():
            if not self._waited:
                # Only the first submission of a process may wait, briefly, for the lookup
                # started with the process; later ones never wait on LangSmith.
                self._waited = True
                self._project_ready.wait(2.0)
            if not self._project_ready.is_set():
                threading.Thread(target=self.resolve_project, daemon=True,
                                 name="langsmith-project").start()
                return None
        if self._project_url is None:
            return None
        stamp = start.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return f"{self._project_url}/r/{run_id}?trace_id={run_id}&start_time={stamp}"

    # The job's root run -----------------------------------------------------------------

    def open_job(self, job_id: str, *, created_at: datetime, inputs: Mapping[str, Any],
                 metadata: Mapping[str, Any], tags: Sequence[str]) -> OpenedJob | None:
        from langsmith.run_trees import RunTree

        run_id = root_run_id(job_id)
        start = as_utc(created_at)
        root = RunTree(id=run_id, trace_id=run_id, name=ROOT_NAME, run_type="chain",
                       start_time=start, inputs=dict(inputs),
                       extra={"metadata": {"job_id": job_id, **metadata}},
                       tags=list(tags), project_name=self.project, client=self.client)
        trace = JobTrace(run_id=str(run_id), headers=root.to_headers(),
                         url=self._run_url(run_id, start))

        def send() -> None:
            try:
                root.post()
            except Exception:
                log.warning("could not queue the root run of %s", job_id, exc_info=True)

        def post() -> None:
            self._background.submit(send)

        return OpenedJob(trace=trace, post=post)

    def end_job(self, trace: JobTrace | None, status: str, *,
                error: str | None = None) -> None:
        if trace is None:
            return
        # Same queue as the root run's post: in a process that opened it (a cancel in the
        # API), the close must not overtake the open.
        self._background.submit(self._close_root, trace, status, error,
                                datetime.now(UTC))

    def _close_root(self, trace: JobTrace, status: str, error: str | None,
                    ended: datetime) -> None:
        try:
            from langsmith.run_trees import RunTree

            dotted = trace.headers[TRACE_HEADER]
            first = dotted.split(".", 1)[0]
            start = datetime.strptime(first[:-36], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
            run_id = uuid.UUID(trace.run_id)
            metadata, tags = _baggage(trace.headers.get("baggage", ""))
            root = RunTree(id=run_id, trace_id=run_id, dotted_order=dotted, name=ROOT_NAME,
                           run_type="chain", start_time=start, project_name=self.project,
                           client=self.client, outputs={"status": status},
                           extra={"metadata": metadata}, tags=tags)
            root.end(error=error, end_time=ended)
            root.patch(exclude_inputs=True)
        except Exception:
            log.warning("could not close the root run %s", trace.run_id, exc_info=True)

    # Runs in a worker -------------------------------------------------------------------

    @contextmanager
    def continue_trace(self, headers: Mapping[str, str] | None, name: str,
                       **metadata: Any) -> Iterator[Any]:
        if not headers or TRACE_HEADER not in headers:
            yield NO_SPAN
            return
        from langsmith.run_helpers import trace, tracing_context

        with (tracing_context(enabled=True, client=self.client, project_name=self.project),
              trace(name, "chain", parent=dict(headers), client=self.client,
                    metadata=metadata) as run):
            yield _RunSpan(run)

    def current_headers(self) -> dict[str, str]:
        from langsmith.run_helpers import get_current_run_tree

        run = get_current_run_tree()
        if run is None:
            return {}
        headers: dict[str, str] = run.to_headers()
        return headers

    @contextmanager
    def span(self, name: str, run_type: RunType = "chain", *,
             inputs: Mapping[str, Any] | None = None, **metadata: Any) -> Iterator[Any]:
        from langsmith.run_helpers import get_current_run_tree, trace

        parent = get_current_run_tree()
        if parent is None:
            yield NO_SPAN
            return
        with trace(name, run_type, inputs=dict(inputs or {}), parent=parent,
                   client=self.client, metadata=metadata) as run:
            yield _RunSpan(run)

    @contextmanager
    def llm_span(self, name: str, *, model: str, messages: Sequence[Mapping[str, str]],
                 **metadata: Any) -> Iterator[Any]:
        with self.span(name, "llm", inputs={"messages": [dict(m) for m in messages]},
                       ls_provider="lexgraph", ls_model_name=model,
                       **metadata) as span:
            yield span

    def open_span(self, name: str, run_type: RunType = "chain", *,
                  inputs: Mapping[str, Any] | None = None, **metadata: Any) -> Any:
        try:
            from langsmith.run_helpers import get_current_run_tree

            parent = get_current_run_tree()
            if parent is None:
                return NO_SPAN
            child = parent.create_child(name, run_type, inputs=dict(inputs or {}),
                                        extra={"metadata": metadata})
            child.post()
            return _RunSpan(child)
        except Exception:
            log.warning("could not open the %s run", name, exc_info=True)
            return NO_SPAN

    def record(self, name: str, run_type: RunType, *, inputs: Mapping[str, Any],
               outputs: Mapping[str, Any], **metadata: Any) -> None:
        try:
            from langsmith.run_helpers import get_current_run_tree

            parent = get_current_run_tree()
            if parent is None:
                return
            child = parent.create_child(name, run_type, inputs=dict(inputs),
                                        extra={"metadata": metadata})
            child.end(outputs=dict(outputs))
            child.post()
        except Exception:
            log.warning("could not record the %s run", name, exc_info=True)

    # Feedback and shutdown --------------------------------------------------------------

    def feedback(self, trace: JobTrace | None, *, key: str, score: float,
                 comment: str | None, correction: str | None,
                 feedback_id: uuid.UUID | None = None,
                 on_sent: Callable[[], None] | None = None) -> bool:
        if trace is None:
            return False
        if self.content == "redacted":
            comment = self.anonymizer.text(comment) if comment else comment
            correction = self.anonymizer.text(correction) if correction else correction
        elif self.content == "none":
            comment = correction = None
        if not self._project_ready.is_set():
            # The project id only saves LangSmith a lookup; the run id locates the run, so
            # the request does not wait for it.
            threading.Thread(target=self.resolve_project, daemon=True,
                             name="langsmith-project").start()
        feedback = {"run_id": trace.run_id, "key": key, "score": score, "comment": comment,
                    "correction": correction,
                    "feedback_id": feedback_id or uuid.uuid4()}
        # The attempt runs beside the request, which waits for it only so long: the SDK may
        # make more than one call (its server information first), each with its own timeout.
        # Whichever side comes second under the lock reports the success: the request when
        # the attempt finished in time, ``on_sent`` when it finished after the answer went.
        outcome: list[bool] = []
        answered = [False]
        lock = threading.Lock()
        done = threading.Event()

        def delivered() -> None:
            if on_sent is None:
                return
            try:
                on_sent()
            except Exception:
                log.warning("could not record that feedback on %s was sent",
                            feedback["run_id"], exc_info=True)

        def attempt() -> None:
            sent = self._send_feedback(feedback)
            with lock:
                outcome.append(sent)
                late = answered[0]
            done.set()
            if sent and late:
                delivered()
            elif not sent:
                self._retry_feedback(feedback, 0, delivered)

        threading.Thread(target=attempt, daemon=True, name="langsmith-feedback").start()
        done.wait(self.feedback_wait)
        with lock:
            answered[0] = True
            return bool(outcome and outcome[0])

    def _send_feedback(self, feedback: Mapping[str, Any]) -> bool:
        options: dict[str, Any] = {}
        if self._project_id is not None:
            options["session_id"] = self._project_id
        correction = feedback["correction"]
        try:
            with warnings.catch_warnings():
                # Without the project id (it could not be looked up) the SDK warns that
                # feedback should name it; the run id still locates the run.
                warnings.simplefilter("ignore")
                self.quick.create_feedback(
                    run_id=feedback["run_id"], trace_id=feedback["run_id"],
                    key=feedback["key"], score=feedback["score"], comment=feedback["comment"],
                    correction={"text": correction} if correction else None,
                    # The same id on every attempt: a retry that follows a lost answer
                    # overwrites rather than duplicates.
                    feedback_id=feedback["feedback_id"], stop_after_attempt=1,
                    # A direct POST /feedback rather than the batched upload queue, so the
                    # answer says whether LangSmith has it.
                    extend_trace_retention=False, **options)
        except Exception:
            log.warning("could not send feedback on %s to LangSmith", feedback["run_id"],
                        exc_info=True)
            return False
        return True

    def _retry_feedback(self, feedback: Mapping[str, Any], attempt: int,
                        delivered: Callable[[], None]) -> None:
        if attempt >= len(self.feedback_retries):
            log.warning("gave up sending feedback on %s to LangSmith", feedback["run_id"])
            return

        def again() -> None:
            if self._send_feedback(feedback):
                delivered()
            else:
                self._retry_feedback(feedback, attempt + 1, delivered)

        timer = threading.Timer(self.feedback_retries[attempt], again)
        timer.daemon = True
        timer.name = "langsmith-feedback"
        timer.start()

    def flush(self, timeout: float = FLUSH_SECONDS) -> None:
        """Send what is buffered, waiting at most ``timeout`` seconds in all."""
        deadline = time.monotonic() + timeout
        try:
            self._background.submit(lambda: None).result(timeout=timeout)
            self.client.flush(timeout=max(0.0, deadline - time.monotonic()))
        except Exception:
            log.warning("could not flush traces within %.0f s", timeout, exc_info=True)
