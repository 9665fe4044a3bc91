"""Rebuild the packaged clause finder from CUAD v1 (thin wrapper over the training module).

    .venv/bin/python bench/train_clauses.py --cuad ../shared/cuad --out lexgraph/core/clauses/model

Set SOURCE_DATE_EPOCH to pin the date written into the card; the rest of the output depends
only on the data and the settings.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lexgraph.core.clauses.training import main

if __name__ == "__main__":
    raise SystemExit(main())
