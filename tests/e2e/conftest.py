from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lexgraph.core.config.settings import Settings
from lexgraph.core.db.engine import make_engine
from lexgraph.core.db.migrate import upgrade
from lexgraph.core.jobs.store import JobStore
from lexgraph.core.storage.blobs import LocalBlobStore
from tests.support import Stack


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    path = tmp_path / "logs"
    path.mkdir()
    return path


def make_key(settings: Settings, tenant: str = "acme") -> str:
    settings.ensure_dirs()
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    key, _ = JobStore(engine, LocalBlobStore(settings.resolved_blob_dir), settings).create_key(
        tenant)
    engine.dispose()
    return key


@pytest.fixture
def stack_factory(logs: Path) -> Iterator[object]:
    stacks: list[Stack] = []

    def make(settings: Settings, **extra: object) -> Stack:
        stack = Stack(settings, logs, **extra)
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.slow)
