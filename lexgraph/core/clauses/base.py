"""The clause finder contract: per-category scores in 0..1 and thresholded labels per text.

Category names are CUAD v1's, exactly as they head the columns of its ``master_clauses.csv``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class ClauseLabel:
    category: str  # CUAD category name exactly as in master_clauses.csv, e.g. "Governing Law"
    score: float  # 0..1


class ClauseFinder(Protocol):
    @property
    def categories(self) -> tuple[str, ...]: ...

    def scores(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Shape ``(len(texts), len(categories))``, float32 in 0..1."""
        ...

    def classify(self, texts: Sequence[str]) -> list[list[ClauseLabel]]:
        """Per text: the labels whose score reaches the category's threshold, best first."""
        ...

    def threshold(self, category: str) -> float: ...

    def high_precision_threshold(self, category: str) -> float | None:
        """The lowest score at which the category's labels were precise enough to report as
        a key term (precision >= 0.9 out of fold in training); None when none was."""
        ...


def labels_from_scores(scores: npt.NDArray[np.float32], categories: Sequence[str],
                       thresholds: npt.NDArray[np.float32]) -> list[list[ClauseLabel]]:
    """Thresholded labels per row, best first (ties keep the category order)."""
    result: list[list[ClauseLabel]] = []
    for row in scores:
        hits = np.flatnonzero(row >= thresholds)
        order = hits[np.argsort(-row[hits], kind="stable")]
        result.append([ClauseLabel(categories[i], float(row[i])) for i in order])
    return result
