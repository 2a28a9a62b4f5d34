"""`mlopsctl diff`: a thin typer command over the diff library.

Register with `app.command("diff")(diff_command)`. Exit codes: 0 ok, 1 new mandatory policy violations,
2 bad input (unreadable or invalid file, different stacks, bad git ref, failed plan build).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from mlopsctl.diff import gitbase
from mlopsctl.diff.compute import diff_plans
from mlopsctl.diff.load import diff_files
from mlopsctl.diff.model import Diff, DiffError
from mlopsctl.diff.plan_doc import parse_plan, read_json
from mlopsctl.diff.render_json import render_json
from mlopsctl.diff.render_markdown import render_markdown
from mlopsctl.diff.render_text import render_text

FORMATS = {"markdown": render_markdown, "json": render_json, "text": render_text}


def _build(
    base: Path | None, head: Path | None, git_base: str | None, stack: str | None, project_dir: Path
) -> tuple[Diff, tuple[Any, Any] | None]:
    """The diff, and the two plan documents when both sides are plans (for the cost delta)."""
    if git_base is not None:
        if base is not None or head is not None:
            raise DiffError("give either BASE and HEAD files or --git-base, not both")
        if not stack:
            raise DiffError("--git-base needs --stack NAME")
        documents = gitbase.documents_from_git(project_dir, git_base, stack, gitbase.PLAN_BUILDER)
        base_plan = parse_plan(documents[0], f"{git_base}:{stack}")
        return diff_plans(base_plan, parse_plan(documents[1], f"working tree:{stack}")), documents
    if base is None:
        raise DiffError(
            "give BASE and HEAD plan files, one `pulumi preview --json` file, or --git-base REF --stack NAME"
        )
    diff = diff_files(base, head)
    if stack and diff.stack != stack:
        raise DiffError(f"--stack {stack!r}, but the input is stack {diff.stack!r}")
    return diff, ((read_json(base), read_json(head)) if head is not None else None)


def _cost_block(documents: tuple[Any, Any] | None, project_dir: Path) -> str:
    """The monthly cost delta for the PR comment, or "" when it cannot be priced (no snapshot for the region)."""
    if documents is None or not all(isinstance(d, dict) and "resources" in d for d in documents):
        return ""
    from mlopsctl.cost import CostError, PriceError, UsageError, delta_for_plans

    try:
        return "\n" + delta_for_plans(documents[0], documents[1], project_dir).to_markdown()
    except (CostError, PriceError, UsageError) as exc:
        return f"\n_Cost delta not estimated: {exc}_\n"


# typer reads parameters from these defaults; module-level objects keep them out of the signature's calls.
_BASE = typer.Argument(None, help="BASE plan (mlops-plan/1 JSON), or the output of `pulumi preview --json` alone.")
_HEAD = typer.Argument(None, help="HEAD plan (mlops-plan/1 JSON) of the same stack.")
_FORMAT = typer.Option("markdown", "--format", "-f", help="Output format: markdown, json or text.")
_OUT = typer.Option(None, "--out", "-o", help="Write the output to this file instead of stdout.")
_GIT_BASE = typer.Option(
    None, "--git-base", help="Plan this git ref (in a temporary worktree) and the working tree, then diff them."
)
_STACK = typer.Option(None, "--stack", "-s", help="Stack to plan (required with --git-base).")
_PROJECT_DIR = typer.Option(Path("."), "--project-dir", help="The Pulumi project directory (with --git-base).")


def diff_command(
    base: Path | None = _BASE,
    head: Path | None = _HEAD,
    format: str = _FORMAT,
    out: Path | None = _OUT,
    git_base: str | None = _GIT_BASE,
    stack: str | None = _STACK,
    project_dir: Path = _PROJECT_DIR,
) -> None:
    """Show what a change does to the infrastructure: created, updated, replaced, deleted and moved
    resources per component, and the policy violations it introduces or fixes."""
    try:
        renderer = FORMATS.get(format)
        if renderer is None:
            raise DiffError(f"--format {format!r}: expected one of {', '.join(FORMATS)}")
        diff, documents = _build(base, head, git_base, stack, project_dir)
        output = renderer(diff)
        if format == "markdown":
            output += _cost_block(documents, project_dir)
        if out is None:
            typer.echo(output, nl=False)
        else:
            try:
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(output, encoding="utf-8")
            except OSError as exc:
                raise DiffError(f"--out {out}: cannot write: {exc}") from None
    except DiffError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if diff.policy is not None and diff.policy.new_mandatory:
        typer.echo(f"{len(diff.policy.new_mandatory)} new mandatory policy violation(s)", err=True)
        raise typer.Exit(1)
