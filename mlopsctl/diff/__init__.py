"""Infrastructure diffs for pull requests: two plans (or one `pulumi preview --json`) -> a structured diff,
a policy delta, and markdown / JSON / text renderings.

    from mlopsctl.diff import diff_files, render
    diff = diff_files(Path("base.json"), Path("head.json"))
    print(render(diff, "markdown"))
"""

from __future__ import annotations

from collections.abc import Callable

from mlopsctl.diff.compute import diff_plans
from mlopsctl.diff.load import diff_files
from mlopsctl.diff.model import (
    ChangeKind,
    Diff,
    DiffError,
    ImageChange,
    ImageEntry,
    PolicyDelta,
    PropertyChange,
    PropOp,
    ResourceChange,
    Violation,
)
from mlopsctl.diff.plan_doc import Plan, load_plan, parse_plan
from mlopsctl.diff.policy_delta import policy_delta
from mlopsctl.diff.preview_json import parse_preview
from mlopsctl.diff.render_json import render_json
from mlopsctl.diff.render_markdown import GITHUB_COMMENT_LIMIT, render_markdown
from mlopsctl.diff.render_text import render_text

RENDERERS: dict[str, Callable[[Diff], str]] = {
    "markdown": render_markdown,
    "json": render_json,
    "text": render_text,
}
"""Output formats of `mlopsctl diff --format`."""


def render(diff: Diff, format: str) -> str:
    """Render `diff` as "markdown", "json" or "text"."""
    try:
        renderer = RENDERERS[format]
    except KeyError:
        raise DiffError(f"--format {format!r}: expected one of {', '.join(RENDERERS)}") from None
    return renderer(diff)


__all__ = [
    "GITHUB_COMMENT_LIMIT",
    "RENDERERS",
    "ChangeKind",
    "Diff",
    "DiffError",
    "ImageChange",
    "ImageEntry",
    "Plan",
    "PolicyDelta",
    "PropOp",
    "PropertyChange",
    "ResourceChange",
    "Violation",
    "diff_files",
    "diff_plans",
    "load_plan",
    "parse_plan",
    "parse_preview",
    "policy_delta",
    "render",
    "render_json",
    "render_markdown",
    "render_text",
]
