"""Pure helpers of the serving cluster: add-on settings, node-pool specs, KMS key policies, kubeconfig, Helm values.

Nothing here creates a resource or reads an Output: every function takes plain values and returns plain
data, so each control (IMDSv2, network policy, Pod Security levels, pinned charts) is unit-tested directly
and shows up verbatim in the plan. ``components.cluster.component`` wires them into resources.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from components.cluster.config import ClusterConfig, NodePoolConfig
from components.iam import key_administration, logs_use_key, partition_of

# --- Constants the component and its tests share ----------------------------------------------------

CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
"""Every EKS control-plane log type (https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html)."""

CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
"""EKS access policy given to ``adminPrincipals`` (cluster scope)."""

POOL_LABEL = "mlops/pool"
"""Node label naming the pool a node belongs to (``system`` or ``gpu``); controllers select ``system``."""

GPU_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}
"""Taint of the GPU pool: only pods tolerating ``nvidia.com/gpu=true:NoSchedule`` land on GPU nodes."""

KSERVE_NAMESPACE = "kserve"
"""System namespace of the KServe controller (InferenceServices themselves run in ``serving``)."""

CERT_MANAGER_NAMESPACE = "cert-manager"
"""System namespace of cert-manager (issues KServe's webhook certificate)."""

CERT_MANAGER_REPO = "https://charts.jetstack.io"
"""cert-manager's official Helm repository (https://cert-manager.io/docs/installation/helm/)."""

KSERVE_CHART = "oci://ghcr.io/kserve/charts/kserve"
"""KServe's official OCI chart (https://kserve.github.io/website/docs/admin-guide/kubernetes-deployment)."""

KSERVE_CRD_CHART = "oci://ghcr.io/kserve/charts/kserve-crd"
"""KServe's CRDs, a separate official OCI chart installed before the controller chart."""

ROOT_DEVICE = "/dev/xvda"
"""Root device name of the EKS-optimized Amazon Linux 2023 AMIs."""

# Graviton families have a 'g' right after the generation digit: m7g, c7gn, r8gd, t4g, is4gen, g5g.
_GRAVITON = re.compile(r"^[a-z]+\d+g[a-z]*(-[a-z]+)?\.")

PodSecurityLevel = Literal["privileged", "baseline", "restricted"]


def managed_policy_arn(region: str, name: str) -> str:
    """ARN of an AWS managed IAM policy in the region's partition."""
    return f"arn:{partition_of(region)}:iam::aws:policy/{name}"


def access_policy_arn(region: str, name: str = CLUSTER_ADMIN_POLICY) -> str:
    """ARN of an EKS access policy (``arn:aws:eks::aws:cluster-access-policy/<name>``)."""
    return f"arn:{partition_of(region)}:eks::aws:cluster-access-policy/{name}"


def account_of(arn: str) -> str:
    """The account id field of an ARN (``arn:aws:iam::123456789012:role/x`` -> ``123456789012``)."""
    parts = arn.split(":")
    if len(parts) < 6 or not re.fullmatch(r"\d{12}", parts[4]):
        raise ValueError(f"{arn!r} is not an ARN with an account id")
    return parts[4]


def control_plane_log_group(cluster_name: str) -> str:
    """The log group EKS writes control-plane logs to; it must exist (with retention and KMS) first."""
    return f"/aws/eks/{cluster_name}/cluster"


# --- Managed add-ons -------------------------------------------------------------------------------


def vpc_cni_configuration() -> str:
    """configurationValues of the vpc-cni add-on: NetworkPolicy enforcement ON.

    Without ``enableNetworkPolicy`` the CNI's node agent is not started and every NetworkPolicy is
    accepted by the API server but silently not enforced
    (https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html).
    """
    return json.dumps({"enableNetworkPolicy": "true"}, sort_keys=True)


# --- Node pools ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NodePoolSpec:
    """Everything one managed node group and its launch template need, derived from config."""

    role: str
    """``system`` or ``gpu``; part of resource names and the ``mlops/pool`` label."""
    pool: NodePoolConfig
    """Sizes, instance types, disk and capacity type from the stack config."""
    ami_type: str
    """EKS AMI type (AL2023 standard, or the NVIDIA variant for GPUs)."""
    labels: dict[str, str] = field(default_factory=dict)
    """Kubernetes node labels."""
    taints: tuple[dict[str, str], ...] = ()
    """Node taints as EKS expects them (key, value, effect NO_SCHEDULE/NO_EXECUTE/PREFER_NO_SCHEDULE)."""


def architecture(role: str, instance_types: Sequence[str]) -> Literal["x86_64", "arm64"]:
    """The one CPU architecture of a pool's instance types; a managed node group has one AMI type."""
    arches = {"arm64" if _GRAVITON.match(t) else "x86_64" for t in instance_types}
    if len(arches) != 1:
        raise ValueError(
            f"mlops:cluster.{role}Pool.instanceTypes {list(instance_types)} mix x86_64 and arm64 (Graviton) types; "
            "a node group runs one AMI architecture"
        )
    return "arm64" if arches == {"arm64"} else "x86_64"


def ami_type(role: str, instance_types: Sequence[str], *, gpu: bool) -> str:
    """EKS AMI type for a pool: Amazon Linux 2023, standard or NVIDIA, on the pool's architecture."""
    arch = "ARM_64" if architecture(role, instance_types) == "arm64" else "x86_64"
    return f"AL2023_{arch}_{'NVIDIA' if gpu else 'STANDARD'}"


def node_pool_specs(config: ClusterConfig) -> list[NodePoolSpec]:
    """The system pool always, plus the GPU pool when configured (tainted, labelled, may scale to zero)."""
    system = config.system_pool
    specs = [
        NodePoolSpec(
            role="system",
            pool=system,
            ami_type=ami_type("system", system.instance_types, gpu=False),
            labels={POOL_LABEL: "system"},
        )
    ]
    if config.gpu_pool is not None:
        gpu = config.gpu_pool
        specs.append(
            NodePoolSpec(
                role="gpu",
                pool=gpu,
                ami_type=ami_type("gpu", gpu.instance_types, gpu=True),
                labels={POOL_LABEL: "gpu", "nvidia.com/gpu.present": "true"},
                taints=(dict(GPU_TAINT),),
            )
        )
    return specs


def metadata_options() -> dict[str, Any]:
    """Launch-template IMDS settings: IMDSv2 only, hop limit 1 so pods cannot reach node credentials."""
    return {"http_endpoint": "enabled", "http_tokens": "required", "http_put_response_hop_limit": 1}


def root_volume(size_gib: int) -> dict[str, Any]:
    """The encrypted gp3 root volume of a launch template (``ebs`` block args; the caller adds ``kms_key_id``)."""
    return {"volume_type": "gp3", "volume_size": size_gib, "encrypted": "true", "delete_on_termination": "true"}


def tag_specifications(tags: Mapping[str, str]) -> list[dict[str, Any]]:
    """Tags for what the node group's Auto Scaling group launches: provider default tags do not reach them."""
    return [{"resource_type": kind, "tags": dict(sorted(tags.items()))} for kind in ("instance", "volume")]


# --- KMS key policies ------------------------------------------------------------------------------


def cluster_key_policy(*, partition: str, account: str, region: str, log_group: str) -> str:
    """Key policy of the cluster key (secrets envelope encryption and control-plane logs).

    CloudWatch Logs may use the key only for this one log group (encryption-context condition,
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html); EKS uses it
    through the cluster role's IAM policy.
    """
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                key_administration(account, partition=partition),
                logs_use_key(account, region, log_group, sid="ControlPlaneLogGroupOnly"),
            ],
        }
    )


