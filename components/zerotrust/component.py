"""ZeroTrust: the platform's one flow graph rendered into Kubernetes NetworkPolicies and security-group rules.

What is not declared cannot talk. Per namespace: a default-deny policy for ingress AND egress, and DNS
egress to kube-dns only. Per workload: one egress policy (its declared flows out) and one ingress
policy (its declared flows in), each rule pairing exactly one peer with exactly one port, so no flow
ever widens another. AWS destinations are reached through ipBlocks of their own CIDRs (the VPC CIDR
for the interface endpoints), never 0.0.0.0/0; their security groups admit the flow's port from the
cluster's workload security group only. Flows from an AWS source (an AWS resource in the VPC, such as the
deploy runner) are not pod traffic: they get no NetworkPolicy, only an egress rule on the source's security
group and an ingress rule on the destination's, each naming the other group (never a CIDR).

:func:`render_network_policies` is pure (and checked by ``mlopsctl.reachability``); :class:`ZeroTrust`
turns its output into resources.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from contracts.flows import (
    AwsDestination,
    AwsSource,
    ExternalDestination,
    Flow,
    FlowGraph,
    Workload,
    aws_flow_rule_description,
)

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
"""Label the API server puts on every namespace (immutable, equals its name)."""
KUBE_DNS_NAMESPACE = "kube-system"
"""Namespace of CoreDNS on EKS."""
KUBE_DNS_LABELS = {"k8s-app": "kube-dns"}
"""Labels of the CoreDNS pods on EKS."""
MANAGED_LABELS = {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "mlops-zero-trust"}
"""Labels on every rendered policy, so reviewers and tools can find them."""

_DNS_NAME = re.compile(r"[^a-z0-9-]+")


class FlowGraphError(ValueError):
    """The flow graph cannot be rendered faithfully (ambiguous workloads, wide AWS CIDRs, ...)."""


def render_network_policies(graph: FlowGraph, namespaces: Sequence[str], vpc_cidr: str) -> list[dict[str, Any]]:
    """Kubernetes NetworkPolicy manifests (plain dicts) enforcing exactly the flows of ``graph``.

    ``namespaces`` are the cluster's workload namespaces: each gets default-deny and DNS policies,
    and every workload of the graph must live in one of them. AWS destinations must lie inside
    ``vpc_cidr``. Output order is deterministic (namespace, then policy name).
    Raises :class:`FlowGraphError` for a graph that would allow more than it declares.
    """
    _validate(graph, namespaces, vpc_cidr)
    policies: list[dict[str, Any]] = []
    for namespace in sorted(set(namespaces)):
        policies.append(_policy("default-deny", namespace, {}, ["Ingress", "Egress"]))
        policies.append(_policy("allow-dns-egress", namespace, {}, ["Egress"], egress=[_dns_rule()]))

    egress: dict[str, list[dict[str, Any]]] = {}
    ingress: dict[str, list[dict[str, Any]]] = {}
    for flow in _unique_flows(graph.flows):
        if not isinstance(flow.source, Workload):
            continue  # an AWS source is not a pod: security groups enforce its flows (ZeroTrust)
        port = {"protocol": flow.protocol, "port": flow.port}
        egress.setdefault(flow.source.name, []).append({"to": _peers(flow.destination), "ports": [port]})
        if isinstance(flow.destination, Workload):
            ingress.setdefault(flow.destination.name, []).append(
                {"from": [_workload_peer(flow.source)], "ports": [port]}
            )

    for workload in graph.workloads:
        slug = _slug(workload.name)
        if workload.name in egress:
            policies.append(
                _policy(
                    f"egress-{slug}", workload.namespace, workload.selector, ["Egress"], egress=egress[workload.name]
                )
            )
        if workload.name in ingress:
            policies.append(
                _policy(
                    f"ingress-{slug}",
                    workload.namespace,
                    workload.selector,
                    ["Ingress"],
                    ingress=ingress[workload.name],
                )
            )
    return sorted(policies, key=lambda p: (p["metadata"]["namespace"], p["metadata"]["name"]))


def describe_flows(graph: FlowGraph) -> list[dict[str, Any]]:
    """The declared flows as plain rows for the ``zeroTrustFlows`` stack output.

    Keys: source, destination, port, protocol, plus destinationKind (workload | aws | external) and
    destinationCidrs (for AWS/external destinations) so tools can name ipBlocks in a connectivity matrix.
    Rows of flows from an :class:`~contracts.flows.AwsSource` also carry ``sourceKind: aws``: security
    groups enforce them, not NetworkPolicies (rows of pod sources have no ``sourceKind``).
    """
    rows = []
    for flow in _unique_flows(graph.flows):
        dest = flow.destination
        kind = "workload" if isinstance(dest, Workload) else "aws" if isinstance(dest, AwsDestination) else "external"
        row: dict[str, Any] = {
            "source": flow.source.name,
            "destination": dest.name,
            "port": flow.port,
            "protocol": flow.protocol,
            "destinationKind": kind,
        }
        if not isinstance(dest, Workload):
            row["destinationCidrs"] = list(dest.cidrs)
        if isinstance(flow.source, AwsSource):
            row["sourceKind"] = "aws"
        rows.append(row)
    return sorted(rows, key=lambda r: (r["source"], r["destination"], r["port"], r["protocol"]))


def describe_workloads(graph: FlowGraph) -> list[dict[str, Any]]:
    """The graph's workloads as plain rows ({name, namespace, labels}) for the ``zeroTrustWorkloads`` output."""
    return [{"name": w.name, "namespace": w.namespace, "labels": w.selector} for w in graph.workloads]


