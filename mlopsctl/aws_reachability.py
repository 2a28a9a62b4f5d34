"""Who can actually talk to whom through AWS security groups: a pure evaluator (the AWS layer of the matrix).

AWS semantics (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html and
``security-group-rules.html``):

- rules only allow, and are additive: a network interface carrying several groups gets the union of their rules;
- groups are stateful, so a connection needs an **egress** allowance on one of the source's groups (naming the
  destination) AND an **ingress** allowance on one of the destination's groups (naming the source); replies are
  implicit;
- a rule's peer is a security group (every interface carrying it), a CIDR, or a managed prefix list;
- protocol ``-1`` is every protocol on every port; ``tcp``/``udp``/``sctp`` rules carry a port range
  ``fromPort``-``toPort``;
- a group without egress rules allows no egress: AWS adds an allow-all egress rule to every new group, but the
  Terraform AWS provider (and so pulumi-aws) deletes it on create (``aws_security_group``, "NOTE on Egress
  rules"). The EKS *cluster* security group is created by EKS, not by the program, with two rules the plan does
  not show (https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html): all traffic from itself, and
  all traffic to ``0.0.0.0/0``; :func:`eks_cluster_default_rules` supplies them.

Security groups for pods (https://docs.aws.amazon.com/eks/latest/userguide/security-groups-for-pods.html,
``sg-pods-example-deployment.html``): a pod matched by ``SecurityGroupPolicy`` objects of its namespace
(``spec.podSelector``, Kubernetes label-selector semantics, an empty selector matching every pod) gets a branch
network interface carrying the union of their ``spec.securityGroups.groupIds`` and nothing else; any other pod
shares its node's primary interface, which carries the cluster security group (as do the nodes).

Model and assumptions (each one over-approximates reachability where the plan cannot tell):

- each :class:`~contracts.flows.Workload` is a set of pods carrying exactly its labels, all with the same groups;
- traffic between two pods of the same node never reaches a network interface, so security groups do not filter
  it in the VPC CNI's standard enforcing mode (``POD_SECURITY_GROUP_ENFORCING_MODE=standard``). This evaluator
  ignores that case and treats every pod-to-pod connection as crossing interfaces; NetworkPolicies
  (:mod:`mlopsctl.reachability`) are what guards same-node traffic;
- a CIDR peer admits an endpoint when it overlaps any of the endpoint's address blocks (a pod may hold any
  address of its subnets); an endpoint whose addresses are unknown is admitted by every CIDR peer; a prefix list
  whose CIDRs are not given admits every endpoint;
- network ACLs are not modelled (taken as allow-all, the VPC default);
- protocols without ports (ICMP, ...) are ignored; ``-1`` is reported as TCP, UDP and SCTP on every port.

Ports follow :mod:`mlopsctl.reachability`: :data:`~mlopsctl.reachability.ANY_PORT` (0) is the whole 1-65535 range,
narrower ranges are listed port by port. ``serviceAccountSelector`` (pods selected through their service account)
cannot be resolved from the flow graph and raises :class:`UnsupportedSecurityGroupError`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from contracts.flows import Workload
from mlopsctl.reachability import (
    PROTOCOLS,
    Connection,
    PortRange,
    expand_ports,
    intersect_ranges,
    selector_matches,
)

Direction = Literal["ingress", "egress"]
ALL_PROTOCOLS = "ALL"
"""Protocol of a ``-1`` rule: every protocol, every port."""

SECURITY_GROUP_TYPE = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE_TYPE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE_TYPE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE_TYPE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
RULE_TYPES = (SECURITY_GROUP_TYPE, SECURITY_GROUP_RULE_TYPE, INGRESS_RULE_TYPE, EGRESS_RULE_TYPE)
"""Every resource type that carries security-group rules."""
SECURITY_GROUP_POLICY_TYPE = "kubernetes:vpcresources.k8s.aws/v1beta1:SecurityGroupPolicy"

# Row kinds of the ``zeroTrustSecurityGroups`` stack output.
KIND_WORKLOAD = "workload"
KIND_AWS = "aws"
KIND_AWS_SOURCE = "awsSource"
KIND_CLUSTER = "cluster"
KIND_SHARED = "shared"
KINDS = (KIND_WORKLOAD, KIND_AWS, KIND_AWS_SOURCE, KIND_CLUSTER, KIND_SHARED)

_PROTOCOL_NAMES = {
    "-1": ALL_PROTOCOLS,
    "all": ALL_PROTOCOLS,
    "tcp": "TCP",
    "6": "TCP",
    "udp": "UDP",
    "17": "UDP",
    "sctp": "SCTP",
    "132": "SCTP",
}
_Range = PortRange


class UnsupportedSecurityGroupError(ValueError):
    """The inputs use a feature this evaluator cannot decide (service-account selectors, malformed rows)."""


@dataclass(frozen=True)
class SecurityGroupRule:
    """One rule of one security group, with exactly one peer."""

    group_id: str
    """The group the rule belongs to."""
    direction: Direction
    protocol: str
    """``TCP``, ``UDP``, ``SCTP`` or :data:`ALL_PROTOCOLS`."""
    from_port: int = 1
    to_port: int = 65535
    peer_group: str | None = None
    """The peer security group (``referencedSecurityGroupId``, ``sourceSecurityGroupId``, ``self``)."""
    peer_cidr: str | None = None
    peer_prefix_list: str | None = None
    name: str = ""
    """Where the rule comes from (resource name), for messages."""

    def ranges(self) -> frozenset[_Range]:
        """The (protocol, first, last) ranges the rule allows."""
        if self.protocol == ALL_PROTOCOLS:
            return frozenset((p, 1, 65535) for p in PROTOCOLS)
        return frozenset({(self.protocol, self.from_port, self.to_port)})


@dataclass(frozen=True)
class Endpoint:
    """A source or destination at the AWS layer: the groups its network interfaces carry and its addresses."""

    name: str
    groups: frozenset[str]
    cidrs: tuple[str, ...] | None = None
    """Address blocks it may hold; None: unknown (every CIDR peer admits it)."""


@dataclass(frozen=True)
class GroupRow:
    """One row of the ``zeroTrustSecurityGroups`` stack output."""

    name: str
    kind: str
    """workload | aws | awsSource | cluster | shared."""
    security_group_id: str
    cidrs: tuple[str, ...] | None = None
    """Optional ``cidrs`` of the row (where an AWS source's interfaces live)."""

    @staticmethod
    def parse(row: Any) -> GroupRow:
        """A row from its plain form; raises :class:`UnsupportedSecurityGroupError` naming what is wrong."""
        if not isinstance(row, Mapping):
            raise UnsupportedSecurityGroupError(f"zeroTrustSecurityGroups: a row is not an object: {row!r}")
        name, kind, group = row.get("name"), row.get("kind"), row.get("securityGroupId")
        if not isinstance(name, str) or not isinstance(group, str) or kind not in KINDS:
            raise UnsupportedSecurityGroupError(
                f"zeroTrustSecurityGroups: row {dict(row)!r} needs a name, a securityGroupId (strings) and a kind "
                f"in {list(KINDS)}"
            )
        cidrs = row.get("cidrs")
        return GroupRow(name, str(kind), group, tuple(str(c) for c in cidrs) if isinstance(cidrs, list) else None)


@dataclass(frozen=True)
class AwsLayer:
    """The evaluated AWS layer: the connections security groups allow, and who carries which groups."""

    connections: frozenset[Connection]
    """Every allowed (source, destination, port, protocol) from :attr:`sources` to :attr:`destinations`."""
    sources: tuple[Endpoint, ...]
    destinations: tuple[Endpoint, ...]
    pod_groups: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Workload name -> the groups its pods carry."""
    own_groups: frozenset[str] = frozenset()
    """Workloads whose pods carry groups from a SecurityGroupPolicy (not the cluster group)."""
    aws_destinations: frozenset[str] = frozenset()
    """Names of the AWS destinations (``kind: aws`` rows)."""
    aws_sources: frozenset[str] = frozenset()
    """Names of the AWS sources (``kind: awsSource`` rows)."""
    cluster_groups: frozenset[str] = frozenset()
    """The EKS cluster group(s) (``kind: cluster`` rows)."""


# --- rules from resource inputs -------------------------------------------------------------------------------


def rules_of(
    type_: str, inputs: Mapping[str, Any], *, name: str = "", group_id: str | None = None
) -> list[SecurityGroupRule]:
    """The rules a resource declares, one per peer.

    Handles ``SecurityGroupIngressRule``/``SecurityGroupEgressRule`` (``aws.vpc``), ``SecurityGroupRule`` and the
    inline ``ingress``/``egress`` lists of ``SecurityGroup`` (``aws.ec2``); ``group_id`` is that group's id (an
    output, so the caller resolves it; its inline rules are skipped without it). Other types give no rule.
    """
    if type_ in (INGRESS_RULE_TYPE, EGRESS_RULE_TYPE):
        direction: Direction = "ingress" if type_ == INGRESS_RULE_TYPE else "egress"
        owner = inputs.get("securityGroupId")
        if not isinstance(owner, str):
            return []
        return _with_peers(
            owner,
            direction,
            inputs.get("ipProtocol"),
            inputs.get("fromPort"),
            inputs.get("toPort"),
            name,
            groups=_strs(inputs.get("referencedSecurityGroupId")),
            cidrs=_strs(inputs.get("cidrIpv4")) + _strs(inputs.get("cidrIpv6")),
            prefix_lists=_strs(inputs.get("prefixListId")),
        )
    if type_ == SECURITY_GROUP_RULE_TYPE:
        owner, direction_raw = inputs.get("securityGroupId"), inputs.get("type")
        if not isinstance(owner, str) or direction_raw not in ("ingress", "egress"):
            return []
        peers = _strs(inputs.get("sourceSecurityGroupId")) + ([owner] if inputs.get("self") is True else [])
        return _with_peers(
            owner,
            "ingress" if direction_raw == "ingress" else "egress",
            inputs.get("protocol"),
            inputs.get("fromPort"),
            inputs.get("toPort"),
            name,
            groups=peers,
            cidrs=_strs(inputs.get("cidrBlocks")) + _strs(inputs.get("ipv6CidrBlocks")),
            prefix_lists=_strs(inputs.get("prefixListIds")),
        )
    if type_ == SECURITY_GROUP_TYPE and group_id is not None:
        rules: list[SecurityGroupRule] = []
        for key in ("ingress", "egress"):
            entries = inputs.get(key)
            for index, entry in enumerate(entries if isinstance(entries, list) else []):
                if not isinstance(entry, Mapping):
                    continue
                peers = _strs(entry.get("securityGroups")) + ([group_id] if entry.get("self") is True else [])
                rules += _with_peers(
                    group_id,
                    "ingress" if key == "ingress" else "egress",
                    entry.get("protocol"),
                    entry.get("fromPort"),
                    entry.get("toPort"),
                    f"{name}.{key}[{index}]",
                    groups=peers,
                    cidrs=_strs(entry.get("cidrBlocks")) + _strs(entry.get("ipv6CidrBlocks")),
                    prefix_lists=_strs(entry.get("prefixListIds")),
                )
        return rules
    return []


def eks_cluster_default_rules(group_id: str) -> list[SecurityGroupRule]:
    """The two rules EKS puts on the cluster security group it creates (not part of any program's plan):
    all traffic from the group itself, all traffic to anywhere
    (https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html)."""
    return [
        SecurityGroupRule(group_id, "ingress", ALL_PROTOCOLS, peer_group=group_id, name="eks-default-ingress-self"),
        SecurityGroupRule(group_id, "egress", ALL_PROTOCOLS, peer_cidr="0.0.0.0/0", name="eks-default-egress-all"),
        SecurityGroupRule(group_id, "egress", ALL_PROTOCOLS, peer_cidr="::/0", name="eks-default-egress-all-v6"),
    ]


def _with_peers(
    owner: str,
    direction: Direction,
    protocol_raw: Any,
    from_raw: Any,
    to_raw: Any,
    name: str,
    *,
    groups: Sequence[str],
    cidrs: Sequence[str],
    prefix_lists: Sequence[str],
) -> list[SecurityGroupRule]:
    protocol = _PROTOCOL_NAMES.get(str(protocol_raw).strip().lower()) if protocol_raw is not None else None
    if protocol is None:
        return []  # ICMP and other protocols without ports: out of this model
    low, high = _port_range(protocol, from_raw, to_raw)
    if low > high:
        return []

    def rule(group: str | None = None, cidr: str | None = None, prefix_list: str | None = None) -> SecurityGroupRule:
        return SecurityGroupRule(owner, direction, protocol, low, high, group, cidr, prefix_list, name)

    rules = [rule(group=g) for g in groups]
    rules += [rule(cidr=_normal(c)) for c in cidrs]
    rules += [rule(prefix_list=p) for p in prefix_lists]
    return rules


def _port_range(protocol: str, from_raw: Any, to_raw: Any) -> tuple[int, int]:
    if protocol == ALL_PROTOCOLS:
        return 1, 65535
    low, high = _int(from_raw), _int(to_raw)
    if (low is None or low < 0) and (high is None or high < 0):  # missing or -1: every port
        return 1, 65535
    if low is None or low < 0:
        low = 1
    if high is None or high < 0:
        high = low
    return max(low, 1), min(high, 65535)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value))
        except ValueError:
            return None
    return None


def _strs(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list | tuple):
        return [v for v in value if isinstance(v, str) and v]
    return []


# --- pods' groups ---------------------------------------------------------------------------------------------


def pod_security_groups(
    workload: Workload, policies: Sequence[Mapping[str, Any]], default_groups: frozenset[str]
) -> tuple[frozenset[str], bool]:
    """The groups ``workload``'s pods carry, and whether they come from SecurityGroupPolicies.

    The union of ``spec.securityGroups.groupIds`` of every policy in the workload's namespace whose
    ``podSelector`` matches its labels; ``default_groups`` (the cluster group) when none matches.
    """
    groups: set[str] = set()
    matched = False
    for policy in policies:
        meta = policy.get("metadata") or {}
        spec = policy.get("spec") or {}
        if str(meta.get("namespace") or "default") != workload.namespace:
            continue
        name = meta.get("name", "?")
        if spec.get("serviceAccountSelector") is not None:
            raise UnsupportedSecurityGroupError(
                f"SecurityGroupPolicy {workload.namespace}/{name}: serviceAccountSelector cannot be resolved from the "
                "flow graph's workloads; select pods with podSelector"
            )
        if "podSelector" not in spec:
            raise UnsupportedSecurityGroupError(
                f"SecurityGroupPolicy {workload.namespace}/{name}: no podSelector (EKS requires one selector)"
            )
        if selector_matches(spec.get("podSelector"), workload.selector):
            matched = True
            groups.update(_strs((spec.get("securityGroups") or {}).get("groupIds")))
    return (frozenset(groups), True) if matched else (default_groups, False)


# --- evaluation -----------------------------------------------------------------------------------------------


def allowed_connections(
    rules: Iterable[SecurityGroupRule],
    sources: Sequence[Endpoint],
    destinations: Sequence[Endpoint],
    *,
    prefix_lists: Mapping[str, Sequence[str]] | None = None,
) -> set[Connection]:
    """Every (source, destination, port, protocol) the rules allow from ``sources`` to ``destinations``.

    A source and a destination with the same name (a workload talking to its own pods) are evaluated like any
    other pair.
    """
    egress: dict[str, list[SecurityGroupRule]] = {}
    ingress: dict[str, list[SecurityGroupRule]] = {}
    for rule in rules:
        (egress if rule.direction == "egress" else ingress).setdefault(rule.group_id, []).append(rule)
    known_lists = {k: tuple(_normal(c) for c in v) for k, v in (prefix_lists or {}).items()}
    result: set[Connection] = set()
    for src in sources:
        out_rules = [r for g in sorted(src.groups) for r in egress.get(g, ())]
        if not out_rules:
            continue
        for dst in destinations:
            out = _ranges(out_rules, dst, known_lists)
            if not out:
                continue
            into = _ranges([r for g in sorted(dst.groups) for r in ingress.get(g, ())], src, known_lists)
            for port, protocol in expand_ports(intersect_ranges(out, into)):
                result.add((src.name, dst.name, port, protocol))
    return result


def evaluate(
    rules: Iterable[SecurityGroupRule],
    security_group_policies: Sequence[Mapping[str, Any]],
    workloads: Sequence[Workload],
    group_rows: Sequence[GroupRow],
    flow_rows: Sequence[Mapping[str, Any]] = (),
    *,
    pod_cidrs: Sequence[str] | None = None,
    prefix_lists: Mapping[str, Sequence[str]] | None = None,
    eks_defaults: bool = True,
) -> AwsLayer:
    """The AWS layer of a stack from its rules, SecurityGroupPolicies, workloads and ``zeroTrustSecurityGroups``.

    Sources: every workload (its pods' groups, addresses ``pod_cidrs``) and every ``awsSource`` row (addresses:
    its optional ``cidrs``). Destinations: every ``aws`` row (addresses: the ``destinationCidrs`` of the declared
    flows to it when they are ``aws`` flows, else its optional ``cidrs``) and every workload. The ``cluster`` row
    is not an endpoint of its own: it is the group of pods no SecurityGroupPolicy matches (the nodes, which EKS
    manages, are not evaluated unless an ``awsSource`` row names their group); ``eks_defaults`` adds
    :func:`eks_cluster_default_rules` for its group. ``workload`` and ``shared`` rows are not read: what pods carry
    is what the SecurityGroupPolicies attach (a workload whose row names a group no policy attaches shows up as
    its declared flows being blocked).
    """
    cluster_groups = frozenset(r.security_group_id for r in group_rows if r.kind == KIND_CLUSTER)
    all_rules = list(rules)
    if eks_defaults:
        for group in sorted(cluster_groups):
            all_rules += eks_cluster_default_rules(group)
    pods = tuple(pod_cidrs) if pod_cidrs is not None else None
    pod_groups: dict[str, frozenset[str]] = {}
    own: set[str] = set()
    for workload in workloads:
        groups, from_policy = pod_security_groups(workload, security_group_policies, cluster_groups)
        pod_groups[workload.name] = groups
        if from_policy:
            own.add(workload.name)
    destination_cidrs: dict[str, list[str]] = {}
    for row in flow_rows:
        if row.get("destinationKind") == KIND_AWS:
            destination_cidrs.setdefault(str(row["destination"]), []).extend(
                str(c) for c in row.get("destinationCidrs") or ()
            )
    by_name: dict[str, set[str]] = {}
    for group_row in group_rows:
        by_name.setdefault(f"{group_row.kind}:{group_row.name}", set()).add(group_row.security_group_id)

    def row_endpoint(row: GroupRow, cidrs: tuple[str, ...] | None) -> Endpoint:
        return Endpoint(row.name, frozenset(by_name[f"{row.kind}:{row.name}"]), cidrs)

    workload_endpoints = [Endpoint(w.name, pod_groups[w.name], pods) for w in workloads]
    aws_sources = {r.name: row_endpoint(r, r.cidrs) for r in group_rows if r.kind == KIND_AWS_SOURCE}
    aws_destinations = {
        r.name: row_endpoint(
            r, tuple(sorted(set(destination_cidrs[r.name]))) if destination_cidrs.get(r.name) else r.cidrs
        )
        for r in group_rows
        if r.kind == KIND_AWS
    }
    sources = (*workload_endpoints, *(aws_sources[n] for n in sorted(aws_sources)))
    destinations = (*(aws_destinations[n] for n in sorted(aws_destinations)), *workload_endpoints)
    connections = allowed_connections(all_rules, sources, destinations, prefix_lists=prefix_lists)
    return AwsLayer(
        connections=frozenset(connections),
        sources=sources,
        destinations=destinations,
        pod_groups=pod_groups,
        own_groups=frozenset(own),
        aws_destinations=frozenset(aws_destinations),
        aws_sources=frozenset(aws_sources),
        cluster_groups=cluster_groups,
    )


def destination_labels(layer: AwsLayer) -> dict[str, str]:
    """The name each AWS destination is reported under: its own, or ``"a / b"`` for destinations whose interfaces
    carry the same groups (security groups cannot tell them apart, e.g. the EKS API endpoint and the Kubernetes
    API Service, both the control plane's ENIs)."""
    aws = [d for d in layer.destinations if d.name in layer.aws_destinations]
    groups: dict[frozenset[str], set[str]] = {}
    for dest in aws:
        groups.setdefault(dest.groups, set()).add(dest.name)
    return {name: " / ".join(sorted(names)) for names in groups.values() for name in names}


def _ranges(
    rules: Sequence[SecurityGroupRule], peer: Endpoint, prefix_lists: Mapping[str, tuple[str, ...]]
) -> frozenset[_Range]:
    allowed: set[_Range] = set()
    for rule in rules:
        if _admits(rule, peer, prefix_lists):
            allowed |= rule.ranges()
    return frozenset(allowed)


def _admits(rule: SecurityGroupRule, peer: Endpoint, prefix_lists: Mapping[str, tuple[str, ...]]) -> bool:
    if rule.peer_group is not None:
        return rule.peer_group in peer.groups
    if rule.peer_cidr is not None:
        return peer.cidrs is None or any(_overlaps(rule.peer_cidr, c) for c in peer.cidrs)
    if rule.peer_prefix_list is not None:
        cidrs = prefix_lists.get(rule.peer_prefix_list)
        if cidrs is None or peer.cidrs is None:
            return True  # unknown contents or addresses: over-approximate
        return any(_overlaps(a, b) for a in cidrs for b in peer.cidrs)
    return False


@lru_cache(maxsize=4096)
def _overlaps(a: str, b: str) -> bool:
    na, nb = ipaddress.ip_network(a, strict=False), ipaddress.ip_network(b, strict=False)
    return na.version == nb.version and na.overlaps(nb)


def _normal(cidr: str) -> str:
    try:
        return str(ipaddress.ip_network(cidr, strict=False))
    except ValueError as error:
        raise UnsupportedSecurityGroupError(f"not a CIDR: {cidr!r}") from error
