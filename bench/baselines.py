"""The baselines summaries are measured against, at the same word budget: lead-k (the first
sentences), TextRank (sentences ranked by PageRank over their TF-IDF similarity) and the greedy
extractive oracle (sentences added while they raise ROUGE against the reference: the upper
bound for any extractive method)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from lexgraph.core.ingest.chunking import sentence_spans

_TOKEN = re.compile(r"[a-z0-9]+")


def sentences(text: str) -> list[str]:
    return [" ".join(text[s:e].split()) for s, e in sentence_spans(text)]


def truncate(parts: Sequence[str], budget: int) -> str:
    words: list[str] = []
    for part in parts:
        words.extend(part.split())
        if len(words) >= budget:
            break
    return " ".join(words[:budget])


def lead(text: str, budget: int) -> str:
    return truncate(sentences(text), budget)


def textrank(text: str, budget: int, damping: float = 0.85) -> str:
    sents = sentences(text)
    if not sents:
        return ""
    bags = [Counter(_TOKEN.findall(s.lower())) for s in sents]
    df = Counter(t for bag in bags for t in bag)
    idf = {t: math.log(len(sents) / n) + 1 for t, n in df.items()}
    vocab = {t: i for i, t in enumerate(df)}
    m = np.zeros((len(sents), len(vocab)))
    for i, bag in enumerate(bags):
        for t, c in bag.items():
            m[i, vocab[t]] = c * idf[t]
    m /= np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-9)
    sim = m @ m.T
    np.fill_diagonal(sim, 0.0)
    weights = sim / np.maximum(sim.sum(axis=1, keepdims=True), 1e-9)
    rank = np.full(len(sents), 1 / len(sents))
    for _ in range(100):
        rank = (1 - damping) / len(sents) + damping * weights.T @ rank
    picked, used = [], 0
    for i in np.argsort(-rank, kind="stable"):
        picked.append(int(i))
        used += len(sents[i].split())
        if used >= budget:
            break
    return truncate([sents[i] for i in sorted(picked)], budget)


def oracle(candidates: Sequence[str], budget: int, gain: Callable[[str], float]) -> str:
    """Greedy: add the candidate that raises ``gain`` most, in document order, until nothing
    does or the budget is spent."""
    picked: list[int] = []
    best = 0.0
    while True:
        used = sum(len(candidates[i].split()) for i in picked)
        choice, choice_score = -1, best
        for i, cand in enumerate(candidates):
            if i in picked or used + len(cand.split()) > budget * 1.1:
                continue
            score = gain(" ".join(candidates[j] for j in sorted([*picked, i])))
            if score > choice_score:
                choice, choice_score = i, score
        if choice < 0:
            break
        picked.append(choice)
        best = choice_score
    return truncate([candidates[i] for i in sorted(picked)], budget)
