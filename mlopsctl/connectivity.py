"""The connectivity matrix of a plan: what the rendered NetworkPolicies allow, against what was declared.

Input is an engine :class:`~mlopsctl.engine.Graph`: the captured ``NetworkPolicy`` registrations and the
stack outputs ``zeroTrustFlows`` / ``zeroTrustWorkloads`` that the ZeroTrust component describes. The
evaluation itself is :func:`components.reachability.allowed_connections`; this module only gathers its
inputs from the graph and presents the comparison (rich table for the terminal, markdown for PRs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rich.table import Table

from components.flows import AwsDestination, ExternalDestination, Workload
from components.reachability import (
    ANY_PORT,
    Connection,
    UnsupportedPolicyError,
    allowed_connections,
    destination_labels,
)
from mlopsctl.engine import Graph

NETWORK_POLICY_TYPE = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
FLOWS_OUTPUT = "zeroTrustFlows"
WORKLOADS_OUTPUT = "zeroTrustWorkloads"

Status = Literal["ok", "missing", "unexpected"]


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
                _yes(row.allowed),
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
            cells = [row.source, row.destination, _port(row.port), row.protocol, _yes(row.declared), _yes(row.allowed)]
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
    destinations = _destinations(flow_rows)
    # Destinations sharing their CIDRs are one address set to a NetworkPolicy: compare under the joint label.
    labels = destination_labels(destinations)
    declared = frozenset((s, labels.get(d, d), p, proto) for s, d, p, proto in _declared(flow_rows))
    workloads = [_workload(row) for row in workload_rows]
    policies = [_manifest(r.inputs) for r in graph.by_type(NETWORK_POLICY_TYPE)]
    try:
        computed = frozenset(allowed_connections(policies, workloads, destinations))
    except UnsupportedPolicyError as error:
        notes.append(f"cannot evaluate the NetworkPolicies: {error}")
        computed = frozenset()
    return build_report(declared, computed, notes)


def build_report(
    declared: frozenset[Connection], computed: frozenset[Connection], notes: Sequence[str] = ()
) -> ConnectivityReport:
    """The report comparing ``declared`` with ``computed`` connections."""
    rows = tuple(
        ConnectivityRow(*conn, declared=conn in declared, allowed=conn in computed)
        for conn in sorted(declared | computed, key=lambda c: (c[0], c[1], c[2], c[3]))
    )
    return ConnectivityReport(
        rows=rows,
        declared=declared,
        computed=computed,
        missing=declared - computed,
        unexpected=computed - declared,
        notes=tuple(notes),
    )


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


def _md(text: str) -> str:
    return text.replace("|", "\\|")
