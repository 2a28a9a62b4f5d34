"""`mlopsctl diff --git-base REF --stack NAME`: plan REF (from a temporary git worktree) and the working tree.

Both plans are built with the current environment (the installed `mlopsctl`, its engine and the
packages of this venv); only the program (`__main__.py`, components, stack config) comes from REF.
The worktree is removed again whatever happens.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from contracts.exit_codes import EXIT_FINDINGS, EXIT_OK
from contracts.plan import PLAN_SCHEMA
from mlopsctl.diff.model import DiffError
from mlopsctl.diff.plan_doc import Plan, parse_plan, read_json

PlanBuilder = Callable[[Path, str, Path], None]
"""Writes the plan of (project_dir, stack) to the given JSON file; raises `DiffError` on failure."""

_TAIL_LINES = 20


def _git(args: list[str], cwd: Path) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise DiffError("--git-base needs git, which is not installed") from None
    if done.returncode != 0:
        raise DiffError(f"git {' '.join(args)} failed in {cwd}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout.strip()


def subprocess_plan_builder(project_dir: Path, stack: str, out: Path) -> None:
    """Run `python -m mlopsctl plan --project-dir DIR --stack NAME --format json --out FILE`.

    It runs in the current directory, never inside the worktree, so `python -m mlopsctl` (the engine)
    is always the current one, while `--project-dir` makes the engine run that directory's `__main__.py`.
    """
    cmd = [sys.executable, "-m", "mlopsctl", "plan", "--project-dir", str(project_dir), "--stack", stack]
    cmd += ["--format", "json", "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    # Exit 1 means "planned, with findings" (a mandatory violation, a deploy or connectivity finding): the
    # plan is written and is exactly what the PR check must compare. Only 2 (or no plan) is a failure.
    if done.returncode not in (EXIT_OK, EXIT_FINDINGS) or not out.is_file():
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-_TAIL_LINES:])
        raise DiffError(f"planning {project_dir} (stack {stack!r}) failed with exit code {done.returncode}:\n{tail}")


PLAN_BUILDER: PlanBuilder = subprocess_plan_builder
"""The builder `mlopsctl diff --git-base` uses (tests replace it)."""


def _stack_file(project_dir: Path, stack: str) -> Path:
    return project_dir / "stacks" / f"Pulumi.{stack}.yaml"


def empty_plan(stack: str) -> dict[str, object]:
    """The plan of a stack that does not exist yet: no resources."""
    return {"schema": PLAN_SCHEMA, "project": "mlops-platform", "stack": stack, "resources": [], "outputs": {}}


def resolve_commit(repo: Path, ref: str) -> str:
    """The commit `ref` names, or a `DiffError` saying the ref is unknown."""
    if not ref or ref.startswith("-"):
        raise DiffError(f"--git-base {ref!r}: not a git ref")
    done = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise DiffError(f"--git-base {ref!r}: no such commit in {repo} (fetch it first, e.g. fetch-depth: 0)")
    return done.stdout.strip()


@contextlib.contextmanager
def worktree(repo: Path, commit: str) -> Iterator[Path]:
    """A detached, temporary worktree of `commit`; removed (and pruned) on exit, even after errors."""
    holder = Path(tempfile.mkdtemp(prefix="mlops-diff-base-"))
    path = holder / "tree"
    try:
        _git(["worktree", "add", "--detach", "--quiet", str(path), commit], repo)
        yield path
    finally:
        with contextlib.suppress(DiffError):
            _git(["worktree", "remove", "--force", str(path)], repo)
        shutil.rmtree(holder, ignore_errors=True)
        with contextlib.suppress(DiffError):
            _git(["worktree", "prune"], repo)


def plans_from_git(project_dir: Path, ref: str, stack: str, builder: PlanBuilder | None = None) -> tuple[Plan, Plan]:
    """(BASE, HEAD) plans: REF's version of `project_dir` and the working tree's, for `stack`."""
    base, head = documents_from_git(project_dir, ref, stack, builder)
    return parse_plan(base, f"{ref}:{stack}"), parse_plan(head, f"working tree:{stack}")


def documents_from_git(
    project_dir: Path, ref: str, stack: str, builder: PlanBuilder | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(BASE, HEAD) plan documents as `mlopsctl plan --format json` wrote them (for the cost delta too)."""
    build = builder or PLAN_BUILDER
    project_dir = project_dir.resolve()
    if not project_dir.is_dir():
        raise DiffError(f"--project-dir {project_dir}: not a directory")
    repo = Path(_git(["rev-parse", "--show-toplevel"], project_dir)).resolve()
    relative = project_dir.relative_to(repo)
    commit = resolve_commit(repo, ref)
    with tempfile.TemporaryDirectory(prefix="mlops-diff-plans-") as tmp:
        base_file, head_file = Path(tmp) / "base.json", Path(tmp) / "head.json"
        with worktree(repo, commit) as tree:
            base_dir = tree / relative
            if not base_dir.is_dir():
                raise DiffError(f"{relative} does not exist at {ref} ({commit[:12]})")
            if (base_dir / "Pulumi.yaml").is_file() and not _stack_file(base_dir, stack).is_file():
                # The pull request adds this stack: everything in it is a creation.
                base_file.write_text(json.dumps(empty_plan(stack)))
            else:
                build(base_dir, stack, base_file)
        build(project_dir, stack, head_file)
        return read_json(base_file), read_json(head_file)
