"""mlopsctl: the thin command line around the platform program (plan, and the tools registered below).

Exit codes everywhere: 0 ok, 1 findings (mandatory policy violations, drift, failures),
2 usage or configuration error.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from contracts.exit_codes import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from mlopsctl.console import DEBUG_HINT, error, fail, plan_or_exit

app = typer.Typer(
    name="mlopsctl",
    help="Plan, check, diff and run phoenix environments of the mlops-platform Pulumi program.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Plan, check, diff and run phoenix environments of the mlops-platform Pulumi program."""


class PlanFormat(StrEnum):
    tree = "tree"
    json = "json"
    markdown = "markdown"
    sarif = "sarif"
    k8s_yaml = "k8s-yaml"


@app.command()
def plan(
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack name: stacks/Pulumi.<stack>.yaml")] = "dev",
    fmt: Annotated[PlanFormat, typer.Option("--format", "-f", help="Output format.")] = PlanFormat.tree,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write here (a directory for k8s-yaml).")] = None,
    project_dir: Annotated[Path, typer.Option(help="Directory holding Pulumi.yaml and __main__.py.")] = Path("."),
    policy_pack_config: Annotated[
        Path | None,
        typer.Option("--policy-pack-config", help="Policy pack config JSON, as `pulumi preview --policy-pack-config`."),
    ] = None,
) -> None:
    """Run the program offline for one stack and render what it would create (no cloud account needed)."""
    if fmt is PlanFormat.k8s_yaml and out is None:
        raise fail("--format k8s-yaml needs --out DIR")
    pack_config = read_policy_pack_config(policy_pack_config)
    check_output(out, directory=fmt is PlanFormat.k8s_yaml)

    started = time.perf_counter()
    graph = plan_or_exit(project_dir, stack, status=f"Planning stack {escape(stack)} offline…")
    elapsed = time.perf_counter() - started

    from mlopsctl.policy import PolicyConfigError
    from mlopsctl.report import PlanReport

    try:
        report = PlanReport.evaluate(graph, elapsed=elapsed, project_dir=project_dir, policy_config=pack_config)
    except PolicyConfigError as problem:
        raise fail(f"--policy-pack-config {policy_pack_config}: {problem}") from None
    try:
        report.write(fmt.value, out)
    except OSError as problem:
        raise fail(f"{out}: cannot write: {problem.strerror or problem}") from None
    raise typer.Exit(EXIT_FINDINGS if report.has_findings else EXIT_OK)


def read_policy_pack_config(path: Path | None) -> dict[str, Any] | None:
    """The ``--policy-pack-config`` JSON object, or an exit-2 error naming the file."""
    if path is None:
        return None
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as problem:
        raise fail(f"--policy-pack-config {path}: cannot read: {problem}") from None
    except json.JSONDecodeError as problem:
        raise fail(f"--policy-pack-config {path}: not JSON: line {problem.lineno}: {problem.msg}") from None
    if not isinstance(loaded, dict):
        raise fail(f"--policy-pack-config {path}: must be a JSON object of rule name -> settings")
    return loaded


def check_output(out: Path | None, *, directory: bool) -> None:
    """Refuse an ``--out`` that cannot be written before any work is done (exit 2, naming the path)."""
    if out is None:
        return
    if directory:
        if out.exists() and not out.is_dir():
            raise fail(f"--out {out}: exists and is not a directory (k8s-yaml writes one file per object)")
        if not out.exists() and not out.parent.is_dir():
            raise fail(f"--out {out}: its parent directory {out.parent} does not exist")
        return
    if out.is_dir():
        raise fail(f"--out {out}: is a directory; give a file name")
    if not out.parent.is_dir():
        raise fail(f"--out {out}: directory {out.parent} does not exist")


def _register_tools() -> None:
    """Commands that live in their own packages."""
    from mlopsctl.check_cli import check_command
    from mlopsctl.cost.cli import cost_command, prices_app
    from mlopsctl.deploy.cli import deploy_app
    from mlopsctl.diff.cli import diff_command
    from mlopsctl.phoenix.cli import phoenix_app

    app.command("diff")(diff_command)
    app.command("check")(check_command)
    app.command("cost")(cost_command)
    app.add_typer(prices_app, name="prices", help="Price snapshots of the cost model: refresh from the AWS Price List.")
    app.add_typer(
        phoenix_app,
        name="phoenix",
        help="Per-PR ephemeral environments: up, down (by layer), list, teardown-plan, reap.",
    )
    app.add_typer(deploy_app, name="deploy", help="Layered deploys: target lists of the AWS and Kubernetes layers.")


_register_tools()


def main() -> None:
    """Console-script entry point.

    Ends the process without the interpreter's teardown: unwinding the large Pulumi SDK modules
    takes about a second after the work is done. Output is flushed first; every file the commands
    write is closed by then. The cyclic collector is off for the same reason.
    """
    # A short-lived process: leave cyclic garbage to the exit instead of walking the SDK's object graph.
    gc.disable()
    try:
        app()
        code = EXIT_OK
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (EXIT_OK if done.code is None else EXIT_FINDINGS)
    except KeyboardInterrupt:
        code = EXIT_USAGE
    except Exception as problem:
        # The contract: 0 ok, 1 findings, 2 anything else; never a traceback unless asked for.
        if os.environ.get("MLOPS_DEBUG"):
            raise
        error(f"unexpected {type(problem).__name__}: {problem} {DEBUG_HINT}")
        code = EXIT_USAGE
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
