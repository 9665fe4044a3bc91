"""An OpenAI-compatible embeddings endpoint (Hugging Face TEI, vLLM, Ollama, OpenAI itself):
``POST {base}/v1/embeddings`` with ``{"model", "input": [...]}``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import numpy as np
from numpy.typing import NDArray

from lexgraph.core.embeddings.base import normalize
from lexgraph.core.errors import JobError


class OpenAIEmbedder:
    def __init__(self, base_url: str, model: str, *, api_key: str | None = None,
                 batch_size: int = 32, timeout: float = 60.0,
                 client: httpx.Client | None = None) -> None:
        base = base_url.rstrip("/")
        self.url = (base if base.endswith("/v1") else base + "/v1") + "/embeddings"
        self.model_name = model
        self.batch_size = batch_size
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = client or httpx.Client(timeout=timeout, headers=headers)
        self._dimension: int | None = None

    @property
    def name(self) -> str:
        return f"openai:{self.model_name}"

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            self._dimension = int(self._post(["dimension probe"]).shape[1])
        return self._dimension

    def _post(self, batch: list[str]) -> NDArray[np.float32]:
        try:
            resp = self._client.post(self.url, json={"model": self.model_name, "input": batch})
        except httpx.HTTPError as exc:
            raise JobError("embeddings_unavailable", f"the embeddings endpoint {self.url} "
                           f"could not be reached ({type(exc).__name__})") from exc
        if resp.status_code != 200:
            raise JobError("embeddings_unavailable", f"the embeddings endpoint {self.url} "
                           f"answered {resp.status_code}: {resp.text[:200]}")
        try:
            data: list[dict[str, Any]] = sorted(resp.json()["data"], key=lambda d: d["index"])
            matrix = np.asarray([d["embedding"] for d in data], dtype=np.float32)
        except (ValueError, KeyError, TypeError) as exc:
            raise JobError("embeddings_unavailable", f"the embeddings endpoint {self.url} "
                           "answered something that is not an embeddings response") from exc
        if matrix.ndim != 2 or matrix.shape[0] != len(batch):
            raise JobError("embeddings_unavailable", f"the embeddings endpoint {self.url} "
                           f"returned {matrix.shape[0]} vectors for {len(batch)} inputs")
        return matrix

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        parts = [self._post(list(texts[i:i + self.batch_size]))
                 for i in range(0, len(texts), self.batch_size)]
        matrix = np.concatenate(parts)
        self._dimension = int(matrix.shape[1])
        return normalize(matrix)

    def embed_query(self, text: str) -> NDArray[np.float32]:
        vector: NDArray[np.float32] = self.embed([text])[0]
        return vector

    def close(self) -> None:
        self._client.close()
