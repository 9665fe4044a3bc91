"""Text embeddings behind one Protocol: the packaged all-MiniLM-L6-v2 model in-process, or an
OpenAI-compatible ``/v1/embeddings`` endpoint (TEI, vLLM) in production.

Adapters import their vendor libraries themselves; nothing else in lexgraph touches torch,
sentence-transformers or the endpoint's wire format.
"""

from __future__ import annotations

from lexgraph.core.embeddings.base import Embedder, normalize

__all__ = ["Embedder", "normalize"]
