"""The Kubernetes manifests under k8s/: each overlay renders, every object it renders passes
`kubernetes-validate --strict` offline, and the Deployments are probed, bounded, hardened and wired
the way tandem_kit.config expects.

Rendering uses `kubectl kustomize` (or `kustomize build`) when one is on PATH. Without either, it
falls back to `build()` below, which does only what these overlays use and refuses anything else;
where kubectl is present, a test checks that both give the same objects.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tandem_kit.config import SERVICES, api_metrics_port, grpc_port, jobs_metrics_port, worker_metrics_port
from tandem_kit.events import load_topology

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "k8s"
OVERLAYS = ("dev", "prod")
# From the oldest with `grpc:` probes as GA to the newest kubernetes-validate knows.
KUBERNETES_VERSIONS = ("1.27", "1.37")

Obj = dict[str, Any]


# --- rendering ----------------------------------------------------------------------------------


def render(directory: Path) -> list[Obj]:
    if kubectl := shutil.which("kubectl"):
        argv = [kubectl, "kustomize", str(directory)]
    elif kustomize := shutil.which("kustomize"):
        argv = [kustomize, "build", str(directory)]
    else:
        return build(directory)
    out = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"{' '.join(argv)} failed:\n{out.stderr}"
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


# What build() understands of a kustomization.yaml; anything else is an error, not a silent skip.
_FIELDS = {"apiVersion", "kind", "resources", "namespace", "images", "replicas", "patches"}
# Strategic-merge keys of the lists a patch here may touch.
_MERGE_KEYS = {"containers": "name", "initContainers": "name", "env": "name", "volumes": "name"}
_CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass"}


def build(directory: Path) -> list[Obj]:
    """A small Kustomize: resources (files and directories), then `patches` (strategic-merge patch
    files, each naming its target), `replicas`, `images` and `namespace`."""
    spec = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(spec) - _FIELDS
    if unknown:
        raise NotImplementedError(f"{directory}: build() does not do {sorted(unknown)}; use kubectl kustomize")
    objects: list[Obj] = []
    for entry in spec.get("resources", []):
        path = directory / entry
        objects += build(path) if path.is_dir() else _load(path)
    for patch in spec.get("patches", []):
        if set(patch) != {"path"}:
            raise NotImplementedError(f"{directory}: only `patches: - path: <file>` is supported, not {patch}")
        for doc in _load(directory / patch["path"]):
            target = _one(objects, doc["kind"], doc["metadata"]["name"], f"patch {patch['path']}")
            objects[objects.index(target)] = _merge(target, doc)
    for item in spec.get("replicas", []):
        _one(objects, "Deployment", item["name"], "replicas")["spec"]["replicas"] = item["count"]
    for image in spec.get("images", []):
        for obj in objects:
            for container in _pod_containers(obj):
                name, tag = _split_image(container["image"])
                if name == image["name"]:
                    container["image"] = f"{image.get('newName', name)}:{image.get('newTag', tag or 'latest')}"
    if "namespace" in spec:
        for obj in objects:
            if obj["kind"] not in _CLUSTER_SCOPED:
                obj["metadata"]["namespace"] = spec["namespace"]
    return objects


def _load(path: Path) -> list[Obj]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _one(objects: list[Obj], kind: str, name: str, what: str) -> Obj:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"{what}: expected one {kind}/{name}, found {len(found)}"
    return found[0]


def _merge(base: Any, patch: Any) -> Any:
    if isinstance(patch, dict) and isinstance(base, dict):
        if any(str(k).startswith("$") for k in patch):
            raise NotImplementedError(f"patch directives are not supported: {sorted(patch)}")
        merged = copy.deepcopy(base)
        for key, value in patch.items():
            if value is None:
                merged.pop(key, None)
            elif isinstance(value, list) and key in _MERGE_KEYS and isinstance(merged.get(key), list):
                merged[key] = _merge_list(merged[key], value, _MERGE_KEYS[key])
            elif isinstance(value, list) and any(isinstance(v, dict) for v in value):
                raise NotImplementedError(f"no merge key known for the list {key!r}")
            else:
                merged[key] = _merge(merged.get(key), value)
        return merged
    return copy.deepcopy(patch)


def _merge_list(base: list[Obj], patch: list[Obj], key: str) -> list[Obj]:
    merged = [copy.deepcopy(item) for item in base]
    for item in patch:
        at = next((i for i, old in enumerate(merged) if old.get(key) == item[key]), None)
        if at is None:
            merged.append(copy.deepcopy(item))
        else:
            merged[at] = _merge(merged[at], item)
    return merged


def _split_image(image: str) -> tuple[str, str | None]:
    name, _, tag = image.rpartition(":") if ":" in image.rsplit("/", 1)[-1] else (image, "", "")
    return name, tag or None


def _pod_containers(obj: Obj) -> Iterator[Obj]:
    pod = obj.get("spec", {}).get("template", {}).get("spec", {})
    yield from pod.get("initContainers", [])
    yield from pod.get("containers", [])


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> tuple[str, list[Obj]]:
    return request.param, render(K8S / "overlays" / request.param)


def by_kind(objects: list[Obj], kind: str) -> dict[str, Obj]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


# --- offline schema validation ------------------------------------------------------------------


def kubernetes_validate(objects: list[Obj], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    rendered = tmp_path / "rendered.yaml"
    rendered.write_text(yaml.safe_dump_all(objects, sort_keys=False))
    argv = [sys.executable, "-m", "kubernetes_validate", "--strict", "--quiet"]
    for version in KUBERNETES_VERSIONS:
        argv += ["-k", version]
    return subprocess.run([*argv, str(rendered)], capture_output=True, text=True, timeout=300)


def test_every_rendered_object_passes_strict_schema_validation(overlay: tuple[str, list[Obj]], tmp_path: Path) -> None:
    name, objects = overlay
    result = kubernetes_validate(objects, tmp_path)
    assert result.returncode == 0, f"{name}:\n{result.stdout}{result.stderr}"
    # A kind with no schema (a typo, or a custom resource) is only a warning to the validator.
    assert "WARN" not in result.stdout, f"{name}:\n{result.stdout}"


@pytest.mark.parametrize(
    "breakage",
    [
        pytest.param(lambda d: d["spec"].update(replica=2), id="unknown-field"),
        pytest.param(lambda d: d["spec"].update(replicas="two"), id="wrong-type"),
        pytest.param(lambda d: d["spec"]["template"]["spec"]["containers"][0].pop("name"), id="missing-required"),
    ],
)
def test_the_validator_rejects_a_broken_deployment(breakage: Any, tmp_path: Path) -> None:
    objects = render(K8S / "overlays" / "prod")
    broken = copy.deepcopy(by_kind(objects, "Deployment")["gateway"])
    breakage(broken)
    result = kubernetes_validate([broken], tmp_path)
    assert result.returncode != 0, result.stdout


def test_the_validator_output_flags_an_unknown_kind(tmp_path: Path) -> None:
    typo = {"apiVersion": "apps/v1", "kind": "Deployement", "metadata": {"name": "x"}}
    result = kubernetes_validate([typo], tmp_path)
    assert "WARN" in result.stdout


# --- the fallback renderer ----------------------------------------------------------------------


def _keyed(objects: list[Obj]) -> dict[tuple[str, str, str], Obj]:
    return {(o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]): o for o in objects}


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs kubectl to compare with")
@pytest.mark.parametrize("directory", ["base", "overlays/dev", "overlays/prod"])
def test_the_fallback_renderer_agrees_with_kubectl_kustomize(directory: str) -> None:
    assert _keyed(build(K8S / directory)) == _keyed(render(K8S / directory))


def test_the_fallback_renderer_refuses_what_it_does_not_do(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: []\ncommonLabels: {team: a}\n")
    with pytest.raises(NotImplementedError, match="commonLabels"):
        build(tmp_path)


# --- what every Deployment must have ------------------------------------------------------------

# Services that take jobs from a work queue (topology `job: true`) run a `<service>-jobs` process too.
JOB_SERVICES = {sub.service for spec in load_topology().events.values() if spec.job for sub in spec.consumers}
PROCESSES = (
    {f"{s}-{role}" for s in SERVICES for role in ("api", "worker")}
    | {f"{s}-jobs" for s in JOB_SERVICES}
    | {"gateway", "web"}
)


def test_each_process_has_a_deployment_and_a_service(overlay: tuple[str, list[Obj]]) -> None:
    _, objects = overlay
    assert set(by_kind(objects, "Deployment")) == PROCESSES
    assert set(by_kind(objects, "Service")) == PROCESSES


def deployments(objects: list[Obj]) -> Iterator[tuple[str, Obj, Obj]]:
    for name, deployment in by_kind(objects, "Deployment").items():
        yield name, deployment, deployment["spec"]["template"]["spec"]


def test_every_container_is_probed_on_a_port_it_declares(overlay: tuple[str, list[Obj]]) -> None:
    _, objects = overlay
    for name, _, pod in deployments(objects):
        for c in pod["containers"]:
            ports = {p["containerPort"] for p in c["ports"]} | {p["name"] for p in c["ports"]}
            for probe in ("livenessProbe", "readinessProbe"):
                assert probe in c, f"{name}/{c['name']} has no {probe}"
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                if probe in c:
                    handler = c[probe].get("grpc") or c[probe].get("httpGet") or c[probe].get("tcpSocket")
                    assert handler is not None, f"{name}/{c['name']}: {probe} has no handler"
                    assert handler["port"] in ports, f"{name}/{c['name']}: {probe} probes an undeclared port"


def test_every_container_has_cpu_and_memory_requests_and_limits(overlay: tuple[str, list[Obj]]) -> None:
    _, objects = overlay
    for name, _, pod in deployments(objects):
        for c in pod["containers"]:
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(c.get("resources", {}).get(bound, {})), (
                    f"{name}/{c['name']} lacks cpu or memory {bound}"
                )


def test_every_pod_is_hardened(overlay: tuple[str, list[Obj]]) -> None:
    _, objects = overlay
    for name, _, pod in deployments(objects):
        pod_sc = pod.get("securityContext", {})
        assert pod_sc.get("runAsNonRoot") is True, name
        assert pod.get("automountServiceAccountToken") is False, name
        for c in [*pod.get("initContainers", []), *pod["containers"]]:
            sc = c.get("securityContext", {})
            where = f"{name}/{c['name']}"
            assert sc.get("allowPrivilegeEscalation") is False, where
            assert sc.get("readOnlyRootFilesystem") is True, where
            assert sc.get("privileged", False) is False, where
            assert sc.get("capabilities", {}).get("drop") == ["ALL"], where
            assert not sc.get("capabilities", {}).get("add"), where
            assert sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True, where
            seccomp = sc.get("seccompProfile", pod_sc.get("seccompProfile", {}))
            assert seccomp.get("type") == "RuntimeDefault", where


def test_every_pod_is_scraped_on_a_metrics_port_it_declares(overlay: tuple[str, list[Obj]]) -> None:
    _, objects = overlay
    for name, deployment, pod in deployments(objects):
        annotations = deployment["spec"]["template"]["metadata"].get("annotations", {})
        assert annotations.get("prometheus.io/scrape") == "true", name
        declared = {p["containerPort"] for c in pod["containers"] for p in c["ports"]}
        assert int(annotations["prometheus.io/port"]) in declared, name


def test_every_container_runs_the_one_image_with_a_tag(overlay: tuple[str, list[Obj]]) -> None:
    name, objects = overlay
    images = {c["image"] for _, _, pod in deployments(objects) for c in pod["containers"]}
    assert len(images) == 1, images
    image_name, tag = _split_image(images.pop())
    assert image_name == "tandem" and tag not in (None, "latest"), f"{name}: {image_name}:{tag}"


# --- wiring: ports, commands and environment agree with tandem_kit.config ----------------------


def env_of(container: Obj) -> dict[str, Obj]:
    return {e["name"]: e for e in container.get("env", [])}


def secret_ref(env: dict[str, Obj], name: str) -> tuple[str, str]:
    ref = env[name]["valueFrom"]["secretKeyRef"]
    return ref["name"], ref["key"]


def port_named(container: Obj, port_name: str) -> int:
    return next(p["containerPort"] for p in container["ports"] if p["name"] == port_name)


@pytest.mark.parametrize("service", SERVICES)
def test_an_api_serves_grpc_health_and_metrics_on_its_configured_ports(
    overlay: tuple[str, list[Obj]], service: str
) -> None:
    _, objects = overlay
    pod = by_kind(objects, "Deployment")[f"{service}-api"]["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    assert c["command"] == ["python", "-m", "tandem_kit.run", "api", service, f"{service}.api:build_server"]
    assert port_named(c, "grpc") == grpc_port(service)
    assert port_named(c, "metrics") == api_metrics_port(service)
    for probe in ("livenessProbe", "readinessProbe"):
        assert c[probe]["grpc"]["port"] == grpc_port(service)
    env = env_of(c)
    assert env[f"{service.upper()}_GRPC_BIND"]["value"] == f"0.0.0.0:{grpc_port(service)}"
    assert env["METRICS_BIND"]["value"] == "0.0.0.0"
    assert secret_ref(env, f"{service.upper()}_MONGO_URI") == (f"{service}-mongo", "uri")


@pytest.mark.parametrize("service", SERVICES)
def test_a_worker_consumes_with_broker_and_store_secrets(overlay: tuple[str, list[Obj]], service: str) -> None:
    _, objects = overlay
    pod = by_kind(objects, "Deployment")[f"{service}-worker"]["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    worker_class = f"{service}.worker:{service.capitalize()}Worker"
    assert c["command"] == ["python", "-m", "tandem_kit.run", "worker", service, worker_class]
    assert port_named(c, "metrics") == worker_metrics_port(service)
    env = env_of(c)
    assert env["METRICS_BIND"]["value"] == "0.0.0.0"
    assert secret_ref(env, "AMQP_URI") == ("tandem-amqp", "uri")
    assert secret_ref(env, f"{service.upper()}_MONGO_URI") == (f"{service}-mongo", "uri")


@pytest.mark.parametrize("service", sorted(JOB_SERVICES))
def test_a_jobs_process_takes_its_queue_with_broker_and_store_secrets(
    overlay: tuple[str, list[Obj]], service: str
) -> None:
    _, objects = overlay
    pod = by_kind(objects, "Deployment")[f"{service}-jobs"]["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    assert c["command"] == ["python", "-m", "tandem_kit.run", "jobs", service, f"{service}.jobs:JOBS"]
    assert port_named(c, "metrics") == jobs_metrics_port(service)
    env = env_of(c)
    assert env["METRICS_BIND"]["value"] == "0.0.0.0"
    assert secret_ref(env, "AMQP_URI") == ("tandem-amqp", "uri")
    assert secret_ref(env, f"{service.upper()}_MONGO_URI") == (f"{service}-mongo", "uri")


def test_the_gateway_reaches_each_api_through_its_service(overlay: tuple[str, list[Obj]]) -> None:
    _, objects = overlay
    services = by_kind(objects, "Service")
    (c,) = by_kind(objects, "Deployment")["gateway"]["spec"]["template"]["spec"]["containers"]
    env = env_of(c)
    for service in SERVICES:
        assert env[f"{service.upper()}_GRPC_ADDR"]["value"] == f"{service}-api:{grpc_port(service)}"
        ports = {p["port"] for p in services[f"{service}-api"]["spec"]["ports"]}
        assert grpc_port(service) in ports


def test_each_service_selects_exactly_its_deployments_pods(overlay: tuple[str, list[Obj]]) -> None:
    _, objects = overlay
    deployments_ = by_kind(objects, "Deployment")
    pod_labels = {name: d["spec"]["template"]["metadata"]["labels"] for name, d in deployments_.items()}
    for name, service in by_kind(objects, "Service").items():
        selector = service["spec"]["selector"].items()
        matched = [d for d, dep in pod_labels.items() if selector <= dep.items()]
        assert matched == [name], f"Service {name} selects {matched}"
        (c,) = deployments_[name]["spec"]["template"]["spec"]["containers"]
        declared = {p["name"] for p in c["ports"]}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in declared, f"Service {name}: no container port {port['targetPort']}"


def test_every_deployment_selector_matches_its_pod_labels(overlay: tuple[str, list[Obj]]) -> None:
    _, objects = overlay
    for name, deployment in by_kind(objects, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items(), name


def test_every_configmap_and_secret_a_pod_reads_is_named_consistently(overlay: tuple[str, list[Obj]]) -> None:
    name, objects = overlay
    configmaps = set(by_kind(objects, "ConfigMap"))
    secrets_needed = set()
    for _, _, pod in deployments(objects):
        for c in pod["containers"]:
            for source in c.get("envFrom", []):
                assert source["configMapRef"]["name"] in configmaps
            for e in c.get("env", []):
                if ref := e.get("valueFrom", {}).get("secretKeyRef"):
                    secrets_needed.add(ref["name"])
    assert secrets_needed == {"tandem-amqp", *(f"{s}-mongo" for s in SERVICES)}
    if name == "dev":  # production creates them out of band
        assert secrets_needed <= set(by_kind(objects, "Secret"))


# --- scaling and disruption ---------------------------------------------------------------------


def test_matching_scales_on_cpu_and_on_queue_length(overlay: tuple[str, list[Obj]]) -> None:
    _, objects = overlay
    hpas = by_kind(objects, "HorizontalPodAutoscaler")
    deployments_ = by_kind(objects, "Deployment")
    assert set(hpas) == {"matching-api", "matching-worker", "matching-jobs"}
    for name, hpa in hpas.items():
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        # A replica count in the Deployment would fight the autoscaler at every apply.
        assert "replicas" not in deployments_[name]["spec"], name
    (api_metric,) = hpas["matching-api"]["spec"]["metrics"]
    assert api_metric["type"] == "Resource" and api_metric["resource"]["name"] == "cpu"
    for name in ("matching-worker", "matching-jobs"):
        (queue_metric,) = hpas[name]["spec"]["metrics"]
        assert queue_metric["type"] == "External"
        assert queue_metric["external"]["metric"]["name"] == "tandem_queue_depth_messages"
        assert queue_metric["external"]["metric"]["selector"]["matchLabels"] == {"app": name}


def test_production_runs_spares_and_protects_the_gateway_and_matching_api() -> None:
    objects = render(K8S / "overlays" / "prod")
    deployments_ = by_kind(objects, "Deployment")
    hpas = by_kind(objects, "HorizontalPodAutoscaler")
    assert deployments_["gateway"]["spec"]["replicas"] >= 3
    assert hpas["matching-api"]["spec"]["minReplicas"] >= 3
    for name in PROCESSES - {"matching-api", "matching-worker", "matching-jobs"}:
        if name.endswith("-api") or name == "web":
            assert deployments_[name]["spec"]["replicas"] >= 2, name
    pdbs = by_kind(objects, "PodDisruptionBudget")
    assert set(pdbs) == {"gateway", "matching-api"}
    for name, pdb in pdbs.items():
        labels = deployments_[name]["spec"]["template"]["metadata"]["labels"]
        assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items(), name
        assert pdb["spec"].get("maxUnavailable") == 1 or pdb["spec"].get("minAvailable") is not None


def test_production_matching_api_has_room_for_a_million_people_and_time_to_read_the_store() -> None:
    # A million people: about 1 GiB of index, and a snapshot being written beside it; the first
    # replica, with no snapshot yet, reads the whole store for minutes before it serves.
    api = by_kind(render(K8S / "overlays" / "prod"), "Deployment")["matching-api"]
    [container] = api["spec"]["template"]["spec"]["containers"]
    assert container["command"][-1] == "matching.api:build_server"
    limit = container["resources"]["limits"]["memory"]
    assert limit.endswith("Gi") and float(limit[:-2]) >= 2.5
    probe = container["startupProbe"]
    assert probe["periodSeconds"] * probe["failureThreshold"] >= 600


def test_development_runs_one_of_each() -> None:
    objects = render(K8S / "overlays" / "dev")
    for name, deployment in by_kind(objects, "Deployment").items():
        assert deployment["spec"].get("replicas", 1) == 1, name
    assert not by_kind(objects, "PodDisruptionBudget")


def test_notifications_worker_never_overlaps_itself(overlay: tuple[str, list[Obj]]) -> None:
    # One email sender at a time during a rollout: a conservative default (each email is claimed
    # before sending, so two senders would not duplicate mail).
    _, objects = overlay
    worker = by_kind(objects, "Deployment")["notifications-worker"]["spec"]
    assert worker["replicas"] == 1
    assert worker["strategy"]["type"] == "Recreate"