def node_key_policy(*, partition: str, account: str) -> str:
    """Key policy of the node-volume key: EC2 Auto Scaling's service-linked role may use it.

    Managed node groups launch instances through Auto Scaling, whose service-linked role needs the
    key to create encrypted volumes; without this an instance fails to launch
    (https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html).
    """
    slr = f"arn:{partition}:iam::{account}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    use = {
        "Sid": "AutoScalingUsesKey",
        "Effect": "Allow",
        "Principal": {"AWS": slr},
        "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
        "Resource": "*",
    }
    grant = {
        "Sid": "AutoScalingGrantsForVolumes",
        "Effect": "Allow",
        "Principal": {"AWS": slr},
        "Action": "kms:CreateGrant",
        "Resource": "*",
        "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
    }
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [key_administration(account, partition=partition), use, grant]}
    )


def region_fence(region: str, services: Sequence[str], *, sid: str = "StayInClusterRegion") -> list[dict[str, Any]]:
    """A Deny statement keeping a role's calls to ``services`` inside the cluster's region."""
    return [
        {
            "Sid": sid,
            "Effect": "Deny",
            "Action": [f"{s}:*" for s in sorted(services)],
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": region}},
        }
    ]


def ebs_volume_key_statements(key_arn: str) -> list[dict[str, Any]]:
    """Let the EBS CSI controller create and attach volumes encrypted with the node key (grants for AWS resources only)."""
    return [
        {
            "Sid": "UseVolumeKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
            "Resource": [key_arn],
        },
        {
            "Sid": "GrantVolumeKeyToEbs",
            "Effect": "Allow",
            "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
            "Resource": [key_arn],
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
    ]


# --- Kubeconfig ----------------------------------------------------------------------------------


def kubeconfig(*, cluster_name: str, endpoint: str, ca_data: str, region: str) -> str:
    """A kubeconfig (JSON) whose user gets a short-lived token from ``aws eks get-token``.

    No static credential is embedded: the token is minted by the AWS CLI from whatever identity runs
    Pulumi, and EKS maps that identity through access entries.
    """
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": cluster_name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}
            ],
            "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
            "current-context": cluster_name,
            "preferences": {},
            "users": [
                {
                    "name": cluster_name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region],
                            "interactiveMode": "Never",
                        }
                    },
                }
            ],
        },
        sort_keys=True,
    )


