"""Shared fixtures: the network guard, per-run PostgreSQL database and Redis DB, settings."""

from __future__ import annotations

import base64
import ipaddress
import os
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from lexgraph.adapters.embeddings.local import LocalEmbedder
from lexgraph.core.config.settings import Settings

REQUIRE_SERVICES = os.environ.get("LEXGRAPH_REQUIRE_SERVICES") == "1"
PG_ADMIN_URL = os.environ.get("LEXGRAPH_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_HOST = os.environ.get("LEXGRAPH_TEST_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("LEXGRAPH_TEST_REDIS_PORT", "6379"))
# Checkpoint encryption key for settings on PostgreSQL, where one is required; one per run.
CHECKPOINT_KEY = base64.b64encode(secrets.token_bytes(32)).decode()
# The project's shared corpus, beside the checkout (../shared/corpus). A plain clone has none:
# the few documents most tests need ship in tests/data/ (tests/documents.py names them), and
# the tests that need the whole corpus skip, saying so, when it is absent.
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


# No data leaves the building: every test runs with outbound connections limited to loopback.

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_loopback(address: object) -> bool:
    if not isinstance(address, tuple):
        return True  # AF_UNIX paths and the like stay on this machine
    host = str(address[0])
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return host == "localhost"


class NetworkRefused(OSError):
    pass


def _guarded_connect(self: socket.socket, address: object) -> None:
    if not _is_loopback(address):
        raise NetworkRefused(f"test tried to reach {address!r}; only loopback is allowed")
    return _real_connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if not _is_loopback(address):
        raise NetworkRefused(f"test tried to reach {address!r}; only loopback is allowed")
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


_real_sendto = socket.socket.sendto
_real_getaddrinfo = socket.getaddrinfo
_LOCAL_NAMES = {"localhost", "ip6-localhost", "ip6-loopback", socket.gethostname()}


def _guarded_sendto(self: socket.socket, data: bytes, *args: object) -> int:
    address = args[-1]
    if not _is_loopback(address):
        raise NetworkRefused(f"test tried to send to {address!r}; only loopback is allowed")
    return _real_sendto(self, data, *args)  # type: ignore[arg-type]


def _guarded_sendmsg(self: socket.socket, *args: object) -> int:
    raise NetworkRefused("sendmsg is not allowed in tests")


def _guarded_getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
    # Name lookups would ask a DNS server off this machine; IP literals and local names don't.
    name = host.decode() if isinstance(host, bytes) else host
    if name is not None and name not in _LOCAL_NAMES:
        try:
            ipaddress.ip_address(str(name).split("%", 1)[0])
        except ValueError:
            raise socket.gaierror(socket.EAI_NONAME,
                                  f"test tried to resolve {name!r}; lookups are refused") from None
    return _real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
    monkeypatch.setattr(socket.socket, "sendto", _guarded_sendto)
    monkeypatch.setattr(socket.socket, "sendmsg", _guarded_sendmsg)
    monkeypatch.setattr(socket, "getaddrinfo", _guarded_getaddrinfo)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Whatever reaches the shared PostgreSQL or Redis is a `services` test, so that
    # `-m "not services"` (make test-fast) runs the rest on a machine without them.
    for item in items:
        if {"pg_url", "redis_url"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.services)


def _unavailable(what: str, exc: Exception) -> None:
    message = f"{what} is not reachable ({exc})"
    if REQUIRE_SERVICES:
        pytest.fail(message + " and LEXGRAPH_REQUIRE_SERVICES=1", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, dropped at the end."""
    import psycopg

    # Named per process, so each pytest-xdist worker has a database of its own.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"lexgraph_t_{os.getpid()}_{worker}_{secrets.token_hex(3)}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except Exception as exc:
        _unavailable("PostgreSQL", exc)
        raise
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """An empty Redis database number claimed for this run, flushed at the end."""
    import redis

    token = secrets.token_hex(8)
    try:
        probe = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_connect_timeout=3)
        probe.ping()
    except Exception as exc:
        _unavailable("Redis", exc)
        raise
    # SET NX makes the claim atomic: concurrent runs and pytest-xdist workers each get their own.
    for db in range(15, 0, -1):
        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db)
        if client.dbsize() == 0 and client.set("lexgraph:test-claim", token, nx=True):
            break
    else:
        pytest.fail("no empty Redis database number is free for this test run")
    yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{db}"
    client.flushdb()


@pytest.fixture(scope="session")
def embedder() -> LocalEmbedder:
    """The packaged all-MiniLM-L6-v2, loaded once for the whole run (a few seconds)."""
    model = LocalEmbedder()
    model.embed(["warm-up"])
    return model


@pytest.fixture(scope="session")
def tiny_llama_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A random-weight Llama checkpoint (head_dim 32) with its tokenizer, as a local path."""
    from tests.tiny_models import build_tiny_llama

    return str(build_tiny_llama(tmp_path_factory.mktemp("tiny-llama")))


@pytest.fixture
def embedded_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var")


@pytest.fixture
def production_settings(tmp_path: Path, pg_url: str, redis_url: str) -> Iterator[Settings]:
    settings = Settings(data_dir=tmp_path / "var", database_url=pg_url, broker_url=redis_url,
                        checkpoint_key=CHECKPOINT_KEY)
    yield settings
    _reset_pg(pg_url)
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    redis.Redis.from_url(redis_url).set("lexgraph:test-claim", "1")


def _reset_pg(url: str) -> None:
    """Empty the run's database between tests so each starts clean."""
    import psycopg

    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'")]
        if tables:
            conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")


# `make test-fast` sets LEXGRAPH_TEST_BACKENDS=embedded: the dual-backend tests then run on
# SQLite alone, and a machine without PostgreSQL and Redis passes them.
BACKENDS = [name.strip() for name in
            os.environ.get("LEXGRAPH_TEST_BACKENDS", "embedded,production").split(",")
            if name.strip()]


@pytest.fixture(params=BACKENDS)
def any_settings(request: pytest.FixtureRequest) -> Settings:
    """Runs a test on both topologies' databases and brokers."""
    name = "embedded_settings" if request.param == "embedded" else "production_settings"
    settings: Settings = request.getfixturevalue(name)
    return settings
