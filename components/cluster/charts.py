"""Pinned charts of the serving cluster and their Helm values: cert-manager, KServe, the NVIDIA device
plugin and the Cluster Autoscaler (release per Kubernetes minor), each with a hardened pod.

Nothing here creates a resource or reads an Output: every function takes plain values and returns plain
data, so each control is unit-tested directly and shows up verbatim in the plan.
``components.cluster.addons`` installs them.
"""

from __future__ import annotations

from typing import Any

from components.cluster.kube import CERT_MANAGER_NAMESPACE
from components.cluster.nodes import GPU_TAINT, POOL_LABEL, TAINT_EFFECTS

CERT_MANAGER_REPO = "https://charts.jetstack.io"
"""cert-manager's official Helm repository (https://cert-manager.io/docs/installation/helm/)."""

KSERVE_CHART = "oci://ghcr.io/kserve/charts/kserve"
"""KServe's official OCI chart (https://kserve.github.io/website/docs/admin-guide/kubernetes-deployment)."""

KSERVE_CRD_CHART = "oci://ghcr.io/kserve/charts/kserve-crd"
"""KServe's CRDs, a separate official OCI chart installed before the controller chart."""


# --- Helm values -----------------------------------------------------------------------------------

_POD_SECURITY = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
_CONTAINER_SECURITY = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "privileged": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
}


def _resources(cpu: str, memory: str, cpu_limit: str, memory_limit: str) -> dict[str, Any]:
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu_limit, "memory": memory_limit}}


def _hardened(resources: dict[str, Any]) -> dict[str, Any]:
    """Pod + container security contexts meeting the ``restricted`` profile, on the system pool."""
    return {
        "securityContext": dict(_POD_SECURITY),
        "containerSecurityContext": dict(_CONTAINER_SECURITY),
        "resources": resources,
        "nodeSelector": {POOL_LABEL: "system"},
    }


def cert_manager_values() -> dict[str, Any]:
    """Values of the cert-manager chart: CRDs in the release (kept on uninstall), non-root, bounded resources.

    Keys as in the chart's values.yaml (v1.15+: ``crds.enabled``/``crds.keep``). Leader election moves
    from kube-system (chart default) into cert-manager's own namespace so its RBAC stays there.
    """
    small = _resources("20m", "64Mi", "200m", "256Mi")
    return {
        "crds": {"enabled": True, "keep": True},
        "global": {"leaderElection": {"namespace": CERT_MANAGER_NAMESPACE}},
        **_hardened(_resources("50m", "128Mi", "500m", "512Mi")),
        "webhook": _hardened(small),
        "cainjector": _hardened(_resources("20m", "128Mi", "200m", "512Mi")),
        "startupapicheck": _hardened(small),
    }


def kserve_values(*, storage_region: str) -> dict[str, Any]:
    """Values of the KServe chart: RawDeployment mode, hardened controller, no ingress objects.

    - ``kserve.controller.deploymentMode: RawDeployment`` (chart values.yaml; the default is Serverless,
      which needs Knative and Istio): InferenceServices become plain Deployments + Services.
    - ``gateway.disableIngressCreation``: the platform installs no ingress controller, so predictors are
      reachable in-cluster only (``<name>-predictor.serving``) unless an ingress is added deliberately.
    - The storage initializer (injected into every predictor pod) gets a ``restricted``-compatible
      security context, else the ``serving`` namespace's Pod Security admission rejects the pod.
    """
    controller = _hardened(_resources("100m", "300Mi", "500m", "512Mi"))
    # The initializer writes models to an emptyDir but libraries cache under $HOME: keep its root fs writable.
    initializer = {k: v for k, v in _CONTAINER_SECURITY.items() if k != "readOnlyRootFilesystem"}
    return {
        "kserve": {
            "controller": {
                "deploymentMode": "RawDeployment",
                "gateway": {"disableIngressCreation": True},
                **controller,
                "rbacProxy": {
                    "securityContext": dict(_CONTAINER_SECURITY),
                    "resources": _resources("50m", "64Mi", "100m", "128Mi"),
                },
            },
            "storage": {
                "containerSecurityContext": {**initializer, "seccompProfile": {"type": "RuntimeDefault"}},
                "s3": {"region": storage_region},
            },
        }
    }


# --- GPU device plugin and Cluster Autoscaler ------------------------------------------------------

NVIDIA_DEVICE_PLUGIN_REPO = "https://nvidia.github.io/k8s-device-plugin"
"""NVIDIA's official Helm repository of the Kubernetes device plugin."""

NVIDIA_DEVICE_PLUGIN_CHART = "nvidia-device-plugin"
"""Chart name in :data:`NVIDIA_DEVICE_PLUGIN_REPO`."""

NVIDIA_DEVICE_PLUGIN_VERSION = "0.17.4"
"""Pinned chart version; its appVersion (the image tag ``nvcr.io/nvidia/k8s-device-plugin:v0.17.4``) comes with it.

The version the EKS user guide lists from this repository ("Install Kubernetes device plugin for GPUs"):
the EKS AL2023 NVIDIA AMIs ship drivers and the container toolkit but NOT the device plugin, so without
it no node ever advertises ``nvidia.com/gpu``. Bump deliberately (0.18.x exists)."""

CLUSTER_AUTOSCALER_REPO = "https://kubernetes.github.io/autoscaler"
"""The Kubernetes autoscaler project's official Helm repository."""

CLUSTER_AUTOSCALER_CHART = "cluster-autoscaler"
"""Chart name in :data:`CLUSTER_AUTOSCALER_REPO`."""

