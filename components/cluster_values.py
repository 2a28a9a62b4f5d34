"""Pure helpers of the serving cluster: add-on settings, node-pool specs, KMS key policies, kubeconfig, Helm values.

Nothing here creates a resource or reads an Output: every function takes plain values and returns plain
data, so each control (IMDSv2, network policy, Pod Security levels, pinned charts) is unit-tested directly
and shows up verbatim in the plan. ``components.cluster`` wires them into resources.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from components.config import ClusterConfig, NodePoolConfig
from components.iam import partition_of

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


def _root_statement(partition: str, account: str) -> dict[str, Any]:
    # The default key policy: the account administers the key and IAM policies may grant its use.
    return {
        "Sid": "AccountAdministersKey",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


def cluster_key_policy(*, partition: str, account: str, region: str, log_group: str) -> str:
    """Key policy of the cluster key (secrets envelope encryption and control-plane logs).

    CloudWatch Logs may use the key only for this one log group (encryption-context condition,
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html); EKS uses it
    through the cluster role's IAM policy.
    """
    log_group_arn = f"arn:{partition}:logs:{region}:{account}:log-group:{log_group}"
    logs = {
        "Sid": "ControlPlaneLogGroupOnly",
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{region}.amazonaws.com"},
        "Action": ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
        "Resource": "*",
        "Condition": {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": log_group_arn}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [_root_statement(partition, account), logs]})


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
    return json.dumps({"Version": "2012-10-17", "Statement": [_root_statement(partition, account), use, grant]})


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
