"""The packaged MiniLM run by ONNX Runtime instead of torch: the same weights, exported once
with ``torch.onnx`` into a cache folder (optionally with int8 dynamic quantization), then
loaded without torch on every later start.

On two CPU cores ONNX Runtime encodes the same batches in a fraction of torch's time (see
bench/README.md); the vectors agree with torch's to within float rounding (fp32) or a small
quantization error (int8), both measured by the search and summary benches.

``OnnxEncoder`` answers the part of ``SentenceTransformer``'s interface that ``LocalEmbedder``
uses (``encode``, ``get_embedding_dimension``), so the embedder's batching and locking stay
one code path for both runtimes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

log = logging.getLogger(__name__)

Runtime = Literal["torch", "onnx", "onnx-int8"]
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_export_lock = threading.Lock()


def _fingerprint(model_dir: Path, quantized: bool) -> str:
    """Names the exported file after the weights it came from, so new weights export again."""
    digest = hashlib.sha256()
    for name in ("config.json", "model.safetensors", "pytorch_model.bin", "tokenizer.json"):
        path = model_dir / name
        if path.is_file():
            stat = path.stat()
            digest.update(f"{name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    digest.update(b"int8" if quantized else b"fp32")
    return digest.hexdigest()[:16]


def _sequence_length(model_dir: Path) -> int:
    config = model_dir / "sentence_bert_config.json"
    if config.is_file():
        return int(json.loads(config.read_text()).get("max_seq_length", 256))
    return 256


def export_onnx(model_dir: Path, cache_dir: Path, *, quantized: bool) -> Path:
    """The model's ONNX file in ``cache_dir``, exported (and quantized) on first use.

    Written under a temporary name and renamed, so two processes starting at once never read
    a half-written file; the loser of that race simply exports for nothing.
    """
    target = cache_dir / f"{model_dir.name}-{_fingerprint(model_dir, quantized)}.onnx"
    if target.is_file():
        return target
    with _export_lock:
        if target.is_file():
            return target
        cache_dir.mkdir(parents=True, exist_ok=True)
        import torch
        from transformers import AutoModel

        log.info("exporting %s to ONNX (%s) in %s; later starts load it directly",
                 model_dir, "int8" if quantized else "fp32", cache_dir)
        bert = AutoModel.from_pretrained(str(model_dir), local_files_only=True)
        bert.eval()

        class _Hidden(torch.nn.Module):
            # Positional inputs and one plain output: what the exporter traces cleanly.
            def __init__(self) -> None:
                super().__init__()
                self.bert = bert

            def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
                return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                                 token_type_ids=token_type_ids).last_hidden_state

        ones = torch.ones((1, 8), dtype=torch.long)
        sample = (ones, ones, torch.zeros((1, 8), dtype=torch.long))
        axes = {name: {0: "batch", 1: "tokens"} for name in _INPUTS}
        with tempfile.TemporaryDirectory(dir=cache_dir) as work:
            plain = Path(work) / "model.onnx"
            with torch.no_grad(), warnings.catch_warnings():
                # The TorchScript exporter: it needs no extra package (the newer one wants
                # onnxscript) and handles BERT's dynamic batch and length axes as they are. Its
                # deprecation notice and tracer remarks concern this one-off export only.
                warnings.simplefilter("ignore")
                torch.onnx.export(_Hidden(), sample, str(plain), input_names=list(_INPUTS),
                                  output_names=["last_hidden_state"],
                                  dynamic_axes={**axes, "last_hidden_state": axes["input_ids"]},
                                  opset_version=17, dynamo=False)
            final = plain
            if quantized:
                from onnxruntime.quantization import QuantType, quantize_dynamic

                final = Path(work) / "model.int8.onnx"
                # Matrix products only, one scale per output channel: quantizing the
                # embedding tables too costs recall for no speed.
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    quantize_dynamic(str(plain), str(final), weight_type=QuantType.QInt8,
                                     per_channel=True, op_types_to_quantize=["MatMul"])
            os.replace(final, target)
    return target


class OnnxEncoder:
    """Tokenize, run the exported transformer, mean-pool over the real tokens."""

    def __init__(self, model_dir: str | Path, cache_dir: str | Path, *,
                 quantized: bool = False, threads: int = 0) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.model_dir = Path(model_dir)
        path = export_onnx(self.model_dir, Path(cache_dir), quantized=quantized)
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        # Spinning threads wait hot for the next operator; on a few shared cores they take
        # the time other work (the job's other nodes, other jobs) needs.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(path), options,
                                            providers=["CPUExecutionProvider"])
        self._wanted = {i.name for i in self.session.get_inputs()}
        self.tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(_sequence_length(self.model_dir))
        self.tokenizer.no_padding()
        hidden = json.loads((self.model_dir / "config.json").read_text())["hidden_size"]
        self.dimension = int(hidden)

    def get_embedding_dimension(self) -> int:
        return self.dimension

    def eval(self) -> OnnxEncoder:
        return self

    def _batch(self, texts: Sequence[str]) -> NDArray[np.float32]:
        encodings = self.tokenizer.encode_batch(list(texts))
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, enc in enumerate(encodings):
            ids[row, :len(enc.ids)] = enc.ids
            mask[row, :len(enc.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = np.asarray(self.session.run(
            None, {k: v for k, v in feeds.items() if k in self._wanted})[0], dtype=np.float32)
        weights = mask[..., None].astype(np.float32)
        pooled: NDArray[np.float32] = ((hidden * weights).sum(axis=1)
                                       / np.maximum(weights.sum(axis=1), 1e-9))
        return pooled

    def encode(self, texts: Sequence[str], batch_size: int = 32, **_: Any
               ) -> NDArray[np.float32]:
        """Mean-pooled vectors (not normalized), one row per text, in order. Texts are
        batched by length, as sentence-transformers does, so little of a batch is padding."""
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for begin in range(0, len(order), batch_size):
            picked = order[begin:begin + batch_size]
            out[picked] = self._batch([texts[i] for i in picked])
        return out
