"""ZeroTrust: the platform's one flow graph rendered into Kubernetes NetworkPolicies and security-group rules.

What is not declared cannot talk, at both layers.

Kubernetes layer. Per namespace: a default-deny policy for ingress AND egress, and DNS egress to kube-dns only.
Per workload: one egress policy (its declared flows out) and one ingress policy (its declared flows in), each
rule pairing exactly one peer with exactly one port, so no flow ever widens another. AWS destinations are reached
through ipBlocks of their own subnets (each database, the warehouse and the interface endpoints have their own:
``components.network.plan.DESTINATION_SLOTS``), never 0.0.0.0/0. A flow from an AWS source to pods (a load
balancer) is admitted from the source's subnets.

AWS layer. Every workload has its own security group (:mod:`components.zerotrust.pod_identity`), and every flow
becomes an egress rule on the source's group naming the destination's group plus an ingress rule on the
destination's group naming the source's: never a CIDR, never the cluster security group as the source of
workload traffic. Flows from an AWS source (the deploy runner, the nodes) follow the same pattern.

:func:`render_network_policies` is pure (and checked by ``mlopsctl.reachability``); :class:`ZeroTrust`
turns its output into resources.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.zerotrust.names import slug as _slug
from components.zerotrust.pod_identity import PodSecurityGroups
from contracts.flows import (
    AwsDestination,
    AwsSource,
    Destination,
    ExternalDestination,
    Flow,
    FlowGraph,
    Source,
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


class FlowGraphError(ValueError):
    """The flow graph cannot be rendered faithfully (ambiguous workloads, wide AWS CIDRs, ...)."""


def render_network_policies(
    graph: FlowGraph, namespaces: Sequence[str], vpc_cidr: str, shared_namespaces: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Kubernetes NetworkPolicy manifests (plain dicts) enforcing exactly the flows of ``graph``.

    ``namespaces`` are the cluster's workload namespaces: each gets default-deny and DNS policies,
    and every workload of the graph must live in one of them or in ``shared_namespaces``. Those also host pods
    the platform does not declare (kube-system: EKS's add-ons), so they get no namespace-wide policy: each workload
    declared there is isolated on its own, with an egress policy (DNS plus its flows) and an ingress policy (its
    flows, possibly none). AWS destinations must lie inside ``vpc_cidr``. Output order is deterministic
    (namespace, then policy name). Raises :class:`FlowGraphError` for a graph that would allow more than it declares.
    """
    _validate(graph, namespaces, vpc_cidr, shared_namespaces)
    shared = set(shared_namespaces)
    policies: list[dict[str, Any]] = []
    for namespace in sorted(set(namespaces)):
        policies.append(_policy("default-deny", namespace, {}, ["Ingress", "Egress"]))
        policies.append(_policy("allow-dns-egress", namespace, {}, ["Egress"], egress=[_dns_rule()]))

    egress: dict[str, list[dict[str, Any]]] = {}
    ingress: dict[str, list[dict[str, Any]]] = {}
    for flow in _unique_flows(graph.flows):
        port = {"protocol": flow.protocol, "port": flow.port}
        if isinstance(flow.source, AwsSource):
            # Not a pod: no egress policy. Pods it reaches admit its subnets (a load balancer's nodes).
            if isinstance(flow.destination, Workload):
                ingress.setdefault(flow.destination.name, []).append(
                    {"from": [{"ipBlock": {"cidr": cidr}} for cidr in flow.source.cidrs], "ports": [port]}
                )
            continue
        egress.setdefault(flow.source.name, []).append({"to": _peers(flow.destination), "ports": [port]})
        if isinstance(flow.destination, Workload):
            ingress.setdefault(flow.destination.name, []).append(
                {"from": [_workload_peer(flow.source)], "ports": [port]}
            )

    for workload in graph.workloads:
        slug = _slug(workload.name)
        # In a shared namespace no default-deny isolates the workload: its own policies do, in both directions.
        alone = workload.namespace in shared
        if workload.name in egress or alone:
            dns = [_dns_rule()] if alone else []
            policies.append(
                _policy(
                    f"egress-{slug}",
                    workload.namespace,
                    workload.selector,
                    ["Egress"],
                    egress=dns + egress.get(workload.name, []),
                )
            )
        if workload.name in ingress or alone:
            policies.append(
                _policy(
                    f"ingress-{slug}",
                    workload.namespace,
                    workload.selector,
                    ["Ingress"],
                    ingress=ingress.get(workload.name, []),
                )
            )
    return sorted(policies, key=lambda p: (p["metadata"]["namespace"], p["metadata"]["name"]))


