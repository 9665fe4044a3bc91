"""Pick the embedding adapter the settings name."""

from __future__ import annotations

from lexgraph.core.config.settings import Settings
from lexgraph.core.embeddings.base import Embedder
from lexgraph.core.errors import ConfigError


def make_embedder(settings: Settings) -> Embedder:
    if settings.embedding_backend == "local":
        from lexgraph.adapters.embeddings.local import LocalEmbedder

        return LocalEmbedder(settings.embedding_model, batch_size=settings.embedding_batch_size,
                             runtime=settings.embedding_runtime,
                             cache_dir=settings.resolved_embedding_cache_dir,
                             threads=settings.embedding_threads,
                             memo_size=settings.embedding_memo_size)
    if not settings.embedding_url:
        raise ConfigError("LEXGRAPH_EMBEDDING_BACKEND=openai needs LEXGRAPH_EMBEDDING_URL, "
                          "the base URL of an OpenAI-compatible embeddings server")
    from lexgraph.adapters.embeddings.openai_compat import OpenAIEmbedder

    key = settings.embedding_api_key.get_secret_value() if settings.embedding_api_key else None
    return OpenAIEmbedder(settings.embedding_url, settings.embedding_model, api_key=key,
                          batch_size=settings.embedding_batch_size)
