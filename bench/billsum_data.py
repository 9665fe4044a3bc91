"""BillSum data for the quality bench and the bill scorer's training: the shared bills, the
split they are used in, and each bill cut into statement candidates exactly as a job does.

Split (fixed, by sha256 of the bill id): the 8 bills of ``corpus/billsum_dev.jsonl`` are never
fitted on; of the other 92, the two thirds with the lowest hashes are ``tune`` and the rest are
``heldout``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import shared_data

from lexgraph.core.ingest.chunking import chunk_pages
from lexgraph.core.ingest.indexing import to_passage
from lexgraph.core.summary.units import Unit, statement_units
from lexgraph.core.vectorstore.base import Passage

REPO = Path(__file__).resolve().parents[1]
SHARED = shared_data.SHARED
BILLS = SHARED / "billsum" / "us_train_100.jsonl"
DEV_BILLS = SHARED / "corpus" / "billsum_dev.jsonl"
TUNE_SHARE = 2 / 3


def require(*paths: Path) -> None:
    shared_data.require(*paths, bench="bench/quality.py")


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def split(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    dev = [r for r in rows if r.get("in_dev_file")]
    rest = sorted((r for r in rows if not r.get("in_dev_file")),
                  key=lambda r: hashlib.sha256(r["id"].encode()).hexdigest())
    cut = round(len(rest) * TUNE_SHARE)
    return {"tune": rest[:cut], "heldout": rest[cut:], "dev": dev}


def passages(text: str, doc: str = "doc_1", chunk_chars: int = 1000) -> list[Passage]:
    return [to_passage(c, f"{doc}.txt") for c in chunk_pages(doc, [text], chunk_chars)]


def units(text: str) -> list[Unit]:
    return statement_units(passages(text), {"doc_1": [text]})
