"""The connectivity matrix of a plan: what the rendered policies and security groups allow, against what was declared.

Input is an engine :class:`~mlopsctl.engine.Graph`: the captured ``NetworkPolicy`` registrations, the
security-group rules and ``SecurityGroupPolicy`` objects, and the stack outputs ``zeroTrustFlows`` /
``zeroTrustWorkloads`` / ``zeroTrustSecurityGroups`` that the ZeroTrust component describes. This module only
gathers the inputs of the two pure evaluators from the graph and presents the comparison (rich table for the
terminal, markdown for PRs). Two layers, each compared with the declared flows on its own:

- ``kubernetes``: :func:`mlopsctl.reachability.allowed_connections` over the NetworkPolicies, for flows from pods;
- ``aws``: :func:`mlopsctl.aws_reachability.evaluate` over every security-group rule (with the EKS cluster
  group's default rules) and the pods' groups (SecurityGroupPolicies), for connections to AWS destinations
  (``kind: aws`` rows), from AWS sources (``kind: awsSource`` rows), and between workloads when either end
  carries groups of its own. Anything these groups allow that no flow declares is ``unexpected``, like at the
  Kubernetes layer. AWS endpoints without a row (no security group) are left out, with an informational note.

Without ``zeroTrustSecurityGroups`` (a stack from before security groups for pods) the AWS layer is not computed
(an informational note, not a finding): only the flows from AWS sources are checked, and they count as allowed
when the plan holds both of their security-group rules (egress on the source's group, ingress on the
destination's), each naming a security group rather than a CIDR.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rich.table import Table

from contracts.flows import AwsDestination, ExternalDestination, Workload, aws_flow_rule_description
from mlopsctl import aws_reachability
from mlopsctl.aws_reachability import (
    RULE_TYPES,
    SECURITY_GROUP_POLICY_TYPE,
    SECURITY_GROUP_TYPE,
    GroupRow,
    SecurityGroupRule,
    UnsupportedSecurityGroupError,
    rules_of,
)
from mlopsctl.engine import Graph
from mlopsctl.reachability import (
    ANY_PORT,
    Connection,
    UnsupportedPolicyError,
    allowed_connections,
    destination_labels,
    source_labels,
)

NETWORK_POLICY_TYPE = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
INGRESS_RULE_TYPE = aws_reachability.INGRESS_RULE_TYPE
EGRESS_RULE_TYPE = aws_reachability.EGRESS_RULE_TYPE
NODE_GROUP_TYPE = "aws:eks/nodeGroup:NodeGroup"
SUBNET_TYPE = "aws:ec2/subnet:Subnet"
FLOWS_OUTPUT = "zeroTrustFlows"
WORKLOADS_OUTPUT = "zeroTrustWorkloads"
SECURITY_GROUPS_OUTPUT = "zeroTrustSecurityGroups"

Status = Literal["ok", "missing", "unexpected"]
Layer = Literal["kubernetes", "aws"]
LAYERS: tuple[Layer, ...] = ("kubernetes", "aws")


@dataclass(frozen=True)
class ConnectivityRow:
    """One (source, destination, port, protocol) pair of one layer that is declared, allowed, or both."""

    source: str
    destination: str
    port: int
    """Port, or 0 for every port."""
    protocol: str
    declared: bool
    allowed: bool
    layer: Layer = "kubernetes"
    """Where the connection is evaluated: NetworkPolicies (kubernetes) or security groups (aws)."""

    @property
    def status(self) -> Status:
        """ok (declared and allowed), missing (declared, blocked) or unexpected (allowed, undeclared)."""
        if self.declared and self.allowed:
            return "ok"
        return "missing" if self.declared else "unexpected"


@dataclass(frozen=True)
class LayerCounts:
    """The comparison of one layer, counted."""

    declared: int
    allowed: int
    missing: int
    unexpected: int

    def __str__(self) -> str:
        return f"{self.declared} declared, {self.allowed} allowed, {self.missing} missing, {self.unexpected} unexpected"


@dataclass(frozen=True)
class ConnectivityReport:
    """The matrix: computed connections compared with the declared flows, per layer.

    ``declared``, ``computed``, ``missing`` and ``unexpected`` are unions over the layers (a connection missing at
    either layer is missing); :attr:`rows` keep them apart (one row per layer and connection).
    """

    rows: tuple[ConnectivityRow, ...]
    """Every declared or computed connection of every layer, sorted."""
    declared: frozenset[Connection]
    computed: frozenset[Connection]
    missing: frozenset[Connection]
    """Declared but not allowed (at some layer)."""
    unexpected: frozenset[Connection]
    """Allowed but never declared (at some layer; including any reach to the internet)."""
    notes: tuple[str, ...] = ()
    """Why the matrix could not be (fully) computed, if it could not: each one is a finding."""
    aws_layer: frozenset[Connection] = frozenset()
    """The declared connections compared at the AWS layer."""
    info: tuple[str, ...] = ()
    """Informational notes that are no finding (e.g. the AWS layer was not computed for this stack)."""

    @property
    def ok(self) -> bool:
        """True when every layer allows exactly the declared flows and nothing stood in the way."""
        return not self.missing and not self.unexpected and not self.notes

    def counts(self) -> dict[Layer, LayerCounts]:
        """Declared / allowed / missing / unexpected rows per layer (layers without rows are left out)."""
        result: dict[Layer, LayerCounts] = {}
        for layer in LAYERS:
            rows = [r for r in self.rows if r.layer == layer]
            if rows:
                result[layer] = LayerCounts(
                    declared=sum(r.declared for r in rows),
                    allowed=sum(r.allowed for r in rows),
                    missing=sum(r.status == "missing" for r in rows),
                    unexpected=sum(r.status == "unexpected" for r in rows),
                )
        return result

    def to_table(self) -> Table:
        """A rich table (source, destination, port, protocol, declared, allowed, status)."""
        table = Table(title=f"Connectivity: {self._summary()}", show_lines=False)
        for column in ("Source", "Destination", "Port", "Protocol", "Declared", "Allowed", "Status"):
            table.add_column(column, justify="right" if column == "Port" else "left")
        style = {"ok": "green", "missing": "red", "unexpected": "bold red"}
        for row in self.rows:
            table.add_row(
                row.source,
                row.destination,
                _port(row.port),
                row.protocol,
                _yes(row.declared),
                _allowed(row),
                f"[{style[row.status]}]{row.status}[/]",
            )
        return table

    def to_markdown(self) -> str:
        """A GitHub-flavoured markdown table with a one-line summary (and notes) above it."""
        lines = [f"**Connectivity:** {self._summary()}", ""]
        lines += [f"> {note}" for note in (*self.notes, *self.info)]
        if self.notes or self.info:
            lines.append("")
        lines.append("| Source | Destination | Port | Protocol | Declared | Allowed | Status |")
        lines.append("|---|---|---:|---|:---:|:---:|---|")
        for row in self.rows:
            cells = [row.source, row.destination, _port(row.port), row.protocol, _yes(row.declared), _allowed(row)]
            status = row.status if row.status == "ok" else f"**{row.status}**"
            lines.append("| " + " | ".join(_md(c) for c in cells) + f" | {status} |")
        return "\n".join(lines) + "\n"

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--format json``."""
        return {
            "ok": self.ok,
            "notes": list(self.notes),
            "info": list(self.info),
            "layers": {
                layer: {
                    "declared": c.declared,
                    "allowed": c.allowed,
                    "missing": c.missing,
                    "unexpected": c.unexpected,
                }
                for layer, c in self.counts().items()
            },
            "rows": [
                {
                    "source": r.source,
                    "destination": r.destination,
                    "port": r.port,
                    "protocol": r.protocol,
                    "declared": r.declared,
                    "allowed": r.allowed,
                    "status": r.status,
                    **({"layer": r.layer} if r.layer != "kubernetes" else {}),
                }
                for r in self.rows
            ],
        }

    def _summary(self) -> str:
        verdict = "matches the declared flows" if self.ok else "DOES NOT match the declared flows"
        counts = self.counts()
        total = LayerCounts(
            declared=sum(c.declared for c in counts.values()),
            allowed=sum(c.allowed for c in counts.values()),
            missing=sum(c.missing for c in counts.values()),
            unexpected=sum(c.unexpected for c in counts.values()),
        )
        per_layer = "; ".join(f"{layer}: {c}" for layer, c in counts.items())
        return f"{verdict} ({total}{' - ' + per_layer if per_layer else ''})"


