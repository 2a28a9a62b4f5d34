"""ec2-security-group-destination-ingress: databases, the warehouse and interface endpoints admit callers by group.

Zero trust at the AWS layer: the security group of an RDS instance or cluster (``vpcSecurityGroupIds``), of a
Redshift Serverless workgroup (``securityGroupIds``) or of interface VPC endpoints (``securityGroupIds`` of a
``VpcEndpoint`` of type ``Interface``) admits only the security groups of the callers the flow graph declares. An
ingress rule there whose source is an address range (``cidrIpv4``/``cidrIpv6``, ``cidrBlocks``/
``ipv6CidrBlocks``, a prefix list) admits whatever holds an address in it, and one whose source is the EKS
**cluster** security group admits every node, every pod without a group of its own and the control plane: both
are violations, naming the group, the rule and the source.

One exception: interface endpoints may admit the cluster group on TCP 443, their only port. Nodes and the pods no
``SecurityGroupPolicy`` selects (EKS add-ons) carry only that group and need the endpoints (ECR image pulls by
kubelet/containerd, STS); databases and the warehouse never get it.

How groups are joined in the analyzer (stack rules see inputs only, no outputs such as a group's id): a rule's
``securityGroupId`` names a guarded group when it was computed from the same ``SecurityGroup`` resource as the
guarded resource's list (property dependencies, which also work during a first preview when ids are unknown) or
holds the same literal id. The cluster group is EKS's output ``vpcConfig.clusterSecurityGroupId``: a source is
taken to be it when its input was computed from an ``aws:eks/cluster:Cluster`` (and is not one of the cluster's
own input ``vpcConfig.securityGroupIds``), or holds an id that another input computed from that cluster holds.
All three rule forms are checked: ``aws.vpc.SecurityGroupIngressRule``, ``aws.ec2.SecurityGroupRule`` (type
``ingress``) and the inline ``ingress`` list of ``aws.ec2.SecurityGroup``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from policies.mlops.ec2._types import INGRESS_RULE, SECURITY_GROUP, SECURITY_GROUP_RULE
from policies.mlops.eks._types import CLUSTER as EKS_CLUSTER
from policies.mlops.props import as_list, as_map, as_strs, get, known
from policies.mlops.rule import Level, Severity, StackInput, StackReport, StackResource, stack_rule

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
WORKGROUP = "aws:redshiftserverless/workgroup:Workgroup"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"

GUARDED: Mapping[str, tuple[str, str]] = {
    RDS_INSTANCE: ("vpcSecurityGroupIds", "RDS instance"),
    RDS_CLUSTER: ("vpcSecurityGroupIds", "RDS cluster"),
    WORKGROUP: ("securityGroupIds", "Redshift Serverless workgroup"),
    VPC_ENDPOINT: ("securityGroupIds", "interface VPC endpoint"),
}
"""Resource type -> (input listing its security groups, what it is)."""
ENDPOINT_PORT = 443


@dataclass
class _Guarded:
    """The guarded groups: by the URN they were computed from, or by literal id; with what each guards."""

    by_urn: dict[str, set[str]] = field(default_factory=dict)
    by_id: dict[str, set[str]] = field(default_factory=dict)
    endpoint_only: set[str] = field(default_factory=set)
    """Keys (URN or id) of groups that guard interface endpoints and nothing else."""

    def add(self, key: str, what: str, table: dict[str, set[str]]) -> None:
        table.setdefault(key, set()).add(what)

    def of(self, resource: StackResource, prop: str) -> tuple[str, set[str]] | None:
        """(key, what it guards) of the group ``resource.prop`` names, or None when it is not guarded."""
        for urn in resource.property_dependencies.get(prop, ()):
            if urn in self.by_urn:
                return urn, self.by_urn[urn]
        value = known(resource.props, prop)
        if isinstance(value, str) and value in self.by_id:
            return value, self.by_id[value]
        return None


@dataclass
class _Cluster:
    """How to recognise the EKS cluster security group."""

    urns: dict[str, str] = field(default_factory=dict)
    """Cluster URN -> its name."""
    extra_ids: set[str] = field(default_factory=set)
    """The clusters' additional groups (``vpcConfig.securityGroupIds`` inputs): never the cluster group."""
    ids: dict[str, str] = field(default_factory=dict)
    """Literal cluster group ids seen in inputs computed from a cluster -> cluster name."""

    def source(self, resource: StackResource, prop: str, value: Any) -> str | None:
        """The cluster name when ``value`` (of input ``prop``) is a cluster security group, else None."""
        if isinstance(value, str) and value in self.extra_ids:
            return None
        if isinstance(value, str) and value in self.ids:
            return self.ids[value]
        for urn in resource.property_dependencies.get(prop, ()):
            if urn in self.urns:
                return self.urns[urn]
        return None


def _guarded(stack: StackInput) -> _Guarded:
    guarded = _Guarded()
    endpoint_keys: set[str] = set()
    other_keys: set[str] = set()
    for resource in stack.of_type(*GUARDED):
        with stack.item():
            prop, kind = GUARDED[resource.type]
            if resource.type == VPC_ENDPOINT and known(resource.props, "vpcEndpointType") != "Interface":
                continue  # gateway endpoints have no security group
            what = f"{kind} {resource.name}"
            keys = set(resource.property_dependencies.get(prop, ()))
            for urn in keys:
                guarded.add(urn, what, guarded.by_urn)
            for value in as_strs(known(resource.props, prop)):
                guarded.add(value, what, guarded.by_id)
                keys.add(value)
            (endpoint_keys if resource.type == VPC_ENDPOINT else other_keys).update(keys)
    guarded.endpoint_only = endpoint_keys - other_keys
    return guarded


