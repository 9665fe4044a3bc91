"""Embedding adapters: the packaged MiniLM on torch or ONNX Runtime, and an OpenAI-compatible
/v1/embeddings endpoint."""
