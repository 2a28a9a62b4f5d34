"""The pull request comment: one per stack, found and updated in place through a hidden marker.

Layout: marker, title, one-line verdict, summary table per component, new policy violations, image changes
(added, removed, re-tagged or re-pointed images, from the plans' inventories), a mermaid diagram of the changed
components, then collapsible details per component. The comment must stay under
GitHub's 65,536-character limit, so when it is too long the least important details are folded first
(unchanged counts, then property values, property lists, the resource lists of the biggest components,
all details, the diagram, long tables) and the comment says what was cut. Output is byte-stable.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

from mlopsctl.diff import md
from mlopsctl.diff.fmt import counts_phrase, render_value, verdict
from mlopsctl.diff.mermaid import changed_components, render_mermaid
from mlopsctl.diff.model import (
    SECRET,
    SUMMARY_KINDS,
    ChangeKind,
    Diff,
    PropertyChange,
    PropOp,
    ResourceChange,
    Violation,
)

GITHUB_COMMENT_LIMIT = 65_536
"""GitHub rejects issue/PR comment bodies longer than this many characters."""

COMMENT_BUDGET = GITHUB_COMMENT_LIMIT - 1_536
"""What a comment may use, counted in UTF-8 bytes (never fewer than characters), with a safety margin."""

ICON = {"blocked": "🛑", "destructive": "⚠️", "changes": "✅", "none": "✅"}
KIND_ICON = {
    ChangeKind.CREATE: "➕",  # noqa: RUF001 - an emoji, not a plus sign
    ChangeKind.UPDATE: "✏️",
    ChangeKind.REPLACE: "♻️",
    ChangeKind.DELETE: "🗑️",
    ChangeKind.MOVE: "🔀",
}
SOURCE = {
    "plans": "two plans from the offline engine (no cloud access)",
    "preview": "`pulumi preview --json`",
}


@dataclass(frozen=True)
class Layout:
    """How much detail to render; each folding step turns one knob down."""

    unchanged_lines: bool = True
    property_values: bool = True
    property_lines: bool = True
    folded: tuple[str, ...] = ()
    """Components whose resource lists are replaced by a one-line summary."""
    details: bool = True
    mermaid_nodes: int = 40
    violation_rows: int = 100
    summary_rows: int = 200

    def cuts(self) -> list[str]:
        """What this layout leaves out, in words, for the note at the top of the comment."""
        out: list[str] = []
        if not self.unchanged_lines:
            out.append("unchanged-resource lines in the details")
        if not self.property_values:
            out.append("property values")
        if not self.property_lines:
            out.append("changed-property lists")
        if self.folded and self.details:
            names = ", ".join(md.code(label) for label in self.folded[:10])
            more = f" and {len(self.folded) - 10} more" if len(self.folded) > 10 else ""
            out.append(f"resource lists of the {len(self.folded)} largest components ({names}{more})")
        if not self.details:
            out.append("all per-component details")
        if self.mermaid_nodes < Layout.mermaid_nodes:
            out.append("the diagram" if self.mermaid_nodes == 0 else f"diagram nodes beyond {self.mermaid_nodes}")
        if self.violation_rows < Layout.violation_rows:
            out.append(f"policy violations beyond the first {self.violation_rows}")
        if self.summary_rows < Layout.summary_rows:
            out.append(f"summary rows beyond the {self.summary_rows} largest components")
        return out


def _property_line(p: PropertyChange, values: bool) -> str:
    forced = " **(forces replacement)**" if p.forces_replacement else ""
    path = md.code(p.path)
    if p.secret:
        return f"  - {path}: 🔒 {SECRET} changed{forced}"
    if p.op is PropOp.REPORTED:
        return f"  - {path}: changed (reported by the engine){forced}"
    if not values:
        word = {PropOp.ADD: "added", PropOp.REMOVE: "removed", PropOp.UPDATE: "changed"}[p.op]
        return f"  - {path}: {word}{forced}"
    if p.op is PropOp.ADD:
        return f"  - {path}: added {md.code(render_value(p.after))}{forced}"
    if p.op is PropOp.REMOVE:
        return f"  - {path}: removed {md.code(render_value(p.before))}{forced}"
    return f"  - {path}: {md.code(render_value(p.before))} → {md.code(render_value(p.after))}{forced}"


def _resource_lines(c: ResourceChange, layout: Layout) -> list[str]:
    reason = ""
    if c.replace_reasons:
        reason = " — forced by " + ", ".join(md.code(r) for r in c.replace_reasons)
    lines = [f"- {KIND_ICON[c.kind]} **{c.kind.value}** {md.code(c.type)} {md.code(c.name)}{reason}"]
    if layout.property_lines:
        lines += [_property_line(p, layout.property_values) for p in c.properties]
    elif c.properties:
        lines.append(f"  - {len(c.properties)} changed propert{'y' if len(c.properties) == 1 else 'ies'}")
    if c.previous_urn:
        lines.append(f"  - was {md.code(c.previous_urn)}")
    lines += [f"  - ⚠️ {md.text(note)}" for note in c.notes]
    return lines


def _component_details(diff: Diff, label: str, type_: str, layout: Layout) -> list[str]:
    changes = [c for c in diff.changes if c.component == label]
    summary = f"<b>{md.html_code(label)}</b> {md.html_code(type_)}: {counts_phrase(diff, label)}"
    lines = ["<details>", f"<summary>{summary}</summary>", ""]
    if label in layout.folded:
        lines.append(
            f"_{len(changes)} resource changes not listed here to stay within GitHub's comment size limit; "
            "`mlopsctl diff --format text` shows them all._"
        )
    else:
        for c in changes:
            lines += _resource_lines(c, layout)
    unchanged = diff.unchanged_by_component.get(label, 0)
    if unchanged and layout.unchanged_lines:
        lines += ["", f"_{unchanged} unchanged resource{'s' if unchanged != 1 else ''} in this component._"]
    return [*lines, "", "</details>"]


def _summary_table(diff: Diff, layout: Layout) -> list[str]:
    per_component = diff.source == "plans"
    head = ["Component", *[k.value.capitalize() for k in SUMMARY_KINDS]]
    if per_component:
        head.append("Unchanged")
    lines = ["| " + " | ".join(head) + " |", "|:--" + "|--:" * (len(head) - 1) + "|"]
    changed = changed_components(diff)
    shown = sorted(changed[: layout.summary_rows])

    def cells(counts: list[int]) -> str:
        return " | ".join(str(n) if n else "·" for n in counts)

    for label in shown:
        counts = [diff.count(k, label) for k in SUMMARY_KINDS]
        extra = f" | {diff.unchanged_by_component.get(label, 0)}" if per_component else ""
        lines.append(f"| {md.code(label, in_table=True)} | {cells(counts)}{extra} |")
    if len(changed) > len(shown):
        lines.append(f"| _… {len(changed) - len(shown)} more_ |" + " |" * (len(head) - 1))
    totals = [diff.count(k) for k in SUMMARY_KINDS]
    extra = f" | **{diff.unchanged}**" if per_component else ""
    lines.append("| **Total** | " + " | ".join(f"**{n}**" for n in totals) + extra + " |")
    return lines


def _violation_row(v: Violation) -> str:
    resource = v.urn.rsplit("::", 1)[-1] if v.urn else ""
    return (
        f"| {md.text(v.level)} | {md.text(v.severity or '-')} | {md.code(v.policy, in_table=True)} | "
        f"{md.code(resource, in_table=True) if resource else '—'} | {md.text(v.message)} |"
    )


def _policy_section(diff: Diff, layout: Layout) -> list[str]:
    policy = diff.policy
    if policy is None:
        if diff.source == "preview":
            return ["_Policy results are not part of `pulumi preview --json`; see the preview log._"]
        return ["_Policies were not evaluated for this plan._"]
    lines: list[str] = []
    if policy.new:
        mandatory = len(policy.new_mandatory)
        lines += [f"#### New policy violations ({len(policy.new)}, {mandatory} mandatory)", ""]
        if not policy.base_evaluated:
            lines += ["_BASE carried no policy results, so every violation in HEAD counts as new._", ""]
        lines += ["| Level | Severity | Policy | Resource | Message |", "|:--|:--|:--|:--|:--|"]
        lines += [_violation_row(v) for v in policy.new[: layout.violation_rows]]
        if len(policy.new) > layout.violation_rows:
            lines.append(f"| _… {len(policy.new) - layout.violation_rows} more_ | | | | |")
        lines.append("")
    lines.append(f"Policy: {len(policy.new)} new · {len(policy.fixed)} fixed · {len(policy.unchanged)} unchanged")
    if policy.fixed and layout.details:
        lines += ["", "<details>", f"<summary>Fixed violations ({len(policy.fixed)})</summary>", ""]
        lines += [
            f"- {md.code(v.policy)} on {md.code(v.urn.rsplit('::', 1)[-1])}"
            for v in policy.fixed[: layout.violation_rows]
        ]
        lines += ["", "</details>"]
    return lines


IMAGE_ICON = {"added": "➕", "removed": "🗑️", "changed": "✏️"}  # noqa: RUF001 - emoji


def _images_section(diff: Diff, layout: Layout) -> list[str]:
    """Image changes: what the cluster will pull after this PR, by upstream repository."""
    changes = diff.images or ()
    lines = [f"#### Images ({len(changes)} changed)", "", "| | Upstream | Before | After | What changed |"]
    lines.append("|:--|:--|:--|:--|:--|")
    for c in changes[: layout.violation_rows]:
        before = md.code(c.before, in_table=True) if c.before else "—"
        after = md.code(c.after, in_table=True) if c.after else "—"
        lines.append(
            f"| {IMAGE_ICON.get(c.kind, '')} {md.text(c.kind)} | {md.code(c.upstream, in_table=True)} | {before} "
            f"| {after} | {md.text(c.note) if c.note else ''} |"
        )
    if len(changes) > layout.violation_rows:
        lines.append(f"| _… {len(changes) - layout.violation_rows} more_ | | | | |")
    return lines


def _render(diff: Diff, layout: Layout) -> str:
    level, sentence = verdict(diff)
    lines = [
        md.marker(diff.project, diff.stack),
        f"### Infrastructure diff: {md.code(diff.project)} · stack {md.code(diff.stack)}",
        "",
        f"{ICON[level]} **{sentence}**",
    ]
    cuts = layout.cuts()
    if cuts:
        lines += [
            "",
            "> ✂️ **Shortened** to stay under GitHub's 65,536-character comment limit. Left out: "
            + "; ".join(cuts)
            + ". `mlopsctl diff --format text` (or `--format json`) shows everything.",
        ]
    if diff.has_changes:
        lines += ["", *_summary_table(diff, layout)]
    if diff.has_changes or (diff.policy is not None and (diff.policy.new or diff.policy.fixed)):
        lines += ["", *_policy_section(diff, layout)]
    if diff.images:
        lines += ["", *_images_section(diff, layout)]
    mermaid = render_mermaid(diff, layout.mermaid_nodes)
    if mermaid:
        lines += ["", "#### Changed components", "", *mermaid]
    if diff.diagnostics:
        lines += ["", f"#### Engine diagnostics ({len(diff.diagnostics)})", ""]
        for d in diff.diagnostics[:20]:
            where = f" ({md.code(d.urn.rsplit('::', 1)[-1])})" if d.urn else ""
            lines.append(f"- {'❌' if d.severity == 'error' else '⚠️'}{where} {md.text(d.message)}")
    if diff.has_changes and layout.details:
        lines += ["", "#### Details", ""]
        for component in diff.components:
            if any(c.component == component.label for c in diff.changes):
                lines += [*_component_details(diff, component.label, component.type, layout), ""]
    while lines and not lines[-1]:
        lines.pop()
    lines += ["", f"<sub>`mlopsctl diff` from {SOURCE.get(diff.source, md.text(diff.source))}</sub>"]
    return "\n".join(lines).rstrip("\n") + "\n"


def _fits(body: str, limit: int) -> bool:
    return len(body.encode("utf-8")) <= limit


def _by_size(diff: Diff) -> list[str]:
    """Components by how much room their details take, biggest first."""
    weight: dict[str, int] = {}
    for c in diff.changes:
        weight[c.component] = weight.get(c.component, 0) + 1 + len(c.properties) + len(c.notes)
    return sorted(weight, key=lambda label: (-weight[label], label))


def _foldings(diff: Diff) -> Iterator[Layout]:
    """Ever shorter layouts, dropping the least important details first."""
    layout = Layout()
    yield layout
    layout = dataclasses.replace(layout, unchanged_lines=False)
    yield layout
    layout = dataclasses.replace(layout, property_values=False)
    yield layout
    layout = dataclasses.replace(layout, property_lines=False)
    yield layout
    for label in _by_size(diff):
        layout = dataclasses.replace(layout, folded=(*layout.folded, label))
        yield layout
    layout = dataclasses.replace(layout, details=False, folded=())
    yield layout
    layout = dataclasses.replace(layout, mermaid_nodes=10, violation_rows=20, summary_rows=30)
    yield layout
    yield dataclasses.replace(layout, mermaid_nodes=0, violation_rows=5, summary_rows=10)


def render_markdown(diff: Diff, limit: int = COMMENT_BUDGET) -> str:
    """The comment body, folded as little as possible to fit `limit` UTF-8 bytes."""
    body = ""
    for layout in _foldings(diff):
        body = _render(diff, layout)
        if _fits(body, limit):
            return body
    # Unreachable with sane limits (the minimal layout is a few kB); never exceed the limit regardless.
    cut = body.encode("utf-8")[: max(0, limit - 200)].decode("utf-8", errors="ignore")
    return cut + "\n\n_…cut at GitHub's comment size limit._\n"
