"""The connectivity matrix of a plan: what the rendered NetworkPolicies allow, against what was declared.

Input is an engine :class:`~mlopsctl.engine.Graph`: the captured ``NetworkPolicy`` registrations and the
stack outputs ``zeroTrustFlows`` / ``zeroTrustWorkloads`` that the ZeroTrust component describes. The
evaluation itself is :func:`mlopsctl.reachability.allowed_connections`; this module only gathers its
inputs from the graph and presents the comparison (rich table for the terminal, markdown for PRs).

Flows from an AWS source (``sourceKind: aws``, e.g. the deploy runner -> the EKS API) are not pod traffic, so
NetworkPolicies say nothing about them. They are checked at the AWS layer instead: such a flow counts as
allowed when the plan holds both of its security-group rules (egress on the source's group, ingress on the
destination's), each naming a security group rather than a CIDR. Their rows are marked ``layer: aws``. Other
security-group rules are not enumerated, so nothing is reported "unexpected" at the AWS layer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rich.table import Table

from contracts.flows import AwsDestination, ExternalDestination, Workload, aws_flow_rule_description
from mlopsctl.engine import Graph
from mlopsctl.reachability import (
    ANY_PORT,
    Connection,
    UnsupportedPolicyError,
    allowed_connections,
    destination_labels,
)

NETWORK_POLICY_TYPE = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
INGRESS_RULE_TYPE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE_TYPE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
FLOWS_OUTPUT = "zeroTrustFlows"
WORKLOADS_OUTPUT = "zeroTrustWorkloads"

Status = Literal["ok", "missing", "unexpected"]
Layer = Literal["kubernetes", "aws"]


@dataclass(frozen=True)
class ConnectivityRow:
    """One (source, destination, port, protocol) pair that is declared, allowed, or both."""

    source: str
    destination: str
    port: int
    """Port, or 0 for every port."""
    protocol: str
    declared: bool
    allowed: bool
    layer: Layer = "kubernetes"
    """Where the connection is enforced: NetworkPolicies (kubernetes) or security groups only (aws)."""

    @property
    def status(self) -> Status:
        """ok (declared and allowed), missing (declared, blocked) or unexpected (allowed, undeclared)."""
        if self.declared and self.allowed:
            return "ok"
        return "missing" if self.declared else "unexpected"


@dataclass(frozen=True)
class ConnectivityReport:
    """The matrix: computed connections compared with the declared flows."""

    rows: tuple[ConnectivityRow, ...]
    """Every declared or computed connection, sorted."""
    declared: frozenset[Connection]
    computed: frozenset[Connection]
    missing: frozenset[Connection]
    """Declared but not allowed by the policies."""
    unexpected: frozenset[Connection]
    """Allowed by the policies but never declared (including any reach to the internet)."""
    notes: tuple[str, ...] = ()
    """Why the matrix could not be (fully) computed, if it could not."""
    aws_layer: frozenset[Connection] = frozenset()
    """The declared connections enforced by security groups only (flows from AWS sources)."""

    @property
    def ok(self) -> bool:
        """True when the policies allow exactly the declared flows and nothing stood in the way."""
        return not self.missing and not self.unexpected and not self.notes

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
        lines += [f"> {note}" for note in self.notes]
        if self.notes:
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
        return (
            f"{verdict} ({len(self.declared)} declared, {len(self.computed)} allowed, "
            f"{len(self.missing)} missing, {len(self.unexpected)} unexpected)"
        )


def connectivity(graph: Graph) -> ConnectivityReport:
    """Compute the connectivity matrix of ``graph`` and compare it with its declared flows."""
    notes: list[str] = []
    flow_rows = graph.outputs.get(FLOWS_OUTPUT)
    workload_rows = graph.outputs.get(WORKLOADS_OUTPUT)
    if not isinstance(flow_rows, list) or not isinstance(workload_rows, list):
        notes.append(
            f"the stack does not export {FLOWS_OUTPUT} and {WORKLOADS_OUTPUT} (lists): no ZeroTrust component to check"
        )
        flow_rows, workload_rows = [], []
    pod_rows = [row for row in flow_rows if row.get("sourceKind", "workload") == "workload"]
    aws_rows = [row for row in flow_rows if row.get("sourceKind", "workload") != "workload"]
    destinations = _destinations(pod_rows)
    # Destinations sharing their CIDRs are one address set to a NetworkPolicy: compare under the joint label.
    labels = destination_labels(destinations)
    declared = frozenset((s, labels.get(d, d), p, proto) for s, d, p, proto in _declared(pod_rows))
    workloads = [_workload(row) for row in workload_rows]
    policies = [_manifest(r.inputs) for r in graph.by_type(NETWORK_POLICY_TYPE)]
    try:
        computed = frozenset(allowed_connections(policies, workloads, destinations))
    except UnsupportedPolicyError as error:
        notes.append(f"cannot evaluate the NetworkPolicies: {error}")
        computed = frozenset()
    aws_declared = frozenset(_declared(aws_rows))
    aws_allowed = frozenset(conn for conn in aws_declared if _security_groups_allow(graph, conn))
    return build_report(declared | aws_declared, computed | aws_allowed, notes, aws_layer=aws_declared)


def build_report(
    declared: frozenset[Connection],
    computed: frozenset[Connection],
    notes: Sequence[str] = (),
    *,
    aws_layer: frozenset[Connection] = frozenset(),
) -> ConnectivityReport:
    """The report comparing ``declared`` with ``computed`` connections (``aws_layer``: those enforced by
    security groups only, marked as such in the rows)."""
    rows = tuple(
        ConnectivityRow(
            *conn,
            declared=conn in declared,
            allowed=conn in computed,
            layer="aws" if conn in aws_layer else "kubernetes",
        )
        for conn in sorted(declared | computed, key=lambda c: (c[0], c[1], c[2], c[3]))
    )
    return ConnectivityReport(
        rows=rows,
        declared=declared,
        computed=computed,
        missing=declared - computed,
        unexpected=computed - declared,
        notes=tuple(notes),
        aws_layer=aws_layer,
    )


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