def connectivity(graph: Graph) -> ConnectivityReport:
    """Compute the connectivity matrix of ``graph`` and compare it with its declared flows, layer by layer."""
    notes: list[str] = []
    info: list[str] = []
    flow_rows = graph.outputs.get(FLOWS_OUTPUT)
    workload_rows = graph.outputs.get(WORKLOADS_OUTPUT)
    zero_trust = isinstance(flow_rows, list) and isinstance(workload_rows, list)
    if not isinstance(flow_rows, list) or not isinstance(workload_rows, list):  # (spelled out for the type checker)
        notes.append(
            f"the stack does not export {FLOWS_OUTPUT} and {WORKLOADS_OUTPUT} (lists): no ZeroTrust component to check"
        )
        flow_rows, workload_rows = [], []
    # Flows NetworkPolicies see: from pods, and from AWS resources into pods (admitted by their subnets).
    pod_rows = [row for row in flow_rows if row.get("sourceKind", "workload") == "workload" or _into_pods(row)]
    aws_rows = [row for row in flow_rows if row.get("sourceKind", "workload") != "workload"]
    destinations = _destinations(pod_rows)
    # Destinations sharing their CIDRs are one address set to a NetworkPolicy: compare under the joint label.
    labels = destination_labels(destinations)
    sources = [(str(r["source"]), [str(c) for c in r["sourceCidrs"]]) for r in flow_rows if _into_pods(r)]
    # So do AWS sources in the same subnets (both load balancers in the ingress subnets).
    starts = source_labels(sources)
    declared = frozenset((starts.get(s, s), labels.get(d, d), p, proto) for s, d, p, proto in _declared(pod_rows))
    workloads = [_workload(row) for row in workload_rows]
    policies = [_manifest(r.inputs) for r in graph.by_type(NETWORK_POLICY_TYPE)]
    try:
        computed = frozenset(allowed_connections(policies, workloads, destinations, sources))
    except UnsupportedPolicyError as error:
        notes.append(f"cannot evaluate the NetworkPolicies: {error}")
        computed = frozenset()

    group_rows = graph.outputs.get(SECURITY_GROUPS_OUTPUT)
    if zero_trust and group_rows is None:
        info.append(
            f"AWS layer not computed: the stack does not export {SECURITY_GROUPS_OUTPUT}; only the flows from AWS "
            "sources are checked, by their two security-group rules"
        )
    if group_rows is None or not zero_trust:
        aws_declared = frozenset(_declared(aws_rows))
        aws_allowed = frozenset(conn for conn in aws_declared if _security_groups_allow(graph, conn))
        return build_report(declared | aws_declared, computed | aws_allowed, notes, aws_layer=aws_declared, info=info)
    aws_declared, aws_allowed = _aws_layer(graph, group_rows, flow_rows, workloads, notes, info)
    return build_report(declared, computed, notes, aws_declared=aws_declared, aws_computed=aws_allowed, info=info)


