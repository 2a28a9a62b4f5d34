"""Invariant 4: namespaces running Kubernetes API clients reach the API server's Service IP and ENIs."""

from __future__ import annotations

import ipaddress
from typing import Any

from deploy_testkit import cluster_base, default_deny, egress_policy, graph, ids, reg, release

from mlopsctl.deploy.api_access import (
    api_service_ip,
    check_api_reachability,
    covered,
    egress_443_blocks,
    restricts_egress,
)
from mlopsctl.deploy.graphs import GraphIndex

SERVICE_IP = "172.20.0.1/32"
VPC = "10.0.0.0/16"


def eso_namespace(
    cidrs: list[str], *, chart: str = "external-secrets", values: dict[str, Any] | None = None
) -> list[str]:
    """The External Secrets namespace as the secrets operator renders it, egress 443 to ``cidrs``."""
    base = cluster_base()
    provider = base["provider"]
    resources = [
        *base.values(),
        default_deny("external-secrets", provider=provider),
        egress_policy("allow-https", "external-secrets", cidrs, provider=provider),
        release("eso", chart, namespace="external-secrets", provider=provider, values=values),
    ]
    return ids(check_api_reachability(graph(*resources)))


def test_the_vpc_alone_misses_the_service_ip() -> None:
    assert eso_namespace([VPC]) == ["api-reachability:external-secrets:service-ip"]


def test_service_ip_and_vpc_pass() -> None:
    assert eso_namespace([VPC, SERVICE_IP]) == []


def test_the_service_ip_alone_misses_the_control_plane_enis() -> None:
    assert eso_namespace([SERVICE_IP]) == ["api-reachability:external-secrets:control-plane"]
    # The cluster's two subnets, named one by one, are enough.
    assert eso_namespace([SERVICE_IP, "10.0.0.0/19", "10.0.32.0/19"]) == []


def test_a_chart_that_never_calls_the_api_needs_nothing() -> None:
    assert eso_namespace([], chart="nvidia-device-plugin") == []


def test_airflow_needs_the_api_only_with_a_kubernetes_executor() -> None:
    assert eso_namespace([VPC], chart="airflow", values={"executor": "CeleryExecutor"}) == []
    assert eso_namespace([VPC], chart="airflow", values={"executor": "KubernetesExecutor"}) == [
        "api-reachability:external-secrets:service-ip"
    ]


def test_an_unknown_chart_is_assumed_to_call_the_api() -> None:
    assert eso_namespace([VPC], chart="oci://example.com/charts/mystery") == [
        "api-reachability:external-secrets:service-ip"
    ]


def test_a_namespace_without_egress_isolation_reaches_everything() -> None:
    base = cluster_base()
    rel = release("eso", "external-secrets", namespace="open", provider=base["provider"])
    assert check_api_reachability(graph(*base.values(), rel)) == []


def test_a_service_account_bound_to_a_role_makes_its_namespace_a_client() -> None:
    base = cluster_base()
    provider = base["provider"]
    binding = reg(
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
        "jobs-launcher",
        {
            "metadata": {"name": "launcher", "namespace": "jobs"},
            "roleRef": {"kind": "Role", "name": "pod-launcher"},
            "subjects": [{"kind": "ServiceAccount", "name": "runner"}],
        },
        provider=provider,
    )
    deny = default_deny("jobs", provider=provider)
    findings = check_api_reachability(graph(*base.values(), binding, deny))
    assert ids(findings) == ["api-reachability:jobs:control-plane", "api-reachability:jobs:service-ip"]
    assert "ServiceAccount runner is bound to Role pod-launcher" in findings[0].message


def test_an_except_around_the_service_ip_blocks_it() -> None:
    blocks = egress_443_blocks(
        [{"egress": [{"to": [{"ipBlock": {"cidr": "172.20.0.0/16", "except": ["172.20.0.0/24"]}}]}]}]
    )
    assert not covered(ipaddress.ip_network(SERVICE_IP), blocks)
    assert covered(ipaddress.ip_network("172.20.1.1/32"), blocks)


def test_ports_and_peers() -> None:
    anywhere = egress_443_blocks([{"egress": [{"ports": [{"port": 443}]}]}])
    assert anywhere is None and covered(ipaddress.ip_network(SERVICE_IP), anywhere)
    wrong_port = egress_443_blocks([{"egress": [{"to": [{"ipBlock": {"cidr": VPC}}], "ports": [{"port": 5432}]}]}])
    assert wrong_port == []
    ranged = [{"egress": [{"to": [{"ipBlock": {"cidr": VPC}}], "ports": [{"port": 400, "endPort": 500}]}]}]
    assert covered(ipaddress.ip_network("10.0.1.0/24"), egress_443_blocks(ranged))
    udp = [{"egress": [{"to": [{"ipBlock": {"cidr": VPC}}], "ports": [{"protocol": "UDP", "port": 443}]}]}]
    assert egress_443_blocks(udp) == []


def test_policy_types_decide_egress_isolation() -> None:
    assert restricts_egress({"policyTypes": ["Ingress", "Egress"]})
    assert not restricts_egress({"policyTypes": ["Ingress"], "egress": []})
    assert restricts_egress({"egress": []})
    assert not restricts_egress({"ingress": []})


def test_service_ip_is_the_first_host_of_the_service_cidr_or_eks_choice() -> None:
    explicit = cluster_base(service_cidr="10.100.0.0/16")
    index = GraphIndex(graph(*explicit.values()))
    assert str(api_service_ip(index, explicit["cluster"])) == "10.100.0.1/32"
    # Unset: EKS picks 172.20.0.0/16 unless the VPC overlaps it, then 10.100.0.0/16.
    default = cluster_base(service_cidr=None)
    assert str(api_service_ip(GraphIndex(graph(*default.values())), default["cluster"])) == "172.20.0.1/32"
    vpc = reg("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "172.20.0.0/16"})
    cluster = reg("aws:eks/cluster:Cluster", "cluster", {}, deps=[vpc])
    assert str(api_service_ip(GraphIndex(graph(vpc, cluster)), cluster)) == "10.100.0.1/32"
