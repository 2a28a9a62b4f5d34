"""``mlopsctl phoenix``: per-PR environments (up, down, list, teardown-plan) and the reaper (reap).

Thin typer commands over the library modules. Exit codes: 0 ok, 1 something failed, 2 usage or
configuration error (bad --now or --ttl, missing template, protected account or region, no CLI).
``up --layer aws`` and ``down --layer kubernetes`` are the layered operations of docs/adr/0001.
Register with ``app.add_typer(phoenix_app, name="phoenix")``. Tests pass a :class:`PhoenixDeps` as
the click context object to swap the Pulumi workspace, boto3 session, clock and sleep.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.markup import escape

from mlopsctl.console import fail
from mlopsctl.layers import Layer
from mlopsctl.phoenix.automation import AutomationWorkspace, PulumiCommandError, pulumi_cli_available
from mlopsctl.phoenix.expiry import ExpiryError, parse_duration, parse_timestamp
from mlopsctl.phoenix.report import render_stacks_text, stacks_to_dict
from mlopsctl.phoenix.retry import RetryPolicy
from mlopsctl.phoenix.settings import PhoenixConfigError, load_template
from mlopsctl.phoenix.stacks import (
    PhoenixWorkspace,
    list_phoenix_stacks,
    phoenix_down,
    phoenix_up,
    stack_name,
)
from mlopsctl.phoenix.state import offline_layer_targets

phoenix_app = typer.Typer(
    help="Ephemeral per-PR environments: up, down, list, and reap what has expired.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _default_session(region: str | None) -> Any:
    # boto3 is imported on first use: every mlopsctl command loads this module, few need AWS.
    from mlopsctl.phoenix.aws import make_session

    return make_session(region)


@dataclass
class PhoenixDeps:
    """Replaceable collaborators of the commands (the defaults talk to Pulumi and AWS).

    ``plan_targets(project_dir, stack, layer)`` is the offline engine's target list of a layer.
    """

    workspace_factory: Callable[[Path], PhoenixWorkspace] | None = None
    session_factory: Callable[[str | None], Any] = _default_session
    plan_targets: Callable[[Path, str, Layer], list[str]] = offline_layer_targets
    clock: Callable[[], datetime] = _utc_now
    sleep: Callable[[float], None] = time.sleep
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    wrap_client: Callable[[str, Any], Any] | None = None
    waiter_delay: int = 15


class ListFormat(StrEnum):
    text = "text"
    json = "json"


class ReapFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


class UpLayerOption(StrEnum):
    aws = "aws"
    all = "all"


class DownLayerOption(StrEnum):
    kubernetes = "kubernetes"
    all = "all"


ProjectDir = Annotated[
    Path, typer.Option("--project-dir", help="Pulumi project directory (holds stacks/Pulumi.phoenix.yaml).")
]


def _deps(ctx: typer.Context) -> PhoenixDeps:
    found = ctx.find_object(PhoenixDeps)
    return found if found is not None else PhoenixDeps()


def _fail(message: str, code: int = 2) -> typer.Exit:
    return fail(message, code)


def _workspace(deps: PhoenixDeps, project_dir: Path, out: Console) -> PhoenixWorkspace:
    if deps.workspace_factory is not None:
        return deps.workspace_factory(project_dir)
    return AutomationWorkspace(project_dir, on_output=lambda line: out.print(escape(line.rstrip())))


@phoenix_app.command("up")
def up_command(
    ctx: typer.Context,
    pr: Annotated[int, typer.Option("--pr", help="Pull request number; the stack is pr-N.")],
    ttl: Annotated[
        str | None, typer.Option("--ttl", help="Lifetime from now, e.g. 8h (default: template ttl).")
    ] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Owner tag (default: template mlops:owner).")] = None,
    layer: Annotated[
        UpLayerOption,
        typer.Option(
            "--layer",
            help="aws: only the AWS layer (targets from the offline plan; runs anywhere). "
            "all: the whole stack (needs the private cluster API: run it on the stack's in-VPC runner).",
        ),
    ] = UpLayerOption.all,
    keep_expiry: Annotated[
        bool,
        typer.Option(
            "--keep-expiry",
            help="Keep the stack's recorded expiry while it is in the future (the second job of a layered up).",
        ),
    ] = False,
    project_dir: ProjectDir = Path("."),
) -> None:
    """Create or update stack pr-N from the phoenix template and push its expiry to now + ttl."""
    deps = _deps(ctx)
    out = Console()
    try:
        lifetime = parse_duration(ttl) if ttl is not None else None
        template = load_template(project_dir)
        workspace = _workspace(deps, project_dir, out)
    except (ExpiryError, PhoenixConfigError) as exc:
        raise _fail(f"--ttl: {exc}" if isinstance(exc, ExpiryError) else str(exc)) from None
    try:
        outcome = phoenix_up(
            workspace,
            template,
            pr=pr,
            now=deps.clock(),
            ttl=lifetime,
            owner=owner,
            layer=layer.value,
            plan_targets=lambda stack, which: deps.plan_targets(project_dir, stack, which),
            keep_expiry=keep_expiry,
        )
    except PhoenixConfigError as exc:
        raise _fail(str(exc)) from None
    except Exception as exc:  # Automation API and offline-plan errors: report, exit 1, no traceback
        raise _fail(f"pulumi up of pr-{pr} failed: {_last_line(exc)}", code=1) from None
    changes = ", ".join(f"{k} {v}" for k, v in sorted(outcome.changes.items())) or "no changes"
    scope = f"AWS layer, {outcome.targets} targets" if outcome.layer == "aws" else "whole stack"
    out.print(
        f"[green]up[/] {outcome.stack} ({scope}): {changes}; owner {escape(outcome.owner)},"
        f" expires {outcome.expires_at}"
    )


@phoenix_app.command("down")
def down_command(
    ctx: typer.Context,
    pr: Annotated[int, typer.Option("--pr", help="Pull request number; the stack is pr-N.")],
    layer: Annotated[
        DownLayerOption,
        typer.Option(
            "--layer",
            help="kubernetes: destroy only the Kubernetes layer, keep the stack (run it on the stack's "
            "in-VPC runner). all: destroy everything and remove the stack.",
        ),
    ] = DownLayerOption.all,
    forget_kubernetes_layer: Annotated[
        bool,
        typer.Option(
            "--forget-kubernetes-layer",
            help="With --layer all: first drop the Kubernetes layer from the state (it goes with the "
            "cluster). For a stack whose in-VPC runner is gone.",
        ),
    ] = False,
    project_dir: ProjectDir = Path("."),
) -> None:
    """Destroy stack pr-N (or only its Kubernetes layer) and remove it from the backend."""
    deps = _deps(ctx)
    out = Console()
    try:
        stack_name(pr)
        if layer is DownLayerOption.kubernetes and forget_kubernetes_layer:
            raise PhoenixConfigError("--forget-kubernetes-layer goes with --layer all (it precedes the whole destroy)")
        workspace = _workspace(deps, project_dir, out)
        action = phoenix_down(workspace, pr, layer=layer.value, forget_kubernetes_layer=forget_kubernetes_layer)
    except PhoenixConfigError as exc:
        raise _fail(str(exc)) from None
    except PulumiCommandError as exc:
        # Nothing was destroyed: the stack could not even be looked up (backend unreachable, not logged in).
        raise _fail(f"cannot look up stack pr-{pr}: {exc}") from None
    if action.status == "failed":
        raise _fail(f"{action.name}: {action.detail}", code=1)
    out.print(f"[green]{action.status}[/] {action.name}: {escape(action.detail)}")


@phoenix_app.command("list")
def list_command(
    ctx: typer.Context,
    output_format: Annotated[ListFormat, typer.Option("--format", help="Output format.")] = ListFormat.text,
    project_dir: ProjectDir = Path("."),
) -> None:
    """List the pr-N stacks with their expiry."""
    deps = _deps(ctx)
    out = Console()
    now = deps.clock()
    try:
        stacks = list_phoenix_stacks(_workspace(deps, project_dir, Console(stderr=True)), now)
    except PhoenixConfigError as exc:
        raise _fail(str(exc)) from None
    except Exception as exc:  # backend errors
        raise _fail(f"listing stacks failed: {_last_line(exc)}", code=1) from None
    if output_format is ListFormat.json:
        typer.echo(json.dumps(stacks_to_dict(stacks, now), indent=2))
    else:
        render_stacks_text(stacks, out)


@phoenix_app.command("teardown-plan")
def teardown_plan_command(
    ctx: typer.Context,
    pr: Annotated[int | None, typer.Option("--pr", help="Plan the teardown of stack pr-N.")] = None,
    expired: Annotated[bool, typer.Option("--expired", help="Plan the teardown of every expired stack.")] = False,
    now_text: Annotated[
        str | None, typer.Option("--now", help="Pretend it is this ISO-8601 time (with Z or offset).")
    ] = None,
    region: Annotated[
        str | None,
        typer.Option("--region", help="Region of runners whose stack exports none (default: session, then template)."),
    ] = None,
    output_format: Annotated[ListFormat, typer.Option("--format", help="Output format.")] = ListFormat.json,
    project_dir: ProjectDir = Path("."),
) -> None:
    """Where each stack's Kubernetes layer can be destroyed: on its runner, forgotten, or nothing left."""
    from mlopsctl.phoenix.teardown import codebuild_project_exists, plan_teardown, teardown_to_dict

    deps = _deps(ctx)
    if (pr is None) == (not expired):
        raise _fail("pass exactly one of --pr N and --expired")
    try:
        now = parse_timestamp(now_text) if now_text is not None else deps.clock()
    except ExpiryError as exc:
        raise _fail(f"--now: {exc}") from None
    try:
        wanted = stack_name(pr) if pr is not None else None
        template = load_template(project_dir)
        workspace = _workspace(deps, project_dir, Console(stderr=True))
        session = deps.session_factory(region)
        where = region or session.region_name or template.region
        if not where:
            raise PhoenixConfigError(f"no region: pass --region, set AWS_REGION, or set aws:region in {template.path}")
    except PhoenixConfigError as exc:
        raise _fail(str(exc)) from None
    try:
        stacks = [
            info
            for info in list_phoenix_stacks(workspace, now)
            if info.name == wanted or (wanted is None and info.state == "expired")
        ]
        plans = plan_teardown(
            workspace,
            stacks,
            lambda project, stack_region: codebuild_project_exists(session, stack_region or where, project),
        )
    except (BotoCoreError, ClientError) as exc:
        raise _fail(f"looking up the deploy runners failed: {exc}", code=1) from None
    except Exception as exc:  # backend errors
        raise _fail(f"listing stacks failed: {_last_line(exc)}", code=1) from None
    document = teardown_to_dict(plans, now)
    if output_format is ListFormat.json:
        typer.echo(json.dumps(document, indent=2))
        return
    out = Console(soft_wrap=True)
    if not plans:
        out.print("no stack to tear down")
    for item in document["stacks"]:
        out.print(
            f"{item['name']}: Kubernetes layer {item['kubernetesLayer']} ({item['kubernetesResources']} resources;"
            f" runner {item['runnerProject'] or '?'} exists: {item['runnerExists']})"
            + (f"; error: {escape(item['error'])}" if item["error"] else "")
        )


