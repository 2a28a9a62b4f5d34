"""Formatting shared by the renderers: values, counts, the verdict line.

Plan content comes from the pull request under review, so it is untrusted: values are only ever shown
as JSON inside code spans (markdown) and secrets never get here (see `model.PropertyChange`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from mlopsctl.diff.model import SECRET, SUMMARY_KINDS, UNKNOWN, ChangeKind, Diff, PropertyChange, PropOp

VALUE_WIDTH = 120
"""Longest rendered value; longer ones are cut with an ellipsis."""

KIND_VERB = {
    ChangeKind.CREATE: "to create",
    ChangeKind.UPDATE: "to update",
    ChangeKind.REPLACE: "to replace",
    ChangeKind.DELETE: "to delete",
    ChangeKind.MOVE: "renamed/moved",
}

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def one_line(text: str) -> str:
    """Collapse control characters (newlines included) so one value cannot break the layout."""
    return _CONTROL.sub(" ", text)


def render_value(value: Any, width: int = VALUE_WIDTH) -> str:
    """A masked JSON value as compact JSON text, cut to `width` characters."""
    if value == UNKNOWN:
        return "(known after apply)"
    if value == SECRET:
        return SECRET
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= width else text[: width - 1] + "…"


def describe_property(p: PropertyChange, values: bool = True) -> tuple[str, str]:
    """(path, description) for one property change; `values=False` leaves the values out."""
    suffix = " (forces replacement)" if p.forces_replacement else ""
    if p.secret:
        return p.path, f"{SECRET} changed{suffix}"
    if p.op is PropOp.REPORTED:
        return p.path, f"changed (reported by the engine){suffix}"
    if not values:
        word = {PropOp.ADD: "added", PropOp.REMOVE: "removed", PropOp.UPDATE: "changed"}[p.op]
        return p.path, f"{word}{suffix}"
    if p.op is PropOp.ADD:
        return p.path, f"+ {render_value(p.after)}{suffix}"
    if p.op is PropOp.REMOVE:
        return p.path, f"- {render_value(p.before)}{suffix}"
    return p.path, f"{render_value(p.before)} -> {render_value(p.after)}{suffix}"


def counts_phrase(diff: Diff, component: str | None = None) -> str:
    """ "2 to create, 1 to replace" (only non-zero kinds), or "no changes"."""
    parts = [f"{n} {KIND_VERB[k]}" for k in SUMMARY_KINDS if (n := diff.count(k, component))]
    return ", ".join(parts) if parts else "no changes"


def verdict(diff: Diff) -> tuple[str, str]:
    """(level, sentence) summarizing the diff; level is "blocked", "destructive", "changes" or "none"."""
    policy = diff.policy
    mandatory = len(policy.new_mandatory) if policy else 0
    new = len(policy.new) if policy else 0
    tail = f"{diff.unchanged} unchanged"
    if policy is not None:
        tail += f"; {new} new policy violation{'s' if new != 1 else ''}"
        if policy.fixed:
            tail += f", {len(policy.fixed)} fixed"
    if mandatory:
        return "blocked", (
            f"Blocked by policy: {mandatory} new mandatory violation{'s' if mandatory != 1 else ''}"
            f" ({counts_phrase(diff)}; {tail})"
        )
    if diff.count(ChangeKind.REPLACE) or diff.count(ChangeKind.DELETE):
        return "destructive", f"Destroys or replaces resources: {counts_phrase(diff)}; {tail}"
    if diff.has_changes:
        return "changes", f"In-place changes only: {counts_phrase(diff)}; {tail}"
    return "none", f"No infrastructure changes ({tail})"
