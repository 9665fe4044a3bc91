"""Build the clause-finder dataset from CUAD v1 and train the packaged linear model.

Units are the sentences of ``units.contract_units``. A unit is labelled with a category when an
annotated text of that category covers at least half of the unit's characters, or at least half
of the annotation's characters lie inside the unit (so a short answer such as a party's name
labels the sentence it sits in, and a long clause labels each of its sentences). Annotations
are found in the whitespace-collapsed contract (exactly, else ignoring case; the first
occurrence not yet used by an identical annotation); the parts of a discontinuous annotation
(joined by ``<omitted>`` in CUAD) are placed one by one; those found nowhere are counted and
skipped.

Training uses the ``train`` contracts of ``split.json`` only. Thresholds come from out-of-fold
scores (folds grouped by contract, each fold refitting the vocabulary, the scorers and the
pruning), then the model is refitted on all of ``train``. scikit-learn is imported inside the
functions that need it: the run-time finder does not depend on it.
"""

from __future__ import annotations

import argparse
import ast
import bisect
import csv
import datetime as dt
import hashlib
import json
import os
import platform
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from lexgraph.core.clauses.base import ClauseFinder
from lexgraph.core.clauses.keywords import KeywordClauseFinder
from lexgraph.core.clauses.linear import (
    CARD_FILE,
    MODEL_FILE,
    LinearClauseFinder,
    analyze,
    read_model,
    save_model,
)
from lexgraph.core.clauses.units import Unit, collapse_whitespace, contract_units

ATTRIBUTION: dict[str, str] = {
    "dataset": "Contract Understanding Atticus Dataset (CUAD) v1",
    "creator": "The Atticus Project, Inc.",
    "url": "https://www.atticusprojectai.org/cuad",
    "license": "Creative Commons Attribution 4.0 International (CC BY 4.0)",
    "license_url": "https://creativecommons.org/licenses/by/4.0/",
    "changes": (
        "The model was trained on CUAD v1's contract texts and clause annotations (the "
        "'train' contracts of a fixed split); it contains no contract text, only a vocabulary "
        "of words and word pairs with weights derived from them."),
    "no_warranty": (
        "The Atticus Project states: \"We make no representations or warranties regarding the "
        "license status of the underlying contracts, which are publicly available and "
        "downloadable from EDGAR.\""),
    "citation": (
        "Dan Hendrycks, Collin Burns, Anya Chen, Spencer Ball. \"CUAD: An Expert-Annotated NLP "
        "Dataset for Legal Contract Review.\" NeurIPS 2021 Datasets and Benchmarks. "
        "arXiv:2103.06268."),
}

_NOT_CATEGORIES = frozenset({"Text File", "Filename"})
_FILE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_OMITTED = "<omitted>"


@dataclass(frozen=True)
class Settings:
    """Every choice that shapes the model; recorded in the card."""

    overlap: float = 0.5  # share of the unit's or of the annotation's characters
    ngram_max: int = 2
    min_df: int = 2  # in training units
    max_features: int = 60000  # most frequent terms kept
    c: float = 8.0  # inverse L2 strength; grouped 3-fold CV on train: 1 < 4 < 16 (bench/README)
    class_weight: str | None = None
    solver: str = "liblinear"
    dual: bool = True  # far faster than the primal on these sparse, wide features
    tol: float = 1e-4
    max_iter: int = 200
    keep_per_category: int = 3000  # largest |coefficients| kept per category
    min_abs_coef: float = 0.01  # smaller coefficients dropped
    folds: int = 3  # grouped by contract, for the out-of-fold thresholds
    precision_target: float = 0.9
    min_precise_hits: int = 5  # true positives a high-precision threshold must keep
    random_state: int = 0


@dataclass
class Contract:
    name: str
    text: str
    annotations: dict[str, list[str]]


@dataclass
class LabelledUnits:
    categories: tuple[str, ...]
    texts: list[str] = field(default_factory=list)
    labels: list[npt.NDArray[np.bool_]] = field(default_factory=list)
    groups: list[int] = field(default_factory=list)
    annotations: int = 0
    unmatched: int = 0

    def matrix(self) -> npt.NDArray[np.bool_]:
        if not self.labels:
            return np.zeros((0, len(self.categories)), dtype=bool)
        return np.vstack(self.labels)


def categories_of(header: Sequence[str]) -> tuple[str, ...]:
    """The 41 category columns: those that are neither an ``-Answer`` column nor file names."""
    return tuple(h for h in header
                 if h not in _NOT_CATEGORIES and not h.replace(" ", "").endswith("-Answer"))


