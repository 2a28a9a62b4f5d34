"""What `mlopsctl plan` produces from one graph: the plan document and its views, in every format."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console, RenderableType
from rich.table import Table

from mlopsctl.connectivity import ConnectivityReport, connectivity
from mlopsctl.cost import BudgetFinding, CostError, PriceError, UsageError, budget_finding, cost_section, estimate_plan
from mlopsctl.cost import render_markdown as render_cost_markdown
from mlopsctl.deploy.report import DeployReport, evaluate_deploy
from mlopsctl.engine import Graph
from mlopsctl.manifests import write_manifests
from mlopsctl.plan import build_plan, canonical, dumps
from mlopsctl.policy import PolicyReport as PolicyResults
from mlopsctl.policy import evaluate
from mlopsctl.render import render_markdown, render_tree
from mlopsctl.sarif import to_sarif


@dataclass
class PlanReport:
    """A planned graph plus everything evaluated on it."""

    graph: Graph
    policy: PolicyResults
    connectivity: ConnectivityReport
    deploy: DeployReport
    elapsed: float | None = None
    cost: dict[str, Any] | None = None
    """The ``cost`` section (monthly estimate), None when the stack's region has no price snapshot."""
    budget: BudgetFinding | None = None
    """The estimate above ``mlops:budget.monthlyUsd``: a finding."""
    extra_sections_md: list[str] = field(default_factory=list)
    extra_renderables: list[RenderableType] = field(default_factory=list)

    @classmethod
    def evaluate(
        cls,
        graph: Graph,
        *,
        elapsed: float | None = None,
        project_dir: Path = Path("."),
        policy_config: dict[str, Any] | None = None,
    ) -> PlanReport:
        """Evaluate the policy pack, connectivity, deploy invariants and the cost estimate on a planned graph
        (``project_dir`` holds ``cost/``: prices and usage assumptions)."""
        report = cls(
            graph=graph,
            policy=evaluate(graph, policy_config=policy_config),
            connectivity=connectivity(graph),
            deploy=evaluate_deploy(graph),
            elapsed=elapsed,
        )
        report.extra_renderables += [report.connectivity.to_table(), _violations_table(report.policy)]
        report.extra_renderables += report.deploy.to_renderables()
        report.extra_sections_md += [report.connectivity.to_markdown(), _violations_markdown(report.policy)]
        report.extra_sections_md.append(report.deploy.to_markdown())
        report._estimate_cost(project_dir)
        return report

    def _estimate_cost(self, project_dir: Path) -> None:
        doc = build_plan(self.graph)
        try:
            estimate = estimate_plan(doc, project_dir, stack=self.graph.stack)
        except (CostError, PriceError, UsageError) as exc:
            self.extra_sections_md.append(f"### Cost estimate\n\n_Not estimated: {exc}_")
            return
        self.cost = cost_section(estimate)
        self.budget = budget_finding(estimate, doc)
        if self.budget is not None:
            self.cost["budgetFinding"] = self.budget.to_json()
        self.extra_sections_md.append(render_cost_markdown(estimate, details=False))
        snapshot = estimate.snapshot
        self.extra_renderables.append(
            f"cost: ${estimate.monthly_total:,.2f}/month"
            f"{'' if not estimate.unpriced else ' (lower bound: ' + str(len(estimate.unpriced)) + ' unpriced)'}"
            f", prices {snapshot['region']} {snapshot['date']}"
        )

    @property
    def has_findings(self) -> bool:
        """True when a mandatory policy rule is violated, the computed connectivity differs from the
        declared flows, or a deploy invariant is violated (exit code 1)."""
        return self.policy.has_mandatory() or not self.connectivity.ok or not self.deploy.ok or self.budget is not None

    def plan_document(self) -> dict[str, Any]:
        """The ``mlops-plan/1`` document, with its ``policy``, ``deploy`` and ``cost`` sections."""
        document = build_plan(self.graph, policy=self.policy.to_json(), deploy=self.deploy.to_json())
        if self.cost is not None:
            document["cost"] = canonical(self.cost)
        return document

    def write(self, fmt: str, out: Path | None) -> None:
        """Render in ``fmt`` to ``out`` (a file, or a directory for k8s-yaml) or to stdout."""
        if fmt == "tree":
            self._print(render_tree(self.graph, elapsed=self.elapsed, extra=self.extra_renderables), out)
        elif fmt == "json":
            _emit(dumps(self.plan_document()), out)
        elif fmt == "markdown":
            _emit(render_markdown(self.graph, sections=self.extra_sections_md), out)
        elif fmt == "k8s-yaml":
            if out is None:
                raise ValueError("k8s-yaml needs an output directory")
            written = write_manifests(self.graph, out)
            Console(stderr=True).print(f"wrote {len(written)} Kubernetes manifests under {out}")
        elif fmt == "sarif":
            sarif = to_sarif(self.policy, plan_path_hint=f"stacks/Pulumi.{self.graph.stack}.yaml")
            _emit(json.dumps(sarif, indent=2, sort_keys=True) + "\n", out)
        else:
            raise ValueError(f"unknown format {fmt!r}")

    @staticmethod
    def _print(renderable: RenderableType, out: Path | None) -> None:
        if out is None:
            Console().print(renderable)
            return
        with out.open("w", encoding="utf-8") as handle:
            Console(file=handle, width=140, no_color=True, force_terminal=False).print(renderable)


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")


def _violations_table(policy: PolicyResults) -> RenderableType:
    if not policy.violations:
        return f"[green]policy pack {policy.pack}: no violations[/]" + _exemption_note(policy)
    table = Table(title=f"Policy violations ({policy.pack})", show_edge=False)
    for column in ("level", "severity", "policy", "resource", "message"):
        table.add_column(column)
    for v in sorted(policy.violations, key=lambda v: (v.level != "mandatory", v.policy, v.urn)):
        style = "bold red" if v.level == "mandatory" else "yellow"
        table.add_row(f"[{style}]{v.level}[/]", v.severity, v.policy, v.urn.split("::")[-1], v.message)
    return table


def _exemption_note(policy: PolicyResults) -> str:
    return f" ({len(policy.exemptions)} exemption(s) in force, listed in the JSON plan)" if policy.exemptions else ""


def _violations_markdown(policy: PolicyResults) -> str:
    lines = [f"### Policy pack `{policy.pack}`", ""]
    if not policy.violations:
        lines.append("No violations." + _exemption_note(policy))
    else:
        lines += ["| level | policy | resource | message |", "|---|---|---|---|"]
        for v in sorted(policy.violations, key=lambda v: (v.level != "mandatory", v.policy, v.urn)):
            message = v.message.replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {v.level} | `{v.policy}` | `{v.urn.split('::')[-1]}` | {message} |")
    if policy.exemptions:
        lines += ["", "| exemption | policy | resource | reason | expires | status |", "|---|---|---|---|---|---|"]
        for e in policy.exemptions:
            lines.append(
                f"| {e.get('id')} | `{e.get('policy')}` | `{e.get('resource')}` | {e.get('reason')} "
                f"| {e.get('expires')} | {e.get('status')} |"
            )
    return "\n".join(lines)
