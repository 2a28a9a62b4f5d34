"""The connectivity matrix of a plan: what the rendered policies and security groups allow, against what was declared.

Input is an engine :class:`~mlopsctl.engine.Graph`: the captured ``NetworkPolicy`` registrations, the
security-group rules and ``SecurityGroupPolicy`` objects, and the stack outputs ``zeroTrustFlows`` /
``zeroTrustWorkloads`` / ``zeroTrustSecurityGroups`` that the ZeroTrust component describes. This module gathers
the Kubernetes layer's inputs (:mod:`mlopsctl.connectivity_aws` the AWS layer's) and presents the comparison
(rich table for the terminal, markdown for PRs). Two layers, each compared with the declared flows on its own:

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

from contracts.flows import AwsDestination, ExternalDestination, Workload
from mlopsctl import aws_reachability
from mlopsctl.connectivity_aws import (
    SECURITY_GROUPS_OUTPUT,
    aws_layer,
    declared_connections,
    manifest,
    security_groups_allow,
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
FLOWS_OUTPUT = "zeroTrustFlows"
WORKLOADS_OUTPUT = "zeroTrustWorkloads"

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
    declared = frozenset(
        (starts.get(s, s), labels.get(d, d), p, proto) for s, d, p, proto in declared_connections(pod_rows)
    )
    workloads = [_workload(row) for row in workload_rows]
    policies = [manifest(r.inputs) for r in graph.by_type(NETWORK_POLICY_TYPE)]
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
        aws_declared = frozenset(declared_connections(aws_rows))
        aws_allowed = frozenset(conn for conn in aws_declared if security_groups_allow(graph, conn))
        return build_report(declared | aws_declared, computed | aws_allowed, notes, aws_layer=aws_declared, info=info)
    aws_declared, aws_allowed = aws_layer(graph, group_rows, flow_rows, workloads, notes, info)
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


def _into_pods(row: Mapping[str, Any]) -> bool:
    """A flow from an AWS resource to pods (a load balancer): pods admit its subnets (``sourceCidrs``)."""
    return row.get("sourceKind") == "aws" and row.get("destinationKind") == "workload" and bool(row.get("sourceCidrs"))


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


def _port(port: int) -> str:
    return "any" if port == ANY_PORT else str(port)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _allowed(row: ConnectivityRow) -> str:
    """The Allowed cell: AWS-layer rows say what allows them (security groups, not NetworkPolicies)."""
    return f"{_yes(row.allowed)} (security groups)" if row.layer == "aws" else _yes(row.allowed)


def _md(text: str) -> str:
    return text.replace("|", "\\|")