def _cluster(stack: StackInput) -> _Cluster:
    cluster = _Cluster()
    for resource in stack.of_type(EKS_CLUSTER):
        cluster.urns[resource.urn] = resource.name
        with stack.item():
            cluster.extra_ids.update(as_strs(get(known(resource.props, "vpcConfig"), "securityGroupIds")))
    if not cluster.urns:
        return cluster
    # An input computed from a cluster alone that holds a group id is the cluster group (its only group output).
    for resource in stack.resources:
        for prop, deps in resource.property_dependencies.items():
            if len(deps) == 1 and deps[0] in cluster.urns:
                value = known(resource.props, prop)
                if isinstance(value, str) and value.startswith("sg-") and value not in cluster.extra_ids:
                    cluster.ids.setdefault(value, cluster.urns[deps[0]])
    return cluster


def _ports(rule: Mapping[str, Any]) -> str:
    protocol = str(rule.get("ipProtocol") or rule.get("protocol") or "?")
    if protocol in ("-1", "all"):
        return "all traffic"
    low, high = rule.get("fromPort"), rule.get("toPort")
    if isinstance(low, int | float) and isinstance(high, int | float):
        return f"{protocol}/{low:g}" if low == high else f"{protocol}/{low:g}-{high:g}"
    return protocol


def _https_only(rule: Mapping[str, Any]) -> bool:
    protocol = str(rule.get("ipProtocol") or rule.get("protocol") or "")
    return protocol in ("tcp", "6") and rule.get("fromPort") == rule.get("toPort") == ENDPOINT_PORT


def _address_sources(rule: Mapping[str, Any]) -> list[str]:
    sources = [
        f"CIDR {c}" for key in ("cidrIpv4", "cidrIpv6", "cidrBlocks", "ipv6CidrBlocks") for c in as_strs(rule.get(key))
    ]
    return sources + [f"prefix list {p}" for key in ("prefixListId", "prefixListIds") for p in as_strs(rule.get(key))]


def _guards(what: set[str]) -> str:
    """``RDS instance a, interface VPC endpoints b, c, d and 6 more``: what a group guards, by kind."""
    by_kind: dict[str, list[str]] = {}
    for item in sorted(what):
        kind, _, name = item.rpartition(" ")
        by_kind.setdefault(kind, []).append(name)
    parts = []
    for kind, names in by_kind.items():
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        parts.append(f"{kind}{'s' if len(names) > 1 else ''} {shown}")
    return "; ".join(parts)


def _check(stack: StackInput, report: StackReport) -> None:
    guarded = _guarded(stack)
    if not guarded.by_urn and not guarded.by_id:
        return
    cluster = _cluster(stack)
    names = {r.urn: r.name for r in stack.of_type(SECURITY_GROUP)}

    def verdicts(
        urn: str, rule_name: str, hit: tuple[str, set[str]], rule: Mapping[str, Any], clusters: list[str]
    ) -> None:
        key, what = hit
        label = f"security group {names.get(key, key)} (guards {_guards(what)})"
        sources = _address_sources(rule)
        if not (key in guarded.endpoint_only and _https_only(rule)):  # nodes and add-on pods reach endpoints on 443
            sources += [f"the EKS cluster security group of {name}" for name in clusters]
        for source in sources:
            report(f"{label}: ingress rule {rule_name} ({_ports(rule)}) admits {source}", urn)

    for resource in stack.of_type(INGRESS_RULE, SECURITY_GROUP_RULE):
        with stack.item():
            if resource.type == SECURITY_GROUP_RULE and known(resource.props, "type") != "ingress":
                continue
            hit = guarded.of(resource, "securityGroupId")
            if hit is None:
                continue
            peer = "referencedSecurityGroupId" if resource.type == INGRESS_RULE else "sourceSecurityGroupId"
            name = cluster.source(resource, peer, known(resource.props, peer))
            verdicts(resource.urn, resource.name, hit, resource.props, [name] if name else [])

    for group in stack.of_type(SECURITY_GROUP):
        with stack.item():
            if group.urn not in guarded.by_urn:
                continue
            for index, entry in enumerate(as_list(known(group.props, "ingress"))):
                rule = as_map(entry)
                # The inline list is one input: its dependencies cannot say which entry a cluster group came from,
                # so only literal ids are matched there.
                clusters = [cluster.ids[g] for g in as_strs(rule.get("securityGroups")) if g in cluster.ids]
                verdicts(
                    group.urn, f"{group.name}.ingress[{index}]", (group.urn, guarded.by_urn[group.urn]), rule, clusters
                )


RULE = stack_rule(
    name="ec2-security-group-destination-ingress",
    description=(
        "Security groups of databases, the warehouse and interface endpoints admit only security groups of declared "
        "callers: no CIDR, no prefix list, not the EKS cluster group (interface endpoints: the cluster group on 443)."
    ),
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Declare the flow (contracts/flows.py) so ZeroTrust admits the caller's own security group (a workload's "
        "pod group, an AWS source's group); remove CIDR, prefix-list and cluster-group ingress rules from the group."
    ),
    resource_types=(
        SECURITY_GROUP,
        SECURITY_GROUP_RULE,
        INGRESS_RULE,
        RDS_INSTANCE,
        RDS_CLUSTER,
        WORKGROUP,
        VPC_ENDPOINT,
        EKS_CLUSTER,
    ),
    check=_check,
)
