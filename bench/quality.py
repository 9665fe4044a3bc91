"""Extractive-mode quality on BillSum: ROUGE-1/2/L against the reference summaries, a lead-3
baseline computed in the same run, and the share of statements whose citations pass
verify_citations.

The pipeline is the job graph's own: chunk each bill, embed and index it in a LanceDB store,
retrieve per section of the `legislation` profile with hybrid search, pick sentences, check
citations.

    .venv/bin/python bench/quality.py [--corpus ../shared/corpus/billsum_dev.jsonl]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rouge_score import rouge_scorer

from lexgraph.core.config.settings import Settings
from lexgraph.core.embeddings.local import LocalEmbedder
from lexgraph.core.ingest.chunking import chunk_pages
from lexgraph.core.ingest.indexing import embedding_text, to_passage
from lexgraph.core.retrieval import Retriever
from lexgraph.core.summary import load_profiles
from lexgraph.core.summary.citations import verify
from lexgraph.core.summary.extractive import lead_sentences, summarize_extractive
from lexgraph.core.vectorstore import open_vector_store
from lexgraph.core.vectorstore.base import Scope

ROOT = Path(__file__).resolve().parents[1]
METRICS = ("rouge1", "rouge2", "rougeL")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path,
                        default=ROOT.parent / "shared" / "corpus" / "billsum_dev.jsonl")
    parser.add_argument("--sentences", type=int, default=Settings().extractive_sentences)
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.corpus.read_text().splitlines() if line.strip()]
    embedder = LocalEmbedder()
    profile = load_profiles()["legislation"]
    scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
    scores: dict[str, list[list[float]]] = {"extractive": [], "lead-3": []}
    supported = total = 0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        store = open_vector_store(settings)
        for n, row in enumerate(rows):
            scope = Scope("bench", f"bill-{n}")
            chunks = chunk_pages(f"doc_{n}", [row["text"]], max_chars=settings.chunk_max_chars)
            passages = [to_passage(c, "bill.txt") for c in chunks]
            store.upsert(scope, passages, embedder.embed([embedding_text(c) for c in chunks]))
            retriever = Retriever(embedder, store, scope)
            retrieved = {s.key: [h.passage for h in retriever.search(s.query, 6)]
                         for s in profile.sections}
            sections = summarize_extractive(profile, retrieved, embedder,
                                            per_section=args.sentences)
            summary = " ".join(st.text for s in sections for st in s.statements)
            lead = " ".join(lead_sentences(row["text"], 3))
            for name, text in (("extractive", summary), ("lead-3", lead)):
                got = scorer.score(row["summary"], text)
                scores[name].append([got[m].fmeasure for m in METRICS])
            checks = verify(sections, {p.id: p for p in passages}, embedder)
            supported += sum(c.supported for c in checks)
            total += len(checks)
        store.close()
    elapsed = time.perf_counter() - started
    print(f"BillSum dev: {len(rows)} bills, profile legislation, "
          f"{args.sentences} sentence(s) per section, {elapsed:.1f} s")
    print(f"{'system':<12} {'ROUGE-1':>8} {'ROUGE-2':>8} {'ROUGE-L':>8}   (F1, mean over bills)")
    for name, values in scores.items():
        means = [statistics.fmean(v[i] for v in values) for i in range(len(METRICS))]
        print(f"{name:<12} " + " ".join(f"{m:8.4f}" for m in means))
    share = supported / total if total else 0.0
    print(f"citations passing verify_citations: {supported}/{total} ({share:.1%})")
    return 0 if total and supported == total else 1


if __name__ == "__main__":
    sys.exit(main())
