"""The trained clause finder: TF-IDF features and one logistic-regression scorer per category.

At run time it needs numpy only. The artifact (``model/clauses.npz``, written by ``save_model``
and rebuilt by ``lexgraph.core.clauses.training``) holds the vocabulary, its idf, the pruned
coefficient matrix in coordinate form, the intercepts and two thresholds per category: the one
that maximised F1 out of fold on the training contracts, and the lowest whose out-of-fold
precision reached 0.9 (NaN where none did). ``model/card.json`` documents how it was built and
carries the CUAD v1 attribution that must travel with it.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from lexgraph.core.clauses.base import ClauseLabel, labels_from_scores
from lexgraph.core.errors import UserError

MODEL_DIR = Path(__file__).resolve().parent / "model"
MODEL_FILE = "clauses.npz"
CARD_FILE = "card.json"
FORMAT_VERSION = 1

# Lower-cased words (with inner apostrophes), numbers, and the signs that mark money and rates.
_TOKEN = re.compile(r"[a-z]+(?:['\u2019][a-z]+)*|\d+(?:[.,]\d+)*|[$%\u00a7]")
_NUMBER = "0"  # every number is one token: amounts and dates vary, their presence is the signal


def analyze(text: str) -> list[str]:
    """Word unigrams and bigrams of ``text``, lower-cased, numbers normalised."""
    tokens = [_NUMBER if t[0].isdigit() else t for t in _TOKEN.findall(text.lower())]
    return tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]


def _join(strings: Sequence[str]) -> npt.NDArray[np.uint8]:
    return np.frombuffer("\n".join(strings).encode("utf-8"), dtype=np.uint8).copy()


def _split(blob: npt.NDArray[np.uint8]) -> list[str]:
    text = blob.tobytes().decode("utf-8")
    return text.split("\n") if text else []


class LinearClauseFinder:
    """Logistic regression over sublinear TF-IDF unigrams and bigrams, one scorer per category."""

    def __init__(self, categories: Sequence[str], vocabulary: Sequence[str],
                 idf: npt.NDArray[np.float32], coef: npt.NDArray[np.float32],
                 intercept: npt.NDArray[np.float32], thresholds: npt.NDArray[np.float32],
                 precise_thresholds: npt.NDArray[np.float32]) -> None:
        n_cat, n_feat = len(categories), len(vocabulary)
        if coef.shape != (n_feat, n_cat) or idf.shape != (n_feat,) or intercept.shape != (
                n_cat,) or thresholds.shape != (n_cat,) or precise_thresholds.shape != (n_cat,):
            raise UserError("clause model arrays do not match its vocabulary and categories")
        self._categories = tuple(categories)
        self._index = {term: i for i, term in enumerate(vocabulary)}
        self._idf = idf.astype(np.float32)
        self._coef = coef.astype(np.float32)
        self._intercept = intercept.astype(np.float32)
        self._thresholds = thresholds.astype(np.float32)
        self._precise = precise_thresholds.astype(np.float32)
        self._position = {c: i for i, c in enumerate(self._categories)}

    @property
    def categories(self) -> tuple[str, ...]:
        return self._categories

    @property
    def vocabulary_size(self) -> int:
        return len(self._index)

    def _features(self, texts: Sequence[str]) -> tuple[
            npt.NDArray[np.int64], npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Concatenated (feature index, weight) pairs of all texts and each text's start."""
        indices: list[int] = []
        weights: list[float] = []
        starts: list[int] = []
        for text in texts:
            starts.append(len(indices))
            counts = Counter(i for t in analyze(text) if (i := self._index.get(t)) is not None)
            row = [(i, (1.0 + math.log(n)) * float(self._idf[i])) for i, n in counts.items()]
            norm = math.sqrt(sum(w * w for _, w in row)) or 1.0
            for i, w in row:
                indices.append(i)
                weights.append(w / norm)
        return (np.asarray(indices, dtype=np.int64), np.asarray(weights, dtype=np.float32),
                np.asarray(starts, dtype=np.int64))

    def decision(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Raw linear scores (logits), shape ``(len(texts), len(categories))``."""
        logits = np.tile(self._intercept, (len(texts), 1))
        indices, weights, starts = self._features(texts)
        if len(indices):
            contributions = self._coef[indices] * weights[:, None]
            nonempty = np.flatnonzero(np.diff(np.append(starts, len(indices))) > 0)
            logits[nonempty] += np.add.reduceat(contributions, starts[nonempty], axis=0)
        return logits.astype(np.float32)

    def scores(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        logits = np.clip(self.decision(texts), -60.0, 60.0)
        return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)

    def classify(self, texts: Sequence[str], *,
                 high_precision: bool = False) -> list[list[ClauseLabel]]:
        """Labels at the F1 thresholds, or at the precision ≥ 0.9 ones (categories without one
        are then never given)."""
        thresholds = np.where(np.isnan(self._precise), np.inf, self._precise).astype(
            np.float32) if high_precision else self._thresholds
        return labels_from_scores(self.scores(texts), self._categories, thresholds)

    def threshold(self, category: str) -> float:
        return float(self._thresholds[self._category_position(category)])

    def high_precision_threshold(self, category: str) -> float | None:
        value = float(self._precise[self._category_position(category)])
        return None if math.isnan(value) else value

    def _category_position(self, category: str) -> int:
        try:
            return self._position[category]
        except KeyError:
            raise UserError(f"unknown clause category {category!r}") from None


def save_model(path: Path, *, categories: Sequence[str], vocabulary: Sequence[str],
               idf: npt.NDArray[np.float32], coef: npt.NDArray[np.float32],
               intercept: npt.NDArray[np.float32], thresholds: npt.NDArray[np.float32],
               precise_thresholds: npt.NDArray[np.float32]) -> None:
    """Write a model as an ``.npz`` (no pickled objects; zero coefficients left out).

    ``coef`` is dense, shape ``(len(vocabulary), len(categories))``; ``precise_thresholds``
    holds NaN for a category without a high-precision threshold.
    """
    rows, cols = np.nonzero(coef)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        np.savez_compressed(
            handle,
            format_version=np.asarray([FORMAT_VERSION], dtype=np.int32),
            categories=_join(categories),
            vocabulary=_join(vocabulary),
            idf=idf.astype(np.float32),
            coef_rows=rows.astype(np.int32),
            coef_cols=cols.astype(np.int16),
            coef_values=coef[rows, cols].astype(np.float32),
            intercept=intercept.astype(np.float32),
            thresholds=thresholds.astype(np.float32),
            precise_thresholds=precise_thresholds.astype(np.float32),
        )


def read_model(path: Path) -> LinearClauseFinder:
    """Load an artifact written by ``save_model``."""
    if not path.is_file():
        raise UserError(f"clause model not found at {path}")
    with np.load(path, allow_pickle=False) as data:
        if int(data["format_version"][0]) != FORMAT_VERSION:
            raise UserError(f"clause model {path} has an unsupported format version")
        categories = _split(data["categories"])
        vocabulary = _split(data["vocabulary"])
        coef = np.zeros((len(vocabulary), len(categories)), dtype=np.float32)
        coef[data["coef_rows"], data["coef_cols"]] = data["coef_values"]
        return LinearClauseFinder(categories, vocabulary, data["idf"], coef, data["intercept"],
                                  data["thresholds"], data["precise_thresholds"])


@lru_cache(maxsize=8)
def _load_cached(path: Path) -> LinearClauseFinder:
    return read_model(path)


def load_clause_finder(path: Path | None = None) -> LinearClauseFinder:
    """The finder stored at ``path`` (a directory holding ``clauses.npz``, or the file itself);
    the packaged model by default. Loaded once per path and process."""
    target = MODEL_DIR if path is None else path
    if target.is_dir():
        target = target / MODEL_FILE
    return _load_cached(target.resolve())
