"""How every `mlopsctl` command reports an error and plans a stack: plain text, never a traceback.

Messages carry user data (file names, keys, values), so they are printed as text, never as Rich markup:
``[/bold]`` in a stack file must reach the user as written, not crash the printer.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.text import Text

from contracts.errors import ConfigError
from contracts.exit_codes import EXIT_USAGE

if TYPE_CHECKING:
    from mlopsctl.engine import Graph

err = Console(stderr=True)
"""The error stream (stderr)."""

DEBUG_HINT = "(MLOPS_DEBUG=1 shows the traceback)"


def error(message: str) -> None:
    """Print ``error: <message>`` to stderr, the message as plain text."""
    err.print(Text.assemble(("error:", "bold red"), " ", message), highlight=False, soft_wrap=True)


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    """Print an error and return the Exit to raise (exit 2 unless told otherwise)."""
    error(message)
    return typer.Exit(code)


def plan_or_exit(project_dir: Path, stack: str, *, status: str | None = None) -> Graph:
    """Run a stack's program offline; bad input or a failing program is an exit-2 error, not a traceback."""
    from mlopsctl.engine import DuplicateUrnError, run_stack

    try:
        if status is None:
            return run_stack(project_dir, stack)
        with err.status(status, spinner="dots"):
            return run_stack(project_dir, stack)
    except (ConfigError, DuplicateUrnError) as problem:
        raise fail(str(problem)) from None
    except Exception as problem:
        if os.environ.get("MLOPS_DEBUG"):
            raise
        # A bug in the program, not bad input: say where to look instead of dumping a traceback.
        raise fail(f"the Pulumi program failed: {type(problem).__name__}: {problem} {DEBUG_HINT}") from None
