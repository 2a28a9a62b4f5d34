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
from components.registry.images import RegistryBase, image_values, pull_through, repository

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


CERT_MANAGER_IMAGES = {
    "image": "cert-manager-controller",
    "webhook.image": "cert-manager-webhook",
    "cainjector.image": "cert-manager-cainjector",
    "startupapicheck.image": "cert-manager-startupapicheck",
    "acmesolver.image": "cert-manager-acmesolver",
}
"""Values path -> image name of every cert-manager image (``quay.io/jetstack/<name>``, tagged with the chart
version). The ACME solver runs only for HTTP-01 challenges, but the controller passes its image to the pods it
creates, so it is redirected too (deploy/charts/cert-manager/values.yaml at v1.21.1)."""
CERT_MANAGER_IMAGE_REGISTRY = "quay.io/jetstack"


def cert_manager_values(*, registry: RegistryBase | None = None, version: str | None = None) -> dict[str, Any]:
    """Values of the cert-manager chart: CRDs in the release (kept on uninstall), non-root, bounded resources.

    Keys as in the chart's values.yaml (v1.15+: ``crds.enabled``/``crds.keep``). Leader election moves
    from kube-system (chart default) into cert-manager's own namespace so its RBAC stays there.

    With ``registry`` every image (:data:`CERT_MANAGER_IMAGES`) is pulled through the stack's ECR: an explicit
    ``<component>.image.repository`` (the full-repository override every v1 chart honours, unlike the newer
    ``imageRegistry``/``imageNamespace``) and ``tag`` = ``version``, the chart version (cert-manager tags its
    images with it).
    """
    small = _resources("20m", "64Mi", "200m", "256Mi")
    values: dict[str, Any] = {
        "crds": {"enabled": True, "keep": True},
        "global": {"leaderElection": {"namespace": CERT_MANAGER_NAMESPACE}},
        **_hardened(_resources("50m", "128Mi", "500m", "512Mi")),
        "webhook": _hardened(small),
        "cainjector": _hardened(_resources("20m", "128Mi", "200m", "512Mi")),
        "startupapicheck": _hardened(small),
    }
    if registry is not None:
        if not version:
            raise ValueError("cert_manager_values: redirecting images needs the chart version (their tag)")
        for path, image in CERT_MANAGER_IMAGES.items():
            target = values
            for key in path.split(".")[:-1]:
                target = target.setdefault(key, {})
            target["image"] = image_values(f"{CERT_MANAGER_IMAGE_REGISTRY}/{image}", version, registry)
    return values


KSERVE_IMAGES: dict[str, tuple[str, str | None]] = {
    "controller": ("docker.io/kserve/kserve-controller", None),
    "storage": ("docker.io/kserve/storage-initializer", None),
    "agent": ("docker.io/kserve/agent", None),
    "router": ("docker.io/kserve/router", None),
    "servingruntime.sklearnserver": ("docker.io/kserve/sklearnserver", None),
    "servingruntime.xgbserver": ("docker.io/kserve/xgbserver", None),
    "servingruntime.lgbserver": ("docker.io/kserve/lgbserver", None),
    "servingruntime.pmmlserver": ("docker.io/kserve/pmmlserver", None),
    "servingruntime.paddleserver": ("docker.io/kserve/paddleserver", None),
    "servingruntime.huggingfaceserver": ("docker.io/kserve/huggingfaceserver", None),
    "servingruntime.tensorflow": ("docker.io/tensorflow/serving", "2.6.2"),
    "servingruntime.mlserver": ("docker.io/seldonio/mlserver", "1.5.0"),
    "servingruntime.torchserve": ("docker.io/pytorch/torchserve-kfs", "0.9.0"),
    "servingruntime.tritonserver": ("nvcr.io/nvidia/tritonserver", "23.05-py3"),
}
"""``kserve.<path>`` -> (image, tag; None = the chart version) of every ``{image, tag}`` block of the KServe chart
(charts/kserve-resources/values.yaml at v0.15.2; third-party runtime tags are that version's defaults). The
templates render ``"{{ image }}:{{ tag }}"`` (clusterservingruntimes.yaml, configmap.yaml, deployment.yaml), so
both are set. Triton comes from nvcr.io, which ECR cannot cache: its mirror repository is filled by CI."""
KSERVE_RBAC_PROXY = "quay.io/brancz/kube-rbac-proxy:v0.18.0"
"""``kserve.controller.rbacProxyImage`` (one full reference) at v0.15.2."""
KSERVE_EXPLAINER = "docker.io/kserve/art-explainer"
"""``kserve.servingruntime.art.image`` (its tag is ``art.defaultVersion``, the chart version)."""


