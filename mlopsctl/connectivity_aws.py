"""The AWS layer of the connectivity matrix: what security groups allow, gathered from a plan's graph.

The evaluation itself is :func:`mlopsctl.aws_reachability.evaluate` (pure); this module reads its inputs from
the graph (every rule form, the ``SecurityGroupPolicy`` objects, the ``zeroTrustSecurityGroups`` rows, the pods'
subnets), scopes the result to what the flow graph speaks about, and states the baseline every workload gets
(DNS, EKS's own node and control-plane rule). :mod:`mlopsctl.connectivity` compares it with the declared flows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from contracts.flows import Workload, aws_flow_rule_description
from mlopsctl import aws_reachability
from mlopsctl.aws_reachability import (
    EGRESS_RULE_TYPE,
    INGRESS_RULE_TYPE,
    RULE_TYPES,
    SECURITY_GROUP_POLICY_TYPE,
    SECURITY_GROUP_TYPE,
    GroupRow,
    SecurityGroupRule,
    UnsupportedSecurityGroupError,
    rules_of,
)
from mlopsctl.engine import Graph
from mlopsctl.reachability import Connection

NODE_GROUP_TYPE = "aws:eks/nodeGroup:NodeGroup"
SUBNET_TYPE = "aws:ec2/subnet:Subnet"
SECURITY_GROUPS_OUTPUT = "zeroTrustSecurityGroups"


def aws_layer(
    graph: Graph,
    group_rows: Any,
    flow_rows: Sequence[Mapping[str, Any]],
    workloads: Sequence[Workload],
    notes: list[str],
    info: list[str],
) -> tuple[frozenset[Connection], frozenset[Connection]]:
    """Declared and computed connections of the AWS layer (security groups)."""
    try:
        if not isinstance(group_rows, list):
            raise UnsupportedSecurityGroupError(f"{SECURITY_GROUPS_OUTPUT} is not a list")
        rows = [GroupRow.parse(row) for row in group_rows]
        rules = _security_group_rules(graph, info)
        sg_policies = [manifest(r.inputs) for r in graph.by_type(SECURITY_GROUP_POLICY_TYPE)]
        layer = aws_reachability.evaluate(rules, sg_policies, workloads, rows, flow_rows, pod_cidrs=_pod_cidrs(graph))
    except UnsupportedSecurityGroupError as error:
        notes.append(f"cannot evaluate the security groups: {error}")
        forced = {c for row in flow_rows if _always_aws(row) for c in declared_connections([row])}
        return frozenset(forced), frozenset()
    labels = {**aws_reachability.destination_labels(layer), **_source_labels(layer)}
    # Workloads whose group ZeroTrust declares to be the cluster group (``own_security_group=False``: controllers
    # installed with the cluster) are the nodes at this layer, whose flows the ``nodes`` source declares;
    # NetworkPolicies tell them apart. A workload that should have a group of its own and lacks one stays in scope.
    node_identity = {
        r.name for r in rows if r.kind == aws_reachability.KIND_WORKLOAD and r.security_group_id in layer.cluster_groups
    }
    workload_names = {w.name for w in workloads} - node_identity

    def in_scope(source: str, destination: str) -> bool:
        if source not in workload_names and source not in layer.aws_sources:
            return False
        if destination in layer.aws_destinations:
            return True
        if destination in workload_names:
            return source in layer.aws_sources or source in layer.own_groups or destination in layer.own_groups
        return False

    declared = {
        (labels.get(s, s), labels.get(d, d), p, proto)
        for row in flow_rows
        for s, d, p, proto in declared_connections([row])
        if in_scope(s, d)
    }
    # An AWS endpoint without a row has no security group (e.g. an AwsDestination declared without one): security
    # groups cannot say anything about its flows, so they are not compared at this layer.
    aws_ends = {str(row["destination"]) for row in flow_rows if row.get("destinationKind") == "aws"}
    aws_starts = {str(row["source"]) for row in flow_rows if row.get("sourceKind") == "aws"}
    unknown = sorted((aws_ends - layer.aws_destinations) | (aws_starts - layer.aws_sources))
    if unknown:
        info.append(
            f"not checked at the AWS layer: the flows of {', '.join(unknown)}, which {SECURITY_GROUPS_OUTPUT} gives "
            "no security group"
        )
    computed = {
        (labels.get(s, s), labels.get(d, d), p, proto) for s, d, p, proto in layer.connections if in_scope(s, d)
    }
    declared |= {
        (labels.get(s, s), labels.get(d, d), p, proto)
        for s, d, p, proto in layer.connections
        if in_scope(s, d) and _baseline(layer, s, d, p)
    }
    return frozenset(declared), frozenset(computed)


def _source_labels(layer: aws_reachability.AwsLayer) -> dict[str, str]:
    """The name each AWS source is reported under: its own, or ``"a / b"`` for sources whose interfaces carry the
    same groups (security groups cannot tell them apart: the EKS control plane's ENIs and the nodes)."""
    groups: dict[frozenset[str], set[str]] = {}
    for source in layer.sources:
        if source.name in layer.aws_sources:
            groups.setdefault(source.groups, set()).add(source.name)
    return {name: " / ".join(sorted(names)) for names in groups.values() for name in names}


DNS_PORT = 53


def _baseline(layer: aws_reachability.AwsLayer, source: str, destination: str, port: int) -> bool:
    """Connections the platform grants every workload outside the flow graph, as the Kubernetes layer does with
    its per-namespace DNS policy:

    - DNS: pods with their own group also carry the shared ``pod-dns`` group, whose only rules reach the cluster
      group on 53 (CoreDNS keeps the cluster group, which the control-plane ENIs carry too, so they share a label);
    - the cluster group admitting itself: EKS's own rule between the nodes and the control plane, not ours to
      narrow (https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html).
    """
    ends = {e.name: e.groups for e in (*layer.sources, *layer.destinations)}
    cluster = layer.cluster_groups
    if not cluster or not ends.get(destination, frozenset()) <= cluster:
        return False
    if port == DNS_PORT and source in layer.own_groups:
        return True
    return source in layer.aws_sources and ends.get(source, frozenset()) <= cluster


def _always_aws(row: Mapping[str, Any]) -> bool:
    """Flows only security groups can enforce end to end: to AWS destinations, from AWS sources."""
    return row.get("destinationKind") == "aws" or row.get("sourceKind") == "aws"


def _security_group_rules(graph: Graph, info: list[str]) -> list[SecurityGroupRule]:
    """Every rule of the plan, in all three forms; inline rules of groups whose id the plan does not show are
    left out (with an informational note)."""
    ids = _security_group_ids(graph)
    rules: list[SecurityGroupRule] = []
    unresolved = []
    for resource in graph.resources:
        if resource.type not in RULE_TYPES:
            continue
        group_id = ids.get(resource.urn) if resource.type == SECURITY_GROUP_TYPE else None
        if resource.type == SECURITY_GROUP_TYPE and group_id is None:
            if resource.inputs.get("ingress") or resource.inputs.get("egress"):
                unresolved.append(resource.name)
            continue
        rules += rules_of(resource.type, resource.inputs, name=resource.name, group_id=group_id)
    if unresolved:
        info.append(
            f"inline rules of security group(s) {', '.join(sorted(unresolved))} left out: no resource of the plan "
            "references their id"
        )
    return rules


def _security_group_ids(graph: Graph) -> dict[str, str]:
    """URN -> id of the security groups whose id some input holds (a plan records inputs only: an input computed
    from exactly one security group that holds one ``sg-`` string is that group's id)."""
    groups = {r.urn for r in graph.by_type(SECURITY_GROUP_TYPE)}
    ids: dict[str, str] = {}
    for resource in graph.resources:
        for key, deps in resource.property_dependencies.items():
            if len(deps) != 1 or deps[0] not in groups:
                continue
            value = resource.inputs.get(key)
            values = value if isinstance(value, list) else [value]
            if len(values) == 1 and isinstance(values[0], str) and values[0].startswith("sg-"):
                ids.setdefault(deps[0], values[0])
    return ids


def _pod_cidrs(graph: Graph) -> list[str] | None:
    """The CIDRs pods get addresses from: the subnets of the EKS node groups (the VPC CNI without custom
    networking gives pods addresses of their node's subnet). None when the plan does not show them."""
    subnets = {r.urn: r.inputs.get("cidrBlock") for r in graph.by_type(SUBNET_TYPE)}
    cidrs = {
        str(subnets[urn])
        for group in graph.by_type(NODE_GROUP_TYPE)
        for urn in group.property_dependencies.get("subnetIds", ())
        if isinstance(subnets.get(urn), str)
    }
    return sorted(cidrs) or None


def security_groups_allow(graph: Graph, connection: Connection) -> bool:
    """Whether the plan holds both security-group rules of a flow from an AWS source (group to group)."""
    description = aws_flow_rule_description(*connection)
    sides = []
    for rule_type in (EGRESS_RULE_TYPE, INGRESS_RULE_TYPE):
        rules = [r.inputs for r in graph.by_type(rule_type) if r.inputs.get("description") == description]
        sides.append(
            any(
                r.get("referencedSecurityGroupId")
                and not (r.get("cidrIpv4") or r.get("cidrIpv6") or r.get("prefixListId"))
                and r.get("ipProtocol") == connection[3].lower()
                and r.get("fromPort") == r.get("toPort") == connection[2]
                for r in rules
            )
        )
    return all(sides)


def declared_connections(rows: Sequence[Mapping[str, Any]]) -> set[Connection]:
    return {(str(r["source"]), str(r["destination"]), int(r["port"]), str(r.get("protocol", "TCP"))) for r in rows}


def manifest(inputs: Mapping[str, Any]) -> dict[str, Any]:
    return {"metadata": inputs.get("metadata") or {}, "spec": inputs.get("spec") or {}}
