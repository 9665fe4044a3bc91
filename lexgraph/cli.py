"""Command line: start the service, manage keys, and summarize documents.

Commands only wire: they call into core/, api/ and workers/ and print.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import httpx
import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from lexgraph.core.config.settings import Settings, get_settings
from lexgraph.core.summary.length import (
    DEFAULT_LENGTH,
    LENGTH_MESSAGE,
    LENGTH_NAMES,
    MAX_WORDS,
    MIN_WORDS,
    InvalidLength,
    parse_length,
)
from lexgraph.core.summary.profiles import ProfileName

if TYPE_CHECKING:
    from lexgraph.api import models
    from lexgraph.client import Client

app = typer.Typer(help="lexgraph: verified, cited summaries of legal documents.",
                  no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
train_app = typer.Typer(help="Rebuild the packaged models from their training data.",
                        no_args_is_help=True)
app.add_typer(train_app, name="train")
console = Console(stderr=True)
out = Console()


def _store(settings: Settings) -> Any:
    from lexgraph.composition.jobs import job_store

    return job_store(settings)


@train_app.command("clauses", context_settings={"allow_extra_args": True,
                                               "ignore_unknown_options": True})
def train_clauses(ctx: typer.Context) -> None:
    """Retrain the clause finder on CUAD's training split (needs scikit-learn, in the dev
    extra): `lexgraph train clauses --cuad ../shared/cuad --out DIR`; --help lists the rest."""
    try:
        from lexgraph.core.clauses.training import main as train_main
    except ImportError as exc:
        console.print(f"[red]training needs the dev dependencies: {exc}[/red]")
        raise typer.Exit(2) from None
    raise typer.Exit(train_main(list(ctx.args)))


@app.command()
def migrate() -> None:
    """Apply database migrations (also done automatically at start)."""
    from lexgraph.composition.database import open_database
    from lexgraph.core.db.migrate import current_revision

    engine = open_database(get_settings(), migrate=True)
    console.print(f"database at revision [bold]{current_revision(engine)}[/bold]")


@keys_app.command("create")
def keys_create(
    tenant: Annotated[str, typer.Option(help="Tenant the key belongs to.")],
    admin: Annotated[bool, typer.Option(
        help="The key may also list, create, revoke and rotate the tenant's keys.")] = False,
) -> None:
    """Create an API key; it is printed once and stored only as a hash."""
    key, who = _store(get_settings()).create_key(tenant, admin=admin)
    kind = "admin key" if admin else "key"
    console.print(f"{kind} for tenant [bold]{who.tenant_name}[/bold] (shown once, keep it "
                  "safe):")
    out.print(key, soft_wrap=True, highlight=False)


@keys_app.command("list")
def keys_list(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's keys.")] = None,
) -> None:
    """List API keys, one a line, tab-separated: id, tenant, first characters, rights,
    created and revoked times."""
    from lexgraph.core.jobs.keys import Keys

    for key in Keys(_store(get_settings())).list(tenant_name=tenant):
        state = f"revoked {key['revoked_at']}" if key["revoked_at"] else "active"
        rights = "admin" if key["admin"] else "-"
        # Plain echo: rich would turn the tabs that make the lines easy to cut into spaces.
        typer.echo(f"{key['id']}\t{key['tenant']}\t{key['prefix']}…\t{rights}\t"
                   f"created {key['created_at']}\t{state}")


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id (keys list).")]) -> None:
    """Revoke an API key at once; web sessions made with it end too."""
    from lexgraph.core.errors import UserError
    from lexgraph.core.jobs.keys import Keys

    try:
        revoked = Keys(_store(get_settings())).revoke(key_id)
    except UserError as exc:
        raise typer.Exit(_fail(exc.detail)) from None
    console.print(f"revoked {revoked.resource['id']} of tenant {revoked.resource['tenant']} "
                  f"at {revoked.resource['revoked_at']}")


@keys_app.command("rotate")
def keys_rotate(key_id: Annotated[str, typer.Argument(help="The key's id (keys list).")]) -> None:
    """Replace an API key: a new one with the same rights is printed once, the old is revoked."""
    from lexgraph.core.errors import UserError
    from lexgraph.core.jobs.keys import Keys

    try:
        key, created, revoked = Keys(_store(get_settings())).rotate(key_id)
    except UserError as exc:
        raise typer.Exit(_fail(exc.detail)) from None
    console.print(f"{created['id']} replaces {revoked.resource['id']} (revoked) for tenant "
                  f"[bold]{created['tenant']}[/bold]; the new key (shown once, keep it safe):")
    out.print(key, soft_wrap=True, highlight=False)


@app.command()
def api(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes.")] = None,
) -> None:
    """Serve the HTTP API."""
    import uvicorn

    settings = get_settings()
    settings.ensure_dirs()
    _store(settings)  # migrate once before worker processes start
    # A live event stream lasts as long as its job; without a limit, open streams would hold
    # a shutdown indefinitely. Cut off, they reconnect elsewhere with Last-Event-ID.
    processes = workers or settings.api_workers
    if processes > 1:
        from lexgraph.core.observability.exposition import use_multiprocess_dir

        # Every process answers /metrics with the sum of all of them (see exposition.py).
        use_multiprocess_dir(settings.data_dir / "metrics" / "api")
    # Logging is set up in each server process by the factory (served.py); uvicorn's access
    # log is replaced by one with route templates instead of raw paths.
    uvicorn.run("lexgraph.api.served:create_served_app", factory=True,
                host=host or settings.api_host, port=port or settings.api_port,
                workers=processes, log_config=None, access_log=False,
                timeout_graceful_shutdown=10)


@app.command()
def worker(
    queues: Annotated[str, typer.Option(help="Comma-separated queues.")] = "orchestrate,webhooks",
    concurrency: Annotated[int | None, typer.Option(help="Threads.")] = None,
    loglevel: Annotated[str, typer.Option(help="Log level.")] = "INFO",
) -> None:
    """Run a Celery worker (thread pool) on the given queues."""
    from lexgraph.workers.celery_app import QUEUES, make_celery

    wanted = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = [q for q in wanted if q not in QUEUES]
    if unknown or not wanted:
        raise typer.BadParameter(f"queues must be among {', '.join(QUEUES)}",
                                 param_hint="--queues")
    settings = get_settings()
    celery = make_celery(settings)
    # First, so the model-loading notices below are JSON lines too when asked for.
    from lexgraph.workers.observe import start_worker_observability

    quiet = start_worker_observability(settings, loglevel)
    threads = concurrency or settings.worker_concurrency
    if "inference" in wanted:
        from lexgraph.composition.inference import load_engine
        from lexgraph.core.errors import LexgraphError

        # The model loads before the worker consumes: a worker that takes a request has a
        # model to run it. Threads feed the one engine; it batches what they hand it.
        console.print(f"loading {settings.llm_model or settings.llm_backend} "
                      f"({settings.llm_backend})…")
        try:
            engine = load_engine(settings)
        except LexgraphError as exc:
            console.print(f"[red]cannot start an inference worker:[/red] {exc}")
            raise typer.Exit(2) from None
        console.print(f"model ready: {engine.model}")
        threads = concurrency or settings.inference_concurrency
    if "orchestrate" in wanted:
        from lexgraph.core.errors import LexgraphError
        from lexgraph.workers.preload import preload

        # Loaded before the first message, not by the first job: that job would otherwise
        # take several times its own run time (the ready marker follows Celery's start).
        console.print("loading the models jobs use…")
        try:
            spent = preload(settings)
        except LexgraphError as exc:
            console.print(f"[red]cannot start an orchestrator worker:[/red] {exc}")
            raise typer.Exit(2) from None
        console.print("models ready: " + ", ".join(f"{k} {v:.1f} s" for k, v in spent.items()))
    celery.worker_main([
        *(["--quiet"] if quiet else []),  # celery's own option, before the sub-command
        "worker", "-Q", ",".join(wanted), "--pool", "threads",
        "-c", str(threads), "--loglevel", loglevel,
        "--without-gossip", "--without-mingle", "--without-heartbeat",
        "-n", f"lexgraph-{'-'.join(wanted)}-{os.getpid()}@%h",
    ])


# Embedded stack -----------------------------------------------------------------------------


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _stack(settings: Settings, port: int, *, quiet: bool,
           host: str = "127.0.0.1") -> Iterator[list[subprocess.Popen[bytes]]]:
    env = {**os.environ, "LEXGRAPH_DATA_DIR": str(settings.data_dir)}
    sink = subprocess.DEVNULL if quiet else None
    procs = [
        subprocess.Popen([sys.executable, "-m", "lexgraph", "api", "--port", str(port),
                          "--host", host], env=env, stdout=sink, stderr=sink),
        subprocess.Popen([sys.executable, "-m", "lexgraph", "worker", "--queues",
                          # Models run inside the orchestrator here, unless completions are
                          # queued; then this worker serves them too.
                          "orchestrate,webhooks" + (",inference"
                                                    if settings.inference_mode == "queue"
                                                    else ""),
                          "--loglevel", "WARNING"],
                         env=env, stdout=sink, stderr=sink),
    ]
    try:
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_ready(base: str, procs: list[subprocess.Popen[bytes]], settings: Settings,
                timeout: float = 300) -> None:
    """Until the API answers /readyz and the worker (``procs[1]``) has its models loaded; the
    very first start also exports the embedding model, hence the long timeout."""
    from lexgraph.workers.preload import ready_marker

    marker = ready_marker(settings, procs[1].pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                raise typer.Exit(_fail(f"a service process exited early (code {proc.returncode})"))
        try:
            if marker.exists() and httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise typer.Exit(_fail("the embedded service did not become ready"))


def _fail(message: str) -> int:
    console.print(f"[red]error:[/red] {message}")
    return 1


@app.command()
def up(
    port: Annotated[int | None, typer.Option(help="API port.")] = None,
) -> None:
    """Run the API and workers together on this machine; Ctrl-C stops them all."""
    settings = get_settings()
    _store(settings)
    port = port or settings.api_port
    # Started in the background a shell may have set SIGINT to ignored; and SIGTERM (from a
    # service manager) must stop the children too, so both become KeyboardInterrupt here.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    probe = "127.0.0.1" if settings.api_host in ("0.0.0.0", "::", "") else settings.api_host
    from lexgraph.workers.preload import ready_marker

    announced = False

    def announce(procs: list[subprocess.Popen[bytes]]) -> None:
        # Up means a job submitted now runs at once: API answering, the worker's models
        # loaded. Checked while supervising, so a worker that dies while it loads is
        # started again like any other.
        nonlocal announced
        if announced or not ready_marker(settings, procs[1].pid).exists():
            return
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://{probe}:{port}/readyz", timeout=2).status_code == 200:
                announced = True
                console.print(f"lexgraph is up at [bold]http://{settings.api_host}:{port}"
                              f"[/bold] (data in {settings.data_dir}); Ctrl-C stops it")

    with _stack(settings, port, quiet=False, host=settings.api_host) as procs:
        try:
            _supervise(procs, env={**os.environ, "LEXGRAPH_DATA_DIR": str(settings.data_dir)},
                       tick=announce)
        except KeyboardInterrupt:
            console.print("stopping…")


def _supervise(procs: list[subprocess.Popen[bytes]], env: dict[str, str],
               tick: Callable[[list[subprocess.Popen[bytes]]], None] | None = None) -> None:
    """Start again any service process that exits, until interrupted; ``tick`` runs after
    each look at the processes.

    A worker may exit on a failure it cannot recover from in process (a broker lost in the
    middle of an acknowledgement, a crash in a native library); its jobs are safe in the
    database and resume from their checkpoints, so bringing the process back is all it takes.
    One that keeps exiting right after its start is restarted ever more slowly (up to 30 s).
    """
    started = [time.monotonic()] * len(procs)
    backoff = [1.0] * len(procs)
    while True:
        for i, proc in enumerate(procs):
            code = proc.poll()
            if code is None:
                continue
            if time.monotonic() - started[i] > 60:
                backoff[i] = 1.0
            name = " ".join(str(a) for a in proc.args[3:5])  # type: ignore[index]
            console.print(f"[yellow]{name} exited (code {code}); starting it again in "
                          f"{backoff[i]:.0f} s[/yellow]")
            time.sleep(backoff[i])
            procs[i] = subprocess.Popen(proc.args, env=env)
            started[i] = time.monotonic()
            backoff[i] = min(backoff[i] * 2, 30.0)
        if tick is not None:
            tick(procs)
        time.sleep(0.2)


def _local_key(settings: Settings) -> str:
    """The embedded stack's own key, created on first use and kept owner-readable only."""
    path = settings.data_dir / "local-api-key"
    if path.exists():
        return path.read_text().strip()
    key: str
    key, _ = _store(settings).create_key("local")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key