def build_report(
    declared: frozenset[Connection],
    computed: frozenset[Connection],
    notes: Sequence[str] = (),
    *,
    aws_layer: frozenset[Connection] = frozenset(),
    aws_declared: frozenset[Connection] = frozenset(),
    aws_computed: frozenset[Connection] = frozenset(),
    info: Sequence[str] = (),
) -> ConnectivityReport:
    """The report comparing ``declared`` with ``computed`` connections.

    ``declared``/``computed`` are the Kubernetes layer's, except the connections in ``aws_layer``: flows from AWS
    sources checked by their rules when the AWS layer is not computed (their rows are marked ``aws``).
    ``aws_declared``/``aws_computed`` are the AWS layer's, when it is computed.
    """
    layered: dict[tuple[Layer, Connection], tuple[bool, bool]] = {}
    for conn in declared | computed:
        layer: Layer = "aws" if conn in aws_layer else "kubernetes"
        layered[(layer, conn)] = (conn in declared, conn in computed)
    for conn in aws_declared | aws_computed:
        layered[("aws", conn)] = (conn in aws_declared, conn in aws_computed)
    rows = tuple(
        ConnectivityRow(*conn, declared=flags[0], allowed=flags[1], layer=layer)
        for (layer, conn), flags in sorted(layered.items(), key=lambda item: (item[0][1], LAYERS.index(item[0][0])))
    )
    return ConnectivityReport(
        rows=rows,
        declared=declared | aws_declared,
        computed=computed | aws_computed,
        missing=(declared - computed) | (aws_declared - aws_computed),
        unexpected=(computed - declared) | (aws_computed - aws_declared),
        notes=tuple(notes),
        aws_layer=aws_layer | aws_declared,
        info=tuple(info),
    )


