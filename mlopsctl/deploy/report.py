"""The ``deploy`` section of a plan: every deploy invariant evaluated on one graph, plus the image inventory.

JSON (``deploy`` in the ``mlops-plan/1`` document)::

    {"ok": false,
     "checks": [{"id": "ordering", "title": "...", "violations": 0}, ...],
     "violations": [{"check": "principals", "id": "principals:serving-node-key:AWSServiceRoleForAutoScaling",
                     "resource": "urn:...", "message": "..."}],
     "images": [{"image": "docker.io/apache/airflow:3.0.6", "registry": "docker.io",
                 "repository": "apache/airflow", "tag": "3.0.6", "digest": null, "origin": "cache",
                 "upstream": "docker.io/apache/airflow:3.0.6", "source": "values images.airflow",
                 "usedBy": ["urn:..."]}],
     "layers": {"aws": 230, "kubernetes": 46}}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from mlopsctl.deploy.air_gap import check_air_gap
from mlopsctl.deploy.api_access import check_api_reachability
from mlopsctl.deploy.graphs import Finding, short, unique_ids
from mlopsctl.deploy.helm import check_helm_wait
from mlopsctl.deploy.images import check_images, inventory
from mlopsctl.deploy.ordering import check_layer_closure, check_ordering
from mlopsctl.deploy.principals import check_principals
from mlopsctl.deploy.versions import check_engine_versions
from mlopsctl.engine import Graph
from mlopsctl.layers import LAYERS, layer_of

Check = Callable[[Graph], list[Finding]]

CHECKS: tuple[tuple[str, str, Check], ...] = (
    ("ordering", "Kubernetes resources wait for the deployer's cluster access and a node group", check_ordering),
    (
        "layer-closure",
        "the AWS layer deploys without the Kubernetes layer; an in-VPC runner exists",
        check_layer_closure,
    ),
    (
        "helm-wait",
        "Helm releases can finish: no hook behind a wait, timeouts above the chart's worst case",
        check_helm_wait,
    ),
    (
        "api-reachability",
        "namespaces of API clients reach the API server's Service IP and ENIs on 443",
        check_api_reachability,
    ),
    ("principals", "policy principals exist in a fresh account, or are created first by the stack", check_principals),
    ("engine-version", "database engines pin only the major while AWS upgrades minors", check_engine_versions),
    ("images", "every container image is pinned (tag other than latest, or digest)", check_images),
    (
        "air-gap",
        "every image comes through the stack's ECR or an AWS registry; without NAT, controllers' APIs have endpoints",
        check_air_gap,
    ),
)
"""(check id, what it guarantees, check function), in report order."""


@dataclass(frozen=True)
class DeployReport:
    """Findings of every deploy check on one graph, and its image inventory."""

    findings: tuple[Finding, ...]
    images: tuple[dict[str, Any], ...]
    layers: dict[str, int]
    checks: tuple[tuple[str, str], ...] = tuple((check_id, title) for check_id, title, _ in CHECKS)

    @property
    def ok(self) -> bool:
        """True when no deploy invariant is violated."""
        return not self.findings

    def count(self, check_id: str) -> int:
        """Violations of one check."""
        return sum(1 for f in self.findings if f.check == check_id)

    def to_json(self) -> dict[str, Any]:
        """The plan's ``deploy`` section."""
        return {
            "ok": self.ok,
            "checks": [{"id": c, "title": t, "violations": self.count(c)} for c, t in self.checks],
            "violations": [f.to_json() for f in self.findings],
            "images": [dict(entry) for entry in self.images],
            "layers": dict(self.layers),
        }

    def summary(self) -> str:
        """One line: how many checks, how many violations."""
        if self.ok:
            return f"all {len(self.checks)} deploy checks pass"
        failing = sum(1 for c, _ in self.checks if self.count(c))
        return f"{len(self.findings)} violation(s) in {failing} of {len(self.checks)} deploy checks"

    def to_markdown(self) -> str:
        """The markdown section: checks, violations, then the image inventory."""
        lines = ["### Deploy invariants", "", f"**Deploy:** {self.summary()}.", ""]
        lines += ["| check | guarantees | violations |", "|---|---|---:|"]
        lines += [f"| `{c}` | {t} | {self.count(c)} |" for c, t in self.checks]
        if self.findings:
            lines += ["", "| id | resource | message |", "|---|---|---|"]
            for f in self.findings:
                resource = f"`{short(f.urn)}`" if f.urn else "(stack)"
                lines.append(f"| `{f.id}` | {resource} | {_md(f.message)} |")
        lines += ["", f"### Images ({len(self.images)})", ""]
        lines += [
            "| image | registry | tag / digest | origin | upstream | source | used by |",
            "|---|---|---|---|---|---|---|",
        ]
        for entry in self.images:
            pin = entry["digest"] or entry["tag"] or "chart default"
            users = ", ".join(f"`{short(u)}`" for u in entry["usedBy"])
            upstream = f"`{_md(entry['upstream'])}`" if entry.get("upstream") else "-"
            lines.append(
                f"| `{_md(entry['repository'])}` | {entry['registry'] or '-'} | `{_md(pin)}` | {entry.get('origin', '-')} "
                f"| {upstream} | {_md(entry['source'])} | {users} |"
            )
        return "\n".join(lines) + "\n"

    def to_renderables(self) -> list[RenderableType]:
        """Tables for the terminal tree view."""
        checks = Table(title=f"Deploy invariants: {self.summary()}", show_edge=False)
        for column in ("check", "guarantees", "violations"):
            checks.add_column(column, justify="right" if column == "violations" else "left")
        for c, t in self.checks:
            n = self.count(c)
            checks.add_row(c, t, Text(str(n), style="bold red" if n else "green"))
        parts: list[RenderableType] = [checks]
        if self.findings:
            violations = Table(title="Deploy violations", show_edge=False)
            for column in ("id", "message"):
                violations.add_column(column)
            for f in self.findings:
                violations.add_row(Text(f.id, style="bold red"), Text(f.message))
            parts.append(violations)
        images = Table(title=f"Images ({len(self.images)})", show_edge=False)
        for column in ("image", "upstream", "source", "used by"):
            images.add_column(column)
        for entry in self.images:
            users = ", ".join(short(u) for u in entry["usedBy"])
            upstream = entry.get("upstream") or "-"
            images.add_row(Text(entry["image"]), Text(upstream), Text(entry["source"]), Text(users))
        parts.append(images)
        return parts


def evaluate_deploy(graph: Graph) -> DeployReport:
    """Run every deploy check on ``graph``."""
    findings: list[Finding] = []
    for _, _, check in CHECKS:
        findings += unique_ids(check(graph))
    layers: dict[str, int] = {layer: sum(1 for r in graph.resources if layer_of(r.type) == layer) for layer in LAYERS}
    return DeployReport(findings=tuple(findings), images=tuple(inventory(graph)), layers=layers)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
