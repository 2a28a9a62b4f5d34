"""What `mlopsctl plan` produces from one graph: the plan document and its views, in every format."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console, RenderableType

from mlopsctl.engine import Graph
from mlopsctl.plan import build_plan, dumps
from mlopsctl.render import render_markdown, render_tree


@dataclass
class PlanReport:
    """A planned graph plus everything evaluated on it."""

    graph: Graph
    elapsed: float | None = None
    policy: dict[str, Any] | None = None
    extra_sections_md: list[str] = field(default_factory=list)
    extra_renderables: list[RenderableType] = field(default_factory=list)

    @classmethod
    def evaluate(cls, graph: Graph, *, elapsed: float | None = None) -> PlanReport:
        """Build the report of a graph (policy results and connectivity are added here as they evaluate)."""
        return cls(graph=graph, elapsed=elapsed)

    @property
    def has_mandatory_violations(self) -> bool:
        """True when a mandatory policy rule is violated (exit code 1)."""
        violations = (self.policy or {}).get("violations", [])
        return any(v.get("level") == "mandatory" for v in violations)

    def plan_document(self) -> dict[str, Any]:
        """The ``mlops-plan/1`` document."""
        return build_plan(self.graph, policy=self.policy)

    def write(self, fmt: str, out: Path | None) -> None:
        """Render in ``fmt`` to ``out`` (a file, or a directory for k8s-yaml) or to stdout."""
        if fmt == "tree":
            self._print(render_tree(self.graph, elapsed=self.elapsed, extra=self.extra_renderables), out)
        elif fmt == "json":
            _emit(dumps(self.plan_document()), out)
        elif fmt == "markdown":
            _emit(render_markdown(self.graph, sections=self.extra_sections_md), out)
        else:
            raise ValueError(f"unknown format {fmt!r}")

    @staticmethod
    def _print(renderable: RenderableType, out: Path | None) -> None:
        if out is None:
            Console().print(renderable)
            return
        with out.open("w", encoding="utf-8") as handle:
            Console(file=handle, width=140, no_color=True, force_terminal=False).print(renderable)


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