def _follow(lg: Client, job_id: str) -> models.Job:
    """Wait for the job on its event stream, with a progress bar fed by the events."""
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                  TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(), console=console,
                  transient=True) as bar:
        task = bar.add_task("queued", total=1.0)

        def show(event: models.JobEvent) -> None:
            stage = event.data.get("stage") or event.data.get("status") or event.type
            progress = event.data.get("progress")
            bar.update(task, description=str(stage),
                       completed=float(progress) if progress is not None else None)

        job: models.Job = lg.wait(job_id, on_event=show)
        return job


def _write_result(lg: Client, job_id: str, form: str, output: Path | None) -> None:
    if form == "docx":
        assert output is not None
        output.write_bytes(lg.result(job_id, format="docx"))
    elif form == "json":
        text = lg.result(job_id, format="json").model_dump_json(indent=2)
        if output is None:
            out.print_json(text)
            return
        output.write_text(text + "\n", encoding="utf-8")
    else:
        markdown = lg.result(job_id, format="markdown")
        if output is None:
            if out.is_terminal:
                out.print(Markdown(markdown))
            else:
                out.print(markdown, markup=False, highlight=False, end="")
            return
        output.write_text(markdown, encoding="utf-8")
    console.print(f"result written to {output}")


def _length_option(value: str) -> str | int:
    try:
        return parse_length(value)
    except InvalidLength:
        raise typer.BadParameter(f"must be {LENGTH_MESSAGE}") from None


