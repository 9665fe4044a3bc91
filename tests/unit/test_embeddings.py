"""Embedding adapters: the packaged MiniLM in-process, and an OpenAI-compatible endpoint served
on loopback by the same real model (the wire format TEI and vLLM speak)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest

from lexgraph.adapters.embeddings.local import LocalEmbedder
from lexgraph.adapters.embeddings.openai_compat import OpenAIEmbedder
from lexgraph.composition.embeddings import make_embedder
from lexgraph.core.config.settings import Settings
from lexgraph.core.embeddings import Embedder
from lexgraph.core.errors import ConfigError, JobError

TEXTS = [
    "The Tenant shall pay the rent monthly in advance.",
    "Rent is payable by the lessee every month before it starts.",
    "The court dismissed the appeal for lack of appellate jurisdiction.",
]


class EmbeddingServer:
    """``POST /v1/embeddings`` answered by the real MiniLM model, on 127.0.0.1."""

    def __init__(self, model: LocalEmbedder, status: int = 200) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(body)
                server.headers.append(dict(self.headers))
                if self.path != "/v1/embeddings" or status != 200:
                    payload = b'{"error": "overloaded"}'
                    self.send_response(404 if self.path != "/v1/embeddings" else status)
                else:
                    vectors = model.embed(body["input"])
                    payload = json.dumps({"object": "list", "model": body["model"], "data": [
                        {"object": "embedding", "index": i, "embedding": v.tolist()}
                        for i, v in reversed(list(enumerate(vectors)))]}).encode()
                    self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> EmbeddingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(embedder: LocalEmbedder) -> Iterator[EmbeddingServer]:
    with EmbeddingServer(embedder) as running:
        yield running


def test_local_model_gives_unit_vectors_that_rank_meaning(embedder: LocalEmbedder) -> None:
    assert isinstance(embedder, Embedder)
    vectors = embedder.embed(TEXTS)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similar, unrelated = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert similar > 0.6 > unrelated
    assert embedder.embed([]).shape == (0, 384)


def test_batches_give_the_same_vectors_as_single_texts(embedder: LocalEmbedder) -> None:
    small = LocalEmbedder(batch_size=2)
    together = small.embed(TEXTS)
    alone = np.stack([embedder.embed_query(t) for t in TEXTS])
    assert np.allclose(together, alone, atol=1e-5)


def test_encoding_runs_without_autograd(embedder: LocalEmbedder) -> None:
    import torch

    seen: list[bool] = []
    model = embedder._loaded()
    hook = model[0].register_forward_hook(
        lambda *_: seen.append(torch.is_inference_mode_enabled()))
    try:
        embedder.embed(["inference only"])
    finally:
        hook.remove()
    assert seen == [True]


def test_endpoint_adapter_matches_the_local_model(embedder: LocalEmbedder,
                                                  server: EmbeddingServer) -> None:
    remote = OpenAIEmbedder(server.url, "all-MiniLM-L6-v2", api_key="tei-key", batch_size=2)
    try:
        vectors = remote.embed(TEXTS)
        assert isinstance(remote, Embedder)
        assert remote.dimension == 384
    finally:
        remote.close()
    assert np.allclose(vectors, embedder.embed(TEXTS), atol=1e-5)
    # Two batches of at most two texts, in order, with the key as a bearer token.
    assert [r["input"] for r in server.requests] == [TEXTS[:2], TEXTS[2:]]
    assert {r["model"] for r in server.requests} == {"all-MiniLM-L6-v2"}
    assert {h["Authorization"] for h in server.headers} == {"Bearer tei-key"}


def test_endpoint_adapter_through_settings(server: EmbeddingServer, tmp_path) -> None:
    settings = Settings(data_dir=tmp_path, embedding_backend="openai",
                        embedding_url=server.url + "/v1/")
    remote = make_embedder(settings)
    assert remote.embed_query("notice of termination").shape == (384,)
    assert remote.name == "openai:all-MiniLM-L6-v2"


def test_endpoint_errors_are_job_errors(embedder: LocalEmbedder) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    with EmbeddingServer(embedder, status=503) as failing, pytest.raises(JobError) as err:
        OpenAIEmbedder(failing.url, "m").embed(["x"])
    assert err.value.code == "embeddings_unavailable" and "answered 503" in err.value.message
    with pytest.raises(JobError) as err:
        OpenAIEmbedder(f"http://127.0.0.1:{closed_port}", "m").embed(["x"])
    assert "could not be reached" in err.value.message


def test_settings_pick_the_adapter(tmp_path) -> None:
    assert isinstance(make_embedder(Settings(data_dir=tmp_path)), LocalEmbedder)
    with pytest.raises(ConfigError, match="LEXGRAPH_EMBEDDING_URL"):
        make_embedder(Settings(data_dir=tmp_path, embedding_backend="openai"))
    with pytest.raises(ConfigError, match="neither"):
        LocalEmbedder(str(tmp_path / "nothing")).embed(["x"])


def test_query_vectors_are_kept_with_the_memo_off(embedder: LocalEmbedder) -> None:
    # Section queries repeat on every job: encoded once per process, even with memo_size=0.
    off = LocalEmbedder(memo_size=0)
    query = "Which party may terminate the agreement, and on what notice?"
    first = off.embed_query(query)
    again = off.embed_query(query)
    assert off.queries.misses == 1 and off.queries.hits == 1
    assert np.array_equal(first, again)
    assert float(first @ embedder.embed([query])[0]) > 0.999
    off.embed([query])
    assert len(off.memo) == 0  # the chunk memo stays off