@phoenix_app.command("reap")
def reap_command(
    ctx: typer.Context,
    execute: Annotated[bool, typer.Option("--execute", help="Really delete (default: dry run).")] = False,
    now_text: Annotated[
        str | None, typer.Option("--now", help="Pretend it is this ISO-8601 time (with Z or offset).")
    ] = None,
    regions: Annotated[
        list[str] | None, typer.Option("--region", help="Region to sweep (repeatable; default: session region).")
    ] = None,
    endpoint_url: Annotated[
        str | None, typer.Option("--endpoint-url", help="Send all AWS calls here (e.g. a moto server).")
    ] = None,
    output_format: Annotated[ReapFormat, typer.Option("--format", help="Report format.")] = ReapFormat.text,
    project_dir: ProjectDir = Path("."),
) -> None:
    """Destroy expired phoenix stacks, then sweep expired phoenix-tagged AWS resources."""
    from mlopsctl.phoenix.reap import ReapRun, choose_regions, reap, resolve_target
    from mlopsctl.phoenix.report import render_json, render_markdown, render_text

    deps = _deps(ctx)
    try:
        now = parse_timestamp(now_text) if now_text is not None else deps.clock()
    except ExpiryError as exc:
        raise _fail(f"--now: {exc}") from None
    try:
        template = load_template(project_dir)
        session = deps.session_factory(None)
        chosen = choose_regions(regions or [], session.region_name, template)
        target = resolve_target(session, chosen, endpoint_url)
    except PhoenixConfigError as exc:
        raise _fail(str(exc)) from None
    except (BotoCoreError, ClientError) as exc:
        raise _fail(f"cannot determine the AWS account (sts get-caller-identity): {exc}") from None
    workspace, note = _reap_workspace(deps, project_dir)
    run = ReapRun(
        template=template,
        target=target,
        now=now,
        execute=execute,
        session=session,
        endpoint_url=endpoint_url,
        workspace=workspace,
        workspace_note=note,
        policy=deps.policy,
        sleep=deps.sleep,
        wrap_client=deps.wrap_client,
        waiter_delay=deps.waiter_delay,
    )
    try:
        with Console(stderr=True).status("reaping phoenix environments..."):
            report = reap(run)
    except PhoenixConfigError as exc:
        raise _fail(str(exc)) from None
    if output_format is ReapFormat.json:
        typer.echo(render_json(report))
    elif output_format is ReapFormat.markdown:
        typer.echo(render_markdown(report), nl=False)
    else:
        render_text(report, Console(width=160))
    if report.failed:
        raise typer.Exit(1)


def _reap_workspace(deps: PhoenixDeps, project_dir: Path) -> tuple[PhoenixWorkspace | None, str | None]:
    if deps.workspace_factory is not None:
        return deps.workspace_factory(project_dir), None
    if not pulumi_cli_available():
        return None, "skipped: the Pulumi CLI is not on PATH, so expired stacks were not looked up"
    try:
        return AutomationWorkspace(project_dir, on_output=lambda line: None), None
    except Exception as exc:  # e.g. no project file or a CLI too old: sweep anyway, say why stacks were skipped
        return None, f"skipped: {_last_line(exc)}"


def _last_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1][:300] if lines else type(exc).__name__
