"""The GPU worker path: ``QueuedLLM`` in this process, a real ``lexgraph worker --queues
inference`` process running the vLLM engine on a tiny random-weight Llama, Redis between."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lexgraph.core.config.settings import Settings
from lexgraph.core.llm import ChatMessage, ChatRequest, LLMError
from lexgraph.workers.celery_app import make_celery
from lexgraph.workers.inference_client import QueuedLLM
from tests.support import Process, settings_env, wait_for

pytestmark = [pytest.mark.services, pytest.mark.slow]

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"verdict": {"enum": ["pass", "revise"]}},
    "required": ["verdict"],
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
def gpu_worker(tiny_llama_path: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[tuple[Settings, Process]]:
    tmp = tmp_path_factory.mktemp("inference")
    ready = tmp / "ready"
    settings = Settings(data_dir=tmp / "data", broker_url=redis_url, llm_backend="vllm",
                        llm_model=tiny_llama_path, llm_served_name="tiny-llama",
                        llm_dtype="float32", llm_enforce_eager=True, llm_max_model_len=512,
                        vllm_cpu_kvcache_gib=1, worker_ready_file=ready,
                        inference_mode="queue")
    env = settings_env(settings, llm_backend="vllm", llm_model=tiny_llama_path,
                       llm_served_name="tiny-llama", llm_dtype="float32",
                       llm_enforce_eager="true", llm_max_model_len=512,
                       vllm_cpu_kvcache_gib=1, worker_ready_file=ready)
    worker = Process(["worker", "--queues", "inference", "--concurrency", "16"], env,
                     tmp / "worker.log")
    try:
        wait_for(lambda: ready.exists() or worker.proc.poll() is not None, 240,
                 "the inference worker to load its model", interval=0.5)
        if worker.proc.poll() is not None:
            raise AssertionError("inference worker exited:\n" + worker.output()[-4000:])
        yield settings, worker
    finally:
        worker.stop(timeout=60)
    # Warm shutdown removes the readiness marker once the engine has stopped.
    assert not ready.exists()


@pytest.fixture
def client(gpu_worker: tuple[Settings, Process]) -> QueuedLLM:
    settings, _ = gpu_worker
    return QueuedLLM(make_celery(settings), "tiny-llama", timeout_s=60, max_attempts=1,
                     reply_url=settings.resolved_broker_url)


def ask(text: str, **kwargs: Any) -> ChatRequest:
    return ChatRequest([ChatMessage("user", text)], metadata={"agent": "summarizer"}, **kwargs)


def test_the_worker_was_ready_only_after_its_model_loaded(
        gpu_worker: tuple[Settings, Process]) -> None:
    log = gpu_worker[1].output()
    assert "model ready: tiny-llama" in log
    assert log.index("model ready: tiny-llama") < log.index(" ready.")


def test_a_completion_through_the_queue(client: QueuedLLM) -> None:
    result = client.chat(ask("Summarize the term.", max_tokens=10))
    assert result.model == "tiny-llama"
    assert result.text and 1 <= result.usage.completion_tokens <= 10
    assert result.usage.prompt_tokens > 3
    again = client.chat(ask("Summarize the term.", max_tokens=10))
    assert again.text == result.text  # greedy: the same engine gives the same tokens


def test_structured_output_through_the_queue(client: QueuedLLM) -> None:
    result = client.chat(ask("Verdict?", json_schema=SCHEMA, max_tokens=24))
    assert result.structured in ({"verdict": "pass"}, {"verdict": "revise"})


def test_engine_errors_come_back_as_llm_errors(client: QueuedLLM) -> None:
    # Longer than max_model_len: the engine refuses it, and the caller gets a job error.
    with pytest.raises(LLMError) as caught:
        client.chat(ask("clause " * 700, max_tokens=8))
    assert "vLLM" in caught.value.message or "model" in caught.value.message


def test_concurrent_requests_share_the_engine(client: QueuedLLM,
                                              gpu_worker: tuple[Settings, Process]) -> None:
    answers: dict[int, str] = {}
    errors: list[BaseException] = []

    def call(n: int) -> None:
        try:
            answers[n] = client.chat(ask(f"Summarize clause {n}.", max_tokens=32)).text
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and len(answers) == 16
    # One engine in one worker process served all sixteen: its log names each task.
    assert gpu_worker[1].output().count("Task lexgraph.generate[") >= 16


def test_no_worker_means_a_clear_timeout(redis_url: str, tmp_path: Path) -> None:
    import redis

    base, used = redis_url.rsplit("/", 1)
    # Another empty database: the module's worker listens on this run's own.
    empty = next(n for n in range(16) if str(n) != used
                 and redis.Redis.from_url(f"{base}/{n}").dbsize() == 0)
    settings = Settings(data_dir=tmp_path, broker_url=f"{base}/{empty}")
    lonely = QueuedLLM(make_celery(settings), "nobody", timeout_s=1, max_attempts=2,
                       reply_url=settings.resolved_broker_url)
    with pytest.raises(LLMError) as caught:
        lonely.chat(ask("hello", max_tokens=4))
    assert caught.value.code == "llm_timeout"
    assert "2 time(s)" in caught.value.message
    redis.Redis.from_url(f"{base}/{empty}").flushdb()


def test_sigterm_drains_requests_in_flight(redis_url: str, tmp_path: Path) -> None:
    import json
    import os
    import signal

    import redis

    base, used = redis_url.rsplit("/", 1)
    empty = next(n for n in range(16) if str(n) != used
                 and redis.Redis.from_url(f"{base}/{n}").dbsize() == 0)
    broker = f"{base}/{empty}"
    script = tmp_path / "script.json"
    # A scripted model that takes 3 s per answer stands in for a long generation.
    script.write_text(json.dumps({"latency_seconds": 3, "by_agent": {"summarizer": ["done"]}}))
    ready = tmp_path / "ready"
    settings = Settings(data_dir=tmp_path / "data", broker_url=broker)
    env = settings_env(settings, llm_backend="scripted", llm_script=script,
                       worker_ready_file=ready)
    worker = Process(["worker", "--queues", "inference", "--loglevel", "INFO"], env,
                     tmp_path / "worker.log")
    try:
        wait_for(lambda: ready.exists() or worker.proc.poll() is not None, 60,
                 "the inference worker", interval=0.2)
        client = QueuedLLM(make_celery(settings), "scripted", timeout_s=30, max_attempts=1,
                           reply_url=broker)
        answers: list[str] = []
        caller = threading.Thread(target=lambda: answers.append(
            client.chat(ask("summarize", max_tokens=4)).text))
        caller.start()
        wait_for(lambda: "Task lexgraph.generate[" in worker.output(), 30, "the request",
                 interval=0.05)
        os.killpg(worker.proc.pid, signal.SIGTERM)
        caller.join(timeout=30)
        assert answers == ["done"]  # the request in flight finished before the worker left
        assert worker.proc.wait(timeout=30) == 0
        assert not ready.exists()
    finally:
        worker.stop()
        redis.Redis.from_url(broker).flushdb()
