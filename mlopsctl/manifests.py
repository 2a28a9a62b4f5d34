"""Every Kubernetes object a plan declares, written as plain YAML manifests for reviewers and standard tools.

One file per object: ``<namespace or _cluster>/<kind>-<name>.yaml``. ``apiVersion``/``kind`` come from
the resource's type token (``kubernetes:networking.k8s.io/v1:NetworkPolicy``); everything else from its
captured inputs, which are already masked (secrets read "[secret]", never their value). Helm releases,
providers, patches and component resources (yaml/kustomize/Chart v4) are not objects and are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mlopsctl.engine import Graph, Registration
from mlopsctl.wire import SECRET_MARK, UNKNOWN_MARK

CLUSTER_DIR = "_cluster"
"""Directory of cluster-scoped objects."""

CLUSTER_SCOPED_KINDS = frozenset(
    {
        "APIService", "CSIDriver", "CSINode", "CertificateSigningRequest", "ClusterIssuer", "ClusterRole",
        "ClusterRoleBinding", "ClusterServingRuntime", "CustomResourceDefinition", "FlowSchema", "IngressClass",
        "MutatingWebhookConfiguration", "Namespace", "Node", "PersistentVolume", "PriorityClass",
        "PriorityLevelConfiguration", "RuntimeClass", "StorageClass", "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding", "ValidatingWebhookConfiguration", "VolumeAttachment",
    }
)  # fmt: skip
"""Kinds without a namespace (core, plus the cluster-scoped kinds of the charts the platform installs)."""

_SKIPPED_GROUPS = ("helm.sh/",)
_TOKEN = re.compile(r"^kubernetes:(?P<group>[^:]+):(?P<kind>[A-Za-z0-9]+)$")
_FIRST_KEYS = ("apiVersion", "kind", "metadata")
MASKED_ANNOTATION = "mlops.io/masked-fields"
"""Annotation listing top-level fields left out because their whole value is secret or unknown in the plan."""


@dataclass(frozen=True)
class Manifest:
    """One Kubernetes object of the plan."""

    path: Path
    """Relative path: ``<namespace or _cluster>/<kind>-<name>.yaml``."""
    urn: str
    body: dict[str, Any]


def kubernetes_objects(graph: Graph) -> list[Manifest]:
    """The Kubernetes objects of ``graph`` as manifests, sorted by path (deterministic)."""
    manifests: dict[Path, Manifest] = {}
    for resource in graph.resources:
        body = _body(resource)
        if body is None:
            continue
        meta = body["metadata"]
        folder = CLUSTER_DIR if body["kind"] in CLUSTER_SCOPED_KINDS else str(meta.get("namespace") or "default")
        path = Path(folder) / f"{body['kind'].lower()}-{meta['name']}.yaml"
        if path in manifests:
            # Same kind and name in two API groups (e.g. two CRDs named Certificate): qualify with the group.
            group = body["apiVersion"].split("/")[0]
            path = Path(folder) / f"{body['kind'].lower()}.{group}-{meta['name']}.yaml"
        if path in manifests:
            raise ValueError(f"{resource.urn} and {manifests[path].urn} declare the same object {path}")
        manifests[path] = Manifest(path=path, urn=resource.urn, body=body)
    return [manifests[p] for p in sorted(manifests)]


def write_manifests(graph: Graph, out_dir: Path) -> list[Path]:
    """Write every Kubernetes object of ``graph`` under ``out_dir``; returns the written paths, sorted."""
    written = []
    for manifest in kubernetes_objects(graph):
        target = out_dir / manifest.path
        target.parent.mkdir(parents=True, exist_ok=True)
        header = f"# Source: {manifest.urn}\n"
        target.write_text(header + yaml.safe_dump(manifest.body, sort_keys=False, width=120), encoding="utf-8")
        written.append(target)
    return written


def _body(resource: Registration) -> dict[str, Any] | None:
    """The object a registration declares, or None when it is not a plain Kubernetes object."""
    match = _TOKEN.match(resource.type)
    if not resource.custom or match is None:
        return None
    group, kind = match["group"], match["kind"]
    if group.startswith(_SKIPPED_GROUPS) or kind.endswith("Patch") or "/" not in group:
        return None  # helm releases; server-side patches; yaml:ConfigFile, kustomize:Directory, ...
    api_version = group.removeprefix("core/")
    inputs = resource.inputs
    metadata = dict(inputs.get("metadata") or {})
    # Pulumi auto-names objects without metadata.name (logical name + random suffix): show the logical name.
    metadata.setdefault("name", resource.name)
    rest = {key: inputs[key] for key in sorted(inputs) if key not in _FIRST_KEYS}
    # A whole field that is "[secret]" (e.g. a Secret's stringData) cannot stand where the schema wants an
    # object: leave it out and say so, rather than write an invalid manifest (or, ever, the value).
    masked = [key for key, value in rest.items() if value in (SECRET_MARK, UNKNOWN_MARK)]
    if masked:
        metadata["annotations"] = {**(metadata.get("annotations") or {}), MASKED_ANNOTATION: ",".join(masked)}
    body: dict[str, Any] = {"apiVersion": api_version, "kind": kind, "metadata": _sorted(metadata)}
    body.update({key: _sorted(value) for key, value in rest.items() if key not in masked})
    return body


def _sorted(value: Any) -> Any:
    """Mappings with sorted keys all the way down (lists keep their order: it matters in Kubernetes)."""
    if isinstance(value, Mapping):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value