def _complete_length(incomplete: str) -> list[str]:
    return [name for name in LENGTH_NAMES if name.startswith(incomplete)]


RESULT_FORMATS = {".md": "markdown", ".markdown": "markdown", ".json": "json", ".docx": "docx"}


@app.command()
def summarize(
    files: Annotated[list[Path],
                     typer.Argument(help="Documents (PDF, DOCX, HTML, Markdown, TXT).")],
    matter: Annotated[str, typer.Option(help="Matter the documents belong to.")] = "default",
    profile: Annotated[ProfileName, typer.Option(help="What kind of document it is.")] = "general",
    instructions: Annotated[str | None, typer.Option(help="Extra instructions.")] = None,
    # A name or a word budget: _length_option hands back either (str | int, which typer's
    # annotations cannot spell).
    length: Annotated[str, typer.Option(
        parser=_length_option, autocompletion=_complete_length,
        metavar="[" + "|".join(LENGTH_NAMES) + f"|{MIN_WORDS}..{MAX_WORDS}]",
        help=f"Summary length: {', '.join(LENGTH_NAMES)}, or a word budget from {MIN_WORDS} "
             f"to {MAX_WORDS}.")] = DEFAULT_LENGTH,
    url: Annotated[str | None, typer.Option(help="A running lexgraph API; default: start "
                                                  "an embedded one for this command.")] = None,
    api_key: Annotated[str | None, typer.Option(envvar="LEXGRAPH_API_KEY",
                                                 help="Key for --url.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON result.")] = False,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", dir_okay=False,
        help="Write the result to this file: Markdown, JSON or DOCX by its extension "
             "(.md, .json, .docx) or --format.")] = None,
    result_format: Annotated[Literal["markdown", "json", "docx"] | None, typer.Option(
        "--format",
        help="The result's format; default: from --output's extension, else markdown "
             "(json with --json).")] = None,
) -> None:
    """Submit documents as one job, follow its progress and print or save the result."""
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise typer.Exit(_fail(f"not a file: {', '.join(missing)}"))
    form = result_format or (RESULT_FORMATS.get(output.suffix.lower()) if output else None) \
        or ("json" if as_json else "markdown")
    if output is not None and result_format is None and output.suffix.lower() not in \
            RESULT_FORMATS:
        raise typer.Exit(_fail("--output needs a .md, .json or .docx name, or --format"))
    if form == "docx" and output is None:
        raise typer.Exit(_fail("a DOCX result needs --output FILE.docx"))
    settings = get_settings()

    def run(base: str, key: str) -> None:
        from lexgraph.client import Client, ProblemError

        try:
            with Client(base, api_key=key) as lg:
                job = lg.submit(files=files, matter=matter, profile=profile,
                                instructions=instructions, length=length)
                job = _follow(lg, job.id)
                if job.status != "succeeded":
                    error = job.error.message if job.error else job.status
                    raise typer.Exit(_fail(f"job {job.id} {job.status}: {error}"))
                _write_result(lg, job.id, form, output)
        except ProblemError as exc:
            raise typer.Exit(_fail(str(exc))) from None
        console.print(f"job {job.id} succeeded")

    if url:
        if not api_key:
            raise typer.Exit(_fail("--url needs an API key: --api-key or LEXGRAPH_API_KEY"))
        run(url.rstrip("/"), api_key)
        return
    from lexgraph.core.netutil import free_port

    key = _local_key(settings)
    port = free_port()
    console.print(f"starting embedded lexgraph (data in {settings.data_dir})…")
    with _stack(settings, port, quiet=True) as procs:
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base, procs, settings)
        run(base, key)