def kserve_images(*, version: str, registry: RegistryBase | None) -> dict[str, Any]:
    """The image values of the KServe chart (merged under ``kserve``), pulled through the stack's ECR.

    The LocalModel feature (its controller, node agent and ``localModel.defaultJobImage``) stays disabled and is
    not redirected; its job image could not be: templates/configmap.yaml (v0.15.2) hardcodes
    ``kserve/storage-initializer:latest``. Enabling it makes the ``air-gap`` deploy check list those images.
    """
    images: dict[str, Any] = {}
    for path, (image, tag) in KSERVE_IMAGES.items():
        target = images
        for key in path.split("."):
            target = target.setdefault(key, {})
        block = image_values(image, tag or version, registry)
        target.update({"image": block["repository"], "tag": block["tag"]})
    images.setdefault("controller", {})["rbacProxyImage"] = pull_through(KSERVE_RBAC_PROXY, registry)
    images["servingruntime"]["art"] = {"image": repository(KSERVE_EXPLAINER, registry), "defaultVersion": version}
    return images


def kserve_values(
    *, storage_region: str, registry: RegistryBase | None = None, version: str | None = None
) -> dict[str, Any]:
    """Values of the KServe chart: RawDeployment mode, hardened controller, no ingress objects.

    - ``kserve.controller.deploymentMode: RawDeployment`` (chart values.yaml; the default is Serverless,
      which needs Knative and Istio): InferenceServices become plain Deployments + Services.
    - ``gateway.disableIngressCreation``: the platform installs no ingress controller, so predictors are
      reachable in-cluster only (``<name>-predictor.serving``) unless an ingress is added deliberately.
    - The storage initializer (injected into every predictor pod) gets a ``restricted``-compatible
      security context, else the ``serving`` namespace's Pod Security admission rejects the pod.

    With ``registry`` every image is pulled through the stack's ECR (:func:`kserve_images`, tagged with
    ``version``, the chart version).
    """
    controller = _hardened(_resources("100m", "300Mi", "500m", "512Mi"))
    # The initializer writes models to an emptyDir but libraries cache under $HOME: keep its root fs writable.
    initializer = {k: v for k, v in _CONTAINER_SECURITY.items() if k != "readOnlyRootFilesystem"}
    values: dict[str, Any] = {
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
    if registry is not None:
        if not version:
            raise ValueError("kserve_values: redirecting images needs the chart version (their tag)")
        _merge(values["kserve"], kserve_images(version=version, registry=registry))
    return values


def _merge(target: dict[str, Any], extra: dict[str, Any]) -> None:
    """Deep-merge ``extra`` into ``target`` (nested dicts merged, other values replaced)."""
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value


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


def cluster_autoscaler_values(
    *, cluster_name: str, region: str, role_arn: str, image_tag: str, registry: RegistryBase | None = None
) -> dict[str, Any]:
    """Values of the cluster-autoscaler chart: auto-discovery of this cluster's ASGs, IRSA, hardened pod.

    - ``autoDiscovery.clusterName``: the chart's default tags then select ASGs tagged
      ``k8s.io/cluster-autoscaler/enabled`` and ``k8s.io/cluster-autoscaler/<cluster>``, which EKS puts on
      every managed node group's ASG.
    - ``awsRegion``: set explicitly; IMDS hop limit 1 keeps pods from discovering it.
    - ``balance-similar-node-groups`` spreads scale-ups; ``least-waste`` picks the group wasting least
      CPU/memory; ``skip-nodes-with-local-storage: false`` lets emptyDir pods (model caches) move on
      scale-down.
    - ``image``: the official image, pulled through the stack's ECR when ``registry`` is given.
    """
    return {
        "cloudProvider": "aws",
        "awsRegion": region,
        "autoDiscovery": {"clusterName": cluster_name},
        "image": image_values(CLUSTER_AUTOSCALER_IMAGE, image_tag, registry),
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


NVIDIA_DEVICE_PLUGIN_IMAGE = "nvcr.io/nvidia/k8s-device-plugin"
"""The plugin's image (deployments/helm/nvidia-device-plugin/values.yaml at v0.17.4), tagged ``v<chart version>``.
nvcr.io is no pull-through-cache upstream (ECR API reference, CreatePullThroughCacheRule): with a registry it
comes from the mirror repository CI fills."""


def device_plugin_values(*, registry: RegistryBase | None = None) -> dict[str, Any]:
    """Values of the nvidia-device-plugin chart: a DaemonSet on the GPU pool only, tolerating its taint.

    The plugin registers with the kubelet through a Unix socket under ``/var/lib/kubelet/device-plugins``
    (a hostPath the chart mounts; the directory is root-owned on the node), so it cannot run as non-root:
    root, but no privilege, no escalation, every capability dropped and RuntimeDefault seccomp. It runs in
    kube-system (EKS system namespace, not under the platform's Pod Security ``restricted`` namespaces).
    GPU feature discovery and NFD stay off: the pool's own ``mlops/pool=gpu`` label selects the nodes.
    With ``registry`` the image comes from the stack's ECR (its ``mirror/nvcr`` repository).
    """
    gpu_only = {"matchExpressions": [{"key": POOL_LABEL, "operator": "In", "values": ["gpu"]}]}
    values: dict[str, Any] = {
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
    if registry is not None:
        values["image"] = image_values(NVIDIA_DEVICE_PLUGIN_IMAGE, f"v{NVIDIA_DEVICE_PLUGIN_VERSION}", registry)
    return values