# --- Service network and system-namespace NetworkPolicies ---------------------------------------

WEBHOOK_PORTS = {"cert-manager": (10250,), "kserve": (9443,)}
"""Container ports of the admission webhooks the EKS control plane calls, per system namespace."""


def service_cidr(vpc_cidr: str) -> str:
    """The cluster's Service CIDR, set explicitly (as EKS would pick it) so NetworkPolicies can name the API's ClusterIP.

    EKS chooses 172.20.0.0/16 unless the VPC overlaps it, then 10.100.0.0/16
    (https://docs.aws.amazon.com/eks/latest/APIReference/API_KubernetesNetworkConfigRequest.html).
    """
    vpc = ipaddress.ip_network(vpc_cidr)
    for candidate in ("172.20.0.0/16", "10.100.0.0/16"):
        if not vpc.overlaps(ipaddress.ip_network(candidate)):
            return candidate
    raise ValueError(f"VPC CIDR {vpc_cidr} overlaps both EKS service ranges 172.20.0.0/16 and 10.100.0.0/16")


def api_server_service_ip(cidr: str) -> str:
    """ClusterIP of the ``kubernetes`` Service: the first host of the Service CIDR."""
    return str(next(ipaddress.ip_network(cidr).hosts()))


def system_network_policies(namespace: str, *, vpc_cidr: str, service_cidr: str) -> list[dict[str, Any]]:
    """Default-deny plus the only traffic a controller namespace (cert-manager, kserve) needs.

    The flow vocabulary cannot name the EKS control plane (it is not a pod), so the cluster owns these:
    DNS to CoreDNS; egress to the API server (its ClusterIP, and the control-plane ENIs in the VPC on
    443); ingress to the admission-webhook ports from the VPC, where the control-plane ENIs live
    (https://github.com/aws/amazon-vpc-cni-k8s/issues/2967 - EKS offers no selector for them).
    """
    api_ip = api_server_service_ip(service_cidr)
    meta = {"namespace": namespace, "labels": {"app.kubernetes.io/managed-by": "pulumi"}}
    tcp = [{"protocol": "TCP", "port": port} for port in WEBHOOK_PORTS[namespace]]
    return [
        {
            "metadata": {**meta, "name": "system-default-deny"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        },
        {
            "metadata": {**meta, "name": "system-allow-dns"},
            "spec": {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                    }
                ],
            },
        },
        {
            "metadata": {**meta, "name": "system-allow-apiserver"},
            "spec": {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [{"ipBlock": {"cidr": f"{api_ip}/32"}}, {"ipBlock": {"cidr": vpc_cidr}}],
                        "ports": [{"protocol": "TCP", "port": 443}],
                    }
                ],
            },
        },
        {
            "metadata": {**meta, "name": "system-allow-webhooks"},
            "spec": {
                "podSelector": {},
                "policyTypes": ["Ingress"],
                "ingress": [{"from": [{"ipBlock": {"cidr": vpc_cidr}}], "ports": tcp}],
            },
        },
    ]