def _unique_flows(flows: Sequence[Flow]) -> list[Flow]:
    """Flows in declaration order, without repeats (two components may declare the same flow)."""
    seen: set[tuple[str, str, int, str]] = set()
    unique = []
    for flow in flows:
        key = (flow.source.name, flow.destination.name, flow.port, flow.protocol)
        if key not in seen:
            seen.add(key)
            unique.append(flow)
    return unique


def _validate(graph: FlowGraph, namespaces: Sequence[str], vpc_cidr: str) -> None:
    vpc = ipaddress.ip_network(vpc_cidr, strict=True)
    known = set(namespaces)
    by_name: dict[str, Workload | AwsSource | AwsDestination | ExternalDestination] = {}
    for flow in graph.flows:
        for end in (flow.source, flow.destination):
            other = by_name.setdefault(end.name, end)
            if _identity(other) != _identity(end):
                raise FlowGraphError(
                    f"two different endpoints are named {end.name!r} ({_identity(other)} and {_identity(end)}); "
                    "names must be unique"
                )
    for workload in graph.workloads:
        if workload.namespace not in known:
            raise FlowGraphError(
                f"workload {workload.name!r} is in namespace {workload.namespace!r}, which the cluster does not "
                f"have; allowed: {sorted(known)}"
            )
        if not workload.labels:
            raise FlowGraphError(
                f"workload {workload.name!r} has no labels: it would select every pod of its namespace"
            )
    # A workload whose labels are a subset of another's (same namespace) would select the other's pods too,
    # silently granting it the first one's flows.
    for a in graph.workloads:
        for b in graph.workloads:
            if a is not b and a.namespace == b.namespace and set(a.labels) <= set(b.labels):
                raise FlowGraphError(
                    f"workload {a.name!r} selects the pods of {b.name!r} too ({a.selector} is contained in "
                    f"{b.selector}); give each workload a distinguishing label"
                )
    slugs: dict[tuple[str, str], str] = {}
    for workload in graph.workloads:
        key = (workload.namespace, _slug(workload.name))
        if slugs.setdefault(key, workload.name) != workload.name:
            raise FlowGraphError(f"workloads {slugs[key]!r} and {workload.name!r} give the same policy name")
    for flow in graph.flows:
        dest = flow.destination
        if isinstance(flow.source, AwsSource) and not (
            isinstance(dest, AwsDestination) and dest.security_group_id is not None
        ):
            raise FlowGraphError(
                f"flow {flow.source.name} -> {dest.name}: a flow from an AWS source needs an AWS destination "
                "with a security group (security groups are the only thing that can enforce it)"
            )
        if isinstance(dest, AwsDestination):
            if not dest.cidrs:
                raise FlowGraphError(f"AWS destination {dest.name!r} has no CIDRs")
            for cidr in dest.cidrs:
                net = ipaddress.ip_network(cidr, strict=True)
                if net.version != vpc.version or not net.subnet_of(vpc):  # type: ignore[arg-type]
                    raise FlowGraphError(
                        f"AWS destination {dest.name!r}: {cidr} is outside the VPC {vpc_cidr}; AWS services are "
                        "reached through VPC endpoints only"
                    )
        elif isinstance(dest, ExternalDestination):
            if not dest.cidrs:
                raise FlowGraphError(f"external destination {dest.name!r} has no CIDRs")
            for cidr in dest.cidrs:
                ipaddress.ip_network(cidr, strict=True)


