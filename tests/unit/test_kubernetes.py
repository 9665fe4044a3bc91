"""The Kubernetes manifests: every overlay renders offline, every object validates against
the Kubernetes schemas (KEDA's objects against deploy/kubernetes/schemas), the GPU worker
asks for a GPU, the autoscalers watch the queues the code routes to, the network policies
let through only what is listed, and every setting can be set."""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from lexgraph.core.config.settings import Settings
from lexgraph.workers.celery_app import make_celery

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "kubernetes"
OVERLAYS = ("dev", "production", "production-vllm-serve")
KUBERNETES_VERSION = "1.32.0"
SCHEMAS = {"ScaledObject": "keda-scaledobject.json",
           "TriggerAuthentication": "keda-triggerauthentication.json"}


@cache
def render(overlay: str) -> tuple[dict[str, Any], ...]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    done = subprocess.run([kubectl, "kustomize", str(K8S / "overlays" / overlay)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return tuple(doc for doc in yaml.safe_load_all(done.stdout) if doc)


def objects(overlay: str, kind: str) -> list[dict[str, Any]]:
    return [o for o in render(overlay) if o["kind"] == kind]


def named(overlay: str, kind: str, name: str) -> dict[str, Any]:
    (found,) = [o for o in objects(overlay, kind) if o["metadata"]["name"] == name]
    return found


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_validates_offline(overlay: str) -> None:
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    for obj in render(overlay):
        where = f"{overlay}: {obj['kind']}/{obj['metadata']['name']}"
        if obj["apiVersion"].startswith("keda.sh/"):
            schema = yaml.safe_load((K8S / "schemas" / SCHEMAS[obj["kind"]]).read_text())
            jsonschema.validate(obj, schema)
            continue
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            raise AssertionError(f"{where}: {exc.message} at {list(exc.path)}") from None


def test_a_misspelt_field_is_caught() -> None:
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    deployment = dict(named("dev", "Deployment", "lexgraph-api"))
    deployment["spec"] = {**deployment["spec"], "replica": 1}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
    scaled = named("dev", "ScaledObject", "lexgraph-orchestrator")
    schema = yaml.safe_load((K8S / "schemas" / SCHEMAS["ScaledObject"]).read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**scaled, "spec": {**scaled["spec"], "maxReplicas": 3}}, schema)


def _containers(deployment: dict[str, Any]) -> list[dict[str, Any]]:
    containers: list[dict[str, Any]] = deployment["spec"]["template"]["spec"]["containers"]
    return containers


@pytest.mark.parametrize("overlay", ["dev", "production"])
def test_the_inference_worker_runs_on_a_gpu_and_drains(overlay: str) -> None:
    deployment = named(overlay, "Deployment", "lexgraph-inference")
    pod = deployment["spec"]["template"]["spec"]
    (worker,) = _containers(deployment)
    assert worker["resources"]["requests"]["nvidia.com/gpu"] == "1"
    assert worker["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert pod["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in (
        pod["tolerations"])
    shm = {v["name"]: v for v in pod["volumes"]}[
        {m["mountPath"]: m["name"] for m in worker["volumeMounts"]}["/dev/shm"]]
    assert shm["emptyDir"]["medium"] == "Memory"
    ready_file = {e["name"]: e["value"] for e in worker["env"]}["LEXGRAPH_WORKER_READY_FILE"]
    assert worker["readinessProbe"]["exec"]["command"] == ["test", "-f", ready_file]
    assert pod["terminationGracePeriodSeconds"] >= 300


def test_vllm_serve_replaces_the_in_worker_engine() -> None:
    assert not [d for d in objects("production-vllm-serve", "Deployment")
                if d["metadata"]["name"] == "lexgraph-inference"]
    server = named("production-vllm-serve", "Deployment", "lexgraph-model-server")
    (vllm,) = _containers(server)
    assert vllm["resources"]["limits"]["nvidia.com/gpu"] == "1"
    config = next(iter(objects("production-vllm-serve", "ConfigMap")))["data"]
    assert config["LEXGRAPH_LLM_BACKEND"] == "openai"
    assert config["LEXGRAPH_LLM_BASE_URL"].startswith("http://lexgraph-model-server:8000/")


def _queue_of(task: str) -> str:
    app = make_celery(Settings(broker_url="redis://127.0.0.1:6379/0"))
    queue: str = app.conf.task_routes[task]["queue"]
    return queue


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_autoscalers_watch_the_queues_their_workers_consume(overlay: str) -> None:
    expected = {"lexgraph-orchestrator": _queue_of("lexgraph.run_job")}
    if overlay != "production-vllm-serve":
        expected["lexgraph-inference"] = _queue_of("lexgraph.generate")
    scaled = {s["spec"]["scaleTargetRef"]["name"]: s for s in objects(overlay, "ScaledObject")}
    assert set(scaled) == set(expected)
    for target, queue in expected.items():
        (trigger,) = scaled[target]["spec"]["triggers"]
        assert (trigger["type"], trigger["metadata"]["listName"]) == ("redis", queue)
        auth = named(overlay, "TriggerAuthentication", trigger["authenticationRef"]["name"])
        assert {r["parameter"] for r in auth["spec"]["secretTargetRef"]} >= {"address"}
        (worker,) = _containers(named(overlay, "Deployment", target))
        assert worker["args"][worker["args"].index("--queues") + 1] == queue
    if "lexgraph-inference" in scaled:
        assert scaled["lexgraph-inference"]["spec"]["minReplicaCount"] == 0
    assert named(overlay, "HorizontalPodAutoscaler", "lexgraph-api")["spec"][
        "scaleTargetRef"]["name"] == "lexgraph-api"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_runs_as_non_root_with_requests_and_a_budget(overlay: str) -> None:
    budgets = [p["spec"]["selector"]["matchLabels"] for p in
               objects(overlay, "PodDisruptionBudget")]
    for kind in ("Deployment", "Job"):
        for obj in objects(overlay, kind):
            pod = obj["spec"]["template"]["spec"]
            assert pod["securityContext"]["runAsNonRoot"] is True, obj["metadata"]["name"]
            for container in pod["containers"]:
                assert container["resources"]["requests"]["cpu"], obj["metadata"]["name"]
                assert container["securityContext"]["allowPrivilegeEscalation"] is False
            labels = obj["spec"]["template"]["metadata"]["labels"]
            if kind == "Deployment" and labels.get("app.kubernetes.io/name") == "lexgraph":
                assert any(b.items() <= labels.items() for b in budgets), obj["metadata"]


# Network policies ------------------------------------------------------------------------


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expr in selector.get("matchExpressions", []):
        value = labels.get(expr["key"])
        if expr["operator"] == "In" and value not in expr["values"]:
            return False
        if expr["operator"] == "NotIn" and value in expr["values"]:
            return False
        if expr["operator"] == "Exists" and value is None:
            return False
    return True


def _peer_matches(peer: dict[str, Any], target: dict[str, Any]) -> bool:
    if "ipBlock" in peer:
        if "ip" not in target:
            return False
        ip = ipaddress.ip_address(target["ip"])
        block = peer["ipBlock"]
        return ip in ipaddress.ip_network(block["cidr"]) and not any(
            ip in ipaddress.ip_network(e) for e in block.get("except", []))
    if "pod" not in target:
        return False
    if "namespaceSelector" in peer:
        if not _selects(peer["namespaceSelector"], target.get("namespace", {})):
            return False
    elif "namespace" in target:
        return False  # a podSelector alone matches pods of the policy's own namespace
    return _selects(peer.get("podSelector", {}), target["pod"])


def allowed(overlay: str, pod: dict[str, str], direction: str, port: int,
            peer: dict[str, Any], protocol: str = "TCP") -> bool:
    """Whether the overlay's policies let ``pod`` reach (egress) or be reached by (ingress)
    ``peer`` on ``port``: Kubernetes' rule, any selecting policy with a matching rule."""
    kind = direction.capitalize()
    rules_key = "egress" if direction == "egress" else "ingress"
    peers_key = "to" if direction == "egress" else "from"
    selecting = [p["spec"] for p in objects(overlay, "NetworkPolicy")
                 if _selects(p["spec"]["podSelector"], pod)
                 and kind in p["spec"]["policyTypes"]]
    assert selecting, f"no policy isolates {pod}: everything would be allowed"
    for spec in selecting:
        for rule in spec.get(rules_key, []):
            ports = rule.get("ports")
            if ports and not any(p.get("port") == port and p.get("protocol", "TCP") == protocol
                                 for p in ports):
                continue
            peers = rule.get(peers_key)
            if not peers or any(_peer_matches(p, peer) for p in peers):
                return True
    return False


def _pod_labels(overlay: str, name: str) -> dict[str, str]:
    labels: dict[str, str] = named(overlay, "Deployment", name)["spec"]["template"][
        "metadata"]["labels"]
    return labels


PUBLIC = {"ip": "203.0.113.10"}
PRIVATE = {"ip": "10.1.2.3"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_allow_what_is_listed_and_deny_the_rest(overlay: str) -> None:
    api, orchestrator, webhooks = (_pod_labels(overlay, f"lexgraph-{n}")
                                   for n in ("api", "orchestrator", "webhooks"))
    anywhere = {"ip": "198.51.100.7"}
    # Datastores, by their ports.
    for pod in (api, orchestrator, webhooks):
        assert allowed(overlay, pod, "egress", 5432, PRIVATE)
        assert allowed(overlay, pod, "egress", 6379, PRIVATE)
        assert allowed(overlay, pod, "egress", 53, PRIVATE, "UDP")
        assert not allowed(overlay, pod, "egress", 22, PRIVATE)
    assert allowed(overlay, orchestrator, "egress", 8080, PRIVATE)  # Weaviate
    assert not allowed(overlay, webhooks, "egress", 8080, PRIVATE)
    # Webhook receivers: public addresses only, and only from the webhooks worker.
    assert allowed(overlay, webhooks, "egress", 443, PUBLIC)
    assert not allowed(overlay, webhooks, "egress", 443, PRIVATE)
    assert not allowed(overlay, webhooks, "egress", 443, {"ip": "169.254.169.254"})
    assert not allowed(overlay, api, "egress", 80, PUBLIC)
    # LangSmith only where it is configured (the langsmith component).
    assert allowed(overlay, orchestrator, "egress", 443, PUBLIC) == (overlay != "dev")
    assert not allowed(overlay, orchestrator, "egress", 443, PRIVATE)
    # The model server only in the cluster, by its label.
    model_server = {"pod": {"app.kubernetes.io/name": "lexgraph",
                            "app.kubernetes.io/component": "model-server"}}
    assert allowed(overlay, orchestrator, "egress", 8000, model_server)
    assert not allowed(overlay, orchestrator, "egress", 8000, PUBLIC)
    assert not allowed(overlay, webhooks, "egress", 8000, model_server)
    # Ingress: the API from anywhere on its port, worker metrics from monitoring only.
    assert allowed(overlay, api, "ingress", 8000, anywhere)
    assert not allowed(overlay, orchestrator, "ingress", 8000, anywhere)
    monitoring = {"pod": {"app": "prometheus"},
                  "namespace": {"kubernetes.io/metadata.name": "monitoring"}}
    assert allowed(overlay, orchestrator, "ingress", 9100, monitoring)
    assert not allowed(overlay, orchestrator, "ingress", 9100, anywhere)


def test_the_inference_worker_reaches_only_the_broker() -> None:
    inference = _pod_labels("production", "lexgraph-inference")
    assert allowed("production", inference, "egress", 6379, PRIVATE)
    assert not allowed("production", inference, "egress", 5432, PRIVATE)


# Settings --------------------------------------------------------------------------------

_LINE = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$")


def _env_file(name: str) -> tuple[dict[str, str], set[str]]:
    """(set keys with values, commented keys) of a base env file."""
    values: dict[str, str] = {}
    commented: set[str] = set()
    for line in (K8S / "base" / name).read_text(encoding="utf-8").splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        if line.startswith("#"):
            commented.add(match.group(1))
        else:
            values[match.group(1)] = match.group(2)
    return values, commented


def test_every_setting_can_be_set_in_the_manifests() -> None:
    config, config_listed = _env_file("settings.env")
    secrets, secrets_listed = _env_file("secrets.env")
    listed = set(config) | config_listed | set(secrets) | secrets_listed
    missing = sorted(f"LEXGRAPH_{name.upper()}" for name in Settings.model_fields
                     if f"LEXGRAPH_{name.upper()}" not in listed)
    assert not missing, (f"settings with no line in deploy/kubernetes/base/settings.env or "
                         f"secrets.env: {missing}")
    unknown = sorted(k for k in listed if k.startswith("LEXGRAPH_")
                     and k.removeprefix("LEXGRAPH_").lower() not in Settings.model_fields)
    assert not unknown, f"lines for settings that do not exist: {unknown}"
    # Every value set parses as the setting it sets.
    Settings.model_validate({k.removeprefix("LEXGRAPH_").lower(): v for k, v in config.items()})


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_lexgraph_container_reads_the_config_and_the_secret(overlay: str) -> None:
    (config,) = objects(overlay, "ConfigMap")
    base, _ = _env_file("settings.env")
    assert base.keys() <= config["data"].keys()
    _, secret_keys = _env_file("secrets.env")
    for secret in objects(overlay, "Secret"):
        assert set(secret.get("data", {})) <= secret_keys, secret["metadata"]["name"]
    for kind in ("Deployment", "Job"):
        for obj in objects(overlay, kind):
            labels = obj["spec"]["template"]["metadata"]["labels"]
            if labels.get("app.kubernetes.io/component") == "model-server" or labels.get(
                    "app.kubernetes.io/name") != "lexgraph":
                continue
            for container in _containers(obj):
                refs = {next(iter(r)): next(iter(r.values()))["name"]
                        for r in container["envFrom"]}
                assert refs == {"configMapRef": config["metadata"]["name"],
                                "secretRef": "lexgraph-secrets"}, obj["metadata"]["name"]
