"""Open the vector store the settings name: LanceDB on disk or Weaviate."""

from __future__ import annotations

from collections.abc import Callable

from lexgraph.core.config.settings import Settings
from lexgraph.core.errors import ConfigError
from lexgraph.core.vectorstore.base import VectorStore


def open_vector_store(settings: Settings) -> VectorStore:
    if settings.vector_store == "lancedb":
        from lexgraph.adapters.vectorstore.lancedb_store import LanceDBStore

        return LanceDBStore(settings.resolved_vector_dir)
    if not settings.weaviate_url:
        raise ConfigError("LEXGRAPH_VECTOR_STORE=weaviate needs LEXGRAPH_WEAVIATE_URL, "
                          "for example http://weaviate:8080")
    from lexgraph.adapters.vectorstore.weaviate_store import WeaviateStore

    key = settings.weaviate_api_key.get_secret_value() if settings.weaviate_api_key else None
    return WeaviateStore(settings.weaviate_url, api_key=key,
                         grpc_port=settings.weaviate_grpc_port)


def vector_store_opener(settings: Settings) -> Callable[[], VectorStore]:
    """Opens the configured vector store on demand (data deletion opens it per request)."""
    return lambda: open_vector_store(settings)
