"""``mlopsctl check PLAN.json``: re-run every check of ``mlopsctl plan`` on a plan document.

Register with ``app.command("check")(check_command)``. The document's resources are evaluated afresh
(:mod:`mlopsctl.plan_check`); its own ``policy`` and ``deploy`` sections are only compared with the
result, never believed. Exit codes: 0 clean, 1 findings (a mandatory policy violation, connectivity
different from the declared flows, a deploy finding, the budget exceeded), 2 the file is unreadable,
not JSON or not a plan (the message names the file and the JSON path), or a bad option.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from contracts.exit_codes import EXIT_FINDINGS, EXIT_OK
from mlopsctl.console import fail

if TYPE_CHECKING:
    from mlopsctl.report import PlanReport

CHECK_SCHEMA = "mlops-check/1"
"""Schema id of ``mlopsctl check --format json``."""


class CheckFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    sarif = "sarif"


def check_command(
    plan_file: Annotated[
        Path, typer.Argument(metavar="PLAN.json", help="A plan document: `mlopsctl plan --format json` output.")
    ],
    fmt: Annotated[CheckFormat, typer.Option("--format", "-f", help="Output format.")] = CheckFormat.text,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the report here instead of stdout.")] = None,
    policy_pack_config: Annotated[
        Path | None,
        typer.Option("--policy-pack-config", help="Policy pack config JSON, as `pulumi preview --policy-pack-config`."),
    ] = None,
    project_dir: Annotated[
        Path, typer.Option("--project-dir", help="Project directory holding cost/ (prices for the budget check).")
    ] = Path("."),
) -> None:
    """Re-evaluate a plan document's resources: policy pack, connectivity, deploy invariants and budget.

    The plan's own policy and deploy sections are never trusted: an edited or stale plan is judged by its resources.
    """
    # Imported here: every mlopsctl command registers this one, few need the policy pack loaded.
    from mlopsctl.cli import check_output, read_policy_pack_config
    from mlopsctl.plan_check import PlanDocumentError, check_plan, read_plan_file
    from mlopsctl.policy import PolicyConfigError

    pack_config = read_policy_pack_config(policy_pack_config)
    check_output(out, directory=False)
    origin = str(plan_file)
    try:
        doc = read_plan_file(plan_file)
        report = check_plan(doc, origin, project_dir=project_dir, policy_config=pack_config)
    except PlanDocumentError as problem:
        raise fail(str(problem)) from None
    except PolicyConfigError as problem:
        raise fail(f"--policy-pack-config {policy_pack_config}: {problem}") from None
    stale = stale_policy_note(doc, report)
    try:
        _write(report, fmt, out, origin, stale)
    except OSError as problem:
        raise fail(f"--out {out}: cannot write: {problem.strerror or problem}") from None
    raise typer.Exit(EXIT_FINDINGS if report.has_findings else EXIT_OK)


def verdict(report: PlanReport) -> str:
    """One line: clean, or which checks found what."""
    mandatory = len(report.policy.by_level("mandatory"))
    parts = []
    if mandatory:
        parts.append(f"{mandatory} mandatory policy violation(s)")
    matrix = report.connectivity
    if not matrix.ok:
        notes = f", {len(matrix.notes)} note(s)" if matrix.notes else ""
        parts.append(
            f"connectivity differs from the declared flows "
            f"({len(matrix.unexpected)} unexpected, {len(matrix.missing)} missing{notes})"
        )
    if not report.deploy.ok:
        parts.append(f"{len(report.deploy.findings)} deploy finding(s)")
    if report.budget is not None:
        parts.append("over budget")
    return "findings: " + "; ".join(parts) if parts else "clean: no mandatory violation, connectivity as declared"


def stale_policy_note(doc: Any, report: PlanReport) -> str | None:
    """A note when the document's own ``policy`` section disagrees with the fresh evaluation (edited or stale)."""
    section = doc.get("policy") if isinstance(doc, dict) else None
    listed = section.get("violations") if isinstance(section, dict) else None
    if not isinstance(listed, list):
        return None
    claimed = {
        (item.get("policy"), item.get("urn"))
        for item in listed
        if isinstance(item, dict) and item.get("level") == "mandatory"
    }
    found = {(v.policy, v.urn) for v in report.policy.by_level("mandatory")}
    if claimed == found:
        return None
    return (
        f"the plan's own policy section lists {len(claimed)} mandatory violation(s); "
        f"re-evaluated from its resources: {len(found)} (the section is stale or was edited)"
    )


def check_json(report: PlanReport, origin: str, stale: str | None) -> dict[str, Any]:
    """The ``mlops-check/1`` document: the verdict and each check's own JSON section."""
    return {
        "schema": CHECK_SCHEMA,
        "file": origin,
        "project": report.graph.project,
        "stack": report.graph.stack,
        "ok": not report.has_findings,
        "verdict": verdict(report),
        "notes": [stale] if stale else [],
        "policy": report.policy.to_json(),
        "connectivity": report.connectivity.to_json(),
        "deploy": report.deploy.to_json(),
        "cost": report.cost,
    }


def _write(report: PlanReport, fmt: CheckFormat, out: Path | None, origin: str, stale: str | None) -> None:
    from mlopsctl.sarif import to_sarif

    if fmt is CheckFormat.text:
        _print_text(report, origin, stale, out)
        return
    if fmt is CheckFormat.json:
        text = json.dumps(check_json(report, origin, stale), indent=2, ensure_ascii=False) + "\n"
    elif fmt is CheckFormat.sarif:
        # Findings are located at the plan file: that is the artifact under review here.
        text = json.dumps(to_sarif(report.policy, plan_path_hint=origin), indent=2, sort_keys=True) + "\n"
    else:
        head = [f"## `mlopsctl check` of `{origin}` · stack `{report.graph.stack}`", "", f"**{verdict(report)}**"]
        if stale:
            head += ["", f"> {stale}"]
        text = "\n\n".join(["\n".join(head), *(s.rstrip() for s in report.extra_sections_md)]) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")


def _print_text(report: PlanReport, origin: str, stale: str | None, out: Path | None) -> None:
    from rich.console import Console
    from rich.text import Text

    title = f"{origin}: {report.graph.project} / stack {report.graph.stack} ({len(report.graph.resources)} resources)"
    lines = [Text(title, style="bold"), *report.extra_renderables]
    if stale:
        lines.append(Text(f"note: {stale}", style="yellow"))
    lines.append(Text(verdict(report), style="bold red" if report.has_findings else "bold green"))
    if out is None:
        console = Console()
        for line in lines:
            console.print(line)
        return
    with out.open("w", encoding="utf-8") as handle:
        console = Console(file=handle, width=140, no_color=True, force_terminal=False)
        for line in lines:
            console.print(line)
