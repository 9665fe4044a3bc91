"""Clause finder on CUAD v1's validation contracts: the packaged model against the keyword baseline.

Every validation contract is cut into units (``contract_units``) and labelled exactly as the
training data is; each finder's thresholded labels are compared with them unit by unit. Prints
per-category precision, recall, F1 and support for both finders, their micro and macro
averages, and the model's inference time per contract.

    .venv/bin/python bench/clauses.py                 # ../shared/cuad next to the repository
    .venv/bin/python bench/clauses.py --cuad PATH --model lexgraph/core/clauses/model
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lexgraph.core.clauses import (  # noqa: E402
    KeywordClauseFinder,
    contract_units,
    load_clause_finder,
)
from lexgraph.core.clauses.training import (  # noqa: E402
    Settings,
    build_units,
    evaluate,
    load_cuad,
)


def _row(figures: dict[str, Any]) -> str:
    return f"{figures['precision']:.2f} | {figures['recall']:.2f} | {figures['f1']:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cuad", type=Path, default=ROOT.parent / "shared" / "cuad")
    parser.add_argument("--model", type=Path, default=None,
                        help="model folder or .npz (default: the packaged model)")
    args = parser.parse_args(argv)
    if not (args.cuad / "master_clauses.csv").is_file():
        print(f"CUAD v1 is not available at {args.cuad}: this benchmark needs its "
              "master_clauses.csv, split.json and contracts/ (see --cuad).", file=sys.stderr)
        return 2

    model = load_clause_finder(args.model)
    baseline = KeywordClauseFinder()
    categories, contracts, split = load_cuad(args.cuad)
    names = [n for n in split["validation"] if n in contracts]
    data = build_units([contracts[n] for n in names], categories, Settings().overlap)

    timings = []
    sizes = []
    for name in names:
        text = contracts[name].text
        started = time.perf_counter()
        units = [u.text for u in contract_units(text)]
        model.classify(units)
        timings.append((time.perf_counter() - started) * 1000)
        sizes.append((len(text), len(units)))

    ours = evaluate(model, data)
    precise = evaluate(model, data, high_precision=True)
    keywords = evaluate(baseline, data)

    print(f"CUAD v1 validation: {len(names)} contracts, {len(data.texts)} units\n")
    print("| Category | Support | Model P | R | F1 | AP | Keywords P | R | F1 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for category in categories:
        m, k = ours["categories"][category], keywords["categories"][category]
        print(f"| {category} | {m['support']} | {_row(m)} | "
              f"{m['average_precision']:.2f} | {_row(k)} |")
    for average in ("micro", "macro"):
        m, k = ours[average], keywords[average]
        ap = f"{m['average_precision']:.2f}" if "average_precision" in m else ""
        print(f"| **{average}** | | {_row(m)} | {ap} | {_row(k)} |")
    print()
    print(f"model at its high-precision thresholds: micro P {precise['micro']['precision']:.2f} "
          f"R {precise['micro']['recall']:.2f} F1 {precise['micro']['f1']:.2f}")
    per_kb = [t / (size / 1000) for t, (size, _) in zip(timings, sizes, strict=True)]
    print(f"inference per contract (cut into units + classify): median "
          f"{statistics.median(timings):.1f} ms, max {max(timings):.1f} ms; "
          f"median {statistics.median(per_kb):.2f} ms per KB of text; "
          f"median {statistics.median(n for _, n in sizes):.0f} units per contract")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