# --- Namespaces ----------------------------------------------------------------------------------


def psa_labels(level: PodSecurityLevel, kubernetes_version: str) -> dict[str, str]:
    """Pod Security Admission labels: enforce ``level`` pinned to the cluster's version, audit and warn alike."""
    version = f"v{kubernetes_version}"
    labels: dict[str, str] = {}
    for mode in ("enforce", "audit", "warn"):
        labels[f"pod-security.kubernetes.io/{mode}"] = level
        labels[f"pod-security.kubernetes.io/{mode}-version"] = version
    return labels


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


def system_namespaces(config: ClusterConfig) -> dict[str, PodSecurityLevel]:
    """Namespaces the platform's serving stack needs besides the workload ones, with their PSA level.

    Both charts run every pod non-root with RuntimeDefault seccomp, no privilege escalation and all
    capabilities dropped (set explicitly in the values above), so both namespaces can enforce
    ``restricted``; neither needs host access (cert-manager's webhook and KServe's use container ports).
    """
    if not config.kserve.enabled:
        return {}
    return {CERT_MANAGER_NAMESPACE: "restricted", KSERVE_NAMESPACE: "restricted"}


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

_NODE_TEMPLATE = "k8s.io/cluster-autoscaler/node-template"
_TAINT_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}

# NVIDIA GPUs per instance size, for the node-template resource tag (EC2 accelerated-computing docs).
# Unknown types get no resource tag: the autoscaler then falls back to its own instance-type table.
_GPUS_PER_INSTANCE: dict[str, int] = {
    **{f"g4dn.{s}": 1 for s in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")},
    "g4dn.12xlarge": 4,
    "g4dn.metal": 8,
    **{f"g5.{s}": 1 for s in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")},
    "g5.12xlarge": 4,
    "g5.24xlarge": 4,
    "g5.48xlarge": 8,
    **{f"g6.{s}": 1 for s in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")},
    "g6.12xlarge": 4,
    "g6.24xlarge": 4,
    "g6.48xlarge": 8,
    **{f"g6e.{s}": 1 for s in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")},
    "g6e.12xlarge": 4,
    "g6e.24xlarge": 4,
    "g6e.48xlarge": 8,
    "p3.2xlarge": 1,
    "p3.8xlarge": 4,
    "p3.16xlarge": 8,
    "p4d.24xlarge": 8,
    "p5.48xlarge": 8,
}


def needs_autoscaler(config: ClusterConfig) -> bool:
    """True when some pool may change size (min < max): only then is the Cluster Autoscaler installed."""
    return any(spec.pool.min_size < spec.pool.max_size for spec in node_pool_specs(config))


def cluster_autoscaler_release(kubernetes_version: str) -> tuple[str, str]:
    """(chart version, image tag) of the Cluster Autoscaler for a cluster's Kubernetes minor version."""
    try:
        return CLUSTER_AUTOSCALER_RELEASES[kubernetes_version]
    except KeyError:
        raise ValueError(
            f"mlops:cluster.version {kubernetes_version!r}: no pinned Cluster Autoscaler release; "
            f"allowed: {sorted(CLUSTER_AUTOSCALER_RELEASES)}"
        ) from None


def gpus_per_node(instance_types: Sequence[str]) -> int | None:
    """GPUs every instance type of a pool has at least, or None when a type is unknown.

    The smallest count is the safe template: the autoscaler never assumes more GPUs than a new node brings.
    """
    counts = [_GPUS_PER_INSTANCE.get(t) for t in instance_types]
    known = [c for c in counts if c is not None]
    if not known or len(known) != len(counts):
        return None
    return min(known)


def node_template_tags(spec: NodePoolSpec, *, gpu: bool) -> dict[str, str]:
    """ASG tags describing a pool's future nodes, so the autoscaler can scale it up from zero.

    With no node running, the autoscaler builds a template node from the ASG: without these tags a pending
    pod that tolerates ``nvidia.com/gpu`` and requests the GPU resource matches nothing and the pool stays
    at 0. EKS does not put them on a managed node group's ASG (only the discovery tags); recent autoscalers
    can also read labels/taints through ``eks:DescribeNodegroup``, the tags keep scale-from-zero independent
    of that. Tag format: cluster-autoscaler AWS README, "Scaling a node group to 0".
    """
    tags = {f"{_NODE_TEMPLATE}/label/{key}": value for key, value in sorted(spec.labels.items())}
    for taint in spec.taints:
        tags[f"{_NODE_TEMPLATE}/taint/{taint['key']}"] = f"{taint['value']}:{_TAINT_EFFECTS[taint['effect']]}"
    if gpu:
        count = gpus_per_node(spec.pool.instance_types)
        if count is not None:
            tags[f"{_NODE_TEMPLATE}/resources/nvidia.com/gpu"] = str(count)
    return tags


def autoscaling_group_name(resources: Sequence[Any] | None) -> str | None:
    """Name of a managed node group's ASG from its ``resources`` output (one ASG per node group).

    None while the provider has not reported the node group's resources (the offline engine's mocks
    do not); a reported node group without an ASG is an error.
    """
    if resources is None:
        return None
    for resource in resources:
        groups = resource.get("autoscaling_groups") if isinstance(resource, dict) else resource.autoscaling_groups
        for group in groups or ():
            name = group.get("name") if isinstance(group, dict) else group.name
            if name:
                return str(name)
    raise ValueError("the managed node group reported no Auto Scaling group")


def cluster_autoscaler_policy(*, cluster_name: str, region: str, account: str) -> str:
    """Least-privilege IAM policy of the Cluster Autoscaler (cluster-autoscaler AWS README, "Full Cluster
    Autoscaler Features Policy").

    - Describe*/Get* calls take ``Resource: "*"``: AWS offers no resource-level permissions for them.
    - ``eks:DescribeNodegroup`` (labels/taints of empty managed node groups): this cluster's node groups only.
    - Scaling and terminating: ASGs of this account and region only, and only those EKS tagged as this
      cluster's managed node groups (``eks:cluster-name`` and the autoscaler's ``owned`` discovery tag).
    - A Deny keeps every call in the cluster's region.
    """
    partition = partition_of(region)
    read = {
        "Sid": "DescribeScalingInputs",
        "Effect": "Allow",
        "Action": [
            "autoscaling:DescribeAutoScalingGroups",
            "autoscaling:DescribeAutoScalingInstances",
            "autoscaling:DescribeLaunchConfigurations",
            "autoscaling:DescribeScalingActivities",
            "autoscaling:DescribeTags",
            "ec2:DescribeImages",
            "ec2:DescribeInstanceTypes",
            "ec2:DescribeLaunchTemplateVersions",
            "ec2:GetInstanceTypesFromInstanceRequirements",
        ],
        "Resource": "*",
    }
    nodegroups = {
        "Sid": "DescribeOwnNodegroups",
        "Effect": "Allow",
        "Action": ["eks:DescribeNodegroup"],
        "Resource": [f"arn:{partition}:eks:{region}:{account}:nodegroup/{cluster_name}/*/*"],
    }
    scale = {
        "Sid": "ScaleOwnNodeGroups",
        "Effect": "Allow",
        "Action": ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
        "Resource": [f"arn:{partition}:autoscaling:{region}:{account}:autoScalingGroup:*:autoScalingGroupName/*"],
        "Condition": {
            "StringEquals": {
                "aws:ResourceTag/eks:cluster-name": cluster_name,
                f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned",
            }
        },
    }
    statements = [read, nodegroups, scale, *region_fence(region, ["autoscaling", "ec2", "eks"])]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


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
                "effect": _TAINT_EFFECTS[GPU_TAINT["effect"]],
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