@app.command()
def index(
    paths: Annotated[list[Path], typer.Argument(
        help="Documents, or folders of them (PDF, DOCX, HTML, Markdown, TXT).")],
    matter: Annotated[str, typer.Option(help="Matter the documents belong to.")],
    tenant: Annotated[str, typer.Option(
        help="Tenant (created if new); `local` is the embedded stack's own.")] = "local",
) -> None:
    """Pre-index a matter's documents for search: parse, chunk, embed, store."""
    from lexgraph.composition.indexing import open_indexer
    from lexgraph.core.errors import UserError
    from lexgraph.core.ingest.indexing import content_document_id, find_documents
    from lexgraph.core.ingest.sniff import sniff
    from lexgraph.core.vectorstore import Scope

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise typer.Exit(_fail(f"not found: {', '.join(missing)}"))
    files = find_documents(paths)
    if not files:
        raise typer.Exit(_fail("no PDF, DOCX, HTML, Markdown or text files found"))
    settings = get_settings()
    tenant_id, matter_id = _store(settings).ensure_matter(tenant, matter)
    scope = Scope(tenant_id, matter_id)
    indexer, store = open_indexer(settings)
    failed: list[str] = []
    pages = chunks = 0
    try:
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                      TextColumn("{task.completed}/{task.total} files"), TimeElapsedColumn(),
                      console=console) as bar:
            task = bar.add_task("indexing", total=len(files))
            for path in files:
                bar.update(task, description=path.name)
                data = path.read_bytes()
                try:
                    media_type = sniff(path.name, data).media_type
                except UserError as exc:  # an unsupported file is reported, the rest go on
                    failed.append(f"{path}: {exc.detail}")
                    bar.advance(task)
                    continue
                done = indexer.index(scope, content_document_id(data), path.name, media_type,
                                     data)
                if done.error:
                    failed.append(f"{path}: {done.error['message']} ({done.error['code']})")
                else:
                    pages += len(done.pages)
                    chunks += len(done.chunks)
                bar.advance(task)
    finally:
        store.close()
    for line in failed:
        console.print(f"[red]not indexed:[/red] {escape(line)}", highlight=False,
                      soft_wrap=True)
    console.print(f"indexed {len(files) - len(failed)} of {len(files)} file(s): {pages} page(s), "
                  f"{chunks} chunk(s) in matter [bold]{escape(matter)}[/bold] of tenant "
                  f"{escape(tenant)}",
                  highlight=False, soft_wrap=True)
    if failed:
        raise typer.Exit(1)


@app.command()
def openapi() -> None:
    """Print the API's OpenAPI document; docs/reference/openapi.json is this output."""
    from lexgraph.api.contract import render

    typer.echo(render(), nl=False)


def main() -> None:
    from lexgraph.core.logsafety import install_secret_scrubbing

    install_secret_scrubbing()
    app()
