"""Job latency on the embedded stack, per node and end to end, next to floors from the same run.

Starts `lexgraph up` (API + worker, SQLite, LanceDB, extractive mode) on a fresh data dir and
times, for each document, the first job after start (cold) and then ``--runs`` more (warm):
from the submission to the job read back as succeeded, client side, and each node's own time
as the job records it. Each run changes a byte the text never shows (a trailing line, a PDF
comment after ``%%EOF``) and uses a fresh matter, so no run can be answered from an earlier
one's result or retrieve an earlier run's chunks.

Floors, computed in this process right after each warm job (the stack idle), over the same
extracted text:
- TextRank: the whole text summarized by ``bench/baselines.textrank`` at 200 words;
- embed once: the document's chunks embedded once with the packaged MiniLM through the
  torch path (sentence-transformers, batch 64): what today's job does at least once.

The ratio job/floor is what to compare between machines or busy periods: the floors slow down
with the cores exactly as the job does.

    .venv/bin/python bench/latency.py [--runs 5] [--docs contract,pdf,pdf30,bill] [--keep DIR]
                                      [--set embedding_runtime=torch ...]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
for entry in (REPO, REPO / "bench"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

from shared_data import SHARED, require  # noqa: E402

from tests.support import free_port  # noqa: E402

CORPUS = SHARED / "corpus"
CONTRACT = CORPUS / "contracts" / ("EuromediaHoldingsCorp_20070215_10SB12G_EX-10.B_01_525118_"
                                   "EX-10.B_01_Content_License_Agreement.txt")
# The corpus's longest PDF (20 pages); it has no 30-page one.
PDF_DOC = CORPUS / "pdf" / ("cuad_FuseMedicalInc_20190321_10-K_EX-10.43_11575454_EX-10.43_"
                            "Distributor_Agreement.pdf")
# The 30-page PDF of the target is made here: PDF_DOC's 20 pages, then the first 10 of this
# 17-page opinion, as a contract filed with an exhibit would be.
PDF_TAIL = CORPUS / "pdf" / "usca1_20-1507_Calvary_Chapel_of_Bangor_v_Mills_opinion.pdf"
PDF30_PAGES = 30
BILLS = CORPUS / "billsum_dev.jsonl"
NODES = ("ingest", "screen_documents", "redact", "retrieve", "summarize", "check_compliance",
         "finalize")


@dataclass
class Doc:
    key: str
    filename: str
    media_type: str
    data: bytes
    profile: str
    cold: dict[str, float] = field(default_factory=dict)
    warm: list[dict[str, float]] = field(default_factory=list)
    floors: dict[str, float] = field(default_factory=dict)
    floor_runs: dict[str, list[float]] = field(default_factory=dict)

    def variant(self, n: int) -> bytes:
        """The same document with a byte changed where no reader sees it."""
        if self.media_type == "application/pdf":
            return self.data + f"\n%run {n}\n".encode()
        return self.data + b"\n" * (n + 1)


def load_docs(wanted: list[str]) -> list[Doc]:
    docs: list[Doc] = []
    if "contract" in wanted:
        docs.append(Doc("contract", CONTRACT.name, "text/plain", CONTRACT.read_bytes(),
                        "contract"))
    if "pdf" in wanted:
        docs.append(Doc("pdf", PDF_DOC.name, "application/pdf", PDF_DOC.read_bytes(),
                        "contract"))
    if "pdf30" in wanted:
        docs.append(Doc("pdf30", "contract_with_exhibit_30_pages.pdf", "application/pdf",
                        thirty_page_pdf(), "contract"))
    if "bill" in wanted:
        bills = [json.loads(line) for line in BILLS.read_text().splitlines() if line.strip()]
        bill = max(bills, key=lambda b: len(b["text"]))
        docs.append(Doc("bill", f"{bill['id']}.txt", "text/plain", bill["text"].encode(),
                        "legislation"))
    return docs


def thirty_page_pdf() -> bytes:
    """PDF_DOC's pages followed by PDF_TAIL's first ones, to exactly ``PDF30_PAGES`` pages, with
    their text layers as they are (pypdf copies the pages, it does not re-render them)."""
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for source in (PDF_DOC, PDF_TAIL):
        for page in PdfReader(source).pages:
            if len(writer.pages) == PDF30_PAGES:
                break
            writer.add_page(page)
    if len(writer.pages) != PDF30_PAGES:
        raise SystemExit(f"the corpus PDFs give {len(writer.pages)} pages, not {PDF30_PAGES}")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


class Stack:
    """`lexgraph up` in its own process group; ready when the command says so."""

    def __init__(self, data_dir: Path, port: int, settings: dict[str, str]) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEXGRAPH_")}
        env.update({f"LEXGRAPH_{k.upper()}": v for k, v in settings.items()})
        env.update(LEXGRAPH_DATA_DIR=str(data_dir), LEXGRAPH_LLM_BACKEND="none")
        self.log = data_dir.parent / "up.log"
        self.base = f"http://127.0.0.1:{port}"
        # The key is made before the clock starts: creating it migrates the database.
        made = subprocess.run([sys.executable, "-m", "lexgraph", "keys", "create", "--tenant",
                               "latency"], env=env, cwd=REPO, capture_output=True, text=True,
                              check=True)
        self.key = made.stdout.strip().splitlines()[-1]
        self.started = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-m", "lexgraph", "up", "--port",
                                      str(port)], env=env, cwd=REPO,
                                     stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait_ready(self, timeout: float = 300) -> float:
        """Seconds from the start until `up` printed that the service is up and the API
        answered /readyz."""
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"lexgraph up exited:\n{self.log.read_text()[-4000:]}")
            if "lexgraph is up" in self.log.read_text(errors="replace"):
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200:
                        return time.perf_counter() - self.started
            time.sleep(0.05)
        raise SystemExit(f"lexgraph up was not ready in {timeout:.0f} s:\n"
                         f"{self.log.read_text()[-4000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def run_job(client: Any, doc: Doc, n: int, poll: float) -> dict[str, float]:
    data = {"matter": f"latency-{doc.key}-{n}", "profile": doc.profile}
    files = [("files", (doc.filename, doc.variant(n), doc.media_type))]
    start = time.perf_counter()
    resp = client.post("/v1/jobs", data=data, files=files)
    if resp.status_code != 202:
        raise SystemExit(f"submission refused: {resp.status_code} {resp.text[:300]}")
    job = resp.json()
    while job["status"] in ("queued", "running"):
        time.sleep(poll)
        job = client.get(f"/v1/jobs/{job['id']}").json()
    total = time.perf_counter() - start
    if job["status"] != "succeeded":
        raise SystemExit(f"job {job['id']} {job['status']}: {job.get('error')}")
    result = client.get(f"/v1/jobs/{job['id']}/result").json()
    if result.get("mode") != "extractive":
        raise SystemExit(f"job {job['id']} ran in {result.get('mode')} mode, not extractive")
    timings = {k: v / 1e3 for k, v in (result.get("timings_ms") or {}).items()}
    return {"total": total, **timings, "nodes": sum(timings.values())}


class Floors:
    """The floors of one document, measured once after each of its warm jobs, so job and
    floor share whatever else the cores were doing at that moment."""

    def __init__(self) -> None:
        from lexgraph.adapters.embeddings.local import LocalEmbedder

        self.embedder = LocalEmbedder(batch_size=64)
        self.embedder.embed(["warm-up"])
        self._texts: dict[str, tuple[str, list[str]]] = {}

    def measure(self, doc: Doc) -> None:
        from baselines import textrank

        from lexgraph.core.ingest.chunking import chunk_pages
        from lexgraph.core.ingest.indexing import embedding_text
        from lexgraph.core.ingest.loaders import extract_pages

        if doc.key not in self._texts:
            pages = extract_pages(doc.media_type, doc.data)
            chunks = chunk_pages("floor", pages, 1000)
            self._texts[doc.key] = ("\n\n".join(pages), [embedding_text(c) for c in chunks])
            doc.floors.update(chars=float(len(self._texts[doc.key][0])),
                              chunks=float(len(chunks)))
        text, chunk_texts = self._texts[doc.key]
        start = time.perf_counter()
        textrank(text, 200)
        doc.floor_runs.setdefault("textrank", []).append(time.perf_counter() - start)
        start = time.perf_counter()
        self.embedder._encode(chunk_texts)  # the model itself, never the memo
        doc.floor_runs.setdefault("embed_once", []).append(time.perf_counter() - start)
        for name, runs in doc.floor_runs.items():
            doc.floors[name] = statistics.median(runs)


def fmt(seconds: float) -> str:
    return f"{seconds:.2f}"


def report(docs: list[Doc], ready_s: float) -> None:
    print(f"\n`lexgraph up` ready after {ready_s:.1f} s\n")
    for doc in docs:
        f = doc.floors
        print(f"### {doc.key}: {doc.filename} ({int(f['chars']):,} characters, "
              f"{int(f['chunks'])} chunks, profile {doc.profile})\n")
        print("| step | cold | warm min | warm median | warm max |")
        print("|---|---|---|---|---|")
        for step in (*NODES, "nodes", "total"):
            warm = [r.get(step, 0.0) for r in doc.warm]
            label = {"nodes": "all nodes", "total": "**end to end**"}.get(step, step)
            print(f"| {label} | {fmt(doc.cold.get(step, 0.0))} | {fmt(min(warm))} | "
                  f"{fmt(statistics.median(warm))} | {fmt(max(warm))} |")
        median = statistics.median(r["total"] for r in doc.warm)
        ratios = [r["total"] / e for r, e in zip(doc.warm, doc.floor_runs["embed_once"],
                                                  strict=True)]
        print(f"\nfloors: TextRank {f['textrank']:.3f} s, embed once {f['embed_once']:.2f} s; "
              f"warm median / TextRank = {median / f['textrank']:.0f}x, "
              f"warm / embed once per run: median {statistics.median(ratios):.2f}x "
              f"(min {min(ratios):.2f}x, max {max(ratios):.2f}x), "
              f"cold / embed once = {doc.cold['total'] / f['embed_once']:.2f}x\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="warm runs per document")
    parser.add_argument("--docs", default="contract,pdf,pdf30,bill")
    parser.add_argument("--poll", type=float, default=0.05, help="client poll interval, s")
    parser.add_argument("--keep", type=Path, help="keep the data dir here")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="a setting for the stack, e.g. embedding_runtime=torch")
    args = parser.parse_args()
    require(CONTRACT, PDF_DOC, PDF_TAIL, BILLS, bench="bench/latency.py")
    import httpx

    docs = load_docs([d.strip() for d in args.docs.split(",") if d.strip()])
    root = Path(tempfile.mkdtemp(prefix="lexgraph-latency-"))
    data_dir = args.keep or root / "data"
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f} at start", flush=True)
    chosen = dict(item.split("=", 1) for item in args.set)
    stack = Stack(data_dir, free_port(), chosen)
    try:
        ready_s = stack.wait_ready()
        with httpx.Client(base_url=stack.base, timeout=120,
                          headers={"Authorization": f"Bearer {stack.key}"}) as client:
            # Cold: the first job of each document type right after start, the contract first.
            docs[0].cold = run_job(client, docs[0], 0, args.poll)
            print(f"{docs[0].key} cold: {docs[0].cold['total']:.2f} s", flush=True)
            for doc in docs[1:]:
                doc.cold = run_job(client, doc, 0, args.poll)
                print(f"{doc.key} first run: {doc.cold['total']:.2f} s", flush=True)
            meter = Floors()
            for n in range(1, args.runs + 1):
                for doc in docs:
                    doc.warm.append(run_job(client, doc, n, args.poll))
                    meter.measure(doc)
                    print(f"{doc.key} warm {n}: {doc.warm[-1]['total']:.2f} s, embed once "
                          f"{doc.floor_runs['embed_once'][-1]:.2f} s, load average "
                          f"{os.getloadavg()[0]:.2f}", flush=True)
    finally:
        stack.stop()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    report(docs, ready_s)
    if args.json:
        args.json.write_text(json.dumps({"ready_s": ready_s, "docs": [
            {"key": d.key, "cold": d.cold, "warm": d.warm, "floors": d.floor_runs}
            for d in docs]},
            indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