def describe_flows(graph: FlowGraph) -> list[dict[str, Any]]:
    """The declared flows as plain rows for the ``zeroTrustFlows`` stack output.

    Keys: source, destination, port, protocol, plus destinationKind (workload | aws | external) and
    destinationCidrs (for AWS/external destinations) so tools can name ipBlocks in a connectivity matrix.
    Rows of flows from an :class:`~contracts.flows.AwsSource` also carry ``sourceKind: aws`` (and its subnets as
    ``sourceCidrs`` when it has them: pods it reaches admit those); rows of pod sources have no ``sourceKind``.
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
            if flow.source.cidrs:
                row["sourceCidrs"] = list(flow.source.cidrs)
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


def _validate(graph: FlowGraph, namespaces: Sequence[str], vpc_cidr: str, shared_namespaces: Sequence[str]) -> None:
    vpc = ipaddress.ip_network(vpc_cidr, strict=True)
    both = sorted(set(namespaces) & set(shared_namespaces))
    if both:
        raise FlowGraphError(f"namespaces {both} are listed as both the platform's own and shared; pick one")
    known = set(namespaces) | set(shared_namespaces)
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
        if isinstance(flow.source, AwsSource):
            if isinstance(dest, Workload):
                if not flow.source.cidrs:
                    raise FlowGraphError(
                        f"flow {flow.source.name} -> {dest.name}: an AWS source that reaches pods needs its subnets "
                        "(cidrs), which the pods' NetworkPolicy admits"
                    )
            elif not (isinstance(dest, AwsDestination) and dest.security_group_id is not None):
                raise FlowGraphError(
                    f"flow {flow.source.name} -> {dest.name}: a flow from an AWS source needs pods or an AWS "
                    "destination with a security group (security groups are the only thing that can enforce it)"
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


@dataclass(frozen=True, kw_only=True)
class ZeroTrustArgs:
    """Inputs of :class:`ZeroTrust`."""

    graph: FlowGraph
    """Every declared flow of the platform (complete: create ZeroTrust after all components contributed)."""
    namespaces: Sequence[str]
    """The cluster's workload namespaces; each gets default-deny for ingress and egress."""
    shared_namespaces: Sequence[str] = ()
    """Namespaces with declared workloads and pods the platform does not declare (kube-system): no namespace-wide
    policy; each declared workload there gets its own egress (DNS + flows) and ingress policies. Default: none."""
    policy_aliases: Mapping[tuple[str, str], Sequence[pulumi.Alias]] = field(default_factory=dict)
    """(namespace, policy name) -> aliases of the policy's resource: a policy whose Kubernetes name another
    component's resource held before (``SecretsOperator.policy_aliases``). Default: none."""
    vpc_cidr: str
    """The VPC block: AWS destinations must lie inside it."""
    cluster_security_group_id: pulumi.Input[str]
    """The EKS cluster security group (nodes, CoreDNS, the control plane's ENIs, pods without a group of their
    own): exported with the others so tools can tell it apart."""
    pod_security_groups: PodSecurityGroups
    """Each workload's own security group (created there, on first use, if the platform did not create it
    before the workload's pods)."""
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
    described_security_groups: list[dict[str, Any]]
    """Plain rows {name, kind, securityGroupId}: export as ``zeroTrustSecurityGroups``."""
    security_group_rule_ids: pulumi.Output[list[str]]
    """Ids of the security-group rules created for flows to AWS destinations (for flows from AWS sources,
    both the ingress and the egress rule)."""

    def __init__(self, name: str, args: ZeroTrustArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:zerotrust:ZeroTrust", name, None, opts)
        # Pure rendering first: a bad graph raises before any resource exists.
        self.policies = render_network_policies(args.graph, args.namespaces, args.vpc_cidr, args.shared_namespaces)
        self.flows = _unique_flows(args.graph.flows)
        self.described_flows = describe_flows(args.graph)
        self.described_workloads = describe_workloads(args.graph)

        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.k8s_provider, depends_on=list(args.depends_on))
        for policy in self.policies:
            meta = policy["metadata"]
            aliases = list(args.policy_aliases.get((meta["namespace"], meta["name"]), ()))
            k8s.networking.v1.NetworkPolicy(
                f"{name}-{meta['namespace']}-{meta['name']}",
                metadata=meta,
                spec=policy["spec"],
                opts=pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(aliases=aliases))
                if aliases
                else k8s_opts,
            )

        groups = _Groups(args.pod_security_groups, args.cluster_security_group_id)
        rules: list[pulumi.CustomResource] = []
        opened: set[tuple[Any, ...]] = set()
        for flow in self.flows:
            rules += self._flow_rules(name, flow, groups, opened)
        self.security_group_rule_ids = pulumi.Output.all(*[r.id for r in rules]).apply(
            lambda ids: [str(i) for i in ids]
        )
        self.described_security_groups = _describe_groups(self.flows, groups)
        self.register_outputs({"securityGroupRuleIds": self.security_group_rule_ids})

    def _flow_rules(
        self, name: str, flow: Flow, groups: _Groups, opened: set[tuple[Any, ...]]
    ) -> list[pulumi.CustomResource]:
        """The security-group rules of one flow: egress on the source's group, ingress on the destination's, each
        naming the other group. Towards a host outside the VPC (no group there): egress to its CIDRs only.

        Nothing when both ends share one group (the cluster group admits itself) or when an earlier flow already
        opened the same group pair and port (AWS refuses duplicate rules): ``opened`` remembers those."""
        source, dest = flow.source, flow.destination
        source_group = groups.of(source)
        dest_group = groups.of(dest)
        assert source_group is not None  # validated: every source has a group
        key = (id(source_group), id(dest_group), flow.protocol, flow.port)
        if source_group is dest_group or key in opened:
            return []
        opened.add(key)
        common: dict[str, Any] = {
            "ip_protocol": flow.protocol.lower(),
            "from_port": flow.port,
            "to_port": flow.port,
            "description": aws_flow_rule_description(source.name, dest.name, flow.port, flow.protocol),
        }
        prefix = f"{name}-{_slug(source.name)}-{_slug(dest.name)}-{flow.protocol.lower()}-{flow.port}"
        opts = pulumi.ResourceOptions(parent=self)
        if dest_group is None:
            return [
                aws.vpc.SecurityGroupEgressRule(
                    f"{prefix}-egress-{i}", security_group_id=source_group, cidr_ipv4=cidr, opts=opts, **common
                )
                for i, cidr in enumerate(dest.cidrs if isinstance(dest, ExternalDestination) else ())
            ]
        return [
            aws.vpc.SecurityGroupEgressRule(
                f"{prefix}-egress",
                security_group_id=source_group,
                referenced_security_group_id=dest_group,
                opts=opts,
                **common,
            ),
            aws.vpc.SecurityGroupIngressRule(
                f"{prefix}-ingress",
                security_group_id=dest_group,
                referenced_security_group_id=source_group,
                opts=opts,
                **common,
            ),
        ]


