"""Vector stores behind one Protocol: LanceDB embedded on disk (default) and Weaviate.

Ethical walls are physical: every (tenant, matter) pair has its own LanceDB table or its own
Weaviate tenant (shard), and a search opens only its scope's one, so no filter bug can return
another matter's passages. Dropping a matter drops that table or tenant and all its vectors.
"""

from __future__ import annotations

from lexgraph.core.vectorstore.base import Hit, Passage, Scope, SearchMode, VectorStore

__all__ = ["Hit", "Passage", "Scope", "SearchMode", "VectorStore"]
