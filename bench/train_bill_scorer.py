"""Fit the bill scorer's weights (``lexgraph/core/summary/models/bill_scorer.json``) on the
``tune`` part of the shared BillSum bills (see billsum_data.py for the split).

Each candidate sentence's target is how much of it the human summary kept: the mean of its
ROUGE-1 and ROUGE-2 precision against the reference. A ridge regression over the features of
``lexgraph.core.summary.legislation`` predicts it; the redundancy cut-off is then chosen by
the ROUGE-L of whole summaries on the same tune bills. Deterministic: the same data gives the
same file.

    .venv/bin/python bench/train_bill_scorer.py \
        [--out lexgraph/core/summary/models/bill_scorer.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
from pathlib import Path

import numpy as np
from rouge_score import rouge_scorer

sys.path.insert(0, str(Path(__file__).resolve().parent))
import billsum_data as data

from lexgraph.core.summary.budget import word_budget
from lexgraph.core.summary.legislation import FEATURES, select, unit_features

RIDGE = 1.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=data.REPO / "lexgraph" / "core" / "summary"
                        / "models" / "bill_scorer.json")
    args = parser.parse_args()
    data.require(data.BILLS)
    tune = data.split(data.load(data.BILLS))["tune"]
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    xs, ys, bills = [], [], []
    for row in tune:
        units = data.units(row["text"])
        if not units:
            continue
        feats = unit_features(units)
        for unit, f in zip(units, feats, strict=True):
            got = scorer.score(row["summary"], unit.text)
            xs.append(f)
            ys.append((got["rouge1"].precision + got["rouge2"].precision) / 2)
        bills.append((row, units, feats))
    x, y = np.array(xs), np.array(ys)
    penalty = RIDGE * np.eye(x.shape[1])
    penalty[0, 0] = 0.0  # the bias is not shrunk
    weights = np.linalg.solve(x.T @ x + penalty, x.T @ y)
    best = (-1.0, 0.6)
    for redundancy in (0.4, 0.5, 0.6, 0.7, 0.8):
        rouge_l = []
        for row, units, feats in bills:
            budget = word_budget("standard", len(row["text"].split()), "legislation")
            chosen = select(units, list(feats @ weights), budget, redundancy)
            text = " ".join(u.text for u in chosen)
            rouge_l.append(scorer.score(row["summary"], text)["rougeL"].fmeasure)
        best = max(best, (statistics.fmean(rouge_l), redundancy))
    record = {
        "weights": {name: round(float(w), 6) for name, w in zip(FEATURES, weights, strict=True)},
        "redundancy": best[1],
        "trained_on": {
            "data": "BillSum US train split, the 100 bills of shared/billsum/us_train_100.jsonl "
                    "(CC0-1.0; Kornilova and Eidelman, 2019)",
            "split": "tune: two thirds of the 92 bills not in corpus/billsum_dev.jsonl, by "
                     "sha256 of the bill id (bench/billsum_data.py)",
            "bills": len(bills),
            "bills_sha256": hashlib.sha256("\n".join(r["id"] for r, _, _ in bills)
                                           .encode()).hexdigest(),
            "sentences": len(ys),
            "target": "mean of ROUGE-1 and ROUGE-2 precision against the reference summary",
            "ridge": RIDGE,
            "tune_rougeL": round(best[0], 4),
        },
    }
    args.out.write_text(json.dumps(record, indent=2) + "\n", "utf-8")
    print(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
