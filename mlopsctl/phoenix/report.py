"""Render phoenix results: the reap report (json, markdown, text) and the stack list."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mlopsctl.phoenix.expiry import format_timestamp
from mlopsctl.phoenix.stacks import StackInfo

if TYPE_CHECKING:  # the report renders results; it needs neither boto3 nor the sweep to do so
    from mlopsctl.phoenix.reap import ReapReport
    from mlopsctl.phoenix.sweep import ResourceResult

REAP_SCHEMA = "mlops-phoenix-reap/1"
STACKS_SCHEMA = "mlops-phoenix-stacks/1"
STATUSES = ("deleted", "would-delete", "kept", "failed")
_ORDER = {status: i for i, status in enumerate(("failed", "deleted", "would-delete", "kept"))}


def summary(report: ReapReport) -> dict[str, int]:
    """Count of resources per status (all four keys always present)."""
    counts: Counter[str] = Counter(r.status for r in report.resources)
    return {status: counts.get(status, 0) for status in STATUSES}


def reap_to_dict(report: ReapReport) -> dict[str, Any]:
    """The JSON document (schema ``mlops-phoenix-reap/1``)."""
    return {
        "schema": REAP_SCHEMA,
        "mode": "execute" if report.execute else "dry-run",
        "now": format_timestamp(report.now),
        "account": report.account,
        "regions": list(report.regions),
        "summary": summary(report),
        "stacks": [asdict(action) for action in report.stacks],
        "stacksNote": report.stacks_note,
        "resources": [_resource_dict(r) for r in report.resources],
        "durationSeconds": report.duration_seconds,
    }


def _resource_dict(result: ResourceResult) -> dict[str, Any]:
    return {
        "kind": result.kind,
        "id": result.id,
        "name": result.name,
        "region": result.region,
        "status": result.status,
        "reason": result.reason,
        "expiresAt": result.expires_at,
        "attempts": result.attempts,
        "retriedFor": list(result.retried_for),
    }


def render_json(report: ReapReport) -> str:
    """The report as indented JSON."""
    return json.dumps(reap_to_dict(report), indent=2)


def render_markdown(report: ReapReport) -> str:
    """The report as Markdown (for a job summary or an issue comment)."""
    mode = "execute" if report.execute else "dry run"
    counts = summary(report)
    lines = [
        f"## Phoenix reap ({mode})",
        "",
        f"Account `{report.account}`, regions {', '.join(f'`{r}`' for r in report.regions)}, "
        f"now `{format_timestamp(report.now)}`.",
        "",
        " · ".join(f"**{counts[s]}** {s}" for s in STATUSES),
        "",
    ]
    if report.stacks or report.stacks_note:
        lines += ["### Stacks", ""]
        if report.stacks_note:
            lines += [f"_{report.stacks_note}_", ""]
        if report.stacks:
            lines += ["| stack | status | detail |", "| --- | --- | --- |"]
            lines += [f"| `{s.name}` | {s.status} | {_md(s.detail)} |" for s in report.stacks]
            lines.append("")
    lines += ["### Resources", ""]
    if not report.resources:
        lines.append("No phoenix-tagged resources found.")
    else:
        lines += ["| status | kind | name | region | reason |", "| --- | --- | --- | --- | --- |"]
        lines += [
            f"| {r.status} | {r.kind} | `{_md(r.name)}` | {r.region} | {_md(r.reason)} |"
            for r in _sorted(report.resources)
        ]
    return "\n".join(lines) + "\n"


def render_text(report: ReapReport, console: Console) -> None:
    """The report as rich tables on ``console``."""
    counts = summary(report)
    mode = "[bold red]execute[/]" if report.execute else "[bold]dry run[/]"
    console.print(f"Phoenix reap ({mode}) account {report.account}, regions {', '.join(report.regions)}")
    if report.stacks_note:
        console.print(f"[yellow]stacks: {escape(report.stacks_note)}[/]")
    if report.stacks:
        stacks = Table("stack", "status", "detail", title="Stacks")
        for action in report.stacks:
            stacks.add_row(escape(action.name), _styled(action.status), escape(action.detail))
        console.print(stacks)
    if report.resources:
        table = Table("status", "kind", "name", "region", "reason", title="Resources")
        for r in _sorted(report.resources):
            table.add_row(_styled(r.status), r.kind, escape(r.name), r.region, escape(r.reason))
        console.print(table)
    console.print(", ".join(f"{counts[s]} {s}" for s in STATUSES) + f" in {report.duration_seconds:.1f}s")


def stacks_to_dict(stacks: Sequence[StackInfo], now: datetime) -> dict[str, Any]:
    """``phoenix list --format json`` (schema ``mlops-phoenix-stacks/1``)."""
    return {
        "schema": STACKS_SCHEMA,
        "now": format_timestamp(now),
        "stacks": [{"name": s.name, "pr": s.pr, "expiresAt": s.expires_at, "state": s.state} for s in stacks],
    }


def render_stacks_text(stacks: Sequence[StackInfo], console: Console) -> None:
    """``phoenix list`` as a rich table."""
    if not stacks:
        console.print("No phoenix stacks.")
        return
    table = Table("stack", "pr", "expires at", "state", title="Phoenix stacks")
    for s in stacks:
        style = {"expired": "red", "unknown-expiry": "yellow"}.get(s.state, "green")
        table.add_row(s.name, str(s.pr), escape(s.expires_at or "-"), f"[{style}]{s.state}[/]")
    console.print(table)


def _sorted(results: Sequence[ResourceResult]) -> list[ResourceResult]:
    return sorted(results, key=lambda r: (_ORDER.get(r.status, 9), r.kind, r.region, r.name))


def _styled(status: str) -> str:
    style = {
        "failed": "bold red",
        "deleted": "green",
        "destroyed": "green",
        "would-delete": "cyan",
        "would-destroy": "cyan",
    }.get(status, "dim")
    return f"[{style}]{status}[/]"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