def _aws_layer(
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
        sg_policies = [_manifest(r.inputs) for r in graph.by_type(SECURITY_GROUP_POLICY_TYPE)]
        layer = aws_reachability.evaluate(rules, sg_policies, workloads, rows, flow_rows, pod_cidrs=_pod_cidrs(graph))
    except UnsupportedSecurityGroupError as error:
        notes.append(f"cannot evaluate the security groups: {error}")
        forced = {c for row in flow_rows if _always_aws(row) for c in _declared([row])}
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
        for s, d, p, proto in _declared([row])
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


def _into_pods(row: Mapping[str, Any]) -> bool:
    """A flow from an AWS resource to pods (a load balancer): pods admit its subnets (``sourceCidrs``)."""
    return row.get("sourceKind") == "aws" and row.get("destinationKind") == "workload" and bool(row.get("sourceCidrs"))


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


def _security_groups_allow(graph: Graph, connection: Connection) -> bool:
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


def _declared(rows: Sequence[Mapping[str, Any]]) -> set[Connection]:
    return {(str(r["source"]), str(r["destination"]), int(r["port"]), str(r.get("protocol", "TCP"))) for r in rows}


def _workload(row: Mapping[str, Any]) -> Workload:
    return Workload.of(str(row["name"]), str(row["namespace"]), dict(row.get("labels") or {}))


def _destinations(rows: Sequence[Mapping[str, Any]]) -> list[AwsDestination | ExternalDestination]:
    """AWS and external destinations of the declared flows, so ipBlocks are reported by name."""
    found: dict[str, AwsDestination | ExternalDestination] = {}
    for row in rows:
        cidrs = tuple(row.get("destinationCidrs") or ())
        kind = row.get("destinationKind")
        if cidrs and kind in ("aws", "external"):
            name = str(row["destination"])
            found.setdefault(
                name, AwsDestination(name=name, cidrs=cidrs) if kind == "aws" else ExternalDestination(name, cidrs)
            )
    return [found[name] for name in sorted(found)]


def _manifest(inputs: Mapping[str, Any]) -> dict[str, Any]:
    return {"metadata": inputs.get("metadata") or {}, "spec": inputs.get("spec") or {}}


def _port(port: int) -> str:
    return "any" if port == ANY_PORT else str(port)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _allowed(row: ConnectivityRow) -> str:
    """The Allowed cell: AWS-layer rows say what allows them (security groups, not NetworkPolicies)."""
    return f"{_yes(row.allowed)} (security groups)" if row.layer == "aws" else _yes(row.allowed)


def _md(text: str) -> str:
    return text.replace("|", "\\|")
