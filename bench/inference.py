"""Inference throughput: the raw vLLM engine against lexgraph's inference path, one run.

Builds a tiny random-weight Llama (head_dim 32, as the tests do), starts a real GPU worker
(`python -m lexgraph worker --queues inference`, the vLLM engine inside) on an empty Redis
database, and times the same chat prompts three ways, each asking for --tokens output tokens
with greedy decoding, so every mode decodes the same tokens (the model never emits its
end-of-sequence token, so each request writes all --tokens):

  (a) raw engine: every prompt handed to vLLM's engine at once, in this process;
  (b) lexgraph: --jobs concurrent callers, each a job sending its share of the prompts one
      after another through ``QueuedLLM`` -> Redis -> the worker's thread pool -> its engine;
  (c) one at a time: the same prompts through the same lexgraph path, sequentially.

Prints output tokens/s for each (the best of --repeat runs) and the ratios b/a (target >= 0.8)
and b/c (target >= 3).

    .venv/bin/python bench/inference.py [--prompts 16] [--jobs 16] [--tokens 256] [--repeat 5]

With the default of one prompt per job, (a) and (b) run batches of the same width, so b/a is
what lexgraph's path costs. With more prompts than jobs, (a) batches them all while (b) never
has more than --jobs in flight: b/a then also shows how much wider batches gain.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

REDIS = os.environ.get("LEXGRAPH_BENCH_REDIS", "redis://127.0.0.1:6379")
TARGETS = {"b/a": 0.8, "b/c": 3.0}

TOPICS = ["the term", "the governing law", "termination", "confidentiality", "fees",
          "indemnities", "liability caps", "assignment", "notices", "the parties",
          "warranties", "data protection", "audit rights", "dispute resolution",
          "force majeure", "remedies"]


def prompts(n: int) -> list[str]:
    return [f"Summarize {TOPICS[i % len(TOPICS)]} in clause {i + 1} of the agreement."
            for i in range(n)]


def empty_redis_db() -> str:
    import redis

    for n in range(15, -1, -1):
        if redis.Redis.from_url(f"{REDIS}/{n}").dbsize() == 0:
            return f"{REDIS}/{n}"
    raise SystemExit("no empty Redis database number is free")


def engine_args(model: str) -> dict[str, Any]:
    return {"model": model, "dtype": "float32", "enforce_eager": True, "max_model_len": 1024,
            "seed": 0, "enable_prefix_caching": True}


def best(run: Any, repeat: int) -> tuple[float, int]:
    """The fastest of ``repeat`` runs: other load on a shared machine only ever slows a run."""
    return min((run() for _ in range(repeat)), key=lambda r: r[0] / max(r[1], 1))


def raw_engine(model: str, chats: list[str], tokens: int, repeat: int) -> tuple[float, int]:
    """(a): vLLM's own offline entry point, all prompts in one call."""
    from vllm import LLM, SamplingParams

    llm = LLM(**engine_args(model))
    tokenizer = llm.get_tokenizer()
    rendered = [tokenizer.apply_chat_template([{"role": "user", "content": c}], tokenize=False,
                                              add_generation_prompt=True) for c in chats]
    # The lexgraph path's own sampling: greedy, up to --tokens, so all three modes decode
    # the same tokens.
    params = SamplingParams(max_tokens=tokens, temperature=0.0, seed=0)
    llm.generate(rendered[:2], params, use_tqdm=False)  # warm-up, as the worker had its own

    def once() -> tuple[float, int]:
        started = time.perf_counter()
        outputs = llm.generate(rendered, params, use_tqdm=False)
        return (time.perf_counter() - started,
                sum(len(o.outputs[0].token_ids) for o in outputs))

    elapsed, produced = best(once, repeat)
    llm.llm_engine.engine_core.shutdown()
    return elapsed, produced


