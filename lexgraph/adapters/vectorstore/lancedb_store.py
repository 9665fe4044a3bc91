"""LanceDB, embedded: one table per (tenant, matter) under a local directory.

Hybrid search runs a vector query and a native full-text (BM25) query on the same table and
fuses the two rankings with reciprocal-rank fusion. Small tables are searched exhaustively;
once a table reaches ``ann_min_rows`` rows an IVF_HNSW_SQ index is built, and every write
folds new rows into the existing indexes.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from lexgraph.core.errors import JobError
from lexgraph.core.vectorstore.base import Hit, Passage, Scope, SearchMode, fuse

ANN_MIN_ROWS = 20_000
# Each fused list draws on more candidates than it returns, so a passage ranked well by one
# retriever but outside the other's top k still gets both contributions.
_CANDIDATES = 40
# The ANN index compares 8-bit quantised vectors; re-ranking about 100 candidates by their
# full vectors lifts recall@10 from about 0.8 to 0.99 for a few milliseconds (bench/search.py).
_REFINED = 100
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lancedb-fts")
_COLUMNS = ["id", "document_id", "document", "page", "page_end", "start", "end", "heading",
            "text"]


def _schema(dimension: int) -> pa.Schema:
    return pa.schema([
        pa.field("id", pa.string(), nullable=False),
        pa.field("document_id", pa.string(), nullable=False),
        pa.field("document", pa.string()),
        pa.field("page", pa.int32()),
        pa.field("page_end", pa.int32()),
        pa.field("start", pa.int32()),
        pa.field("end", pa.int32()),
        pa.field("heading", pa.string()),
        pa.field("text", pa.string()),
        pa.field("vector", pa.list_(pa.float32(), dimension)),
    ])


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _passage(row: dict[str, Any]) -> Passage:
    return Passage(id=row["id"], document_id=row["document_id"], document=row["document"] or "",
                   page=int(row["page"]), page_end=int(row["page_end"]), start=int(row["start"]),
                   end=int(row["end"]), heading=row["heading"] or "", text=row["text"] or "")


class LanceDBStore:
    def __init__(self, path: Path, *, ann_min_rows: int = ANN_MIN_ROWS) -> None:
        import lancedb

        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._locks = self.path / ".locks"
        self._locks.mkdir(exist_ok=True)
        self.ann_min_rows = ann_min_rows
        # Workers in other processes write the same tables: every read checks for their
        # newer versions, so a search right after indexing sees the new chunks.
        self._db = lancedb.connect(str(self.path), read_consistency_interval=timedelta(0))

    @property
    def name(self) -> str:
        return "lancedb"

    # Tables ---------------------------------------------------------------------------------

    def _table(self, scope: Scope) -> Any | None:
        try:
            return self._db.open_table(scope.key)
        except (ValueError, FileNotFoundError):
            return None

    @contextlib.contextmanager
    def _writing(self, scope: Scope) -> Iterator[None]:
        """One writer per table across threads and processes on this machine."""
        with open(self._locks / f"{scope.key}.lock", "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _maintain(self, table: Any) -> None:
        from lancedb.index import FTS, HnswSq

        indexes = {tuple(ix.columns): ix for ix in table.list_indices()}
        if ("text",) not in indexes:
            table.create_index("text", config=FTS(with_position=False))
        else:
            table.optimize()
        rows = table.count_rows()
        if ("vector",) not in indexes and rows >= self.ann_min_rows:
            table.create_index("vector", config=HnswSq(
                distance_type="cosine", num_partitions=max(1, rows // 100_000)))

    # Protocol -------------------------------------------------------------------------------

    def upsert(self, scope: Scope, passages: Sequence[Passage],
               vectors: NDArray[np.float32]) -> int:
        if len(passages) != len(vectors):
            raise ValueError(f"{len(passages)} passages but {len(vectors)} vectors")
        if not passages:
            return 0
        dimension = int(vectors.shape[1])
        schema = _schema(dimension)
        data = pa.Table.from_pydict({
            "id": [p.id for p in passages],
            "document_id": [p.document_id for p in passages],
            "document": [p.document for p in passages],
            "page": [p.page for p in passages],
            "page_end": [p.page_end for p in passages],
            "start": [p.start for p in passages],
            "end": [p.end for p in passages],
            "heading": [p.heading for p in passages],
            "text": [p.text for p in passages],
            "vector": pa.FixedSizeListArray.from_arrays(
                pa.array(np.ascontiguousarray(vectors, dtype=np.float32).ravel()), dimension),
        }, schema=schema)
        with self._writing(scope):
            table = self._table(scope)
            if table is None:
                table = self._db.create_table(scope.key, schema=schema, exist_ok=True)
            stored = table.schema.field("vector").type.list_size
            if stored != dimension:
                raise JobError("embedding_mismatch", f"this matter was indexed with "
                               f"{stored}-dimensional embeddings, not {dimension}; re-index it "
                               "after changing the embedding model")
            (table.merge_insert("id").when_matched_update_all()
             .when_not_matched_insert_all().execute(data))
            self._maintain(table)
        return len(passages)

    def search(self, scope: Scope, *, text: str, vector: NDArray[np.float32], k: int = 10,
               documents: Sequence[str] | None = None,
               mode: SearchMode = "hybrid") -> list[Hit]:
        table = self._table(scope)
        if table is None or k <= 0:
            return []
        where = None
        if documents is not None:
            if not documents:
                return []
            where = "document_id IN (" + ", ".join(_quote(d) for d in documents) + ")"
        depth = k if mode != "hybrid" else max(k, _CANDIDATES)

        def by_vector() -> list[dict[str, Any]]:
            query = (table.search(np.asarray(vector, dtype=np.float32), query_type="vector",
                                  vector_column_name="vector")
                     .distance_type("cosine").refine_factor(max(2, _REFINED // depth))
                     .select([*_COLUMNS, "_distance"]).limit(depth))
            if where:
                query = query.where(where, prefilter=True)
            rows: list[dict[str, Any]] = query.to_arrow().to_pylist()
            return rows

        def by_text() -> list[dict[str, Any]]:
            if not text.strip():
                return []
            query = (table.search(text, query_type="fts", fts_columns="text")
                     .select([*_COLUMNS, "_score"]).limit(depth))
            if where:
                query = query.where(where, prefilter=True)
            rows: list[dict[str, Any]] = query.to_arrow().to_pylist()
            return rows

        if mode == "vector":
            return [Hit(_passage(r), 1.0 - float(r["_distance"])) for r in by_vector()]
        if mode == "text":
            return [Hit(_passage(r), float(r["_score"])) for r in by_text()]
        # LanceDB releases the GIL while it searches, so the two retrievers run side by side.
        text_rows = _pool.submit(by_text)
        vector_rows = by_vector()
        lexical = text_rows.result()
        rows = {r["id"]: r for r in lexical} | {r["id"]: r for r in vector_rows}
        fused = fuse([[r["id"] for r in vector_rows], [r["id"] for r in lexical]], k)
        return [Hit(_passage(rows[item]), score) for item, score in fused]

    def delete_document(self, scope: Scope, document_id: str) -> None:
        with self._writing(scope):
            table = self._table(scope)
            if table is not None:
                table.delete(f"document_id = {_quote(document_id)}")

    def delete_matter(self, scope: Scope) -> None:
        with self._writing(scope):
            if self._table(scope) is not None:
                self._db.drop_table(scope.key)
        (self._locks / f"{scope.key}.lock").unlink(missing_ok=True)

    def count(self, scope: Scope) -> int:
        table = self._table(scope)
        return 0 if table is None else int(table.count_rows())

    def close(self) -> None:
        """Nothing to release: LanceDB holds no connection between calls."""
