"""Adapters: the code that reaches an outside system or a model runtime, one room per port.

Each module here implements a Protocol of ``lexgraph.core`` (``Embedder``, ``LLMClient``,
``Tracer``, ``VectorStore``, ``WebhookSender``) and imports its vendor library itself.
Adapters depend on the kernel, never the reverse; only the composition root
(``lexgraph.composition``) imports them and builds them from ``Settings``.
"""
