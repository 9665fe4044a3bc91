"""The local model on ONNX Runtime (fp32 and int8) against torch, and the vector memo that keeps
a text from being encoded twice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lexgraph.adapters.embeddings.local import PACKAGED_MODEL, LocalEmbedder, _model_path
from lexgraph.adapters.embeddings.onnx_encoder import export_onnx
from lexgraph.composition.embeddings import make_embedder
from lexgraph.core.config.settings import Settings
from lexgraph.core.embeddings.memo import VectorMemo

TEXTS = [
    "The Tenant shall pay the rent monthly in advance.",
    "Rent is payable by the lessee every month before it starts.",
    "The court dismissed the appeal for lack of appellate jurisdiction.",
    "This Agreement is governed by the laws of the State of New York.",
    "Either party may terminate this Agreement on ninety days' written notice.",
]


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.mark.parametrize(("runtime", "floor"), [("onnx", 0.9999), ("onnx-int8", 0.97)])
def test_onnx_vectors_agree_with_torch(embedder: LocalEmbedder, onnx_cache: Path,
                                       runtime: str, floor: float) -> None:
    other = LocalEmbedder(runtime=runtime, cache_dir=onnx_cache, batch_size=2)  # type: ignore[arg-type]
    theirs = other.embed(TEXTS)
    ours = embedder.embed(TEXTS)
    assert theirs.shape == ours.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(theirs, axis=1), 1.0, atol=1e-5)
    assert (theirs * ours).sum(axis=1).min() >= floor
    # The paraphrase pair stays each other's nearest neighbour.
    sims = theirs @ theirs.T
    np.fill_diagonal(sims, -1)
    assert int(np.argmax(sims[0])) == 1 and int(np.argmax(sims[1])) == 0
    assert other.dimension == 384


def test_export_is_kept_and_named_after_the_weights(onnx_cache: Path) -> None:
    weights = Path(_model_path(PACKAGED_MODEL))
    first = export_onnx(weights, onnx_cache, quantized=False)
    stamp = first.stat().st_mtime_ns
    again = export_onnx(weights, onnx_cache, quantized=False)
    assert again == first and again.stat().st_mtime_ns == stamp  # not exported twice
    int8 = export_onnx(weights, onnx_cache, quantized=True)
    # Its matrices in int8; the token embedding table stays fp32.
    assert int8 != first and int8.stat().st_size < first.stat().st_size * 0.75
    assert not [p for p in onnx_cache.iterdir() if p.is_dir()]  # no half-written leftovers


def test_settings_choose_the_runtime(tmp_path: Path, onnx_cache: Path) -> None:
    chosen = make_embedder(Settings(data_dir=tmp_path, embedding_runtime="onnx",
                                    embedding_cache_dir=onnx_cache, embedding_threads=1))
    assert isinstance(chosen, LocalEmbedder)
    assert (chosen.runtime, chosen.threads, chosen.cache_dir) == ("onnx", 1, onnx_cache)
    assert chosen.embed_query(TEXTS[0]).shape == (384,)
    torch_one = make_embedder(Settings(data_dir=tmp_path, embedding_runtime="torch"))
    assert isinstance(torch_one, LocalEmbedder) and torch_one.runtime == "torch"
    default = Settings(data_dir=tmp_path)
    assert default.resolved_embedding_cache_dir.name == "lexgraph"


def test_memo_encodes_each_text_once(embedder: LocalEmbedder) -> None:
    memo = VectorMemo(capacity=3)
    asked: list[list[str]] = []

    def encode(texts: list[str]) -> np.ndarray:
        asked.append(texts)
        return embedder._encode(texts)

    first = memo.embed([TEXTS[0], TEXTS[1], TEXTS[0]], encode)
    assert asked == [[TEXTS[0], TEXTS[1]]]  # a text twice in one call: encoded once
    assert np.array_equal(first[0], first[2])
    second = memo.embed([TEXTS[1], TEXTS[2]], encode)
    assert asked[-1] == [TEXTS[2]]
    assert np.array_equal(second[0], first[1])
    assert np.allclose(second, embedder._encode([TEXTS[1], TEXTS[2]]), atol=1e-5)
    assert (memo.hits, memo.misses) == (2, 3)
    # Capacity 3: the least recently used text (TEXTS[0]) is the one that goes.
    memo.embed([TEXTS[3]], encode)
    assert len(memo) == 3
    memo.embed([TEXTS[1], TEXTS[0]], encode)
    assert asked[-1] == [TEXTS[0]]


def test_a_memo_of_size_zero_keeps_nothing(tmp_path: Path) -> None:
    none_kept = make_embedder(Settings(data_dir=tmp_path, embedding_runtime="torch",
                                       embedding_memo_size=0))
    assert isinstance(none_kept, LocalEmbedder)
    none_kept.embed(TEXTS[:2])
    none_kept.embed(TEXTS[:2])
    assert len(none_kept.memo) == 0 and none_kept.memo.misses == 4


def test_embedder_answers_repeated_texts_from_its_memo() -> None:
    fresh = LocalEmbedder()
    fresh.embed(TEXTS[:2])
    before = fresh.memo.misses
    again = fresh.embed_query(TEXTS[1])
    assert fresh.memo.misses == before and fresh.memo.hits >= 1
    assert np.allclose(again, fresh.embed(TEXTS[:2])[1])
