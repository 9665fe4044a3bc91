"""`lexgraph index` as a user runs it: a real process, embedded defaults."""

from __future__ import annotations

import shutil
from pathlib import Path

from lexgraph.adapters.embeddings.local import LocalEmbedder
from lexgraph.adapters.vectorstore.lancedb_store import LanceDBStore
from lexgraph.core.config.settings import Settings
from lexgraph.core.db.engine import make_engine
from lexgraph.core.jobs.store import JobStore
from lexgraph.core.retrieval import Retriever
from lexgraph.core.storage.blobs import LocalBlobStore
from lexgraph.core.vectorstore import Scope
from tests.documents import FUSE_PDF, OPINION_PDF, encrypted_pdf
from tests.e2e.test_cli import lexgraph


def _scope(data: Path, tenant: str, matter: str) -> Scope:
    settings = Settings(data_dir=data)
    engine = make_engine(settings.resolved_database_url)
    try:
        ids = JobStore(engine, LocalBlobStore(settings.resolved_blob_dir), settings
                       ).ensure_matter(tenant, matter)
    finally:
        engine.dispose()
    return Scope(*ids)


def test_index_pre_indexes_a_matter(tmp_path: Path, embedder: LocalEmbedder) -> None:
    folder = tmp_path / "matter-files"
    folder.mkdir()
    shutil.copy(FUSE_PDF, folder / "distributor.pdf")
    (folder / "notes.md").write_text("# Call notes\n\nThe Distributor asked about Schedule 4 "
                                     "prices for the Aria Stem.\n")
    (folder / "ignored.csv").write_text("not,a,document\n")
    data = tmp_path / "var"
    done = lexgraph("index", str(folder), str(OPINION_PDF), "--matter", "fuse-dispute",
                    "--tenant", "acme", data_dir=data, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "indexed 3 of 3 file(s): 38 page(s)" in done.stderr
    assert "matter fuse-dispute of tenant acme" in done.stderr

    scope = _scope(data, "acme", "fuse-dispute")
    store = LanceDBStore(Settings(data_dir=data).resolved_vector_dir)
    count = store.count(scope)
    assert count > 50
    hits = Retriever(embedder, store, scope).search("price of the Aria Stem", k=3)
    assert {h.passage.document for h in hits} >= {"distributor.pdf"}
    pdf_hit = next(h.passage for h in hits if h.passage.document == "distributor.pdf")
    assert pdf_hit.page == 19 and "Aria Stem $610" in pdf_hit.text

    # Indexing the same files again replaces their chunks rather than adding copies.
    again = lexgraph("index", str(folder), str(OPINION_PDF), "--matter", "fuse-dispute",
                     "--tenant", "acme", data_dir=data, timeout=600)
    assert again.returncode == 0, again.stderr
    assert store.count(scope) == count
    # Other matters and tenants see nothing of it.
    assert store.count(_scope(data, "acme", "another")) == 0
    assert store.count(_scope(data, "globex", "fuse-dispute")) == 0


def test_index_reports_bad_files_and_goes_on(tmp_path: Path) -> None:
    (tmp_path / "locked.pdf").write_bytes(encrypted_pdf())
    (tmp_path / "memo.txt").write_text("The parties settled the claim on 3 June.\n")
    (tmp_path / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    done = lexgraph("index", str(tmp_path / "locked.pdf"), str(tmp_path / "memo.txt"),
                    str(tmp_path / "photo.txt"), "--matter", "m", data_dir=tmp_path / "var",
                    timeout=600)
    assert done.returncode == 1
    assert "locked.pdf: the PDF is password-protected" in done.stderr
    assert "(pdf_encrypted)" in done.stderr
    assert "photo.txt" in done.stderr and "neither PDF, DOCX nor UTF-8 text" in done.stderr
    assert "indexed 1 of 3 file(s)" in done.stderr
    missing = lexgraph("index", str(tmp_path / "nope.pdf"), "--matter", "m",
                       data_dir=tmp_path / "var")
    assert missing.returncode == 1 and "not found" in missing.stderr
    no_matter = lexgraph("index", str(tmp_path / "memo.txt"), data_dir=tmp_path / "var")
    assert no_matter.returncode == 2 and "--matter" in no_matter.stderr
