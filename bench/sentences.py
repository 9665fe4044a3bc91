"""Sentence cleaning on bills and contracts: what share of spans each problem rule removes, and
what share of sentences look like fragments (``is_fragment``) before and after cleaning.

The "before" figures judge the chunker's generic ``sentence_spans`` and ``legal_sentences`` by
``statement_problem``;
the kept share is zero by construction when ``statement_problem`` and ``is_fragment`` agree, so a
non-zero figure there means the two rules have drifted apart.

Reads the 100 BillSum training bills (../shared/billsum/us_train_100.jsonl) and the first 50
contracts of CUAD's train split (../shared/cuad/split.json, ../shared/cuad/contracts); never
the validation split. Also times the segmentation of every contract and prints the slowest.

    .venv/bin/python bench/sentences.py [--contracts 50] [--sample 0] [--seed 13]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SHARED = REPO.parent / "shared"  # beside the checkout; a plain clone has none
BILLS = SHARED / "billsum" / "us_train_100.jsonl"
SPLIT = SHARED / "cuad" / "split.json"
CONTRACTS = SHARED / "cuad" / "contracts"


def require_shared() -> None:
    """Exit with status 2, naming what is missing, when the shared data is not here."""
    missing = [str(p) for p in (BILLS, SPLIT, CONTRACTS) if not p.exists()]
    if missing:
        print(f"bench/sentences.py: missing {', '.join(missing)}: this benchmark reads the "
              "shared data beside the checkout (../shared), which a plain clone does not have",
              file=sys.stderr)
        raise SystemExit(2)


def corpora(n_contracts: int) -> dict[str, list[tuple[str, str]]]:
    with BILLS.open(encoding="utf-8") as fh:
        bills = [(row["id"], row["text"]) for row in map(json.loads, fh)]
    names = json.loads(SPLIT.read_text(encoding="utf-8"))["train"][:n_contracts]
    contracts = [(name, (CONTRACTS / f"{name}.txt").read_text(encoding="utf-8", errors="replace"))
                 for name in names]
    return {"bills": bills, "contracts": contracts}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--contracts", type=int, default=50, help="first N of CUAD's train split")
    parser.add_argument("--sample", type=int, default=0,
                        help="print this many random kept and flagged spans per corpus")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    require_shared()

    from lexgraph.core.ingest.chunking import sentence_spans
    from lexgraph.core.ingest.sentences import (
        is_fragment,
        legal_sentences,
        statement_problem,
        trim_furniture,
    )

    rng = random.Random(args.seed)
    for corpus, docs in corpora(args.contracts).items():
        problems: Counter[str] = Counter()
        kept: list[str] = []
        flagged: list[tuple[str, str]] = []
        slowest = (0.0, "", 0)
        generic = [text[s:e] for _, text in docs for s, e in sentence_spans(text)]
        legal = [text[s:e] for _, text in docs for s, e in legal_sentences(text)]
        for name, text in docs:
            t0 = time.perf_counter()
            spans = legal_sentences(text)
            elapsed = time.perf_counter() - t0
            slowest = max(slowest, (elapsed, name, len(text)))
            for s, e in spans:
                s, e = trim_furniture(text, s, e)
                sentence = text[s:e]
                problem = statement_problem(sentence) if s < e else "furniture"
                if problem is None:
                    kept.append(sentence)
                else:
                    problems[problem] += 1
                    flagged.append((problem, sentence))
        total = len(kept) + sum(problems.values())
        fragments = sum(map(is_fragment, kept))
        print(f"{corpus}: {len(docs)} documents, {total} spans, {len(kept)} kept "
              f"({len(kept) / total:.1%})")
        for problem, n in problems.most_common():
            print(f"  flagged {problem:<12} {n:6d}  {n / total:6.1%}")
        for label, spans in (("chunking.sentence_spans", generic), ("legal_sentences", legal)):
            verdicts = Counter(statement_problem(x) for x in spans)
            n = len(spans)
            standing = sum(len(x) for x in spans if statement_problem(x) is None)
            print(f"  all {label} spans: {n}, fragments {verdicts['fragment'] / n:.1%}, "
                  f"headings {verdicts['heading'] / n:.1%}, standing {verdicts[None] / n:.1%} "
                  f"({standing / sum(map(len, spans)):.1%} of their characters)")
        print(f"  kept spans that are fragments: {fragments} ({fragments / max(1, len(kept)):.2%})")
        print(f"  slowest segmentation: {slowest[0] * 1000:.1f} ms for {slowest[2]:,} chars "
              f"({slowest[1]})")
        if args.sample:
            for sentence in rng.sample(kept, min(args.sample, len(kept))):
                print("  KEPT   ", " ".join(sentence.split())[:220])
            for problem, sentence in rng.sample(flagged, min(args.sample, len(flagged))):
                print(f"  {problem.upper():<8}", " ".join(sentence.split())[:220])


if __name__ == "__main__":
    main()
