"""Prompt-injection screening on the labelled rows of bastioncorpus (MIT, from PyPI): recall and
false-positive rate per channel of the rules layer, the classifier path and both together;
then the latency the guard adds to one agent tool call.

Every row's text is screened the way screen_documents and the tool-result hook screen
untrusted text (a ``{canary}`` slot is filled first). The classifier is the transformers
adapter the workers run (``TransformersInjectionClassifier``: 512-token windows, batched);
give ``--classifier DIR`` for a real Prompt Guard 2 checkpoint. Without one, a tiny
random-weight classifier is built so the path and its cost are measured, and its detection
figures are printed as what they are: chance.

The latency part times what the hook does per tool call (screen the call, then its result):
no guard, the rules alone, and the rules plus Llama Guard on a tiny random-weight Llama through
the real transformers backend (no cache), and with every verdict answered from the cache.

    .venv/bin/python bench/injection.py [--classifier DIR] [--threshold 0.5] [--calls 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

from bastioncorpus import load_corpus

from lexgraph.core.guard import (
    GuardChain,
    GuardPolicy,
    LlamaGuard,
    PromptGuard,
    RulesGuard,
    ScriptedGuardModel,
    ToolCall,
    TransformersInjectionClassifier,
    VerdictCache,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# Beside the checkout; a plain clone has none, and the legal-documents figure is then left out.
CORPUS = ROOT.parent / "shared" / "corpus"
NO_CORPUS = (f"the shared corpus is not at {CORPUS} (it sits beside the checkout, "
             "../shared/corpus; a plain clone has none)")
CANARY = "ZX-CANARY-4417"
TOOLS = ("search_passages", "verify_citations", "scan_pii", "check_policy")


def _rates(flags: Sequence[bool], labels: Sequence[str]) -> tuple[str, str]:
    bad = [f for f, label in zip(flags, labels, strict=True) if label == "malicious"]
    good = [f for f, label in zip(flags, labels, strict=True) if label != "malicious"]
    recall = f"{sum(bad)}/{len(bad)} = {sum(bad) / len(bad):.0%}" if bad else "-"
    fpr = f"{sum(good)}/{len(good)} = {sum(good) / len(good):.0%}" if good else "-"
    return recall, fpr


def detection(classifier_dir: str | None, threshold: float) -> None:
    rows = load_corpus()
    texts = [r.text.replace("{canary}", CANARY) for r in rows]
    rules = RulesGuard()
    start = time.perf_counter()
    rule_flags = [not rules.screen_result(ToolCall("read_document", {}), t).allowed
                  for t in texts]
    rules_ms = (time.perf_counter() - start) * 1e3 / len(texts)

    tmp = tempfile.TemporaryDirectory()
    if classifier_dir is None:
        from tests.guard_models import build_tiny_classifier

        classifier_dir = str(build_tiny_classifier(Path(tmp.name) / "tiny-classifier"))
        label = "tiny random-weight BERT (no real classifier offline: chance, not detection)"
    else:
        label = classifier_dir
    clf = TransformersInjectionClassifier(classifier_dir)
    guard = PromptGuard(clf, threshold, cache=VerdictCache(0))
    guard.screen_texts(texts[:2])  # load the model outside the timing
    start = time.perf_counter()
    clf_flags = [not d.allowed for d in guard.screen_texts(texts)]
    clf_ms = (time.perf_counter() - start) * 1e3 / len(texts)
    windows = len(clf.windows(texts)[1])

    by_channel: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        by_channel[row.channel].append(i)
    by_channel["all"] = list(range(len(rows)))
    print(f"bastioncorpus: {len(rows)} rows "
          f"({sum(r.label == 'malicious' for r in rows)} malicious, "
          f"{sum(r.label != 'malicious' for r in rows)} benign traps)")
    print(f"classifier: {label}; threshold {threshold}; {windows} windows of <= 512 tokens")
    print()
    print("| channel | rows | rules recall | rules FPR | classifier recall | classifier FPR "
          "| rules + classifier recall | rules + classifier FPR |")
    print("|---|---|---|---|---|---|---|---|")
    for channel, idx in by_channel.items():
        labels = [rows[i].label for i in idx]
        r = _rates([rule_flags[i] for i in idx], labels)
        c = _rates([clf_flags[i] for i in idx], labels)
        b = _rates([rule_flags[i] or clf_flags[i] for i in idx], labels)
        print(f"| {channel} | {len(idx)} | {r[0]} | {r[1]} | {c[0]} | {c[1]} | {b[0]} | {b[1]} |")
    print()
    print(f"per text: rules {rules_ms:.3f} ms, classifier {clf_ms:.2f} ms (batched, CPU)")
    missed = [rows[i] for i in range(len(rows))
              if rows[i].label == "malicious" and not rule_flags[i]]
    tactics: dict[str, int] = defaultdict(int)
    for row in missed:
        tactics[row.category] += 1
    print("rules miss, by category: " + ", ".join(f"{k} {v}" for k, v in
                                                  sorted(tactics.items(), key=lambda kv: -kv[1])))
    legal = legal_chunks()
    if legal:
        flagged = sum(not rules.screen_result(ToolCall("read_document", {}), t).allowed
                      for t in legal)
        print(f"legal documents (shared corpus, {len(legal)} chunks of bills and contracts): "
              f"rules flag {flagged} = {flagged / len(legal):.1%}")
    else:
        print(f"legal documents: not measured, {NO_CORPUS}")
    tmp.cleanup()


def legal_chunks() -> list[str]:
    """Chunks of real legal text, the false positives that matter to a law firm."""
    import json

    from lexgraph.core.ingest.chunking import chunk_pages

    texts = []
    if (CORPUS / "billsum_dev.jsonl").exists():
        texts += [json.loads(line)["text"] for line in
                  (CORPUS / "billsum_dev.jsonl").read_text().splitlines() if line.strip()]
    texts += [p.read_text(errors="ignore") for p in sorted((CORPUS / "contracts").glob("*.txt"))]
    return [c.text for i, t in enumerate(texts) for c in chunk_pages(f"d{i}", [t], 1000)]


def _time(per_call: Callable[[int], None], calls: int) -> tuple[float, float]:
    samples = []
    for i in range(calls):
        start = time.perf_counter()
        per_call(i)
        samples.append((time.perf_counter() - start) * 1e3)
    return statistics.median(samples), max(samples)


def latency(calls: int) -> None:
    from lexgraph.adapters.llm.transformers_backend import TransformersLLM
    from tests.tiny_models import build_tiny_llama

    tmp = tempfile.TemporaryDirectory()
    path = build_tiny_llama(Path(tmp.name) / "tiny-llama")
    result = ("[d:1:2] The Customer shall pay the fees within thirty days of each invoice. "
              * 4)
    rules = RulesGuard(allowed_tools=TOOLS)
    backend = TransformersLLM(str(path), max_new_tokens=20)
    cold = GuardChain(rules, LlamaGuard(backend, GuardPolicy.load(), cache=VerdictCache(0)))
    # Random weights never give a verdict, and failures are not cached; the cache-hit path is
    # timed with a model that answers "safe" (after the first call nothing reaches it).
    warm = GuardChain(rules, LlamaGuard(ScriptedGuardModel(), GuardPolicy.load(),
                                        cache=VerdictCache()))

    def call(i: int, distinct: bool = True) -> ToolCall:
        query = f"payment terms {i}" if distinct else "payment terms"
        return ToolCall("search_passages", {"query": query, "k": 5}, agent="retriever",
                        task="gather passages")

    cold.screen_call(call(-1))  # load and warm the model outside the timing
    prompt = cold.guards[1].call_prompt(call(0))  # type: ignore[attr-defined]
    tokens = len(backend._tokenizer(prompt, add_special_tokens=False)["input_ids"])
    runs = {
        "no guard": lambda i: None,
        "rules": lambda i: (rules.screen_call(call(i)), rules.screen_result(call(i), result)),
        "rules + Llama Guard (tiny, cache cold)":
            lambda i: (cold.screen_call(call(i)), cold.screen_result(call(i), result)),
        "rules + Llama Guard (verdicts from the cache)":
            lambda i: (warm.screen_call(call(i, False)),
                       warm.screen_result(call(i, False), result)),
    }
    print()
    print(f"added latency per tool call (screen_call + screen_result), {calls} calls, "
          f"call prompt {tokens} tokens:")
    print("| guard | median ms | max ms |")
    print("|---|---|---|")
    for name, run in runs.items():
        median, worst = _time(run, calls)
        print(f"| {name} | {median:.2f} | {worst:.2f} |")
    tmp.cleanup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classifier", help="directory of a real injection classifier")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"bench/injection.py: {NO_CORPUS}; the false-positive rate on legal documents "
              "will not be measured", file=sys.stderr)
    detection(args.classifier, args.threshold)
    latency(args.calls)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
