"""Synthetic graphs for the deploy checks: registrations built by hand, shaped like the offline engine's."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from google.protobuf import struct_pb2

from mlopsctl.engine import Graph, Registration

STACK = "dev"
PROJECT = "mlops-platform"
ACCOUNT = "123456789012"

ACCESS = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
CLUSTER = "aws:eks/cluster:Cluster"
K8S_PROVIDER = "pulumi:providers:kubernetes"
NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
RELEASE = "kubernetes:helm.sh/v3:Release"
RUNNER = "aws:codebuild/project:Project"


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{type_}::{name}"


def reg(
    type_: str,
    name: str,
    inputs: Mapping[str, Any] | None = None,
    *,
    deps: Iterable[Registration] = (),
    prop_deps: Mapping[str, Sequence[Registration]] | None = None,
    parent: Registration | None = None,
    provider: Registration | None = None,
    custom: bool = True,
) -> Registration:
    """One registration; ``prop_deps`` resources also land in ``dependencies`` (as the SDK sends them)."""
    properties = {key: tuple(sorted(r.urn for r in value)) for key, value in (prop_deps or {}).items()}
    dependencies = {r.urn for r in deps} | {u for urns in properties.values() for u in urns}
    return Registration(
        urn=urn(type_, name),
        type=type_,
        name=name,
        parent=parent.urn if parent else None,
        custom=custom,
        remote=False,
        provider=f"{provider.urn}::{provider.name}-id" if provider else None,
        dependencies=tuple(sorted(dependencies)),
        property_dependencies=properties,
        protect=False,
        retain_on_delete=False,
        inputs=dict(inputs or {}),
        wire=struct_pb2.Struct(),
        wire_json={},
    )


def graph(*resources: Registration, config: Mapping[str, str] | None = None) -> Graph:
    return Graph(
        project=PROJECT,
        stack=STACK,
        config=dict(config or {"aws:region": "eu-west-1"}),
        resources=tuple(sorted(resources, key=lambda r: r.urn)),
        outputs={},
    )


def ids(findings: Iterable[Any]) -> list[str]:
    return sorted(f.id for f in findings)


def cluster_base(*, service_cidr: str | None = "172.20.0.0/16") -> dict[str, Registration]:
    """A VPC with two subnets, an EKS cluster on them, access for the deployer, a node group and a
    Kubernetes provider that waits for both: the part of a platform every Kubernetes check builds on."""
    vpc = reg("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16"})
    subnet_a = reg("aws:ec2/subnet:Subnet", "subnet-a", {"cidrBlock": "10.0.0.0/19"}, prop_deps={"vpcId": [vpc]})
    subnet_b = reg("aws:ec2/subnet:Subnet", "subnet-b", {"cidrBlock": "10.0.32.0/19"}, prop_deps={"vpcId": [vpc]})
    network: dict[str, Any] = {"ipFamily": "ipv4"}
    if service_cidr:
        network["serviceIpv4Cidr"] = service_cidr
    cluster = reg(
        CLUSTER,
        "cluster",
        {"vpcConfig": {"subnetIds": ["subnet-a", "subnet-b"]}, "kubernetesNetworkConfig": network},
        prop_deps={"vpcConfig": [subnet_a, subnet_b]},
    )
    access = reg(ACCESS, "deployer-admin", {"clusterName": "mlops-dev"}, prop_deps={"clusterName": [cluster]})
    nodes = reg(NODE_GROUP, "system", {"clusterName": "mlops-dev"}, prop_deps={"clusterName": [cluster]})
    provider = reg(K8S_PROVIDER, "k8s", {}, deps=[access, nodes], prop_deps={"kubeconfig": [cluster]})
    return {
        "vpc": vpc,
        "subnet_a": subnet_a,
        "subnet_b": subnet_b,
        "cluster": cluster,
        "access": access,
        "nodes": nodes,
        "provider": provider,
    }


def egress_policy(
    name: str, namespace: str, cidrs: Sequence[str], *, port: int | None = 443, provider: Registration
) -> Registration:
    """A NetworkPolicy allowing egress on ``port`` to ``cidrs`` from every pod of ``namespace``."""
    rule: dict[str, Any] = {"to": [{"ipBlock": {"cidr": c}} for c in cidrs]}
    if port is not None:
        rule["ports"] = [{"protocol": "TCP", "port": port}]
    spec = {"podSelector": {}, "policyTypes": ["Egress"], "egress": [rule]}
    return reg(
        NETWORK_POLICY, name, {"metadata": {"name": name, "namespace": namespace}, "spec": spec}, provider=provider
    )


def default_deny(namespace: str, *, provider: Registration) -> Registration:
    spec = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    metadata = {"name": "default-deny", "namespace": namespace}
    return reg(NETWORK_POLICY, f"{namespace}-default-deny", {"metadata": metadata, "spec": spec}, provider=provider)


def release(
    name: str,
    chart: str,
    *,
    namespace: str,
    provider: Registration | None,
    values: Mapping[str, Any] | None = None,
    **inputs: Any,
) -> Registration:
    body: dict[str, Any] = {"chart": chart, "namespace": namespace, "values": dict(values or {}), **inputs}
    return reg(RELEASE, name, body, provider=provider)