def through_lexgraph(client: Any, chats: list[str], tokens: int,
                     jobs: int) -> tuple[float, int]:
    from lexgraph.core.llm import ChatMessage, ChatRequest

    shares = [chats[i::jobs] for i in range(jobs)]
    produced = [0] * jobs
    errors: list[BaseException] = []

    def job(n: int) -> None:
        try:
            for text in shares[n]:
                result = client.chat(ChatRequest([ChatMessage("user", text)],
                                                 max_tokens=tokens, temperature=0.0,
                                                 metadata={"agent": "summarizer"}))
                produced[n] += result.usage.completion_tokens
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=job, args=(n,)) for n in range(jobs)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return elapsed, sum(produced)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", type=int, default=16,
                        help="prompts in all; each job sends its share one after another")
    parser.add_argument("--jobs", type=int, default=16)
    parser.add_argument("--tokens", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=5, help="runs per mode; the best counts")
    args = parser.parse_args()

    from lexgraph.core.config.settings import Settings
    from lexgraph.workers.celery_app import make_celery
    from lexgraph.workers.inference_client import QueuedLLM
    from tests.tiny_models import build_tiny_llama

    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
    chats = prompts(args.prompts)
    with tempfile.TemporaryDirectory(prefix="lexgraph-bench-") as tmp:
        # A model that never ends a sequence early: every request writes --tokens tokens.
        model = str(build_tiny_llama(Path(tmp) / "tiny-llama", can_stop=False))
        broker = empty_redis_db()
        ready = Path(tmp) / "ready"
        env = {**os.environ, "LEXGRAPH_DATA_DIR": str(Path(tmp) / "data"),
               "LEXGRAPH_BROKER_URL": broker, "LEXGRAPH_LLM_BACKEND": "vllm",
               "LEXGRAPH_LLM_MODEL": model, "LEXGRAPH_LLM_SERVED_NAME": "tiny-llama",
               "LEXGRAPH_LLM_DTYPE": "float32", "LEXGRAPH_LLM_ENFORCE_EAGER": "true",
               "LEXGRAPH_LLM_MAX_MODEL_LEN": "1024", "LEXGRAPH_VLLM_CPU_KVCACHE_GIB": "1",
               "LEXGRAPH_WORKER_READY_FILE": str(ready)}
        log = (Path(tmp) / "worker.log").open("wb")
        worker = subprocess.Popen([sys.executable, "-m", "lexgraph", "worker", "--queues",
                                   "inference", "--concurrency", str(max(args.jobs, 16)),
                                   "--loglevel", "WARNING"], env=env, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 300
            while not ready.exists():
                if worker.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the inference worker did not start:\n"
                                     + (Path(tmp) / "worker.log").read_text()[-3000:])
                time.sleep(0.5)
            client = QueuedLLM(make_celery(Settings(data_dir=Path(tmp) / "data",
                                                    broker_url=broker)),
                               "tiny-llama", timeout_s=600, max_attempts=1, reply_url=broker)
            through_lexgraph(client, chats[:2], 8, 2)  # warm-up of the queue path
            b_time, b_tokens = best(lambda: through_lexgraph(client, chats, args.tokens,
                                                             args.jobs), args.repeat)
            c_time, c_tokens = best(lambda: through_lexgraph(client, chats, args.tokens, 1),
                                    args.repeat)
        finally:
            worker.terminate()
            worker.wait(timeout=60)
            log.close()
            import redis

            redis.Redis.from_url(broker).flushdb()
        a_time, a_tokens = raw_engine(model, chats, args.tokens, args.repeat)

    a, b, c = a_tokens / a_time, b_tokens / b_time, c_tokens / c_time
    print(f"# inference throughput, {date.today()}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs, vLLM on the CPU, tiny random Llama (hidden 64, 2 layers)")
    print(f"{args.prompts} prompts x {args.tokens} output tokens; (b) from {args.jobs} "
          f"concurrent jobs; best of {args.repeat} runs each")
    print(f"(a) raw engine, all at once      {a:9.0f} tokens/s  ({a_tokens} tokens in "
          f"{a_time:.2f} s)")
    print(f"(b) lexgraph, {args.jobs} concurrent jobs  {b:9.0f} tokens/s  ({b_tokens} tokens in "
          f"{b_time:.2f} s)")
    print(f"(c) lexgraph, one at a time      {c:9.0f} tokens/s  ({c_tokens} tokens in "
          f"{c_time:.2f} s)")
    for name, value in (("b/a", b / a), ("b/c", b / c)):
        verdict = "meets" if value >= TARGETS[name] else "misses"
        print(f"{name} = {value:.2f}  ({verdict} the target of {TARGETS[name]:g})")


if __name__ == "__main__":
    main()
