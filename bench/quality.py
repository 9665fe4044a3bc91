"""The quality bench: what legal staff read, measured against real baselines.

BillSum bills (legislation profile): ROUGE-1/2/L (F1, mean over bills) of lexgraph's extractive
summary against the human summary, next to lead-k, TextRank and the greedy extractive oracle at
the same word budget (each baseline cut to the words lexgraph used), with mean lengths; on the
``heldout`` and ``tune`` parts of shared/billsum (see billsum_data.py) and on the 8 bills of
shared/corpus/billsum_dev.jsonl.

CUAD validation contracts (contract profile): key-fact recall per category. An annotated fact
(a contract's annotation of a category behind the key-terms table) is found when a statement
or a key term covers at least half of the content words of one of its annotated clauses; a
date fact also needs the year of its annotated date, a party fact a full party name. Key-term
precision: a reported key term is right when its cited clause overlaps an annotated clause of
its category by half of either one's content words. Lead-k at the same budget alongside.

Everywhere: the share of statements that are fragments, the statements that are boilerplate,
and the share of citations verbatim at their offsets. Sections: the share of contract
statements whose clause category belongs to the section they sit in.

    .venv/bin/python bench/quality.py [--only bills|contracts|speed] [--contracts N] [--split train]
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from rouge_score import rouge_scorer

sys.path.insert(0, str(Path(__file__).resolve().parent))
import baselines
import billsum_data as data

from lexgraph.core.clauses import load_clause_finder
from lexgraph.core.ingest.sentences import is_fragment, statement_problem
from lexgraph.core.summary import load_profiles
from lexgraph.core.summary.citations import content_words
from lexgraph.core.summary.compose import Composed, compose_extractive
from lexgraph.core.summary.key_terms import TERMS
from lexgraph.core.vectorstore.base import Passage

METRICS = ("rouge1", "rouge2", "rougeL")
CUAD = data.SHARED / "cuad"
# Key facts and the key terms that report them: CUAD category -> key-term key.
DATE_FACTS = ("Agreement Date", "Effective Date", "Expiration Date")
# The key facts: the CUAD categories behind the rows of the key-terms table.
KEY_FACTS = tuple(t.category for t in TERMS)


class Tally:
    def __init__(self) -> None:
        self.statements = 0
        self.fragments = 0
        self.boilerplate = 0
        self.citations = 0
        self.verbatim = 0
        self.examples: list[str] = []

    def add(self, composed: Composed, pages: dict[str, list[str]]) -> None:
        for section in composed.sections:
            for st in section.statements:
                self.statements += 1
                problem = statement_problem(st.text)
                if is_fragment(st.text):
                    self.fragments += 1
                    self.examples.append(f"fragment: {st.text[:120]}")
                elif problem is not None:
                    self.boilerplate += 1
                    self.examples.append(f"{problem}: {st.text[:120]}")
        for cit in composed.citations():
            self.citations += 1
            page = pages[cit.document_id][cit.page - 1]
            self.verbatim += page[cit.start:cit.end] == cit.quote

    def report(self, name: str) -> dict[str, Any]:
        out = {"statements": self.statements,
               "fragment_share": self.fragments / max(self.statements, 1),
               "flagged_statements": self.boilerplate,
               "citations_verbatim": self.verbatim / max(self.citations, 1)}
        print(f"{name}: {self.statements} statements, fragments "
              f"{out['fragment_share']:.1%}, boilerplate/heading/address statements "
              f"{self.boilerplate}, citations verbatim at their offsets {self.verbatim}/"
              f"{self.citations}")
        for example in self.examples[:8]:
            print(f"    {example}")
        return out


def summarize_text(text: str, profile: str, doc: str = "doc_1") -> tuple[Composed, list[Passage]]:
    passages = data.passages(text, doc)
    finder = load_clause_finder() if profile == "contract" else None
    composed = compose_extractive(load_profiles()[profile], passages, length="standard",
                                  finder=finder, pages={doc: [text]})
    return composed, passages


def bills(rows: list[dict[str, Any]], name: str, tally: Tally) -> dict[str, Any]:
    scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
    systems = ("lexgraph", "lead-k", "TextRank", "oracle")
    scores: dict[str, list[list[float]]] = {s: [] for s in systems}
    lengths: dict[str, list[int]] = {s: [] for s in (*systems, "reference")}
    for row in rows:
        composed, _ = summarize_text(row["text"], "legislation")
        tally.add(composed, {"doc_1": [row["text"]]})
        summary = composed.text()
        budget = len(summary.split())
        candidates = [u.text for u in data.units(row["text"])]

        def gain(text: str, ref: str = row["summary"]) -> float:
            got = scorer.score(ref, text)
            return (got["rouge1"].fmeasure + got["rouge2"].fmeasure) / 2

        outputs = {"lexgraph": summary, "lead-k": baselines.lead(row["text"], budget),
                   "TextRank": baselines.textrank(row["text"], budget),
                   "oracle": baselines.oracle(candidates, budget, gain)}
        for system, text in outputs.items():
            got = scorer.score(row["summary"], text)
            scores[system].append([got[m].fmeasure * 100 for m in METRICS])
            lengths[system].append(len(text.split()))
        lengths["reference"].append(len(row["summary"].split()))
    print(f"\nBillSum {name}: {len(rows)} bills (ROUGE F1 x 100, mean over bills)")
    print(f"  {'system':<10} {'ROUGE-1':>8} {'ROUGE-2':>8} {'ROUGE-L':>8} {'words':>7}")
    table: dict[str, Any] = {}
    for system in (*systems, "reference"):
        words = statistics.fmean(lengths[system])
        if system == "reference":
            print(f"  {system:<10} {'':>8} {'':>8} {'':>8} {words:7.0f}")
            table[system] = {"words": words}
            continue
        means = [statistics.fmean(v[i] for v in scores[system]) for i in range(3)]
        print(f"  {system:<10} " + " ".join(f"{m:8.1f}" for m in means) + f" {words:7.0f}")
        table[system] = {"rouge": means, "words": words}
    return table


def _clause_texts(cell: str) -> list[str]:
    try:
        value = ast.literal_eval(cell) if cell else []
    except (ValueError, SyntaxError):
        return []
    return [" ".join(v.split()) for v in value if isinstance(v, str) and v.strip()]


def _covers(text_words: set[str], clause: str) -> bool:
    words = content_words(clause)
    return bool(words) and len(words & text_words) >= 0.5 * len(words)


_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_ROLE = re.compile(r"^(?:the\s+)?[A-Z][a-z]+$")


def _years_in(clause: str, text: str) -> bool:
    return all(year in text for year in _YEAR.findall(clause))


def _party_names(clauses: list[str]) -> list[str]:
    """Full party names among a Parties annotation: not a defined role ("Company")."""
    return [c for c in clauses if not _ROLE.match(c) and len(content_words(c)) >= 1
            and not c.startswith('"')]


def contracts(limit: int | None, tally: Tally, part: str = "validation") -> dict[str, Any]:
    split = json.loads((CUAD / "split.json").read_text())
    validation = set(split[part])
    with (CUAD / "master_clauses.csv").open(newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f)
                if r["Text File"] and Path(r["Text File"]).stem in validation]
    rows = rows[:limit] if limit else rows
    found: dict[str, list[int]] = {}
    lead_found: dict[str, list[int]] = {}
    term_right: dict[str, list[int]] = {}
    topic = [0, 0]
    started = time.perf_counter()
    for row in rows:
        text = (CUAD / row["Text File"]).read_text("utf-8", errors="replace")
        composed, _ = summarize_text(text, "contract")
        tally.add(composed, {"doc_1": [text]})
        stated = [st.text for s in composed.sections for st in s.statements]
        terms = [t for t in composed.key_terms if t.found]
        covered_text = " ".join(
            stated + [f"{t.value or ''} {t.citation.quote if t.citation else ''}" for t in terms])
        covered = content_words(covered_text)
        budget = len(composed.text().split())
        lead_text = baselines.lead(text, budget)
        lead_words = content_words(lead_text)
        for category in (c for c in KEY_FACTS if c in row):
            clauses = _clause_texts(row[category])
            if not clauses:
                continue
            if category == "Parties":
                names = _party_names(clauses) or clauses
                hit = any(_covers(covered, n) for n in names)
                lead_hit = any(_covers(lead_words, n) for n in names)
            elif category in DATE_FACTS:
                # A calendar date counts only with its year; a term stated as a duration
                # ("three (3) years from the Effective Date") has none to carry.
                hit = any(_covers(covered, c) and _years_in(c, covered_text) for c in clauses)
                lead_hit = any(_covers(lead_words, c) and _years_in(c, lead_text)
                               for c in clauses)
            else:
                hit = any(_covers(covered, c) for c in clauses)
                lead_hit = any(_covers(lead_words, c) for c in clauses)
            found.setdefault(category, []).append(int(hit))
            lead_found.setdefault(category, []).append(int(lead_hit))
        for term in terms:
            if term.citation is None:
                continue
            annotated = _clause_texts(row.get(term.category, "")) if term.category else []
            quote = content_words(term.citation.quote)
            right = any(_overlap(quote, content_words(c)) for c in annotated)
            term_right.setdefault(term.label, []).append(int(right))
        for section in composed.sections:
            for st in section.statements:
                if st.category:
                    topic[1] += 1
                    topic[0] += int(st.category in _section_categories(section.key))
    elapsed = time.perf_counter() - started
    print(f"\nCUAD {part}: {len(rows)} contracts, {elapsed / max(len(rows), 1):.2f} s each")
    print(f"  {'category':<36} {'facts':>5} {'lexgraph':>9} {'lead-k':>8}")
    all_hits = [h for v in found.values() for h in v]
    all_lead = [h for v in lead_found.values() for h in v]
    for category in sorted(found, key=lambda c: -len(found[c])):
        hits = found[category]
        print(f"  {category:<36} {len(hits):5d} {statistics.fmean(hits):9.0%} "
              f"{statistics.fmean(lead_found[category]):8.0%}")
    print(f"  {'overall':<36} {len(all_hits):5d} {statistics.fmean(all_hits):9.0%} "
          f"{statistics.fmean(all_lead):8.0%}")
    print("\n  key terms reported (precision: cited clause overlaps an annotated clause)")
    all_right = [r for v in term_right.values() for r in v]
    for label, right in sorted(term_right.items()):
        print(f"  {label:<36} {len(right):5d} {statistics.fmean(right):9.0%}")
    if all_right:
        print(f"  {'overall':<36} {len(all_right):5d} {statistics.fmean(all_right):9.0%}")
    print(f"  section-topic precision: {topic[0]}/{topic[1]}")
    return {"recall": statistics.fmean(all_hits) if all_hits else 0.0,
            "term_precision": statistics.fmean(all_right) if all_right else 0.0}


def _overlap(a: set[str], b: set[str]) -> bool:
    shared = len(a & b)
    return bool(a and b) and (shared >= 0.5 * len(a) or shared >= 0.5 * len(b))


def _section_categories(key: str) -> set[str]:
    for spec in load_profiles()["contract"].sections:
        if spec.key == key:
            return set(spec.clauses)
    return set()


def speed(repeat: int = 5) -> dict[str, float]:
    """The summarize step on a 30 KB contract (shipped in tests/data), new against old: the
    profile-aware composition (segmentation, clause finder, key terms) and the embedding-based
    selection it replaced, over the same passages; best of ``repeat`` runs, models loaded."""
    from lexgraph.adapters.embeddings.local import LocalEmbedder
    from lexgraph.core.summary.extractive import summarize_extractive

    path = next((data.REPO / "tests" / "data").glob("*Distributor_Agreement.txt"))
    text = path.read_text("utf-8")
    passages = data.passages(text)
    profile = load_profiles()["contract"]
    finder = load_clause_finder()
    embedder = LocalEmbedder()
    retrieved = {s.key: passages[:6] for s in profile.sections}

    def best(run: Any) -> float:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
        return min(times) * 1000

    new = best(lambda: compose_extractive(profile, passages, finder=finder,
                                          pages={"doc_1": [text]}))
    old = best(lambda: summarize_extractive(profile, retrieved, embedder, per_section=3))
    print(f"\nsummarize on {path.name[:40]}… ({len(text):,} characters, {len(passages)} "
          f"chunks): profile composition {new:.0f} ms, embedding selection it replaced "
          f"{old:.0f} ms (best of {repeat})")
    return {"compose_ms": new, "embedding_ms": old}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("bills", "contracts", "speed"))
    parser.add_argument("--contracts", type=int, default=None,
                        help="measure only the first N contracts of the split")
    parser.add_argument("--split", choices=("validation", "train"), default="validation",
                        help="CUAD split to measure contracts on (tune on train, report "
                             "validation)")
    args = parser.parse_args()
    if args.only != "speed":
        data.require(data.BILLS, data.DEV_BILLS, CUAD / "split.json")
    tally = Tally()
    if args.only in (None, "bills"):
        parts = data.split(data.load(data.BILLS))
        for name in ("heldout", "tune"):
            bills(parts[name], name, tally)
        bills(data.load(data.DEV_BILLS), "corpus/billsum_dev.jsonl", tally)
        tally.report("bills")
    if args.only in (None, "speed"):
        speed()
    if args.only in (None, "contracts"):
        contract_tally = Tally()
        contracts(args.contracts, contract_tally, args.split)
        contract_tally.report("contracts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
