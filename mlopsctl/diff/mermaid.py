"""A mermaid flowchart of the changed components and the dependencies between them."""

from __future__ import annotations

from mlopsctl.diff.md import mermaid_label
from mlopsctl.diff.model import ChangeKind, Diff

SHORT = {
    ChangeKind.CREATE: "+",
    ChangeKind.UPDATE: "~",
    ChangeKind.REPLACE: "±",
    ChangeKind.DELETE: "-",
    ChangeKind.MOVE: "→",
}

CLASSES = (
    "  classDef destroy fill:#ffebe9,stroke:#cf222e,color:#24292f",
    "  classDef create fill:#dafbe1,stroke:#1a7f37,color:#24292f",
    "  classDef update fill:#fff8c5,stroke:#9a6700,color:#24292f",
)


def changed_components(diff: Diff) -> list[str]:
    """Labels of components with at least one change, most changes first (ties by label)."""
    counts: dict[str, int] = {}
    for c in diff.changes:
        counts[c.component] = counts.get(c.component, 0) + 1
    return sorted(counts, key=lambda label: (-counts[label], label))


def render_mermaid(diff: Diff, max_nodes: int) -> list[str]:
    """Lines of a ```mermaid block (fence included), or [] when nothing changed.

    At most `max_nodes` components are drawn (those with the most changes); a last node says how many
    were left out.
    """
    changed = changed_components(diff)
    if not changed or max_nodes <= 0:
        return []
    shown = sorted(changed[:max_nodes])
    ids = {label: f"c{i}" for i, label in enumerate(shown)}
    lines = ["```mermaid", "flowchart LR", *CLASSES]
    for label in shown:
        kinds = {k: diff.count(k, label) for k in SHORT}
        counts = " ".join(f"{SHORT[k]}{n}" for k, n in kinds.items() if n)
        style = (
            "destroy"
            if kinds[ChangeKind.DELETE] or kinds[ChangeKind.REPLACE]
            else "create"
            if kinds[ChangeKind.CREATE] and not kinds[ChangeKind.UPDATE]
            else "update"
        )
        lines.append(f'  {ids[label]}["{mermaid_label(label)}<br/>{mermaid_label(counts)}"]:::{style}')
    for source, target in diff.component_edges:
        if source in ids and target in ids:
            lines.append(f"  {ids[source]} --> {ids[target]}")
    if len(changed) > len(shown):
        lines.append(f'  more["... and {len(changed) - len(shown)} more changed components"]')
    lines.append("```")
    return lines
