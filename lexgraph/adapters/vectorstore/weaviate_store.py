"""Weaviate (client v4): one multi-tenant collection, one Weaviate tenant per (tenant, matter).

A Weaviate tenant is its own shard: queries name it and cannot see the others, and removing it
removes its objects. Vectors come from our embedder (no server-side vectorizer); hybrid search
is Weaviate's BM25 + vector fusion.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from numpy.typing import NDArray

from lexgraph.core.errors import JobError
from lexgraph.core.vectorstore.base import Hit, Passage, Scope, SearchMode

COLLECTION = "LexgraphChunk"
# Slightly more weight on BM25 than on the vector: in legal text an exact defined term, party
# name or clause number should beat a passage that is merely about the same topic.
HYBRID_ALPHA = 0.45
_PROPERTIES = ["chunk_id", "document_id", "document", "page", "page_end", "char_start",
               "char_end", "heading", "text"]


def _passage(props: dict[str, Any]) -> Passage:
    return Passage(id=props["chunk_id"], document_id=props["document_id"],
                   document=props.get("document") or "", page=int(props["page"]),
                   page_end=int(props["page_end"]), start=int(props["char_start"]),
                   end=int(props["char_end"]), heading=props.get("heading") or "",
                   text=props.get("text") or "")


class WeaviateStore:
    def __init__(self, url: str, *, api_key: str | None = None, grpc_port: int = 50051,
                 collection: str = COLLECTION) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"Weaviate URL must be http(s)://host[:port], not {url!r}")
        self.url = url
        self._secure = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._secure else 80)
        self._grpc_port = grpc_port
        self._api_key = api_key
        self.collection_name = collection
        self._client: Any = None
        self._collection: Any = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return "weaviate"

    # Connection and schema ------------------------------------------------------------------

    def _connect(self) -> Any:
        """Connect on first use, so a worker starts even while Weaviate is still coming up."""
        with self._lock:
            if self._collection is not None:
                return self._collection
            import weaviate
            from weaviate.classes.init import AdditionalConfig, Auth, Timeout

            try:
                client = weaviate.connect_to_custom(
                    http_host=self._host, http_port=self._port, http_secure=self._secure,
                    grpc_host=self._host, grpc_port=self._grpc_port, grpc_secure=self._secure,
                    auth_credentials=Auth.api_key(self._api_key) if self._api_key else None,
                    additional_config=AdditionalConfig(timeout=Timeout(init=10, query=30,
                                                                       insert=120)),
                )
            except Exception as exc:
                raise JobError("vector_store_unavailable", f"Weaviate at {self.url} could not "
                               f"be reached ({type(exc).__name__}: {exc})") from exc
            try:
                self._ensure_collection(client)
            except Exception:
                client.close()
                raise
            self._client = client
            self._collection = client.collections.get(self.collection_name)
            return self._collection

    def _ensure_collection(self, client: Any) -> None:
        from weaviate.classes.config import (
            Configure,
            DataType,
            Property,
            Tokenization,
            VectorDistances,
        )

        if client.collections.exists(self.collection_name):
            return

        def keyword(name: str) -> Any:
            return Property(name=name, data_type=DataType.TEXT, tokenization=Tokenization.FIELD,
                            index_searchable=False)

        def number(name: str) -> Any:
            return Property(name=name, data_type=DataType.INT, index_filterable=False)

        try:
            client.collections.create(
                self.collection_name,
                multi_tenancy_config=Configure.multi_tenancy(enabled=True,
                                                             auto_tenant_creation=True),
                vector_config=Configure.Vectors.self_provided(
                    vector_index_config=Configure.VectorIndex.hnsw(
                        distance_metric=VectorDistances.COSINE)),
                properties=[
                    keyword("chunk_id"), keyword("document_id"),
                    Property(name="document", data_type=DataType.TEXT, index_searchable=False,
                             index_filterable=False),
                    number("page"), number("page_end"), number("char_start"),
                    number("char_end"),
                    Property(name="heading", data_type=DataType.TEXT),
                    Property(name="text", data_type=DataType.TEXT),
                ],
            )
        except Exception:
            # Another worker created it between our check and our request.
            if not client.collections.exists(self.collection_name):
                raise

    def _tenant(self, scope: Scope, *, create: bool) -> Any | None:
        """The scope's tenant handle; None when it does not exist and may not be created.

        Asked every time rather than cached: another process may have dropped the matter.
        Writes rely on the collection's auto tenant creation instead of a second round-trip.
        """
        collection = self._connect()
        if not create and not collection.tenants.exists(scope.key):
            return None
        return collection.with_tenant(scope.key)

    # Protocol -------------------------------------------------------------------------------

    def upsert(self, scope: Scope, passages: Sequence[Passage],
               vectors: NDArray[np.float32]) -> int:
        if len(passages) != len(vectors):
            raise ValueError(f"{len(passages)} passages but {len(vectors)} vectors")
        if not passages:
            return 0
        from weaviate.classes.data import DataObject
        from weaviate.util import generate_uuid5

        tenant = self._tenant(scope, create=True)
        assert tenant is not None
        # Deterministic object ids: writing a chunk again replaces it instead of adding one.
        objects = [DataObject(
            uuid=generate_uuid5(p.id),
            vector=[float(x) for x in vec],
            properties={"chunk_id": p.id, "document_id": p.document_id, "document": p.document,
                        "page": p.page, "page_end": p.page_end, "char_start": p.start,
                        "char_end": p.end, "heading": p.heading, "text": p.text},
        ) for p, vec in zip(passages, vectors, strict=True)]
        for i in range(0, len(objects), 500):
            result = tenant.data.insert_many(objects[i:i + 500])
            if result.has_errors:
                first = next(iter(result.errors.values()))
                raise JobError("vector_store_write_failed",
                               f"Weaviate refused {len(result.errors)} chunk(s): {first.message}")
        return len(objects)

    def search(self, scope: Scope, *, text: str, vector: NDArray[np.float32], k: int = 10,
               documents: Sequence[str] | None = None,
               mode: SearchMode = "hybrid") -> list[Hit]:
        from weaviate.classes.query import Filter, HybridFusion, MetadataQuery

        if k <= 0 or (documents is not None and not documents):
            return []
        tenant = self._tenant(scope, create=False)
        if tenant is None:
            return []
        filters = (Filter.by_property("document_id").contains_any(list(documents))
                   if documents is not None else None)
        query_vector = [float(x) for x in vector]
        if mode == "vector":
            res = tenant.query.near_vector(near_vector=query_vector, limit=k, filters=filters,
                                           return_properties=_PROPERTIES,
                                           return_metadata=MetadataQuery(distance=True))
            return [Hit(_passage(o.properties), 1.0 - float(o.metadata.distance or 0.0))
                    for o in res.objects]
        if mode == "text":
            res = tenant.query.bm25(query=text, limit=k, filters=filters,
                                    query_properties=["text", "heading"],
                                    return_properties=_PROPERTIES,
                                    return_metadata=MetadataQuery(score=True))
        else:
            res = tenant.query.hybrid(query=text, vector=query_vector, alpha=HYBRID_ALPHA,
                                      fusion_type=HybridFusion.RELATIVE_SCORE, limit=k,
                                      filters=filters, query_properties=["text", "heading"],
                                      return_properties=_PROPERTIES,
                                      return_metadata=MetadataQuery(score=True))
        return [Hit(_passage(o.properties), float(o.metadata.score or 0.0))
                for o in res.objects]

    def delete_document(self, scope: Scope, document_id: str) -> None:
        from weaviate.classes.query import Filter

        tenant = self._tenant(scope, create=False)
        if tenant is not None:
            tenant.data.delete_many(where=Filter.by_property("document_id").equal(document_id))

    def delete_matter(self, scope: Scope) -> None:
        collection = self._connect()
        if collection.tenants.exists(scope.key):
            collection.tenants.remove([scope.key])

    def count(self, scope: Scope) -> int:
        tenant = self._tenant(scope, create=False)
        if tenant is None:
            return 0
        return int(tenant.aggregate.over_all(total_count=True).total_count or 0)

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
            self._client = self._collection = None

    def drop_collection(self) -> None:
        """Remove the whole collection (test clean-up; never called by the service)."""
        self._connect()
        self._client.collections.delete(self.collection_name)
        self.close()
