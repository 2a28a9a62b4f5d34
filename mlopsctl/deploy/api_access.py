"""Invariant 4, API reachability: every namespace that runs a Kubernetes API client can reach the API.

Clients are the pods of Helm releases whose chart calls the API (:data:`mlopsctl.deploy.charts.CHARTS`:
controllers, Airflow's KubernetesExecutor; an unknown chart is assumed to) and ServiceAccounts bound to
a Role or ClusterRole. A namespace whose NetworkPolicies restrict egress must allow TCP 443 to

- the API server's Service IP (first address of the cluster's ``serviceIpv4Cidr``): clients dial
  ``kubernetes.default`` and the VPC CNI evaluates policies before the Service address is translated
  (aws/amazon-network-policy-controller-k8s#222);
- the control-plane ENIs, in the cluster's subnets (where the translated traffic goes).

The check is per namespace (pod selectors are not matched against the chart's pod labels).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

from mlopsctl.deploy.charts import chart_name, facts_for
from mlopsctl.deploy.graphs import Finding, GraphIndex, dig, index_of, provider_urn, release_values, short
from mlopsctl.engine import Graph, Registration

CHECK = "api-reachability"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
BINDINGS = (
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
)
CLUSTER = "aws:eks/cluster:Cluster"
SUBNET = "aws:ec2/subnet:Subnet"
VPC = "aws:ec2/vpc:Vpc"
EKS_SERVICE_CIDRS = ("172.20.0.0/16", "10.100.0.0/16")
"""EKS's choice when ``serviceIpv4Cidr`` is unset: the first that does not overlap the VPC."""

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def api_clients(graph: Graph) -> dict[tuple[str | None, str], list[tuple[str, str]]]:
    """(Kubernetes provider URN, namespace) -> [(resource URN, why it calls the API)]."""
    found: dict[tuple[str | None, str], list[tuple[str, str]]] = {}
    index = index_of(graph)
    for release in index.of_type(HELM_RELEASE):
        chart = release.inputs.get("chart")
        facts = facts_for(chart)
        if facts is None:
            why = f"chart {chart_name(chart)} is not in mlopsctl/deploy/charts.py: assumed to call the API"
        elif facts.calls_api(release_values(release)):
            why = f"chart {chart_name(chart)} runs Kubernetes API clients"
        else:
            continue
        namespace = str(release.inputs.get("namespace") or "default")
        found.setdefault((provider_urn(release.provider), namespace), []).append((release.urn, why))
    for binding in index.of_type(*BINDINGS):
        own = dig(binding.inputs, "metadata.namespace")
        for subject in binding.inputs.get("subjects") or ():
            if isinstance(subject, dict) and subject.get("kind") == "ServiceAccount":
                namespace = str(subject.get("namespace") or own or "default")
                role = dig(binding.inputs, "roleRef.name", "?")
                why = f"ServiceAccount {subject.get('name')} is bound to {dig(binding.inputs, 'roleRef.kind', 'Role')} {role}"
                found.setdefault((provider_urn(binding.provider), namespace), []).append((binding.urn, why))
    return found


def cluster_of(index: GraphIndex, provider: str | None) -> Registration | None:
    """The EKS cluster a Kubernetes provider talks to (the one it depends on; the only one otherwise)."""
    clusters = index.of_type(CLUSTER)
    if provider and provider in index.by_urn:
        closure = index.closure(provider)
        for cluster in clusters:
            if cluster.urn in closure:
                return cluster
    return clusters[0] if len(clusters) == 1 else None


def api_service_ip(index: GraphIndex, cluster: Registration | None) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """The ``kubernetes`` Service ClusterIP (as a /32): first host of the cluster's Service CIDR."""
    cidr = dig(cluster.inputs, "kubernetesNetworkConfig.serviceIpv4Cidr") if cluster else None
    if not isinstance(cidr, str):
        vpcs = _networks(
            index.by_urn[u].inputs.get("cidrBlock")
            for u in (index.closure(cluster.urn) if cluster else ())
            if u in index.by_urn and index.by_urn[u].type == VPC
        )
        free = [c for c in EKS_SERVICE_CIDRS if not any(v.overlaps(ipaddress.ip_network(c)) for v in vpcs)]
        cidr = (free or EKS_SERVICE_CIDRS)[0]
    network = ipaddress.ip_network(cidr, strict=False)
    first = next(network.hosts())
    return ipaddress.ip_network(f"{first}/{network.max_prefixlen}")


