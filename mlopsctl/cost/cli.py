"""``mlopsctl prices refresh`` and ``mlopsctl cost``: thin typer commands over the cost library.

Register (in ``mlopsctl/cli.py``)::

    from mlopsctl.cost.cli import cost_command, prices_app
    app.command("cost")(cost_command)
    app.add_typer(prices_app, name="prices", help="Price snapshots of the cost model: refresh from the AWS Price List.")

Exit codes: 0 ok, 1 the estimate exceeds ``mlops:budget.monthlyUsd``, 2 bad input (plan, config, usage
file, missing snapshot, failed download).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import typer

from contracts.exit_codes import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from mlopsctl.cost.api import budget_finding, estimate_plan
from mlopsctl.cost.model import CostError
from mlopsctl.cost.prices import PRICES_DIR, PriceError, dump_snapshot
from mlopsctl.cost.refresh import refresh
from mlopsctl.cost.render import cost_section, render_markdown
from mlopsctl.cost.usage import UsageError

prices_app = typer.Typer(
    name="prices",
    help="Price snapshots of the cost model: refresh from the AWS Price List.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_ERRORS = (CostError, PriceError, UsageError)


def _fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


_REGION = typer.Option(..., "--region", "-r", help="AWS region to refresh; repeat for several.")
_OUT_DIR = typer.Option(PRICES_DIR, "--out-dir", help="Where to write <region>.json.")


@prices_app.command("refresh")
def refresh_command(region: list[str] = _REGION, out_dir: Path = _OUT_DIR) -> None:
    """Download the Price List offer files of every priced service and write cost/prices/<region>.json."""
    for name in region:
        typer.echo(f"refreshing {name} from the AWS Price List (large downloads; this takes a while)…", err=True)
        try:
            doc = refresh(name)
        except PriceError as exc:
            raise _fail(str(exc)) from None
        path = out_dir / f"{name}.json"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(dump_snapshot(doc), encoding="utf-8")
        except OSError as exc:
            raise _fail(f"{path}: cannot write: {exc}") from None
        typer.echo(f"wrote {path}: {len(doc['prices'])} prices as of {doc['date']}", err=True)


def _plan_from_engine(project_dir: Path, stack: str) -> dict[str, Any]:
    from contracts.errors import ConfigError
    from mlopsctl.engine import run_stack
    from mlopsctl.plan import build_plan

    try:
        return build_plan(run_stack(project_dir, stack))
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    except Exception as exc:
        if os.environ.get("MLOPS_DEBUG"):
            raise
        raise _fail(f"the Pulumi program failed: {type(exc).__name__}: {exc}") from None


def _plan_from_file(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"{path}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise _fail(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(doc, dict) or doc.get("schema") != "mlops-plan/1":
        raise _fail(f"{path}: not an mlops-plan/1 document")
    return doc


def _stack_config(project_dir: Path, stack: str) -> dict[str, Any]:
    from mlopsctl.engine import stack_config, stack_file

    if not stack_file(project_dir, stack).is_file():
        return {}
    try:
        return stack_config(project_dir, stack)[0]
    except Exception as exc:
        raise _fail(f"{stack_file(project_dir, stack)}: {exc}") from None


_STACK = typer.Option(
    None, "--stack", "-s", help="Stack name: stacks/Pulumi.<stack>.yaml (default dev, or the plan's)."
)
_FORMAT = typer.Option("markdown", "--format", "-f", help="Output format: markdown or json.")
_PLAN = typer.Option(None, "--plan", help="Estimate this plan file instead of planning the stack offline.")
_OUT = typer.Option(None, "--out", "-o", help="Write the output to this file instead of stdout.")
_BUDGET = typer.Option(None, "--budget", help="Monthly budget in USD (default: mlops:budget.monthlyUsd).")
_PROJECT = typer.Option(Path("."), "--project-dir", help="Directory holding Pulumi.yaml, stacks/ and cost/.")


def cost_command(
    stack: str | None = _STACK,
    format: str = _FORMAT,
    plan: Path | None = _PLAN,
    out: Path | None = _OUT,
    budget: float | None = _BUDGET,
    project_dir: Path = _PROJECT,
) -> None:
    """Estimate the monthly cost of a stack: per resource, per component and in total (no cloud account)."""
    if format not in ("markdown", "json"):
        raise _fail(f"--format {format!r}: expected markdown or json")
    plan_doc = _plan_from_file(plan) if plan is not None else _plan_from_engine(project_dir, stack or "dev")
    if stack and plan_doc.get("stack") and plan_doc.get("stack") != stack:
        raise _fail(f"--stack {stack!r}, but {plan} is stack {plan_doc.get('stack')!r}")
    stack_name = str(stack or plan_doc.get("stack") or "dev")
    config = _stack_config(project_dir, stack_name)
    try:
        report = estimate_plan(plan_doc, project_dir, stack=stack_name, config=config)
        if budget is not None:
            config = {**config, "mlops:budget": {"monthlyUsd": budget}}
        finding = budget_finding(report, plan_doc, config)
    except _ERRORS as exc:
        raise _fail(str(exc)) from None
    if format == "json":
        doc = {"stack": report.stack, "cost": cost_section(report), "findings": [finding.to_json()] if finding else []}
        text = json.dumps(doc, indent=2, sort_keys=True) + "\n"
    else:
        text = render_markdown(report)
        if finding:
            text += f"\n🛑 **Over budget:** {finding.message}\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise _fail(f"--out {out}: cannot write: {exc}") from None
    if finding:
        typer.echo(f"error: {finding.message}", err=True)
        raise typer.Exit(EXIT_FINDINGS)
    raise typer.Exit(EXIT_OK)