@dataclass(frozen=True)
class _Groups:
    """Which security group stands for a flow endpoint."""

    pods: PodSecurityGroups
    cluster: pulumi.Input[str]

    def of(self, end: Source | Destination) -> pulumi.Input[str] | None:
        """A workload's own group (the cluster's for controllers installed with it), an AWS resource's, or None (a
        host outside the VPC, or an address no group guards)."""
        if isinstance(end, Workload):
            return self.pods.security_group_id(end) if end.own_security_group else self.cluster
        return end.security_group_id


def _describe_groups(flows: Sequence[Flow], groups: _Groups) -> list[dict[str, Any]]:
    """Rows {name, kind, securityGroupId} for the ``zeroTrustSecurityGroups`` output: which group stands for which
    endpoint (kind workload | aws | awsSource | cluster | shared), so tools can evaluate the AWS layer."""
    rows: dict[str, dict[str, Any]] = {}
    for flow in flows:
        for end in (flow.source, flow.destination):
            group = groups.of(end)
            if group is None or end.name in rows:
                continue
            kind = "workload" if isinstance(end, Workload) else "awsSource" if isinstance(end, AwsSource) else "aws"
            rows[end.name] = {"name": end.name, "kind": kind, "securityGroupId": group}
    rows["cluster"] = {"name": "cluster", "kind": "cluster", "securityGroupId": groups.cluster}
    rows["pod-dns"] = {"name": "pod-dns", "kind": "shared", "securityGroupId": groups.pods.dns_security_group_id}
    return [rows[name] for name in sorted(rows)]
