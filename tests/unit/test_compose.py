"""compose.yaml describes the production topology the code expects.

Settings ignores unknown LEXGRAPH_* variables, so a misspelt name in compose.yaml would
silently fall back to the embedded default; these checks catch that without a Docker engine.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from lexgraph.core.config.settings import Settings
from lexgraph.workers.celery_app import QUEUES

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "compose.yaml"
LEXGRAPH_SERVICES = {"api": ["api", "--host", "0.0.0.0"],
                     "orchestrator": ["worker", "--queues", "orchestrate"],
                     "webhooks": ["worker", "--queues", "webhooks"]}
BACKING_SERVICES = {"postgres", "redis", "weaviate"}
# What each lexgraph service waits for: only job-running workers touch the vector store.
WAITS_FOR = {"api": {"postgres", "redis"}, "webhooks": {"postgres", "redis"},
             "orchestrator": {"postgres", "redis", "weaviate"}}
_VARIABLE = re.compile(r"\bLEXGRAPH_[A-Z0-9_]+")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return data


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def _defaults(value: str) -> str:
    """A value as compose resolves it with no .env: each ${VAR:-default} becomes default."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def _mount_target(volume: str | dict[str, Any]) -> tuple[str, str]:
    if isinstance(volume, dict):
        return str(volume["source"]), str(volume["target"])
    source, target = volume.split(":")[:2]
    return source, target


GPU_SERVICES = {"gpu-worker": "gpu", "vllm": "vllm-serve"}  # service: the profile it needs