def _identity(end: Workload | AwsSource | AwsDestination | ExternalDestination) -> tuple[Any, ...]:
    """What makes two endpoint values the same endpoint (AWS ones: kind, name and CIDRs)."""
    if isinstance(end, Workload):
        return ("workload", end.namespace, end.labels)
    if isinstance(end, AwsSource):
        return ("AwsSource",)  # its security group is an output: equal names are the same source
    return (type(end).__name__, tuple(sorted(end.cidrs)))


def _policy(
    name: str,
    namespace: str,
    selector: dict[str, str],
    types: list[str],
    *,
    ingress: list[dict[str, Any]] | None = None,
    egress: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"podSelector": {"matchLabels": selector} if selector else {}, "policyTypes": types}
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(MANAGED_LABELS)},
        "spec": spec,
    }


def _dns_rule() -> dict[str, Any]:
    peer = {
        "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: KUBE_DNS_NAMESPACE}},
        "podSelector": {"matchLabels": dict(KUBE_DNS_LABELS)},
    }
    return {"to": [peer], "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}


def _workload_peer(workload: Workload) -> dict[str, Any]:
    # Namespace AND pod selector in one peer: only these pods of that namespace.
    return {
        "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: workload.namespace}},
        "podSelector": {"matchLabels": workload.selector},
    }


def _peers(destination: Workload | AwsDestination | ExternalDestination) -> list[dict[str, Any]]:
    if isinstance(destination, Workload):
        return [_workload_peer(destination)]
    return [{"ipBlock": {"cidr": cidr}} for cidr in destination.cidrs]


def _slug(name: str) -> str:
    """A DNS-label-safe form of a workload name (policy names), short enough with its prefix."""
    slug = _DNS_NAME.sub("-", name.lower()).strip("-") or "workload"
    if len(slug) > 48:
        slug = f"{slug[:39].rstrip('-')}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    return slug


@dataclass(frozen=True, kw_only=True)
class ZeroTrustArgs:
    """Inputs of :class:`ZeroTrust`."""

    graph: FlowGraph
    """Every declared flow of the platform (complete: create ZeroTrust after all components contributed)."""
    namespaces: Sequence[str]
    """The cluster's workload namespaces; each gets default-deny for ingress and egress."""
    vpc_cidr: str
    """The VPC block: AWS destinations must lie inside it."""
    workload_security_group_id: pulumi.Input[str]
    """Security group of the cluster's pods/nodes: the only source AWS destinations admit."""
    k8s_provider: k8s.Provider
    """Provider of the cluster the policies go to."""
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """Resources the policies need first (the namespaces). Default: none."""


class ZeroTrust(pulumi.ComponentResource):
    """NetworkPolicies for every namespace and flow, and security-group rules for flows to AWS destinations."""

    policies: list[dict[str, Any]]
    """The rendered NetworkPolicy manifests (plain dicts), as created."""
    flows: list[Flow]
    """The declared flows, without repeats."""
    described_flows: list[dict[str, Any]]
    """Plain rows {source, destination, port, protocol, destinationKind[, destinationCidrs]}: export as
    ``zeroTrustFlows``."""
    described_workloads: list[dict[str, Any]]
    """Plain rows {name, namespace, labels}: export as ``zeroTrustWorkloads``."""
    security_group_rule_ids: pulumi.Output[list[str]]
    """Ids of the security-group rules created for flows to AWS destinations (for flows from AWS sources,
    both the ingress and the egress rule)."""

    def __init__(self, name: str, args: ZeroTrustArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:zerotrust:ZeroTrust", name, None, opts)
        # Pure rendering first: a bad graph raises before any resource exists.
        self.policies = render_network_policies(args.graph, args.namespaces, args.vpc_cidr)
        self.flows = _unique_flows(args.graph.flows)
        self.described_flows = describe_flows(args.graph)
        self.described_workloads = describe_workloads(args.graph)

        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.k8s_provider, depends_on=list(args.depends_on))
        for policy in self.policies:
            meta = policy["metadata"]
            k8s.networking.v1.NetworkPolicy(
                f"{name}-{meta['namespace']}-{meta['name']}", metadata=meta, spec=policy["spec"], opts=k8s_opts
            )

        rules = []
        for (dest, port, protocol), sources in _security_group_rules(self.flows).items():
            assert dest.security_group_id is not None
            rules.append(
                aws.vpc.SecurityGroupIngressRule(
                    f"{name}-{_slug(dest.name)}-{protocol.lower()}-{port}",
                    security_group_id=dest.security_group_id,
                    # Never a CIDR: only members of the workload security group (the cluster's pods/nodes).
                    referenced_security_group_id=args.workload_security_group_id,
                    ip_protocol=protocol.lower(),
                    from_port=port,
                    to_port=port,
                    description=f"zero-trust flows to {dest.name}: {', '.join(sources)}"[:255],
                    opts=pulumi.ResourceOptions(parent=self),
                )
            )
        rules.extend(self._aws_source_rules(name, self.flows))
        self.security_group_rule_ids = pulumi.Output.all(*[r.id for r in rules]).apply(
            lambda ids: [str(i) for i in ids]
        )
        self.register_outputs({"securityGroupRuleIds": self.security_group_rule_ids})

    def _aws_source_rules(self, name: str, flows: Sequence[Flow]) -> list[pulumi.CustomResource]:
        """Both ends of each flow from an AWS source: egress on its group, ingress on the destination's."""
        rules: list[pulumi.CustomResource] = []
        for flow in flows:
            source, dest = flow.source, flow.destination
            if not isinstance(source, AwsSource) or not isinstance(dest, AwsDestination):
                continue
            assert dest.security_group_id is not None  # validated
            common: dict[str, Any] = {
                "ip_protocol": flow.protocol.lower(),
                "from_port": flow.port,
                "to_port": flow.port,
                "description": aws_flow_rule_description(source.name, dest.name, flow.port, flow.protocol),
            }
            prefix = f"{name}-{_slug(source.name)}-{_slug(dest.name)}-{flow.protocol.lower()}-{flow.port}"
            rules.append(
                aws.vpc.SecurityGroupEgressRule(
                    f"{prefix}-egress",
                    security_group_id=source.security_group_id,
                    referenced_security_group_id=dest.security_group_id,
                    opts=pulumi.ResourceOptions(parent=self),
                    **common,
                )
            )
            rules.append(
                aws.vpc.SecurityGroupIngressRule(
                    f"{prefix}-ingress",
                    security_group_id=dest.security_group_id,
                    referenced_security_group_id=source.security_group_id,
                    opts=pulumi.ResourceOptions(parent=self),
                    **common,
                )
            )
        return rules


def _security_group_rules(flows: Sequence[Flow]) -> dict[tuple[AwsDestination, int, str], list[str]]:
    """One rule per (AWS destination with a security group, port, protocol): AWS rejects duplicate rules.

    Only flows from pods: those are opened from the cluster's workload security group.
    """
    first: dict[str, AwsDestination] = {}
    rules: dict[tuple[AwsDestination, int, str], list[str]] = {}
    for flow in flows:
        dest = flow.destination
        if not isinstance(flow.source, Workload):
            continue
        if isinstance(dest, AwsDestination) and dest.security_group_id is not None:
            # Equal names are the same destination (validated), even when declared as separate objects.
            dest = first.setdefault(dest.name, dest)
            rules.setdefault((dest, flow.port, flow.protocol), []).append(flow.source.name)
    return rules
