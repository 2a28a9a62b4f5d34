"""mlopsctl: the thin command line around the platform program (plan, and the tools registered below).

Exit codes everywhere: 0 ok, 1 findings (mandatory policy violations, drift, failures),
2 usage or configuration error.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from contracts.errors import ConfigError
from contracts.exit_codes import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE

app = typer.Typer(
    name="mlopsctl",
    help="Plan, check, diff and run phoenix environments of the mlops-platform Pulumi program.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)


@app.callback()
def _root() -> None:
    """Plan, check, diff and run phoenix environments of the mlops-platform Pulumi program."""


class PlanFormat(StrEnum):
    tree = "tree"
    json = "json"
    markdown = "markdown"
    sarif = "sarif"
    k8s_yaml = "k8s-yaml"


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    """Print an error (no traceback) and return the Exit to raise."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@app.command()
def plan(
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack name: stacks/Pulumi.<stack>.yaml")] = "dev",
    fmt: Annotated[PlanFormat, typer.Option("--format", "-f", help="Output format.")] = PlanFormat.tree,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write here (a directory for k8s-yaml).")] = None,
    project_dir: Annotated[Path, typer.Option(help="Directory holding Pulumi.yaml and __main__.py.")] = Path("."),
) -> None:
    """Run the program offline for one stack and render what it would create (no cloud account needed)."""
    from mlopsctl.engine import DuplicateUrnError, run_stack

    if fmt is PlanFormat.k8s_yaml and out is None:
        raise fail("--format k8s-yaml needs --out DIR")

    started = time.perf_counter()
    try:
        with err.status(f"Planning stack [bold]{stack}[/] offline…", spinner="dots"):
            graph = run_stack(project_dir, stack)
    except ConfigError as error:
        raise fail(str(error)) from None
    except DuplicateUrnError as error:
        raise fail(str(error)) from None
    except Exception as error:
        if os.environ.get("MLOPS_DEBUG"):
            raise
        # A bug in the program, not bad input: say where to look instead of dumping a traceback.
        raise fail(
            f"the Pulumi program failed: {type(error).__name__}: {error} (MLOPS_DEBUG=1 shows the traceback)"
        ) from None
    elapsed = time.perf_counter() - started

    from mlopsctl.report import PlanReport

    report = PlanReport.evaluate(graph, elapsed=elapsed, project_dir=project_dir)
    report.write(fmt.value, out)
    raise typer.Exit(EXIT_FINDINGS if report.has_findings else EXIT_OK)


def _register_tools() -> None:
    """Commands that live in their own packages."""
    from mlopsctl.cost.cli import cost_command, prices_app
    from mlopsctl.deploy.cli import deploy_app
    from mlopsctl.diff.cli import diff_command
    from mlopsctl.phoenix.cli import phoenix_app

    app.command("diff")(diff_command)
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
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