def test_services(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == (set(LEXGRAPH_SERVICES) | BACKING_SERVICES
                                        | set(GPU_SERVICES))


@pytest.mark.parametrize("name", sorted(GPU_SERVICES))
def test_gpu_services_need_their_profile_and_reserve_a_gpu(compose: dict[str, Any],
                                                           name: str) -> None:
    service = compose["services"][name]
    # Opt-in: a plain `docker compose up` must start on a machine without GPUs.
    assert service["profiles"] == [GPU_SERVICES[name]]
    devices = service["deploy"]["resources"]["reservations"]["devices"]
    assert devices == [{"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]
    assert service["healthcheck"]["start_period"]  # loading weights takes minutes


def test_gpu_worker_runs_the_engine_on_the_inference_queue(
        compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    service = compose["services"]["gpu-worker"]
    assert service["command"] == ["worker", "--queues", "inference"]
    assert service["build"]["args"]["EXTRAS"] == "[vllm]"
    for key in [k for k in os.environ if k.startswith("LEXGRAPH_")]:
        monkeypatch.delenv(key)
    for key, value in _environment(service).items():
        monkeypatch.setenv(key, _defaults(value))
    settings = Settings()
    assert settings.llm_backend == "vllm" and settings.llm_model
    assert settings.broker_is_redis and settings.resolved_reply_url
    # The health check watches the file the worker writes once its model is loaded.
    assert service["healthcheck"]["test"] == ["CMD", "test", "-f",
                                              str(settings.worker_ready_file)]
    assert service["stop_grace_period"]  # warm shutdown lets requests in flight finish


def test_the_vllm_server_alternative_caches_prefixes(compose: dict[str, Any]) -> None:
    service = compose["services"]["vllm"]
    assert "--enable-prefix-caching" in service["command"]
    assert "ports" not in service  # only the workers on the compose network reach it


@pytest.mark.parametrize("name", sorted(LEXGRAPH_SERVICES))
def test_lexgraph_services_use_the_image_and_commands(compose: dict[str, Any],
                                                      name: str) -> None:
    service = compose["services"][name]
    assert service["build"] in (".", {"context": "."})
    assert service["command"] == LEXGRAPH_SERVICES[name]
    queues = service["command"][2].split(",") if service["command"][0] == "worker" else []
    assert set(queues) <= set(QUEUES)


@pytest.mark.parametrize("name", sorted(LEXGRAPH_SERVICES))
def test_lexgraph_services_wait_for_healthy_backing_services(compose: dict[str, Any],
                                                             name: str) -> None:
    depends = compose["services"][name]["depends_on"]
    assert {dep: cond["condition"] for dep, cond in depends.items()} == dict.fromkeys(
        WAITS_FOR[name], "service_healthy")


@pytest.mark.parametrize("name", sorted(BACKING_SERVICES | {"api"}))
def test_healthchecks(compose: dict[str, Any], name: str) -> None:
    check = compose["services"][name]["healthcheck"]
    assert check["test"][0] in ("CMD", "CMD-SHELL") and len(check["test"]) > 1
    assert check.get("retries", 0) >= 3


@pytest.mark.parametrize("name", sorted(LEXGRAPH_SERVICES))
def test_production_topology(compose: dict[str, Any], name: str,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith("LEXGRAPH_")]:
        monkeypatch.delenv(key)
    for key, value in _environment(compose["services"][name]).items():
        monkeypatch.setenv(key, _defaults(value))
    settings = Settings()
    assert settings.resolved_database_url.startswith("postgresql+psycopg://")
    assert "@postgres:5432/" in settings.resolved_database_url
    assert settings.resolved_broker_url == "redis://redis:6379/0"
    assert settings.broker_is_redis
    assert settings.vector_store == "weaviate"
    assert settings.weaviate_url == "http://weaviate:8080"


def test_blobs_live_on_one_volume_shared_at_the_data_dir(compose: dict[str, Any]) -> None:
    named = set(compose["volumes"])
    mounts = set()
    for name in LEXGRAPH_SERVICES:
        service = compose["services"][name]
        data_dir = _environment(service)["LEXGRAPH_DATA_DIR"]
        shared = [src for src, target in map(_mount_target, service.get("volumes", []))
                  if target == data_dir]
        assert len(shared) == 1 and shared[0] in named, f"{name}: no named volume at {data_dir}"
        mounts.add(shared[0])
    assert len(mounts) == 1, f"the API and workers must share one blob volume, not {mounts}"


def test_postgres_keeps_its_data_in_a_named_volume(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    targets = dict(map(_mount_target, postgres["volumes"]))
    assert targets and set(targets) <= set(compose["volumes"])
    assert "/var/lib/postgresql/data" in targets.values()


def test_weaviate_keeps_its_data_and_stays_private(compose: dict[str, Any]) -> None:
    weaviate = compose["services"]["weaviate"]
    targets = dict(map(_mount_target, weaviate["volumes"]))
    assert targets and set(targets) <= set(compose["volumes"])
    assert _environment(weaviate)["PERSISTENCE_DATA_PATH"] in targets.values()
    assert "ports" not in weaviate  # only the workers on the compose network reach it
    assert _environment(weaviate)["DISABLE_TELEMETRY"] == "true"
    assert _environment(weaviate)["DEFAULT_VECTORIZER_MODULE"] == "none"


def test_every_lexgraph_variable_is_a_settings_field() -> None:
    fields = {f"LEXGRAPH_{name.upper()}" for name in Settings.model_fields}
    for path in (COMPOSE, ROOT / "Dockerfile"):
        named = set(_VARIABLE.findall(path.read_text(encoding="utf-8")))
        assert named, f"{path.name} names no LEXGRAPH_* variable"
        assert not named - fields, f"{path.name}: not Settings fields: {sorted(named - fields)}"


def test_dockerfile_runs_lexgraph_as_a_non_root_user() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.MULTILINE)
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r'^ENTRYPOINT \["lexgraph"\]', text, re.MULTILINE)


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose not installed")
def test_docker_compose_accepts_the_file() -> None:
    # The checkpoint key has no default: compose refuses to start anything without one.
    env = {k: v for k, v in os.environ.items() if k != "LEXGRAPH_CHECKPOINT_KEY"}
    refused = subprocess.run(["docker-compose", "-f", str(COMPOSE), "config", "-q"], cwd=ROOT,
                             capture_output=True, text=True, timeout=60, env=env)
    assert refused.returncode != 0 and "LEXGRAPH_CHECKPOINT_KEY" in refused.stderr
    env["LEXGRAPH_CHECKPOINT_KEY"] = "bGV4Z3JhcGgtY29tcG9zZS1jaGVjay1rZXktMzJieXQ="
    proc = subprocess.run(["docker-compose", "-f", str(COMPOSE), "config", "-q"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr


def test_broker_keeps_its_messages_and_every_service_restarts(compose: dict[str, Any]) -> None:
    redis_cmd = compose["services"]["redis"]["command"]
    flags = dict(zip(redis_cmd[1::2], redis_cmd[2::2], strict=False))
    assert flags["--appendonly"] == "yes" and flags["--appendfsync"] == "everysec"
    assert any(_mount_target(v)[1] == "/data" for v in compose["services"]["redis"]["volumes"])
    # A worker that exits (a broker loss kombu cannot handle, a crash) comes back by itself.
    for name, service in compose["services"].items():
        assert service.get("restart") == "unless-stopped", name
