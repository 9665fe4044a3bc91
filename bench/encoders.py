"""The local embedding runtimes side by side: torch (sentence-transformers), ONNX Runtime fp32
and ONNX Runtime int8, on the same packaged MiniLM weights.

Speed: the shared corpus's chunks (contracts, PDFs, bills; 1,000 characters, as at ingest)
embedded by each runtime in turn, round after round, so every runtime meets the same load;
the median and best round per runtime, and the ratio to torch within each round.

Agreement with torch, the runtime every index so far was built with:
- cosine between each chunk's vectors;
- retrieval: for each query (the profiles' section queries and sentences cut from the corpus),
  the overlap of the exact top-10 chunks found with the runtime's vectors (query and chunks)
  and with torch's; and for the sentences, how often the chunk they were cut from comes
  first (or in the top 3): a figure with a right answer, for each runtime on its own.

    .venv/bin/python bench/encoders.py [--rounds 5] [--threads 0]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for entry in (REPO, REPO / "bench"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

import numpy as np  # noqa: E402
from shared_data import SHARED, require  # noqa: E402

CORPUS = SHARED / "corpus"
RUNTIMES = ("torch", "onnx", "onnx-int8")


def corpus_texts(max_chunks: int) -> tuple[list[str], list[str], list[int]]:
    """(chunk texts as ingest embeds them, queries, for each query the chunk its sentence was
    cut from or -1 for the profiles' section queries)."""
    from lexgraph.core.ingest.chunking import chunk_pages, sentence_spans
    from lexgraph.core.ingest.indexing import embedding_text
    from lexgraph.core.ingest.loaders import extract_pages
    from lexgraph.core.summary.profiles import load_profiles

    pages: list[list[str]] = []
    for path in sorted((CORPUS / "contracts").glob("*.txt")):
        pages.append(extract_pages("text/plain", path.read_bytes()))
    for path in sorted((CORPUS / "pdf").glob("*.pdf")):
        pages.append(extract_pages("application/pdf", path.read_bytes()))
    for line in (CORPUS / "billsum_dev.jsonl").read_text().splitlines():
        if line.strip():
            pages.append([json.loads(line)["text"]])
    chunks = [embedding_text(c) for i, doc in enumerate(pages)
              for c in chunk_pages(f"d{i}", doc, 1000)]
    rng = np.random.default_rng(7)
    if len(chunks) > max_chunks:
        chunks = [chunks[int(i)] for i in sorted(rng.choice(len(chunks), max_chunks,
                                                             replace=False))]
    queries = list(dict.fromkeys(spec.query for p in load_profiles().values()
                                 for spec in p.sections))
    truth = [-1] * len(queries)
    for i in rng.choice(len(chunks), size=min(80, len(chunks)), replace=False):
        spans = [(s, e) for s, e in sentence_spans(chunks[int(i)]) if e - s >= 60]
        if spans:
            start, end = spans[len(spans) // 2]
            queries.append(" ".join(chunks[int(i)][start:end].split()))
            truth.append(int(i))
    return chunks, queries, truth


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=0,
                        help="threads per runtime (0: each runtime's default)")
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--max-chunks", type=int, default=400,
                        help="a random sample of the corpus's chunks past this many")
    args = parser.parse_args()
    require(CORPUS, bench="bench/encoders.py")
    from lexgraph.adapters.embeddings.local import LocalEmbedder
    from lexgraph.core.config.settings import Settings

    cache = args.cache_dir or Settings().resolved_embedding_cache_dir
    chunks, queries, truth = corpus_texts(args.max_chunks)
    embedders = {r: LocalEmbedder(batch_size=args.batch_size, runtime=r, cache_dir=cache,
                                  threads=args.threads) for r in RUNTIMES}
    for embedder in embedders.values():
        embedder.warm_up()
    print(f"{len(chunks)} chunks, {len(queries)} queries, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f}", flush=True)
    times: dict[str, list[float]] = {r: [] for r in RUNTIMES}
    vectors: dict[str, np.ndarray] = {}
    for n in range(args.rounds):
        for runtime, embedder in embedders.items():
            start = time.perf_counter()
            # The encoder itself: the memo would answer every round after the first.
            vectors[runtime] = embedder._encode(chunks)
            times[runtime].append(time.perf_counter() - start)
        print(f"round {n + 1}: " + ", ".join(f"{r} {times[r][-1]:.2f} s" for r in RUNTIMES),
              flush=True)
    query_vectors = {r: e._encode(queries) for r, e in embedders.items()}
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end\n")
    print("| runtime | median | best | chunks/s (median) | vs torch, per round (median) | "
          "cosine to torch, min / mean | top-10 overlap with torch | sentence finds its "
          "chunk: top 1 / top 3 |")
    print("|---|---|---|---|---|---|---|---|")
    known = [(q, t) for q, t in enumerate(truth) if t >= 0]
    base = vectors["torch"]
    top_base = np.argsort(-(query_vectors["torch"] @ base.T), axis=1)[:, :10]
    for runtime in RUNTIMES:
        ratio = statistics.median(t / b for t, b in zip(times[runtime], times["torch"],
                                                         strict=True))
        cos = (vectors[runtime] * base).sum(axis=1)
        top = np.argsort(-(query_vectors[runtime] @ vectors[runtime].T), axis=1)[:, :10]
        overlap = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(top, top_base,
                                                                       strict=True)])
        median = statistics.median(times[runtime])
        first = sum(top[q][0] == t for q, t in known) / len(known)
        third = sum(t in top[q][:3] for q, t in known) / len(known)
        print(f"| {runtime} | {median:.2f} s | {min(times[runtime]):.2f} s | "
              f"{len(chunks) / median:.0f} | {ratio:.2f}x | {cos.min():.4f} / {cos.mean():.4f} "
              f"| {overlap:.3f} | {first:.3f} / {third:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
