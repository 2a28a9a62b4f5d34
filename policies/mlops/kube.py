"""Where pods, containers and Helm values sit in Kubernetes resources' inputs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from policies.mlops.props import as_list, as_map, get

NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
SERVICE = "kubernetes:core/v1:Service"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
"""``helm.v3.Release``: a custom resource whose chart is rendered by the provider, so rules can
only see its ``values`` (not the rendered manifests)."""

# Path from a workload's inputs to its pod spec.
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "kubernetes:core/v1:Pod": ("spec",),
    "kubernetes:apps/v1:Deployment": ("spec", "template", "spec"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template", "spec"),
    "kubernetes:batch/v1:Job": ("spec", "template", "spec"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
WORKLOADS = tuple(POD_SPEC_PATHS)

SYSTEM_NAMESPACES = frozenset({"kube-system", "kube-public", "kube-node-lease"})
"""Namespaces EKS manages; their isolation is the add-ons' business, not this program's."""


def pod_spec(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any]:
    """The pod spec of a workload (empty when missing)."""
    return as_map(get(props, *POD_SPEC_PATHS[resource_type]))


def containers(spec: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """``(label, container)`` for every container, init container and ephemeral container."""
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for index, container in enumerate(as_list(spec.get(field))):
            container = as_map(container)
            label = container.get("name") or f"{field}[{index}]"
            yield f"{field[:-1]} '{label}'", container


def namespace_of(props: Mapping[str, Any]) -> str:
    """``metadata.namespace`` of a namespaced object (Kubernetes' default is ``default``)."""
    value = get(props, "metadata", "namespace")
    return value if isinstance(value, str) and value else "default"


def release_namespace(props: Mapping[str, Any]) -> str:
    """The namespace a ``helm.v3.Release`` installs into (``namespace`` input, default ``default``)."""
    value = props.get("namespace")
    return value if isinstance(value, str) and value else "default"


def image_problem(image: str) -> str | None:
    """Why a container image reference is not pinned, or ``None`` (digest or explicit non-latest tag)."""
    if "@sha256:" in image:
        return None
    last = image.rsplit("/", 1)[-1]  # a registry host may carry a port: registry:5000/app
    if ":" not in last:
        return f"image {image!r} has no tag (pulls 'latest')"
    if last.rsplit(":", 1)[1] == "latest":
        return f"image {image!r} uses the mutable tag 'latest'"
    return None


def helm_values(props: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ``values`` of a ``helm.v3.Release`` (empty when missing)."""
    return as_map(props.get("values"))