def _file_stem(filename: str) -> str:
    """CUAD's original file name as the shared copy spells it (see its README)."""
    stem = os.path.splitext(filename.strip())[0]
    return _FILE_CHARS.sub("_", stem).strip("_-. ")


def load_cuad(cuad_dir: Path) -> tuple[tuple[str, ...], dict[str, Contract], dict[str, list[str]]]:
    """Categories, contracts by name (``contracts/<name>.txt``) and the split."""
    split: dict[str, list[str]] = json.loads((cuad_dir / "split.json").read_text("utf-8"))
    contracts: dict[str, Contract] = {}
    with (cuad_dir / "master_clauses.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        categories = categories_of(reader.fieldnames or [])
        for row in reader:
            # Four rows have no `Text File` (CUAD gives their text only as a PDF); the text may
            # still be here under the file name's normalised stem.
            relative = row["Text File"] or f"contracts/{_file_stem(row['Filename'])}.txt"
            path = cuad_dir / relative
            if not path.is_file():
                continue
            annotations = {c: [str(a) for a in ast.literal_eval(row[c] or "[]")]
                           for c in categories}
            contracts[path.stem] = Contract(path.stem, path.read_text("utf-8"), annotations)
    return categories, contracts, split


class _Collapsed:
    """The whitespace-collapsed text and the map from original offsets into it."""

    def __init__(self, text: str) -> None:
        pieces: list[str] = []
        self.orig_starts: list[int] = []
        self.flat_starts: list[int] = []
        length = 0
        for match in re.finditer(r"\S+", text):
            if pieces:
                pieces.append(" ")
                length += 1
            self.orig_starts.append(match.start())
            self.flat_starts.append(length)
            pieces.append(match.group())
            length += len(match.group())
        self.text = "".join(pieces)
        self.lower = self.text.lower()

    def position(self, offset: int) -> int:
        """Collapsed offset of the non-space character at original ``offset``."""
        run = bisect.bisect_right(self.orig_starts, offset) - 1
        return self.flat_starts[run] + offset - self.orig_starts[run]


def label_units(text: str, annotations: dict[str, list[str]], categories: Sequence[str],
                overlap: float) -> tuple[list[Unit], npt.NDArray[np.bool_], int, int]:
    """The units of ``text``, their labels, and how many annotations were / were not found."""
    units = contract_units(text)
    flat = _Collapsed(text)
    spans = [(flat.position(u.start), flat.position(u.end - 1) + 1) for u in units]
    starts = [s for s, _ in spans]
    labels = np.zeros((len(units), len(categories)), dtype=bool)
    found = missing = 0
    for c, category in enumerate(categories):
        used: dict[str, int] = {}
        # CUAD joins the parts of a discontinuous annotation with "<omitted>".
        pieces = [collapse_whitespace(part) for raw in annotations.get(category, [])
                  for part in raw.split(_OMITTED)]
        for needle in pieces:
            if not needle:
                continue
            after = used.get(needle, 0)
            at = flat.text.find(needle, after)
            if at < 0:
                at = flat.lower.find(needle.lower(), after)
            if at < 0:
                missing += 1
                continue
            found += 1
            used[needle] = at + 1
            a_start, a_end = at, at + len(needle)
            # Units are sorted and disjoint: look only at those that can overlap.
            first = max(bisect.bisect_right(starts, a_start) - 1, 0)
            for u in range(first, len(units)):
                u_start, u_end = spans[u]
                if u_start >= a_end:
                    break
                shared = min(u_end, a_end) - max(u_start, a_start)
                if shared > 0 and (shared >= overlap * (u_end - u_start)
                                   or shared >= overlap * (a_end - a_start)):
                    labels[u, c] = True
    return units, labels, found, missing


def build_units(contracts: Sequence[Contract], categories: Sequence[str],
                overlap: float) -> LabelledUnits:
    data = LabelledUnits(tuple(categories))
    for group, contract in enumerate(contracts):
        units, labels, found, missing = label_units(contract.text, contract.annotations,
                                                    categories, overlap)
        data.texts.extend(u.text for u in units)
        data.labels.append(labels)
        data.groups.extend([group] * len(units))
        data.annotations += found + missing
        data.unmatched += missing
    return data


@dataclass
class FittedModel:
    vocabulary: list[str]
    idf: npt.NDArray[np.float32]
    coef: npt.NDArray[np.float32]  # (features, categories), pruned
    intercept: npt.NDArray[np.float32]


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def fit(tokens: Sequence[list[str]], labels: npt.NDArray[np.bool_],
        settings: Settings) -> FittedModel:
    """Vocabulary, idf and one pruned logistic regression per category."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=settings.min_df,
                                 max_features=settings.max_features, dtype=np.float32)
    features = vectorizer.fit_transform(tokens)
    vocabulary_map: dict[str, int] = vectorizer.vocabulary_
    # A sorted vocabulary makes the artifact independent of dict order.
    order = sorted(vocabulary_map, key=lambda t: vocabulary_map[t])
    n_features, n_categories = len(order), labels.shape[1]
    coef = np.zeros((n_features, n_categories), dtype=np.float32)
    intercept = np.full(n_categories, -30.0, dtype=np.float32)
    for c in range(n_categories):
        y = labels[:, c]
        if not y.any():
            continue  # no example: the category is never predicted
        model = LogisticRegression(C=settings.c, class_weight=settings.class_weight,
                                   solver=settings.solver, dual=settings.dual, tol=settings.tol,
                                   max_iter=settings.max_iter,
                                   random_state=settings.random_state)
        model.fit(features, y)
        weights = model.coef_[0].astype(np.float32)
        weights[np.abs(weights) < settings.min_abs_coef] = 0.0
        if np.count_nonzero(weights) > settings.keep_per_category:
            keep = np.argsort(-np.abs(weights), kind="stable")[:settings.keep_per_category]
            pruned = np.zeros_like(weights)
            pruned[keep] = weights[keep]
            weights = pruned
        coef[:, c] = weights
        intercept[c] = np.float32(model.intercept_[0])
    idf = np.asarray(vectorizer.idf_, dtype=np.float32)
    return FittedModel(order, idf, coef, intercept)


def decision(model: FittedModel, tokens: Sequence[list[str]]) -> npt.NDArray[np.float32]:
    """Logits of ``model`` for pre-tokenised units, computed as the run-time finder does."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer=_identity, sublinear_tf=True,
                                 vocabulary={t: i for i, t in enumerate(model.vocabulary)},
                                 dtype=np.float32)
    # The vocabulary is given, so fit only checks it; the idf is the training one.
    vectorizer.fit([[]])
    vectorizer.idf_ = model.idf
    features = vectorizer.transform(tokens)
    return np.asarray(features @ model.coef + model.intercept, dtype=np.float32)