def control_plane_networks(index: GraphIndex, cluster: Registration | None) -> list[Network]:
    """Where the control-plane ENIs live: the cluster's subnets (or, if those are unknown, its VPC)."""
    if cluster is None:
        return []
    subnets = cluster.property_dependencies.get("vpcConfig", ())
    found = _networks(
        index.by_urn[u].inputs.get("cidrBlock") for u in subnets if u in index.by_urn and index.by_urn[u].type == SUBNET
    )
    if not found:
        found = _networks(
            index.by_urn[u].inputs.get("cidrBlock")
            for u in index.closure(cluster.urn)
            if u in index.by_urn and index.by_urn[u].type == VPC
        )
    return sorted(set(found), key=str)


def _networks(values: Iterable[Any]) -> list[Network]:
    result = []
    for value in values:
        try:
            result.append(ipaddress.ip_network(str(value), strict=False))
        except ValueError:
            continue
    return result


def restricts_egress(spec: Mapping[str, Any]) -> bool:
    """Whether a NetworkPolicy spec isolates the pods it selects for egress."""
    types = spec.get("policyTypes")
    return "Egress" in types if isinstance(types, list) else "egress" in spec


def _allows_443(rule: Mapping[str, Any]) -> bool:
    ports = rule.get("ports")
    if not ports:
        return True
    for port in ports:
        if not isinstance(port, dict) or str(port.get("protocol", "TCP")).upper() != "TCP":
            continue
        number, end = port.get("port"), port.get("endPort")
        if (
            number is None
            or number == 443
            or (isinstance(number, int) and isinstance(end, int) and number <= 443 <= end)
        ):
            return True
    return False


def egress_443_blocks(policies: Iterable[Mapping[str, Any]]) -> list[tuple[Network, list[Network]]] | None:
    """(cidr, except) blocks egress rules allow on TCP 443; None when some rule allows every destination."""
    blocks: list[tuple[Network, list[Network]]] = []
    for spec in policies:
        for rule in spec.get("egress") or ():
            if not isinstance(rule, dict) or not _allows_443(rule):
                continue
            peers = rule.get("to")
            if not peers:
                return None
            for peer in peers:
                block = peer.get("ipBlock") if isinstance(peer, dict) else None
                if isinstance(block, dict) and block.get("cidr"):
                    cidr = _networks([block["cidr"]])
                    if cidr:
                        blocks.append((cidr[0], _networks(block.get("except") or ())))
    return blocks


def covered(target: Network, blocks: list[tuple[Network, list[Network]]] | None) -> bool:
    """Whether ``target`` lies inside one allowed block and outside its exceptions."""
    if blocks is None:
        return True
    return any(
        target.version == cidr.version
        and target.subnet_of(cidr)  # type: ignore[arg-type]
        and not any(target.overlaps(e) for e in excepts)
        for cidr, excepts in blocks
    )


def check_api_reachability(graph: Graph) -> list[Finding]:
    """Namespaces running API clients whose NetworkPolicies block the API server's Service IP or ENIs."""
    index = index_of(graph)
    policies: dict[str, list[Mapping[str, Any]]] = {}
    for policy in index.of_type(NETWORK_POLICY):
        namespace = dig(policy.inputs, "metadata.namespace") or "default"
        spec = policy.inputs.get("spec")
        if isinstance(spec, dict):
            policies.setdefault(str(namespace), []).append(spec)
    findings = []
    for (provider, namespace), clients in sorted(
        api_clients(graph).items(), key=lambda item: (item[0][1], item[0][0] or "")
    ):
        specs = policies.get(namespace, [])
        if not any(restricts_egress(spec) for spec in specs):
            continue  # no policy isolates egress: everything is reachable
        cluster = cluster_of(index, provider)
        blocks = egress_443_blocks(specs)
        who = "; ".join(f"{short(urn)}: {why}" for urn, why in clients)
        service_ip = api_service_ip(index, cluster)
        if not covered(service_ip, blocks):
            findings.append(
                Finding(
                    CHECK,
                    f"{CHECK}:{namespace}:service-ip",
                    clients[0][0],
                    f"namespace {namespace} runs API clients ({who}) but its NetworkPolicies allow no egress on "
                    f"TCP 443 to the API server's Service IP {service_ip.network_address}: the VPC CNI matches before "
                    "the Service address is translated (aws/amazon-network-policy-controller-k8s#222), so the "
                    f"clients never reach the API. Allow {service_ip} on 443.",
                )
            )
        missing = [str(n) for n in control_plane_networks(index, cluster) if not covered(n, blocks)]
        if missing:
            findings.append(
                Finding(
                    CHECK,
                    f"{CHECK}:{namespace}:control-plane",
                    clients[0][0],
                    f"namespace {namespace} runs API clients ({who}) but its NetworkPolicies allow no egress on "
                    f"TCP 443 to the control-plane ENIs in {', '.join(missing)}. Allow the cluster's subnets "
                    "(or the VPC CIDR) on 443.",
                )
            )
    return findings