CLUSTER_AUTOSCALER_IMAGE = "registry.k8s.io/autoscaling/cluster-autoscaler"
"""Official Cluster Autoscaler image."""

CLUSTER_AUTOSCALER_RELEASES: dict[str, tuple[str, str]] = {
    "1.33": ("9.51.0", "v1.33.0"),
    "1.34": ("9.53.0", "v1.34.5"),
    "1.35": ("9.59.0", "v1.35.2"),
}
"""Kubernetes minor -> (chart version, image tag): the chart release whose appVersion has the cluster's minor.

The autoscaler only supports the Kubernetes minor it was built for (its README's compatibility table), so
the pin follows ``mlops:cluster.version``. Chart -> appVersion from ``helm search repo --versions`` (9.51.0
ships 1.33.0, 9.53.0 ships 1.34.2, 9.59.0 ships 1.35.0). The image tag is set explicitly, to the newest
patch of the minor the autoscaler README recommends where a registry release is on record
(v1.34.5: its release notes list registry.k8s.io/autoscaling/cluster-autoscaler:v1.34.5; v1.35.2: tagged
2026-07-22 with a published digest; v1.33.6 has only a git tag, so 1.33 keeps the chart's v1.33.0)."""

CLUSTER_AUTOSCALER_NAMESPACE = "kube-system"
"""Namespace of the autoscaler and the device plugin (EKS system add-ons live there)."""

CLUSTER_AUTOSCALER_SERVICE_ACCOUNT = "cluster-autoscaler"
"""Service account of the autoscaler; its IRSA role trusts exactly ``kube-system:cluster-autoscaler``."""


def cluster_autoscaler_release(kubernetes_version: str) -> tuple[str, str]:
    """(chart version, image tag) of the Cluster Autoscaler for a cluster's Kubernetes minor version."""
    try:
        return CLUSTER_AUTOSCALER_RELEASES[kubernetes_version]
    except KeyError:
        raise ValueError(
            f"mlops:cluster.version {kubernetes_version!r}: no pinned Cluster Autoscaler release; "
            f"allowed: {sorted(CLUSTER_AUTOSCALER_RELEASES)}"
        ) from None


def cluster_autoscaler_values(*, cluster_name: str, region: str, role_arn: str, image_tag: str) -> dict[str, Any]:
    """Values of the cluster-autoscaler chart: auto-discovery of this cluster's ASGs, IRSA, hardened pod.

    - ``autoDiscovery.clusterName``: the chart's default tags then select ASGs tagged
      ``k8s.io/cluster-autoscaler/enabled`` and ``k8s.io/cluster-autoscaler/<cluster>``, which EKS puts on
      every managed node group's ASG.
    - ``awsRegion``: set explicitly; IMDS hop limit 1 keeps pods from discovering it.
    - ``balance-similar-node-groups`` spreads scale-ups; ``least-waste`` picks the group wasting least
      CPU/memory; ``skip-nodes-with-local-storage: false`` lets emptyDir pods (model caches) move on
      scale-down.
    """
    return {
        "cloudProvider": "aws",
        "awsRegion": region,
        "autoDiscovery": {"clusterName": cluster_name},
        "image": {"repository": CLUSTER_AUTOSCALER_IMAGE, "tag": image_tag},
        "rbac": {
            "create": True,
            "serviceAccount": {
                "create": True,
                "name": CLUSTER_AUTOSCALER_SERVICE_ACCOUNT,
                "annotations": {"eks.amazonaws.com/role-arn": role_arn},
            },
        },
        "extraArgs": {
            "balance-similar-node-groups": True,
            "expander": "least-waste",
            "skip-nodes-with-local-storage": False,
        },
        "replicaCount": 1,
        "securityContext": {**_POD_SECURITY, "runAsUser": 65534, "runAsGroup": 65534, "fsGroup": 65534},
        "containerSecurityContext": dict(_CONTAINER_SECURITY),
        "resources": _resources("100m", "300Mi", "500m", "600Mi"),
        "nodeSelector": {POOL_LABEL: "system"},
    }


def device_plugin_values() -> dict[str, Any]:
    """Values of the nvidia-device-plugin chart: a DaemonSet on the GPU pool only, tolerating its taint.

    The plugin registers with the kubelet through a Unix socket under ``/var/lib/kubelet/device-plugins``
    (a hostPath the chart mounts; the directory is root-owned on the node), so it cannot run as non-root:
    root, but no privilege, no escalation, every capability dropped and RuntimeDefault seccomp. It runs in
    kube-system (EKS system namespace, not under the platform's Pod Security ``restricted`` namespaces).
    GPU feature discovery and NFD stay off: the pool's own ``mlops/pool=gpu`` label selects the nodes.
    """
    gpu_only = {"matchExpressions": [{"key": POOL_LABEL, "operator": "In", "values": ["gpu"]}]}
    return {
        "nodeSelector": {POOL_LABEL: "gpu"},
        "affinity": {
            "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [gpu_only]}}
        },
        "tolerations": [
            {
                "key": GPU_TAINT["key"],
                "operator": "Equal",
                "value": GPU_TAINT["value"],
                "effect": TAINT_EFFECTS[GPU_TAINT["effect"]],
            }
        ],
        "podSecurityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "privileged": False,
        },
        "resources": _resources("50m", "64Mi", "200m", "256Mi"),
        "priorityClassName": "system-node-critical",
        "failOnInitError": True,
        "gfd": {"enabled": False},
        "nfd": {"enabled": False},
    }
