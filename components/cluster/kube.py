"""Pure Kubernetes-side values of the serving cluster: kubeconfig, the Service CIDR and the API server's
Service IP, the system namespaces (cert-manager, kserve) and Pod Security labels.

The system namespaces' NetworkPolicies are not written here: their pods are workloads of the zero-trust flow graph
(``components.cluster.system_flows``), which ``ZeroTrust`` renders like every other namespace's.

Nothing here creates a resource or reads an Output: every function takes plain values and returns plain
data, so each control is unit-tested directly and shows up verbatim in the plan.
``components.cluster.component`` wires them into resources.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Literal

from components.cluster.config import ClusterConfig

KSERVE_NAMESPACE = "kserve"
"""System namespace of the KServe controller (InferenceServices themselves run in ``serving``)."""

CERT_MANAGER_NAMESPACE = "cert-manager"
"""System namespace of cert-manager (issues KServe's webhook certificate)."""

KUBE_SYSTEM_NAMESPACE = "kube-system"
"""EKS's own namespace: its add-ons (vpc-cni, kube-proxy, the Pod Identity agent, CoreDNS, the EBS CSI driver) and
the platform's Cluster Autoscaler and NVIDIA device plugin. It gets no namespace-wide default-deny: see
``components.cluster.system_flows``."""

PodSecurityLevel = Literal["privileged", "baseline", "restricted"]


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


# --- Service network ------------------------------------------------------------------------------


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


# --- Namespaces ----------------------------------------------------------------------------------


def psa_labels(level: PodSecurityLevel, kubernetes_version: str) -> dict[str, str]:
    """Pod Security Admission labels: enforce ``level`` pinned to the cluster's version, audit and warn alike."""
    version = f"v{kubernetes_version}"
    labels: dict[str, str] = {}
    for mode in ("enforce", "audit", "warn"):
        labels[f"pod-security.kubernetes.io/{mode}"] = level
        labels[f"pod-security.kubernetes.io/{mode}-version"] = version
    return labels


def system_namespaces(config: ClusterConfig) -> dict[str, PodSecurityLevel]:
    """Namespaces the platform's serving stack needs besides the workload ones, with their PSA level.

    Both charts run every pod non-root with RuntimeDefault seccomp, no privilege escalation and all
    capabilities dropped (set explicitly in their values, ``components.cluster.charts``), so both namespaces
    can enforce ``restricted``; neither needs host access (cert-manager's webhook and KServe's use container
    ports).
    """
    if not config.kserve.enabled:
        return {}
    return {CERT_MANAGER_NAMESPACE: "restricted", KSERVE_NAMESPACE: "restricted"}
