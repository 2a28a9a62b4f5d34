"""Human views of a plan: a rich tree for the terminal and a markdown summary (with a mermaid diagram)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.tree import Tree

from mlopsctl.engine import Graph, Registration
from mlopsctl.plan import component_edges, components, type_counts


def _label(resource: Registration) -> str:
    kind = resource.type.split(":")[-1]
    suffix = " [dim](protected)[/]" if resource.protect else ""
    style = "bold cyan" if not resource.custom else "white"
    return f"[{style}]{resource.name}[/] [dim]{kind}[/]{suffix}"


def render_tree(graph: Graph, *, elapsed: float | None = None, extra: Sequence[RenderableType] = ()) -> RenderableType:
    """Components and their resources as a tree, then resource counts by type (and timing)."""
    children: dict[str | None, list[Registration]] = {}
    for resource in graph.resources:
        children.setdefault(resource.parent, []).append(resource)
    root = Tree(f"[bold]{graph.project}[/] / stack [bold green]{graph.stack}[/] ({len(graph.resources)} resources)")

    def add(node: Tree, parent: str | None) -> None:
        # Components first, then resources, each by name: the tree reads like the architecture.
        for resource in sorted(children.get(parent, []), key=lambda r: (r.custom, r.name, r.type)):
            add(node.add(_label(resource)), resource.urn)

    add(root, None)
    counts = Table(title="Resources by type", show_edge=False)
    counts.add_column("type")
    counts.add_column("count", justify="right")
    for type_, count in type_counts(graph):
        counts.add_row(type_, str(count))
    parts: list[RenderableType] = [root, counts, *extra]
    if elapsed is not None:
        parts.append(f"[dim]planned offline in {elapsed:.2f} s[/]")
    return Group(*parts)


def mermaid(graph: Graph) -> str:
    """A mermaid flowchart of the components and how they depend on each other."""
    comps = components(graph)
    ids = {c.urn: f"c{index}" for index, c in enumerate(comps)}
    lines = ["flowchart LR"]
    for comp in comps:
        kind = comp.type.split(":")[-1]
        lines.append(f'  {ids[comp.urn]}["{comp.name}<br/><small>{kind}</small>"]')
    for comp in comps:
        if comp.parent in ids:
            lines.append(f"  {ids[comp.parent]} --- {ids[comp.urn]}")
    for source, target in component_edges(graph):
        lines.append(f"  {ids[source]} -.->|depends on| {ids[target]}")
    return "\n".join(lines)


def render_markdown(graph: Graph, *, sections: Sequence[str] = ()) -> str:
    """A summary fit for a README or a PR: counts, components diagram, then extra sections."""
    comps = components(graph)
    out = [
        f"## {graph.project} · stack `{graph.stack}`",
        "",
        f"{len(graph.resources)} resources in {len(comps)} components, planned offline (no cloud credentials).",
        "",
        "### Components",
        "",
        "```mermaid",
        mermaid(graph),
        "```",
        "",
        "### Resources by type",
        "",
        "| type | count |",
        "|---|---:|",
    ]
    out += [f"| `{type_}` | {count} |" for type_, count in type_counts(graph)]
    if graph.outputs:
        out += ["", "### Outputs", "", "| output | value |", "|---|---|"]
        out += [f"| `{key}` | {_cell(value)} |" for key, value in graph.outputs.items()]
    for section in sections:
        out += ["", section.rstrip()]
    return "\n".join(out) + "\n"


def _cell(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = text.replace("|", "\\|").replace("\n", " ")
    return f"`{text[:120]}`" + ("…" if len(text) > 120 else "")