def _sigmoid(logits: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    return (1.0 / (1.0 + np.exp(-np.clip(logits, -60.0, 60.0)))).astype(np.float32)


def choose_thresholds(scores: npt.NDArray[np.float32], truth: npt.NDArray[np.bool_],
                      precision_target: float,
                      min_hits: int) -> tuple[float, float | None, dict[str, float]]:
    """The F1-best threshold, the lowest threshold with precision ≥ target (and at least
    ``min_hits`` true positives; None when there is none), and the out-of-fold figures."""
    positives = int(truth.sum())
    if positives == 0:
        return 1.0, None, {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], truth[order]
    tp = np.cumsum(hits)
    predicted = np.arange(1, len(ranked) + 1)
    # Only the last position of a run of equal scores is a reachable cut. The threshold sits
    # halfway to the next lower score, not on the last kept one, so that a model refitted on
    # all of train (whose scores shift a little) keeps the same side of the cut.
    cuts = np.append(ranked[1:] != ranked[:-1], True)
    below = np.append(ranked[1:], 0.0)[cuts]
    tp, predicted = tp[cuts], predicted[cuts]
    values = (ranked[cuts] + below) / 2
    precision = tp / predicted
    recall = tp / positives
    f1 = np.where(tp > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0.0)
    best = int(np.argmax(f1))
    good = np.flatnonzero((precision >= precision_target) & (tp >= min_hits))
    precise = int(good[-1]) if len(good) else None
    figures = {"precision": float(precision[best]), "recall": float(recall[best]),
               "f1": float(f1[best]), "support": positives}
    if precise is not None:
        figures["high_precision_precision"] = float(precision[precise])
        figures["high_precision_recall"] = float(recall[precise])
        return float(values[best]), float(values[precise]), figures
    return float(values[best]), None, figures


def average_precision(scores: npt.NDArray[np.float32], truth: npt.NDArray[np.bool_]) -> float:
    positives = int(truth.sum())
    if positives == 0:
        return 0.0
    hits = truth[np.argsort(-scores, kind="stable")]
    tp = np.cumsum(hits)
    precision = tp / np.arange(1, len(hits) + 1)
    return float(precision[hits].sum() / positives)


def out_of_fold(tokens: Sequence[list[str]], labels: npt.NDArray[np.bool_],
                groups: npt.NDArray[np.int64], settings: Settings,
                log: Any = None) -> npt.NDArray[np.float32]:
    """Scores of every unit by a model fitted without its contract's fold."""
    from sklearn.model_selection import GroupKFold

    scores = np.zeros(labels.shape, dtype=np.float32)
    splitter = GroupKFold(n_splits=settings.folds)
    for k, (fit_rows, held_rows) in enumerate(splitter.split(labels, groups=groups)):
        model = fit([tokens[i] for i in fit_rows], labels[fit_rows], settings)
        scores[held_rows] = _sigmoid(decision(model, [tokens[i] for i in held_rows]))
        if log:
            log(f"fold {k + 1}/{settings.folds} done")
    return scores


def evaluate(finder: ClauseFinder, data: LabelledUnits, *,
             high_precision: bool = False) -> dict[str, Any]:
    """Unit-level precision, recall and F1 per category at the finder's thresholds, with micro
    and macro averages (macro over the categories that have a positive unit in ``data``)."""
    truth = data.matrix()
    position = {c: i for i, c in enumerate(finder.categories)}
    predicted = np.zeros(truth.shape, dtype=bool)
    scores = np.zeros(truth.shape, dtype=np.float32)
    if isinstance(finder, LinearClauseFinder) and high_precision:
        labelled = finder.classify(data.texts, high_precision=True)
    else:
        labelled = finder.classify(data.texts)
    column = {c: data.categories.index(c) for c in finder.categories if c in data.categories}
    for row, labels in enumerate(labelled):
        for label in labels:
            if label.category in column:
                predicted[row, column[label.category]] = True
    all_scores = finder.scores(data.texts)
    for category, col in column.items():
        scores[:, col] = all_scores[:, position[category]]
    per_category: dict[str, dict[str, float]] = {}
    totals = np.zeros(3, dtype=np.int64)
    for col, category in enumerate(data.categories):
        tp = int((predicted[:, col] & truth[:, col]).sum())
        fp = int((predicted[:, col] & ~truth[:, col]).sum())
        fn = int((~predicted[:, col] & truth[:, col]).sum())
        totals += (tp, fp, fn)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_category[category] = {
            "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "support": tp + fn, "predicted": tp + fp,
            "average_precision": round(average_precision(scores[:, col], truth[:, col]), 4)}
    tp, fp, fn = (int(v) for v in totals)
    micro_p = tp / (tp + fp) if tp + fp else 0.0
    micro_r = tp / (tp + fn) if tp + fn else 0.0
    present = [v for v in per_category.values() if v["support"]]
    return {
        "units": len(data.texts),
        "categories": per_category,
        "micro": {"precision": round(micro_p, 4), "recall": round(micro_r, 4),
                  "f1": round(2 * micro_p * micro_r / (micro_p + micro_r)
                              if micro_p + micro_r else 0.0, 4)},
        "macro": {k: round(float(np.mean([v[k] for v in present])), 4) if present else 0.0
                  for k in ("precision", "recall", "f1", "average_precision")},
    }


def validation_units(cuad_dir: Path, overlap: float) -> LabelledUnits:
    """The labelled units of the ``validation`` contracts (for measuring, never for fitting)."""
    categories, contracts, split = load_cuad(cuad_dir)
    return build_units([contracts[n] for n in split["validation"] if n in contracts],
                       categories, overlap)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _versions() -> dict[str, str]:
    import scipy
    import sklearn

    return {"python": platform.python_version(), "numpy": np.__version__,
            "scipy": scipy.__version__, "scikit-learn": sklearn.__version__}


def _build_date() -> str:
    """SOURCE_DATE_EPOCH when set, so that a rebuild can reproduce the card exactly."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = (dt.datetime.fromtimestamp(int(epoch), dt.UTC) if epoch
              else dt.datetime.now(dt.UTC))
    return moment.date().isoformat()


def train(cuad_dir: Path, out_dir: Path, settings: Settings,
          log: Any = print) -> dict[str, Any]:
    """Train on the ``train`` split, write ``clauses.npz`` and ``card.json``; return the card."""
    started = time.monotonic()
    categories, contracts, split = load_cuad(cuad_dir)
    train_names = [n for n in split["train"] if n in contracts]
    data = build_units([contracts[n] for n in train_names], categories, settings.overlap)
    labels = data.matrix()
    groups = np.asarray(data.groups, dtype=np.int64)
    tokens = [analyze(t) for t in data.texts]
    log(f"{len(train_names)} contracts, {len(tokens)} units, "
        f"{data.unmatched}/{data.annotations} annotations not found")
    oof = out_of_fold(tokens, labels, groups, settings, log)
    thresholds = np.ones(len(categories), dtype=np.float32)
    precise = np.full(len(categories), np.nan, dtype=np.float32)
    per_category: dict[str, dict[str, Any]] = {}
    for c, category in enumerate(categories):
        best, high, figures = choose_thresholds(oof[:, c], labels[:, c],
                                                settings.precision_target,
                                                settings.min_precise_hits)
        thresholds[c] = best
        if high is not None:
            precise[c] = high
        per_category[category] = {
            "positives": int(labels[:, c].sum()),
            "contracts_with_positives": len(np.unique(groups[labels[:, c]])),
            "threshold": float(np.float32(best)),
            "high_precision_threshold": None if high is None else float(np.float32(high)),
            "oof": {**{k: round(v, 4) for k, v in figures.items()},
                    "average_precision": round(average_precision(oof[:, c], labels[:, c]), 4)},
        }
    final = fit(tokens, labels, settings)
    out_dir.mkdir(parents=True, exist_ok=True)
    save_model(out_dir / MODEL_FILE, categories=categories, vocabulary=final.vocabulary,
               idf=final.idf, coef=final.coef, intercept=final.intercept,
               thresholds=thresholds, precise_thresholds=precise)
    card: dict[str, Any] = {
        "model": "lexgraph clause finder (TF-IDF + per-category logistic regression)",
        "task": "sentence-level multi-label classification into CUAD v1's 41 categories",
        "data": {
            "dataset": ATTRIBUTION["dataset"],
            "split_file_sha256": _sha256(cuad_dir / "split.json"),
            "master_clauses_sha256": _sha256(cuad_dir / "master_clauses.csv"),
            "trained_on": "train",
            "contracts": len(train_names),
            "units": len(tokens),
            "annotations": data.annotations,
            "annotations_not_found": data.unmatched,
        },
        "settings": {**asdict(settings), "tokens": (
            "lower-cased words (inner apostrophes kept), numbers as '0', '$', '%', '§'; "
            "word unigrams and bigrams; sublinear tf, smoothed idf, L2-normalised rows"),
            "units": "lexgraph.core.clauses.units.contract_units (sentences, cut at blank "
                     "lines, at most 1,500 characters)",
            "labels": "a unit takes a category when one of its annotations covers >= overlap "
                      "of the unit's characters or >= overlap of the annotation lies in it",
            "thresholds": "F1-best on out-of-fold scores within train (GroupKFold by "
                          "contract); high-precision: lowest with out-of-fold precision >= "
                          "precision_target and >= min_precise_hits true positives"},
        "features": len(final.vocabulary),
        "nonzero_coefficients": int(np.count_nonzero(final.coef)),
        "categories": per_category,
        "versions": _versions(),
        "date": _build_date(),
        "training_seconds": None,
        "validation": None,
        "attribution": ATTRIBUTION,
    }
    card["training_seconds"] = round(time.monotonic() - started, 1)
    # Measured after everything is fixed; nothing above looks at these contracts.
    held_out = build_units([contracts[n] for n in split["validation"] if n in contracts],
                           categories, settings.overlap)
    finder = read_model(out_dir / MODEL_FILE)
    card["validation"] = {
        "contracts": len([n for n in split["validation"] if n in contracts]),
        "units": len(held_out.texts),
        "f1_thresholds": evaluate(finder, held_out),
        "high_precision_thresholds": evaluate(finder, held_out, high_precision=True),
        "keyword_baseline": evaluate(KeywordClauseFinder(), held_out),
    }
    write_card(out_dir, card)
    return card


def write_card(out_dir: Path, card: dict[str, Any]) -> None:
    (out_dir / CARD_FILE).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n",
                                     encoding="utf-8")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Train the clause finder on CUAD v1's train split.")
    parser.add_argument("--cuad", type=Path, required=True,
                        help="the CUAD v1 folder (master_clauses.csv, split.json, contracts/)")
    parser.add_argument("--out", type=Path, required=True, help="where the model is written")
    defaults = Settings()
    parser.add_argument("--c", type=float, default=defaults.c)
    parser.add_argument("--max-features", type=int, default=defaults.max_features)
    parser.add_argument("--folds", type=int, default=defaults.folds)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not (args.cuad / "master_clauses.csv").is_file():
        print(f"CUAD v1 not found at {args.cuad}", file=sys.stderr)
        return 2
    settings = Settings(c=args.c, max_features=args.max_features, folds=args.folds)
    card = train(args.cuad, args.out, settings)
    print(f"wrote {args.out / MODEL_FILE} ({card['features']} features, "
          f"{card['nonzero_coefficients']} coefficients) in {card['training_seconds']} s")
    return 0
