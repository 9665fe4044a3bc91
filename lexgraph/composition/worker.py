"""A worker's per-process containers (the job runner's, the webhook sender's), built once on
first use."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from lexgraph.adapters.webhooks.http_sender import HttpSender
from lexgraph.composition.database import open_database
from lexgraph.composition.embeddings import make_embedder
from lexgraph.composition.guards import make_guards
from lexgraph.composition.llm import make_llm
from lexgraph.composition.tracing import configure_tracing
from lexgraph.composition.vectorstores import open_vector_store
from lexgraph.core.config.settings import Settings
from lexgraph.core.errors import ConfigError
from lexgraph.core.jobs.audit import GuardAuditLog
from lexgraph.core.jobs.lifecycle import Lifecycle
from lexgraph.core.jobs.usage import UsageStore
from lexgraph.core.llm import LLMClient
from lexgraph.core.llm.metering import MeteredLLM
from lexgraph.core.storage.blobs import LocalBlobStore
from lexgraph.core.storage.orphans import OrphanSweep
from lexgraph.core.webhooks import Deliverer, Relay, UrlGuard
from lexgraph.graphs.builder import build_graph
from lexgraph.graphs.checkpointer import checkpoint_key, open_checkpointer
from lexgraph.graphs.runner import JobRunner
from lexgraph.graphs.state import GraphContext

# Every tool an agent of the job graph is given; any other name is refused by the guard.
AGENT_TOOLS = ("search_passages", "verify_citations", "scan_pii", "check_policy")


@dataclass
class WorkerServices:
    settings: Settings
    lifecycle: Lifecycle
    runner: JobRunner
    close: Any
    orphans: OrphanSweep | None = None


_lock = threading.Lock()
# One container per distinct configuration: a process that serves two Settings (tests, or a
# CLI that runs a job against another data dir) must not get the first one's database.
_services: dict[str, WorkerServices] = {}


def _agent_llm(settings: Settings, engine: Engine) -> LLMClient | None:
    """The agents' model: in this process, or on GPU workers through the inference queue;
    metered either way, so every call's tokens are stored against its job and tenant."""
    if settings.llm_backend == "none":
        return None
    llm: LLMClient | None
    if settings.inference_mode == "queue":
        reply_url = settings.resolved_reply_url
        if reply_url is None:
            raise ConfigError("LEXGRAPH_INFERENCE_MODE=queue needs a Redis broker "
                              "(LEXGRAPH_BROKER_URL=redis://…) to carry results back")
        from lexgraph.workers.celery_app import make_celery
        from lexgraph.workers.inference_client import QueuedLLM

        llm = QueuedLLM(make_celery(settings),
                        settings.llm_served_name or settings.llm_model or settings.llm_backend,
                        timeout_s=settings.inference_timeout_seconds,
                        max_attempts=settings.inference_max_attempts, reply_url=reply_url)
    else:
        llm = make_llm(settings)
    if llm is None:
        return None
    return MeteredLLM(llm, UsageStore(engine, settings).record)


def get_services(settings: Settings) -> WorkerServices:
    key = settings.model_dump_json()
    with _lock:
        found = _services.get(key)
        if found is None:
            configure_tracing(settings)
            engine = open_database(settings)
            lifecycle = Lifecycle(engine, settings.job_lease_seconds,
                                  max_running_per_tenant=settings.tenant_max_running_jobs,
                                  fair=True)
            saver, close_saver = open_checkpointer(settings.resolved_checkpoint_url,
                                                   key=checkpoint_key(settings))
            vectors = open_vector_store(settings)
            guards = make_guards(settings, AGENT_TOOLS)
            context = GraphContext(settings=settings,
                                   blobs=LocalBlobStore(settings.resolved_blob_dir),
                                   embedder=make_embedder(settings), vectors=vectors,
                                   guard=guards.tools, llm=_agent_llm(settings, engine),
                                   screener=guards.documents,
                                   audit=GuardAuditLog(engine).append)
            runner = JobRunner(build_graph(saver), lifecycle, context)

            def close() -> None:
                close_saver()
                vectors.close()
                closer = getattr(context.llm, "close", None)
                if callable(closer):
                    closer()
                engine.dispose()

            orphans = OrphanSweep(engine, context.blobs,
                                  grace_seconds=settings.orphan_upload_grace_seconds,
                                  interval_seconds=settings.orphan_sweep_interval_seconds)
            found = WorkerServices(settings, lifecycle, runner, close, orphans)
            _services[key] = found
        return found


@dataclass
class WebhookServices:
    relay: Relay
    deliverer: Deliverer
    close: Any


# Kept apart from the orchestrator's container: a webhooks-only worker needs neither the graph
# nor the checkpointer.
_webhook_services: dict[str, WebhookServices] = {}


def get_webhook_services(settings: Settings) -> WebhookServices:
    key = settings.model_dump_json()
    with _lock:
        found = _webhook_services.get(key)
        if found is None:
            engine = open_database(settings)
            guard = UrlGuard(settings.webhook_allowed_network_list)
            deliverer = Deliverer(engine, settings, HttpSender(settings, guard))

            def close() -> None:
                deliverer.close()
                engine.dispose()

            found = WebhookServices(Relay(engine, settings), deliverer, close)
            _webhook_services[key] = found
        return found


def stop_runners() -> None:
    """Ask every job runner of this process to give its jobs back after the current node."""
    with _lock:
        for found in _services.values():
            found.runner.stopping.set()


def close_services() -> None:
    """Close every cached container (database pools, checkpointer connections)."""
    with _lock:
        built: list[WorkerServices | WebhookServices] = [*_services.values(),
                                                          *_webhook_services.values()]
        _services.clear()
        _webhook_services.clear()
    for services in built:
        services.close()
