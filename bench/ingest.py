"""Ingestion throughput: parse + chunk + embed + index, in pages per second, on the corpus.

Runs the service's own ``Indexer`` (the code the graph's ingest node and ``lexgraph index``
use) over the shared corpus: the 3 PDFs, the 5 CUAD contracts (plain text) and the 8 BillSum
bills (plain text), into an embedded LanceDB under a temporary directory, with the packaged
all-MiniLM-L6-v2 on the CPU. Pages are PDF pages; for text, 3,000 characters count as a page,
as at intake. The model is loaded and warmed up before the clock starts.

    .venv/bin/python bench/ingest.py [--repeat 3] [--chunk-chars 1000] [--batch-size 32]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from shared_data import SHARED, require  # noqa: E402

CORPUS = SHARED / "corpus"  # beside the checkout; a plain clone has none
CORPUS_FILES = (CORPUS / "pdf", CORPUS / "contracts", CORPUS / "billsum_dev.jsonl")


def require_corpus() -> None:
    require(*CORPUS_FILES, bench="bench/ingest.py")


def corpus() -> list[tuple[str, bytes]]:
    files = sorted((CORPUS / "pdf").glob("*.pdf")) + sorted((CORPUS / "contracts").glob("*.txt"))
    docs = [(p.name, p.read_bytes()) for p in files]
    with (CORPUS / "billsum_dev.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            bill = json.loads(line)
            docs.append((f"{bill['id']}.txt", bill["text"].encode("utf-8")))
    return docs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed passes over the corpus")
    parser.add_argument("--chunk-chars", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    require_corpus()

    from lexgraph.adapters.embeddings.local import LocalEmbedder
    from lexgraph.adapters.vectorstore.lancedb_store import LanceDBStore
    from lexgraph.core.ingest.indexing import Indexer
    from lexgraph.core.ingest.sniff import PDF, sniff
    from lexgraph.core.vectorstore import Scope

    docs = [(name, data, sniff(name, data)) for name, data in corpus()]
    start = time.perf_counter()
    embedder = LocalEmbedder(batch_size=args.batch_size)
    embedder.embed(["warm-up"] * 8)
    load_s = time.perf_counter() - start

    rates: list[float] = []
    # Wall-clock rates depend on what else the machine runs; CPU time does much less.
    cpu_rates: list[float] = []
    stages: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="lexgraph-bench-ingest-") as tmp:
        store = LanceDBStore(Path(tmp) / "vectors")
        indexer = Indexer(embedder, store, chunk_chars=args.chunk_chars)
        for run in range(args.repeat):
            scope = Scope("ten_bench", f"mat_run{run}")
            pages = chunks = 0
            t0 = time.perf_counter()
            c0 = time.process_time()
            for n, (name, data, sniffed) in enumerate(docs):
                done = indexer.index(scope, f"doc_{n:03d}", name, sniffed.media_type, data)
                if done.error:
                    raise SystemExit(f"{name}: {done.error}")
                pages += len(done.pages) if sniffed.media_type == PDF else sniffed.pages
                chunks += len(done.chunks)
            elapsed = time.perf_counter() - t0
            cpu = time.process_time() - c0
            rates.append(pages / elapsed)
            cpu_rates.append(pages / cpu)
            print(f"run {run + 1}: {pages} pages, {chunks} chunks in {elapsed:.1f} s "
                  f"= {pages / elapsed:.1f} pages/s ({chunks / elapsed:.1f} chunks/s); "
                  f"{cpu:.1f} CPU-s = {pages / cpu:.2f} pages per CPU-second; load average "
                  f"{os.getloadavg()[0]:.1f}")
        # Where the time goes, measured once on the whole corpus.
        t0 = time.perf_counter()
        parsed = [indexer.parse(f"doc_{n:03d}", s.media_type, d)
                  for n, (_, d, s) in enumerate(docs)]
        stages["parse + chunk"] = time.perf_counter() - t0
        from lexgraph.core.ingest.indexing import embedding_text, to_passage

        texts = [embedding_text(c) for _, chunks_ in parsed for c in chunks_]
        t0 = time.perf_counter()
        vectors = embedder.embed(texts)
        stages["embed"] = time.perf_counter() - t0
        passages = [to_passage(c, "x") for _, chunks_ in parsed for c in chunks_]
        t0 = time.perf_counter()
        store.upsert(Scope("ten_bench", "mat_stages"), passages, vectors)
        stages["index (LanceDB upsert + FTS)"] = time.perf_counter() - t0

    print()
    print(f"corpus: {len(docs)} documents; model load + warm-up {load_s:.1f} s (not counted)")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}")
    print(f"ingest throughput: median {statistics.median(rates):.1f} pages/s "
          f"(runs: {', '.join(f'{r:.1f}' for r in rates)}); "
          f"{statistics.median(cpu_rates):.2f} pages per CPU-second")
    total = sum(stages.values())
    for stage, seconds in stages.items():
        print(f"  {stage:<30} {seconds:6.2f} s  {100 * seconds / total:5.1f} %")


if __name__ == "__main__":
    main()
