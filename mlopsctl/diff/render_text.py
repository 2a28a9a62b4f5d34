"""Plain-text rendering for terminals and logs, in the spirit of `pulumi preview --diff`."""

from __future__ import annotations

from mlopsctl.diff.fmt import counts_phrase, describe_property, one_line, verdict
from mlopsctl.diff.model import ChangeKind, Diff, Violation

SYMBOL = {
    ChangeKind.CREATE: "+ ",
    ChangeKind.UPDATE: "~ ",
    ChangeKind.REPLACE: "+-",
    ChangeKind.DELETE: "- ",
    ChangeKind.MOVE: "=>",
}


def _violation(prefix: str, v: Violation) -> str:
    return one_line(f"  {prefix} {v.level}/{v.severity or '-'}  {v.policy}  {v.urn}: {v.message}")


def render_text(diff: Diff) -> str:
    """The whole diff as text; deterministic for the same diff."""
    lines = [f"{diff.project}/{diff.stack} ({diff.source}): {verdict(diff)[1]}"]
    for component in diff.components:
        label = component.label
        changes = [c for c in diff.changes if c.component == label]
        unchanged = diff.unchanged_by_component.get(label, 0)
        if not changes:
            continue
        lines += ["", one_line(f"{label} ({component.type}): {counts_phrase(diff, label)}")]
        for c in changes:
            reason = f"  [replace: {', '.join(c.replace_reasons)}]" if c.replace_reasons else ""
            lines.append(one_line(f"  {SYMBOL[c.kind]} {c.type} {c.name}{reason}"))
            for p in c.properties:
                path, text = describe_property(p)
                lines.append(one_line(f"        {path}: {text}"))
            if c.previous_urn:
                lines.append(one_line(f"        was {c.previous_urn}"))
            lines.extend(one_line(f"        ! {note}") for note in c.notes)
        if unchanged:
            lines.append(f"  ({unchanged} unchanged)")
    if diff.policy is not None:
        delta = diff.policy
        lines += [
            "",
            f"Policy: {len(delta.new)} new ({len(delta.new_mandatory)} mandatory), {len(delta.fixed)} fixed, "
            f"{len(delta.unchanged)} unchanged",
        ]
        if not delta.base_evaluated:
            lines.append("  (BASE carried no policy results: every HEAD violation counts as new)")
        lines += [_violation("NEW  ", v) for v in delta.new] + [_violation("FIXED", v) for v in delta.fixed]
    else:
        lines += ["", "Policy: not evaluated"]
    if diff.images:
        lines += ["", f"Images: {len(diff.images)} changed"]
        for image in diff.images:
            detail = {"added": f"+ {image.after}", "removed": f"- {image.before}"}.get(
                image.kind, f"~ {image.before} -> {image.after}"
            )
            lines.append(one_line(f"  {detail}" + (f"  ({image.note})" if image.note else "")))
    if diff.diagnostics:
        lines += ["", "Diagnostics:"]
        lines += [one_line(f"  {d.severity} {d.urn or ''}: {d.message}") for d in diff.diagnostics]
    return "\n".join(lines) + "\n"
